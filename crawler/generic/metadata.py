"""Title, canonical URL, source and authors from meta tags, headings and the byline near the title."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from urllib.parse import urljoin

from lxml import html

from crawler.generic.blocks import normalize_line

_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|—|–|-|:: )\s*")
_SOURCE = re.compile(r"来源\s*[:：丨|]\s*([^\s|｜丨/\\]{2,30})")
_AUTHOR = re.compile(
    r"(?:作者|记者|撰文|文|文字|通讯员)\s*[:：丨|／/]\s*((?:[\u4e00-\u9fff·]{2,6}(?:[ 、，,　]+|$))+)"
)
_REPORTER_PAREN = re.compile(r"[（(]\s*记者\s*((?:[\u4e00-\u9fff·]{2,4}[、 ]*)+)\s*[)）]")
_NAME = re.compile(r"[\u4e00-\u9fff·]{2,6}")
_HEADLINE_XPATHS = ("//h1", "//*[contains(@class,'title') or contains(@id,'title')]", "//h2", "//h3")
_NOT_NAMES = {"来源", "编辑", "责任编辑", "责编", "发布", "时间", "本报", "通讯员", "摄影", "报道"}


def meta_content(root: html.HtmlElement, *names: str) -> str:
    """First non-empty <meta> content whose name/property/itemprop is one of ``names`` (case-insensitive)."""
    wanted = {n.lower() for n in names}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in wanted and (meta.get("content") or "").strip():
            return meta.get("content").strip()
    return ""


def json_ld_objects(root: html.HtmlElement) -> Iterator[dict]:
    """Objects of every JSON-LD script, flattened out of lists and @graph."""
    for script in root.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content().strip() or "null")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(v for k, v in item.items() if k == "@graph")
                yield item


def document_title(root: html.HtmlElement) -> str:
    """The <title> text."""
    node = root.find(".//title")
    return normalize_line(node.text_content()) if node is not None else ""


def strip_site_suffix(title: str) -> str:
    """``标题_新闻_人民网`` -> ``标题``: keep everything up to the longest separator-delimited segment."""
    head = max(_TITLE_SEPARATORS.split(title), key=len)
    return title[: title.find(head) + len(head)].strip(" _|-｜")


def find_headline(cleaned: html.HtmlElement, title: str) -> html.HtmlElement | None:
    """The heading element that shows ``title``."""
    if not title:
        return None
    for xpath in _HEADLINE_XPATHS:
        for node in cleaned.xpath(xpath):
            if normalize_line(node.text_content()) == title:
                return node
    return None


def headline_candidates(root: html.HtmlElement) -> list[str]:
    """Visible headings that could be the headline, best-placed first."""
    found = []
    for xpath in _HEADLINE_XPATHS:
        for node in root.xpath(xpath):
            text = normalize_line(node.text_content())
            if 4 <= len(text) <= 120 and text not in found:
                found.append(text)
    return found


def parse_title(root: html.HtmlElement, cleaned: html.HtmlElement) -> str:
    """The heading that best matches og:title/<title>; else those with site suffixes stripped."""
    references = [t for t in (meta_content(root, "og:title", "twitter:title"), document_title(root)) if t]
    candidates = headline_candidates(cleaned)
    best, best_ratio = "", 0.0
    for candidate in candidates:
        for reference in references:
            ratio = _match(candidate, reference)
            if ratio > best_ratio + 1e-9:
                best, best_ratio = candidate, ratio
    if best and best_ratio >= 0.5:
        return best
    for reference in references:
        if strip_site_suffix(reference):
            return strip_site_suffix(reference)
    return candidates[0] if candidates else ""


def _match(candidate: str, reference: str) -> float:
    """How well a heading explains a page title: containment counts fully, otherwise sequence similarity."""
    if candidate in reference:
        return len(candidate) / max(len(strip_site_suffix(reference)), len(candidate)) + 0.5
    return SequenceMatcher(None, candidate, reference).ratio()


def canonical_url(root: html.HtmlElement, url: str) -> str:
    """<link rel=canonical>, else og:url, else the fetched URL; always absolute."""
    for link in root.xpath('//link[@href]'):
        if "canonical" in (link.get("rel") or "").lower().split():
            return urljoin(url, link.get("href").strip())
    og_url = meta_content(root, "og:url")
    return urljoin(url, og_url) if og_url.startswith(("http", "/")) else url


def parse_source(lines: list[str], root: html.HtmlElement) -> str:
    """The 来源 of the byline, else a source meta tag."""
    for line in lines:
        match = _SOURCE.search(line)
        if match:
            return match.group(1).strip("：:，,。")
    return meta_content(root, "source", "og:site_name") if meta_content(root, "source") else ""


def parse_authors(lines: list[str], root: html.HtmlElement) -> list[str]:
    """Author/记者/作者 names from the byline lines, else the author meta tag."""
    for line in lines:
        for pattern in (_AUTHOR, _REPORTER_PAREN):
            match = pattern.search(line)
            if match:
                names = [n for n in _NAME.findall(match.group(1)) if n not in _NOT_NAMES]
                if names:
                    return names
    author = meta_content(root, "author", "article:author")
    return [author] if author and not author.startswith("http") and len(author) <= 20 else []
