"""Small helpers site parsers share: joining a multi-page article, compiled XPath, meta tags, first text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from urllib.parse import urljoin

from lxml import etree, html

from crawler.models import Article
from crawler.text.clean import normalize_space


def join_pages(first: Article, rest: list[Article]) -> Article:
    """One article from its pages in order: bodies and images joined, page 1's metadata, bylines of all pages."""
    pages = [first, *rest]
    return replace(first, body="\n".join(p.body for p in pages if p.body),
                   images=list(dict.fromkeys(image for p in pages for image in p.images)),
                   authors=unique(name for p in pages for name in p.authors),
                   editors=unique(name for p in pages for name in p.editors))


@cache
def xpath(expression: str) -> etree.XPath:
    """Compiled once: compiling dominates the cost of short XPath queries on small pages."""
    return etree.XPath(expression)


def first_text(nodes: Iterable[object]) -> str:
    """The first non-blank text among elements or strings, whitespace-normalised."""
    for node in nodes:
        text = normalize_space(node if isinstance(node, str) else node.text_content())  # type: ignore[attr-defined]
        if text:
            return text
    return ""


class MetaTags:
    """A page's ``<meta name=...>`` tags (names compared case-insensitively, the first tag of a name counts), read
    in one walk of the tree: a parser reading four meta tags would otherwise walk the whole page four times."""

    __slots__ = ("_contents",)

    def __init__(self, metas: Iterable[html.HtmlElement]) -> None:
        contents: dict[str, str | None] = {}
        for meta in metas:
            contents.setdefault((meta.get("name") or "").lower(), meta.get("content"))
        self._contents = contents

    @classmethod
    def of(cls, root: html.HtmlElement) -> MetaTags:
        """Every meta tag of the page."""
        return cls(root.iter("meta"))

    def text(self, name: str) -> str:
        """The content of the (lower-case) name, whitespace-normalised; "" without such a tag."""
        return normalize_space(self._contents.get(name))


# A plain absolute http(s) URL: urljoin returns it unchanged, its parse and rebuild altering only what this
# leaves out (an upper-case scheme, user info, an empty port, ";", "?" and "#" parts, spaces and controls).
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~!$&'()*+,=:@%/-]*)?")


# The scheme and host of a plain http(s) base URL, up to where its path, query or fragment starts.
_PLAIN_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?=[/?#]|$)")
# A plain root-relative path: segments of the characters above, none empty, "." or "..", no "?", "#" or ";";
# urljoin puts it after the base's origin unchanged.
_PLAIN_ROOT_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9._~!$&'()*+,=:@%-]+)+/?")


def join_url(base: str, href: str) -> str:
    """``urljoin(base, href)``, without parsing both when ``href`` is already a plain absolute URL or a plain
    root-relative path on a plain base (most links of a hot list or channel list are one or the other; urljoin
    costs more than the rest of reading such a link)."""
    if _PLAIN_ABSOLUTE.fullmatch(href):
        return href
    if href[:1] == "/" and _PLAIN_ROOT_PATH.fullmatch(href) and (origin := _PLAIN_ORIGIN.match(base)):
        return origin[0] + href
    return urljoin(base, href)


def text_of(element: html.HtmlElement) -> str:
    """``element.text_content()`` without its XPath call (comments and processing instructions left out alike):
    the call costs more than the text of a short heading or paragraph."""
    if not len(element):  # most headings, links and paragraphs: the one text node
        return element.text or ""
    return "".join(element.itertext())


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order, without repeats."""
    return list(dict.fromkeys(values))
