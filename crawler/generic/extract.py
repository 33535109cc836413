"""``extract_article``: one page of an unknown news site to an ``Article``."""

from __future__ import annotations

import copy
from datetime import datetime
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
from crawler.text.bylines import without_closing_byline

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
    root, blocks, title, content, headline = _read(page, root)
    lines = content.lines if content else []
    body, closing = without_closing_byline(lines)
    # The closing byline speaks for itself: keep it out of the lines read as the top byline.
    head = [line for line in _byline_lines(blocks, headline, content) if line in body or line not in lines]
    byline = head + lines[-3:]
    article = Article(
        url=page.url,
        canonical_url=canonical_url(root, page.url),
        site=site,
        title=title,
        body="\n".join(body),
        published_at=_published_at(root, blocks, _layout(blocks, headline, content), page),
        source=parse_source(byline, root),
        # A closing "记者 X 通讯员 Y" names reporters more exactly than the generic byline patterns read it.
        authors=parse_authors(head) or closing or parse_authors(byline, lines[-3:]),
        images=_images(content, page.url),
    )
    if selectors:
        apply_overrides(article, root, selectors, page.fetched_at)
    if not article.body.strip():
        raise ParseError(page.url, "no article text found")
    return article


def explain_published(page: Page) -> list[published.DateCandidate]:
    """Every publication-time candidate of the page, best first, with the reasons for its score."""
    root, blocks, _, content, headline = _read(page)
    return published.date_candidates(root, blocks, _layout(blocks, headline, content), page.url, page.fetched_at)


def _read(page: Page, root: html.HtmlElement | None = None
          ) -> tuple[html.HtmlElement, list[Block], str, Content | None, int | None]:
    """The parsed page, its text blocks, title, main-text container and headline position."""
    root = root if root is not None else parse_html(page)
    if root is None:
        raise ParseError(page.url, "empty page")
    cleaned = clean_tree(copy.deepcopy(root))
    blocks = text_blocks(cleaned)
    title = parse_title(root, cleaned)
    content = find_content(cleaned, blocks, title, find_headline(cleaned, title))
    return root, blocks, title, content, _headline_index(blocks, title, content)


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
    """Lines that may carry 来源/作者 near the top: around the headline, then the start of the body."""
    lines = []
    if headline is not None:
        lines += [b.text for b in blocks[max(0, headline - 3) : headline + 11] if b.size <= 150]
    if content:
        lines += content.lines[:2]
    return lines


def _layout(blocks: list[Block], headline: int | None, content: Content | None) -> published.Layout:
    """Block positions of the headline and of the body's first and last lines."""
    if not content or not content.lines:
        return published.Layout(headline)
    first = _line_index(blocks, content.lines[0], last=False)
    return published.Layout(headline, first, _line_index(blocks, content.lines[-1]))


def _published_at(root: html.HtmlElement, blocks: list[Block], layout: published.Layout, page: Page) -> datetime | None:
    """The best-scoring date candidate, if any scores enough."""
    best = published.choose_published(published.date_candidates(root, blocks, layout, page.url, page.fetched_at))
    return best.value if best else None


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
