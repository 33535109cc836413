"""Bytes to a cleaned lxml tree: decoding, parsing and removal of never-content elements."""

from __future__ import annotations

import codecs
import re

from lxml import etree, html

from crawler.generic.errors import ExtractionError
from crawler.models import Page

try:  # the shared decoder is written in parallel; until it lands, use the local one below
    from crawler.text.decoding import decode_html
except ImportError:  # pragma: no cover - depends on what the tree holds today
    decode_html = None

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-]+)", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# GB2312 and GBK pages routinely contain characters only GB18030 (their superset) can decode.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}
# Elements that never hold article text.
_DROP_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "input", "select", "textarea", "button", "option", "nav", "aside", "link", "meta",
]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def decode_page(page: Page) -> str:
    """The page body as text, using the shared decoder when it exists."""
    if decode_html is not None:
        return decode_html(page.body, page.headers)
    return _decode_fallback(page.body, page.headers)


def _decode_fallback(body: bytes, headers: dict[str, str]) -> str:
    """BOM, then valid UTF-8 (saved DOM dumps keep stale GB2312 declarations), then the declared charset."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _HEADER_CHARSET.search(headers.get("content-type", ""))
    name = declared.group(1) if declared else None
    if name is None:
        meta = _META_CHARSET.search(body[:4096])
        name = meta.group(1).decode("ascii") if meta else "gb18030"
    name = _SUPERSETS.get(name.lower(), name)
    try:
        return body.decode(name, errors="replace")
    except LookupError:
        return body.decode("gb18030", errors="replace")


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
        if (style and _HIDDEN_STYLE.search(style)) or element.get("hidden") is not None:
            # Some sites hide the whole article until a script reveals it: keep what holds most of the text.
            if _text_size(element) < 0.4 * total:
                element.drop_tree()
    return root


def _text_size(element: html.HtmlElement) -> int:
    """Number of non-space characters under ``element``."""
    return sum(len(piece.strip()) for piece in element.itertext())
