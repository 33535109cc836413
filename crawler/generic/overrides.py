"""Per-field CSS/XPath selectors that replace the heuristics for a configured site."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import html
from parsel import Selector

from crawler.generic.blocks import element_lines, normalize_line
from crawler.generic.published import parse_any
from crawler.models import Article

_AUTHOR_SPLIT = re.compile(r"[、，,;；\s]+")
_AUTHOR_LABEL = re.compile(r"^(?:作者|记者|撰文|文)\s*[:：丨|]\s*")


def select(root: html.HtmlElement, query: str) -> list:
    """XPath when the query starts with "/" or "(", CSS otherwise."""
    selector = Selector(root=root, type="html")
    return selector.xpath(query) if query.lstrip().startswith(("/", "(")) else selector.css(query)


def selected_lines(root: html.HtmlElement, query: str) -> list[str]:
    """Text lines of whatever the selector matches (elements, attributes or text nodes)."""
    lines = []
    for match in select(root, query):
        if isinstance(match.root, html.HtmlElement):
            lines += element_lines(match.root)
        elif normalize_line(str(match.root)):
            lines.append(normalize_line(str(match.root)))
    return lines


def apply_overrides(
    article: Article, root: html.HtmlElement, selectors: dict[str, str], reference: datetime | None
) -> None:
    """Overwrite each field that has a selector with what the selector finds (empty when it finds nothing)."""
    for field, query in selectors.items():
        lines = selected_lines(root, query)
        if field == "body":
            article.body = "\n".join(lines)
        elif field == "published_at":
            article.published_at = parse_any(" ".join(lines), reference)
        elif field == "authors":
            text = _AUTHOR_LABEL.sub("", " ".join(lines))
            article.authors = [name for name in _AUTHOR_SPLIT.split(text) if name]
        else:
            setattr(article, field, " ".join(lines))
