"""Small helpers site parsers share: joining a multi-page article, compiled XPath, meta tags, first text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import cache

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


def meta_content(root: html.HtmlElement, name: str) -> str:
    """The content of ``<meta name=...>`` (name compared case-insensitively), whitespace-normalised."""
    return meta_contents(root).get(name, "")


def meta_contents(root: html.HtmlElement) -> dict[str, str]:
    """``meta_content`` of every meta name on the page (lower-cased), from one walk of the tree: a parser reading
    four meta tags would otherwise walk the whole page four times."""
    return meta_names(root.iter("meta"))


def meta_names(metas: Iterable[html.HtmlElement]) -> dict[str, str]:
    """The first content of each name among these <meta> elements, whitespace-normalised."""
    found: dict[str, str | None] = {}
    for meta in metas:
        found.setdefault((meta.get("name") or "").lower(), meta.get("content"))
    return {name: normalize_space(content) for name, content in found.items()}


def text_of(element: html.HtmlElement) -> str:
    """``element.text_content()`` without its XPath call (comments and processing instructions left out alike):
    the call costs more than the text of a short heading or paragraph."""
    return "".join(element.itertext())


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order, without repeats."""
    return list(dict.fromkeys(values))
