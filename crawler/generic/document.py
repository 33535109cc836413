"""Bytes to a cleaned lxml tree: decoding, parsing and removal of never-content elements."""

from __future__ import annotations

import re

from lxml import etree, html

from crawler.generic.errors import ExtractionError
from crawler.models import Page
from crawler.text.decoding import decode_html

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Elements that never hold article text.
_DROP_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "input", "select", "textarea", "button", "option", "nav", "aside", "link", "meta", "head",
]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def decode_page(page: Page) -> str:
    """The page body as text (the shared decoder: BOM, valid UTF-8, declared charsets, GB18030)."""
    return decode_html(page.body, page.headers)


def parse_document(text: str, url: str) -> html.HtmlElement:
    """Parse decoded HTML; a page with no markup at all is an ``ExtractionError``."""
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise ExtractionError(url, "empty page")
    try:
        root = html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise ExtractionError(url, f"not parseable as HTML ({error})") from error
    return root


def clean_tree(root: html.HtmlElement) -> html.HtmlElement:
    """Remove scripts, forms controls, navigation, comments and hidden elements in place."""
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS, with_tail=False)
    total = _text_size(root)
    for element in list(root.iter()):
        if element.tag in ("html", "head", "body") or element.getparent() is None:
            continue
        style = element.get("style")
        hidden = (style and _HIDDEN_STYLE.search(style)) or element.get("hidden") is not None
        # Some sites hide the whole article until a script reveals it: keep what holds most of the text.
        if hidden and _text_size(element) < 0.4 * total:
            element.drop_tree()
    return root


def _text_size(element: html.HtmlElement) -> int:
    """Number of non-space characters under ``element``."""
    return sum(len(piece.strip()) for piece in element.itertext())
