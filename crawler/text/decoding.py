"""Bytes to text for Chinese news pages that often declare one charset and send another.

Order of trust: a BOM, then bytes that are valid UTF-8 (saved pages keep a stale GB2312 meta over UTF-8),
then the Content-Type header and ``<meta>`` charsets, then, for a page that declares nothing, the
encoding BeautifulSoup's ``UnicodeDammit`` detects (it tells Big5 from GBK, which GB18030 would decode
into nonsense without an error), then GB18030, the superset of what these sites send.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["candidate_codecs", "declared_charsets", "decode_html", "first_decoding", "is_utf8_with_non_ascii",
           "least_lossy_decoding", "page_codec"]

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([-\w.:]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([-\w.:]+)", re.IGNORECASE)
_SNIFF_BYTES = 4096
_DETECT_BYTES = 32_768  # the detector is pure Python: a page's head says enough
_CHINESE_CODECS = frozenset({"gb18030", "big5hkscs"})
# GB2312 and GBK are subsets of GB18030; browsers decode all three as GB18030 (WHATWG), and so do we.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "csgb2312": "gb18030", "chinese": "gb18030", "iso-ir-58": "gb18030", "ms936": "gb18030", "windows-936": "gb18030",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "utf8": "utf-8", "unicode": "utf-8",
}


def decode_html(body: bytes, headers: dict[str, str]) -> str:
    """Decode a page with ``page_codec``; with a few bad bytes, the codec that loses least text. Never raises."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    if is_utf8_with_non_ascii(body):
        return body.decode("utf-8")
    candidates = candidate_codecs(body, headers)  # read once for both steps below
    codec = first_decoding(body, candidates)
    return body.decode(codec) if codec is not None else least_lossy_decoding(body, candidates)


def least_lossy_decoding(body: bytes, codecs: list[str]) -> str:
    """The page decoded, bad bytes replaced, by whichever of codecs (none decodes it whole) loses least text."""
    return min((body.decode(c, errors="replace") for c in codecs), key=lambda text: text.count("\ufffd"))


def page_codec(body: bytes, headers: dict[str, str]) -> str | None:
    """The Python codec that decodes the whole page without error (BOM-less), or None when none does."""
    if is_utf8_with_non_ascii(body):
        return "utf-8"
    return first_decoding(body, candidate_codecs(body, headers))


def first_decoding(body: bytes, codecs: list[str]) -> str | None:
    """The first of codecs that decodes the whole page without error, or None."""
    for codec in codecs:
        try:
            body.decode(codec)
        except UnicodeDecodeError:
            continue
        return codec
    return None


def candidate_codecs(body: bytes, headers: dict[str, str]) -> list[str]:
    """The codecs a page that is not UTF-8 may be in, most likely first: what it declares, else what the
    detector finds, then GB18030 and UTF-8."""
    declared = declared_charsets(body, headers)
    detected = [] if declared or body.isascii() else _detected(body)
    return list(dict.fromkeys([*declared, *detected, "gb18030", "utf-8"]))


def _detected(body: bytes) -> list[str]:
    """A Chinese codec a statistical detector finds in an undeclared page (its guesses of other scripts are
    ignored: for a Chinese news page they are wrong far more often than right)."""
    # Imported here: few pages need it, and BeautifulSoup's import (~0.15 s) would delay every parse process.
    from bs4.dammit import EncodingDetector

    guesses = EncodingDetector(body[:_DETECT_BYTES], known_definite_encodings=[], is_html=True).encodings
    codecs_found = (_codec(guess) for guess in guesses if guess)
    return [codec for codec in codecs_found if codec in _CHINESE_CODECS][:1]


def declared_charsets(body: bytes, headers: dict[str, str]) -> list[str]:
    """Python codec names the page declares: the Content-Type header first, then its <meta> tags."""
    found: list[str] = []
    header = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    names = [m.group(1) for m in _HEADER_CHARSET.finditer(header)]
    names += [m.group(1).decode("ascii", "replace") for m in _META_CHARSET.finditer(body[:_SNIFF_BYTES])]
    for name in names:
        codec = _codec(name)
        if codec and codec not in found:
            found.append(codec)
    return found


def _codec(name: str) -> str | None:
    name = name.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def is_utf8_with_non_ascii(body: bytes) -> bool:
    """Valid UTF-8 with at least one non-ASCII character: the page is UTF-8, whatever it declares."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
