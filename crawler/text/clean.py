"""Whitespace and paragraph helpers for text pulled out of HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import html

__all__ = ["element_lines", "has_controls", "join_paragraphs", "normalize_space", "without_controls"]

# \u3000 (ideographic space) indents every people.com.cn paragraph; \xa0 comes from &nbsp;
_SPACE = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
# C0 and C1 controls but newline and tab, and the bidirectional overrides (U+202E turns text around): pages
# carry them by accident or to attack a terminal, and no article needs them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "iframe", "template"})
_LINE_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "center"})


def normalize_space(text: str | None) -> str:
    """Runs of any whitespace (ideographic spaces and &nbsp; included) to one space, trimmed."""
    return _SPACE.sub(" ", text or "").strip()


def element_lines(element: html.HtmlElement) -> list[str]:
    """The visible text of an element as normalised non-empty lines (a new line at <br> and block tags)."""
    if len(element):
        pieces: list[str] = []
        _collect(element, pieces)
        text = "".join(pieces)
    else:  # most paragraphs are a single text node: no walk needed
        text = (element.text or "") if isinstance(element.tag, str) and element.tag not in _SKIPPED_TAGS else ""
    if "\n" not in text:
        line = normalize_space(text)
        return [line] if line else []
    return [line for line in (normalize_space(part) for part in text.split("\n")) if line]


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Non-empty paragraphs joined by newlines."""
    return "\n".join(p for p in paragraphs if p)


def _collect(element: html.HtmlElement, pieces: list[str]) -> None:
    """Append the element's visible text to ``pieces``, a newline before and after block tags (one list for the
    whole walk: chained generators cost a frame switch per piece and level)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIPPED_TAGS:
        return
    if tag in _LINE_BREAKS:
        pieces.append("\n")
    if element.text and tag:
        pieces.append(element.text)
    for child in element:
        _collect(child, pieces)
        if child.tail:
            pieces.append(child.tail)
    if tag in _LINE_BREAKS:
        pieces.append("\n")


def without_controls(text: str) -> str:
    """The text without control characters (newlines and tabs kept) or bidirectional overrides."""
    return _CONTROLS.sub("", text)


def has_controls(text: str) -> bool:
    """Whether ``without_controls`` would change the text."""
    return _CONTROLS.search(text) is not None
