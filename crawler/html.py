"""A fetched page to an lxml tree, once: refusing what is not HTML, decoding by the page's real charset.

Every parser (site parsers, configured outlets, the generic extractor) reads pages through ``parse_html``.
lxml parses the bytes itself when one codec decodes the whole page: three times faster than decoding to
``str`` first. Pages with a few broken bytes are decoded with replacement characters and parsed as text.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import replace

from lxml import etree, html

from crawler.errors import ParseError
from crawler.models import Page
from crawler.text.decoding import (
    candidate_codecs,
    decode_html,
    first_decoding,
    is_utf8_with_non_ascii,
    least_lossy_decoding,
)

__all__ = ["not_html_reason", "parse_html"]

# text/plain is accepted: some CMSs label every page so; the markup check below still applies.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # never in HTML text: binary data (ESC aside)


def not_html_reason(content_type: str, body: bytes) -> str | None:
    """Why a response is not an HTML page (its Content-Type, binary content, no body), or None if it may be."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES and not media_type.endswith("+xml"):
        return f"not an HTML page (Content-Type: {media_type})"
    if _blank(body):
        return "empty body"
    head = body[:1024].lstrip()
    # One stray NUL (a CMS bug, seen inside a <title>) does not make a page binary; binary data and UTF-16
    # without its BOM carry them by the dozen.
    if head.startswith(_BINARY_MAGIC) or (head.count(b"\x00") > 1 and not head.startswith(_BOMS)):
        return "not an HTML page (binary content)"
    return None


def parse_html(page: Page) -> html.HtmlElement | None:
    """The page as an lxml tree; None for an empty or unparseable page; ParseError for one that is not HTML."""
    if _blank(page.body):
        return None
    reason = not_html_reason(page.headers.get("content-type", ""), page.body)
    if reason is not None:
        raise ParseError(page.url, reason)
    page = _without_trailing_junk(page)
    if page.body.startswith(_BOMS):
        return _parse_text(page, decode_html(page.body, page.headers))
    if is_utf8_with_non_ascii(page.body):
        return _parse_bytes(page, "utf-8")
    candidates = candidate_codecs(page.body, page.headers)
    root = _parse_in(page, candidates[0])
    if root is not None:
        return root
    codec = first_decoding(page.body, candidates)  # checked in Python, each candidate in turn
    if codec is not None:
        return _parse_bytes(page, codec)
    return _parse_text(page, least_lossy_decoding(page.body, candidates))


def _without_trailing_junk(page: Page) -> Page:
    """The page up to its last ``</html>`` when binary data follows it (a server that appended an image): it is
    no part of the document, yet it would decide which codec decodes the page with the fewest errors, and lxml
    would put it in the body as text. Markup or text after ``</html>`` (a template's late include) is kept."""
    end = page.body.rfind(b"</html>")  # from the end: found at once on almost every page
    if end < 0:
        end = page.body.rfind(b"</HTML>")
    if end < 0 or _CONTROL_BYTES.search(page.body, end) is None:
        return page
    return replace(page, body=page.body[:end + len(b"</html>")])


def _blank(body: bytes) -> bool:
    """``not body.strip()`` without copying the page (isspace stops at the first other byte)."""
    return not body or body.isspace()


# Codecs whose bad bytes libxml2 refuses exactly where Python's codec does (every 1- and 2-byte sequence and
# thousands of 4-byte ones: tests/test_html_parsing.py), so a page in one of them is parsed as declared and the
# parser's error log says whether every byte decoded. Decoding the page in Python first, only to check it, cost
# a tenth of hlj_people's parse. Other codecs are checked in Python (first_decoding) before libxml2 sees the page.
LIBXML2_CHECKED_CODECS = frozenset({"gb18030"})
_BAD_BYTES = etree.ErrorTypes.ERR_INVALID_ENCODING  # libxml2 stops there: the rest of the page would be lost


def _parse_in(page: Page, codec: str) -> html.HtmlElement | None:
    """The tree of the page in its likeliest codec, if that is a checked codec and libxml2 decoded every byte;
    None otherwise (the page is then checked in Python)."""
    if codec not in LIBXML2_CHECKED_CODECS or b"<" not in page.body or not libxml2_reports_bad_bytes(codec):
        return None
    if not page.body[-3:].isascii():
        # Maybe cut off inside a character (a truncated download): libxml2 drops such a tail without a word
        # once it has met certain markup errors (a second <body>). Every cut sequence leaves a byte >= 0x80
        # in the last three.
        return None
    parser = _parser(codec)
    try:
        root = html.document_fromstring(page.body, parser=parser)
    except (etree.ParserError, ValueError, LookupError):
        return None
    return None if _lost_bytes(parser) else root


def _lost_bytes(parser: html.HTMLParser) -> bool:
    return any(error.type == _BAD_BYTES for error in parser.error_log)


# Pages libxml2 must refuse for the check above to hold: a stray byte, a sequence cut short, and one after more
# than the hundred markup errors libxml2 reports at most (and past the 8 KiB it decodes ahead of the parse).
_BAD_SAMPLES = (b"<p>a\x80b</p>", b"<p>a\xffb</p>", b"<p>a\x81\x30\x81b</p>",
                b"<p>" + b"<p></x>" * 1500 + b"a\x81\x30b</p>")


@functools.cache
def libxml2_reports_bad_bytes(codec: str) -> bool:
    """Whether this libxml2 logs every bad sample as bad bytes (checked once per process): an older one that
    did not would cut a page short unseen, so its pages are checked in Python instead."""
    parser = html.HTMLParser(encoding=codec)
    for sample in _BAD_SAMPLES:
        try:
            html.document_fromstring(b"<html><body>" + sample, parser=parser)
        except (etree.ParserError, ValueError, LookupError):
            return False
        if not _lost_bytes(parser):
            return False
    return True


def _parse_bytes(page: Page, codec: str) -> html.HtmlElement | None:
    if b"<" not in page.body:
        raise ParseError(page.url, "not an HTML page (no markup)")
    try:
        return html.document_fromstring(page.body, parser=_parser(codec))
    except (etree.ParserError, ValueError, LookupError):
        return _parse_text(page, page.body.decode(codec))


def _parse_text(page: Page, text: str) -> html.HtmlElement | None:
    if not text.strip():
        return None
    if "<" not in text:
        raise ParseError(page.url, "not an HTML page (no markup)")
    try:  # lxml refuses str input that carries an encoding declaration
        return html.document_fromstring(_XML_DECLARATION.sub("", text), parser=_parser(None))
    except (etree.ParserError, ValueError):
        return None


_parsers = threading.local()  # lxml parsers must not be shared between threads
# lxml.html picks each element's class in Python (form, input, label … get classes of their own): a call for
# every element a parser touches, a sixth of hlj_people's whole parse. This lookup runs in C and gives every
# element HtmlElement (text_content, drop_tree …); no parser here uses the form classes' extras.
_ELEMENT_CLASSES = etree.ElementDefaultClassLookup(
    element=html.HtmlElement, comment=html.HtmlComment, pi=html.HtmlProcessingInstruction, entity=html.HtmlEntity)


def _parser(codec: str | None) -> html.HTMLParser:
    """One parser per codec and thread (None: for text): building an lxml parser costs more than parsing a
    small page."""
    cached: dict[str | None, html.HTMLParser] = _parsers.__dict__.setdefault("by_codec", {})
    if codec not in cached:
        cached[codec] = html.HTMLParser(encoding=codec)
        cached[codec].set_element_class_lookup(_ELEMENT_CLASSES)
    return cached[codec]
