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
    for meta in root.iter("meta"):
        if (meta.get("name") or "").lower() == name:
            return normalize_space(meta.get("content"))
    return ""


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order, without repeats."""
    return list(dict.fromkeys(values))
