"""Outlets configured in TOML (``[[outlets]]`` tables): any site crawled by configuration alone.

Each outlet becomes an ``OutletSite`` with the site-module interface (``SITE``, ``ALLOWED_DOMAINS``,
``START_URLS``, ``is_article_url``, ``is_list_url``, ``parse_page``, ``merge_pages``), so the spiders,
pipeline, reparse and extract treat it like a built-in site. Articles come from the generic extractor,
with the outlet's CSS/XPath selectors replacing its heuristics field by field. No Scrapy here.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree, html

from crawler.errors import ParseError
from crawler.generic import FIELDS, ExtractionError, extract_article
from crawler.generic.overrides import select
from crawler.models import Article, ListPage, Page, ParsedPage
from crawler.text.decoding import decode_html

__all__ = [
    "CONFIG_FILE", "OutletConfigError", "OutletSite", "config_path", "configured_outlets", "find_outlet",
    "load_outlets", "outlet_for_url",
]

CONFIG_FILE = "hljnews.toml"  # read from the working directory when neither setting nor $HLJNEWS_CONFIG names one
RESERVED_KEYS = frozenset({"outlet"})  # the spider that crawls every outlet
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTIONS = ("key", "name", "start_urls", "list_url_pattern", "article_url_pattern", "allowed_domains",
            "max_list_pages", "selectors")
_EMPTY_DOCUMENT = html.fromstring("<html><body></body></html>")


class OutletConfigError(ValueError):
    """An [[outlets]] table that cannot be used; the message names the file, the outlet and the field."""


@dataclass(frozen=True, eq=False)
class OutletSite:
    """One configured outlet, usable wherever a site module is."""

    key: str
    name: str
    start_urls: tuple[str, ...]
    article_url_pattern: re.Pattern[str]
    list_url_pattern: re.Pattern[str] | None = None
    allowed_domains: tuple[str, ...] = ()
    max_list_pages: int | None = None
    selectors: dict[str, str] = field(default_factory=dict)

    # Capitals, as the constants of a site module are named.
    @property
    def SITE(self) -> str:
        return self.key

    @property
    def START_URLS(self) -> list[str]:
        return list(self.start_urls)

    @property
    def ALLOWED_DOMAINS(self) -> list[str]:
        return list(self.allowed_domains)

    def is_article_url(self, url: str) -> bool:
        """The URL matches ``article_url_pattern`` (searched, so anchor it with ^…$ to match it whole)."""
        return self.article_url_pattern.search(url) is not None

    def is_list_url(self, url: str) -> bool:
        """A start URL, or a URL matching ``list_url_pattern``."""
        return url in self.start_urls or (self.list_url_pattern is not None and
                                          self.list_url_pattern.search(url) is not None)

    def parse_page(self, page: Page) -> ParsedPage:
        """Links of a list page and the article of an article page; ParseError for an unreadable article."""
        listing = self._listing(page) if self.is_list_url(page.url) else None
        article = self._article(page) if self.is_article_url(page.url) else None
        return ParsedPage(page.url, self.key, article=article, listing=listing)

    def merge_pages(self, first: Article, rest: list[Article]) -> Article:
        """Bodies and images of all pages joined, page 1's metadata."""
        pages = [first, *rest]
        images = list(dict.fromkeys(image for page in pages for image in page.images))
        return replace(first, body="\n".join(p.body for p in pages if p.body), images=images)

    def _article(self, page: Page) -> Article:
        try:
            article = extract_article(page, site=self.key, selectors=self.selectors or None)
        except ExtractionError as error:
            raise ParseError(page.url, error.reason) from None
        if not article.title:
            raise ParseError(page.url, "article page without a title")
        return article

    def _listing(self, page: Page) -> ListPage:
        articles: list[str] = []
        pages: list[str] = []
        for link in _links(page):
            if self.is_article_url(link):
                articles.append(link)
            elif link != page.url and link not in self.start_urls and self.is_list_url(link):
                pages.append(link)
        return ListPage(page.url, _unique(articles), _unique(pages))


def _links(page: Page) -> list[str]:
    """Absolute http(s) URLs of the page's links, without fragments."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", decode_html(page.body, page.headers))
    if not text.strip():
        return []
    try:
        root = html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise ParseError(page.url, f"not parseable as HTML ({error})") from None
    links = (urldefrag(urljoin(page.url, href.strip()))[0] for href in root.xpath("//a/@href"))
    return [link for link in links if link.startswith(("http://", "https://"))]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- configuration ---------------------------------------------------------------------------------------


def config_path(setting: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file in use: ``setting`` (HLJNEWS_CONFIG), else $HLJNEWS_CONFIG, else ./hljnews.toml if present."""
    chosen = setting or os.environ.get("HLJNEWS_CONFIG")
    if chosen:
        return Path(chosen)
    default = Path(CONFIG_FILE)
    return default if default.is_file() else None


_loaded: dict[Path, tuple[float, dict[str, OutletSite]]] = {}  # resolved path -> (mtime, outlets); newest last


def configured_outlets(setting: str | os.PathLike[str] | None = None) -> dict[str, OutletSite]:
    """The outlets of the config in use (see ``config_path``), re-read when the file changes; {} without one."""
    path = config_path(setting)
    if path is None:
        return {}
    resolved = path.resolve()
    try:
        mtime = resolved.stat().st_mtime
    except OSError as error:
        raise OutletConfigError(f"cannot read config {path}: {error.strerror}") from None
    cached = _loaded.pop(resolved, None)  # re-inserted below: the config loaded last is searched first
    outlets = cached[1] if cached and cached[0] == mtime else load_outlets(path)
    _loaded[resolved] = (mtime, outlets)
    return outlets


def find_outlet(key: str) -> OutletSite | None:
    """A configured outlet by key: from the config loaded last in this process (a spider's), else the one in use."""
    for _, outlets in reversed(_loaded.values()):
        if key in outlets:
            return outlets[key]
    return configured_outlets().get(key)


def outlet_for_url(url: str) -> OutletSite | None:
    """The configured outlet whose allowed domains cover the URL's host, or None."""
    host = (urlsplit(url).hostname or "").lower()
    for outlet in configured_outlets().values():
        if any(_covers(domain, host) for domain in outlet.allowed_domains):
            return outlet
    return None


def load_outlets(path: str | os.PathLike[str]) -> dict[str, OutletSite]:
    """The checked [[outlets]] of a TOML file (other tables are ignored); OutletConfigError if one is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise OutletConfigError(f"cannot read config {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise OutletConfigError(f"config {path} is not valid TOML: {error}") from None
    tables = data.get("outlets", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        raise OutletConfigError(f"config {path}: outlets must be [[outlets]] tables")
    outlets: dict[str, OutletSite] = {}
    for position, table in enumerate(tables, start=1):
        outlet = _outlet(table, f"config {path}: outlet {table.get('key') or f'#{position}'}")
        if outlet.key in outlets:
            raise OutletConfigError(f"config {path}: outlet {outlet.key}, key: defined twice")
        outlets[outlet.key] = outlet
    return outlets


def _outlet(table: dict[str, Any], where: str) -> OutletSite:
    unknown = sorted(set(table) - set(_OPTIONS))
    if unknown:
        raise OutletConfigError(f"{where}: unknown option(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})")
    key = _key(table.get("key"), where)
    start_urls = _start_urls(table.get("start_urls"), where)
    domains = _domains(table.get("allowed_domains"), start_urls, where)
    return OutletSite(
        key=key,
        name=_string(table.get("name", key), where, "name"),
        start_urls=start_urls,
        article_url_pattern=_pattern(table.get("article_url_pattern"), where, "article_url_pattern"),
        list_url_pattern=_pattern(table["list_url_pattern"], where, "list_url_pattern")
        if "list_url_pattern" in table else None,
        allowed_domains=domains,
        max_list_pages=_max_list_pages(table.get("max_list_pages"), where),
        selectors=_selectors(table.get("selectors", {}), where),
    )


def _key(value: Any, where: str) -> str:
    from crawler.sites import SITE_KEYS  # here, not at the top: crawler.sites falls back to this module

    if value is None:
        raise OutletConfigError(f"{where}, key: missing (a site key such as hljnews_cn)")
    if not isinstance(value, str) or not _KEY.match(value):
        raise OutletConfigError(f"{where}, key: {value!r} is not a site key (lower-case letters, digits, _)")
    if value in SITE_KEYS or value in RESERVED_KEYS:
        raise OutletConfigError(f"{where}, key: {value!r} is already a built-in site or spider")
    return value


def _string(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise OutletConfigError(f"{where}, {name}: expected a non-empty string, got {value!r}")
    return value.strip()


def _start_urls(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        raise OutletConfigError(f"{where}, start_urls: missing (a list of the pages the crawl starts from)")
    if not isinstance(value, list) or not value:
        raise OutletConfigError(f"{where}, start_urls: expected a non-empty list of URLs, got {value!r}")
    for url in value:
        if not isinstance(url, str) or urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            raise OutletConfigError(f"{where}, start_urls: {url!r} is not an http(s) URL")
    return tuple(value)


def _domains(value: Any, start_urls: tuple[str, ...], where: str) -> tuple[str, ...]:
    hosts = _unique((urlsplit(url).hostname or "").lower() for url in start_urls)
    if value is None:
        return tuple(hosts)
    if not isinstance(value, list) or not value or not all(isinstance(d, str) and d.strip() for d in value):
        raise OutletConfigError(f"{where}, allowed_domains: expected a non-empty list of domains, got {value!r}")
    domains = tuple(d.strip().lower() for d in value)
    outside = [host for host in hosts if not any(_covers(domain, host) for domain in domains)]
    if outside:
        raise OutletConfigError(f"{where}, allowed_domains: do not cover the start URL host(s) {', '.join(outside)}")
    return domains


def _covers(domain: str, host: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _pattern(value: Any, where: str, name: str) -> re.Pattern[str]:
    if value is None:
        raise OutletConfigError(f"{where}, {name}: missing (a regular expression matched against absolute URLs)")
    if not isinstance(value, str) or not value:
        raise OutletConfigError(f"{where}, {name}: expected a regular expression string, got {value!r}")
    try:
        return re.compile(value)
    except re.error as error:
        raise OutletConfigError(f"{where}, {name}: bad regular expression ({error})") from None


def _max_list_pages(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OutletConfigError(f"{where}, max_list_pages: expected a whole number ≥ 1, got {value!r}")
    return value


def _selectors(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise OutletConfigError(f"{where}, selectors: expected an [outlets.selectors] table")
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise OutletConfigError(f"{where}, selectors: unknown field(s) {', '.join(unknown)} "
                                f"(known: {', '.join(FIELDS)})")
    for name, query in value.items():
        if not isinstance(query, str) or not query.strip():
            raise OutletConfigError(f"{where}, selectors.{name}: expected a CSS or XPath selector, got {query!r}")
        try:
            select(_EMPTY_DOCUMENT, query)
        except Exception as error:  # parsel raises cssselect's and lxml's own error types, not one base class
            raise OutletConfigError(f"{where}, selectors.{name}: not a valid CSS selector or XPath "
                                    f"(XPath starts with / or '('): {error}") from None
    return dict(value)
