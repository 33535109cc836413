"""What every site parser shares: refusing non-HTML, bytes to an lxml tree, joining pages, small helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache

from lxml import etree, html

from crawler.errors import ParseError
from crawler.models import Article, Page
from crawler.text.clean import normalize_space
from crawler.text.decoding import decode_html

_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8", b"PK\x03\x04", b"\x1f\x8b")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def page_document(page: Page) -> html.HtmlElement | None:
    """The page as an lxml tree; None for an empty or unparseable page; ParseError for one that is not HTML."""
    refuse_non_html(page)
    text = decode_html(page.body, page.headers)
    if not text.strip():
        return None
    if "<" not in text:
        raise ParseError(page.url, "not an HTML page (no markup)")
    text = _XML_DECLARATION.sub("", text)  # lxml refuses str input with an encoding declaration
    try:
        return html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def refuse_non_html(page: Page) -> None:
    """ParseError for a page whose Content-Type or first bytes say it is not HTML (PDF, images, archives)."""
    content_type = page.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and not ("html" in content_type or content_type.startswith("text/")):
        raise ParseError(page.url, f"not an HTML page (Content-Type: {content_type})")
    head = page.body[:1024].lstrip()
    if b"\x00" in head or head.startswith(_BINARY_MAGIC):
        raise ParseError(page.url, "not an HTML page (binary content)")


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
