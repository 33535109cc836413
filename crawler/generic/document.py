"""Removal of never-content elements (scripts, forms, navigation, hidden blocks) from a parsed page."""

from __future__ import annotations

import re

from lxml import etree, html

# Elements that never hold article text.
_DROP_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "input", "select", "textarea", "button", "option", "nav", "aside", "link", "meta", "head",
]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


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
