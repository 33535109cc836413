"""``extract_article``: one page of an unknown news site to an ``Article``."""

from __future__ import annotations

import copy
from datetime import datetime, time
from urllib.parse import urljoin

from lxml import html

from crawler.errors import ParseError
from crawler.generic import published
from crawler.generic.blocks import Block, text_blocks
from crawler.generic.content import Content, find_content
from crawler.generic.document import clean_tree
from crawler.generic.metadata import canonical_url, find_headline, parse_authors, parse_source, parse_title
from crawler.generic.overrides import apply_overrides
from crawler.html import parse_html
from crawler.models import Article, Image, Page

FIELDS = ("title", "body", "published_at", "source", "authors")
_IMAGE_ATTRIBUTES = ("data-original", "data-src", "src")


def extract_article(page: Page, *, site: str = "generic", selectors: dict[str, str] | None = None,
                    root: html.HtmlElement | None = None) -> Article:
    """Title, body, time, source, authors, images and canonical URL of a news page; selectors win over heuristics.

    ``root`` is the page already parsed by ``crawler.html.parse_html`` (it is not modified), to parse once.
    """
    unknown = set(selectors or {}) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown selector field(s) {sorted(unknown)}; expected some of {FIELDS}")
    root = root if root is not None else parse_html(page)
    if root is None:
        raise ParseError(page.url, "empty page")
    cleaned = clean_tree(copy.deepcopy(root))
    blocks = text_blocks(cleaned)
    title = parse_title(root, cleaned)
    content = find_content(cleaned, blocks, title, find_headline(cleaned, title))
    headline = _headline_index(blocks, title, content)
    byline = _byline_lines(blocks, headline, content)
    article = Article(
        url=page.url,
        canonical_url=canonical_url(root, page.url),
        site=site,
        title=title,
        body="\n".join(content.lines) if content else "",
        published_at=_published_at(root, blocks, headline, content, page),
        source=parse_source(byline, root),
        authors=parse_authors(byline, content.lines[-3:] if content else []),
        images=_images(content, page.url),
    )
    if selectors:
        apply_overrides(article, root, selectors, page.fetched_at)
    if not article.body.strip():
        raise ParseError(page.url, "no article text found")
    return article


def _headline_index(blocks: list[Block], title: str, content: Content | None) -> int | None:
    """Position of the headline closest above the body, or of the line before the body when no heading matches."""
    first = _line_index(blocks, content.lines[0], last=False) if content and content.lines else None
    matches = [i for i, b in enumerate(blocks) if title and _shows_title(b.text, title)]
    above = [i for i in matches if first is None or i < first]
    if above or matches:
        return (above or matches)[-1]
    return max(first - 1, 0) if first is not None else None


def _shows_title(text: str, title: str) -> bool:
    return text == title or (len(text) < 2 * len(title) and title in text)


def _byline_lines(blocks: list[Block], headline: int | None, content: Content | None) -> list[str]:
    """Lines that may carry 来源/作者: around the headline, then the start and end of the body."""
    lines = []
    if headline is not None:
        lines += [b.text for b in blocks[max(0, headline - 3) : headline + 11] if b.size <= 150]
    if content:
        lines += content.lines[:2] + content.lines[-3:]
    return lines


def _published_at(
    root: html.HtmlElement, blocks: list[Block], headline: int | None, content: Content | None, page: Page
) -> datetime | None:
    """Meta/JSON-LD day, with the visible line's clock time on that day; else the line, trailer, script, URL."""
    declared = published.from_metadata(root, page.fetched_at)
    first = _line_index(blocks, content.lines[0], last=False) if content and content.lines else None
    visible = published.from_headline(blocks, headline, first, page.fetched_at)
    if declared is not None:
        # Sites stamp meta tags at indexing time; the line under the headline is what readers see.
        same_day = visible is not None and visible.date() == declared.date() and visible.time() != time()
        return visible if same_day else declared
    if visible is not None:
        return visible
    last = _line_index(blocks, content.lines[-1]) if content and content.lines else None
    return (
        published.from_trailer(blocks, last, page.fetched_at)
        or published.from_scripts(root)
        or published.from_url(page.url)
    )


def _line_index(blocks: list[Block], text: str, *, last: bool = True) -> int | None:
    """Index of the last (or first) block with this text."""
    order = range(len(blocks) - 1, -1, -1) if last else range(len(blocks))
    return next((i for i in order if blocks[i].text == text), None)


def _images(content: Content | None, url: str) -> list[Image]:
    """Images inside the article container, absolute, with their alt text as caption."""
    if content is None:
        return []
    images, seen = [], set()
    for img in content.node.iter("img"):
        src = next((img.get(a) for a in _IMAGE_ATTRIBUTES if img.get(a) and not img.get(a).startswith("data:")), None)
        if src and (absolute := urljoin(url, src.strip())) not in seen:
            seen.add(absolute)
            images.append(Image(absolute, (img.get("alt") or "").strip()))
    return images
