"""Split a tree into text blocks: the runs of text between block-level boundaries, with their link share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import html

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "html", "li", "main", "menu", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2002\u2003\u2009\u200b\u3000]+")
_NEWLINES = re.compile(r"\s*\n\s*")


@dataclass
class Block:
    """One line of visible text and the block element that owns it."""

    owner: html.HtmlElement
    text: str
    link_chars: int

    @property
    def size(self) -> int:
        """Non-space characters."""
        return len(self.text.replace(" ", ""))

    @property
    def link_density(self) -> float:
        """Share of the characters that sit inside links."""
        return self.link_chars / self.size if self.size else 0.0


class _Collector:
    """Accumulates inline text until a block boundary, then emits a ``Block``."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.pieces: list[str] = []
        self.link_chars = 0

    def add(self, text: str | None, in_link: bool) -> None:
        if not text:
            return
        self.pieces.append(text)
        if in_link:
            self.link_chars += len(text.replace(" ", "").strip())

    def flush(self, owner: html.HtmlElement) -> None:
        text = normalize_line("".join(self.pieces))
        if text:
            self.blocks.append(Block(owner, text, min(self.link_chars, len(text.replace(" ", "")))))
        self.pieces = []
        self.link_chars = 0


def normalize_line(text: str) -> str:
    """Collapse runs of spaces (including full-width ones) and trim."""
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def text_blocks(root: html.HtmlElement) -> list[Block]:
    """Every text block under ``root`` in document order."""
    collector = _Collector()
    _walk(root, root, collector, in_link=False)
    collector.flush(root)
    return collector.blocks


def _walk(element: html.HtmlElement, owner: html.HtmlElement, out: _Collector, in_link: bool) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    is_block = tag in BLOCK_TAGS
    if is_block:
        out.flush(owner)
        owner = element
    if tag == "br":
        out.flush(owner)
    in_link = in_link or tag == "a"
    out.add(element.text, in_link)
    for child in element:
        _walk(child, owner, out, in_link)
        out.add(child.tail, in_link)
    if is_block:
        out.flush(owner)


def element_lines(element: html.HtmlElement) -> list[str]:
    """Visible lines of one element, for selector overrides."""
    return [block.text for block in text_blocks(element)]
