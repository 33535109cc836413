"""Publication time: meta tags and JSON-LD first, then the date line next to the headline, then the URL."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import html

from crawler.generic.blocks import Block
from crawler.generic.metadata import json_ld_objects, meta_content
from crawler.text.dates import SHANGHAI, aware_datetime, parse_datetime

_META_NAMES = (
    "article:published_time", "og:article:published_time", "og:release_date", "publishdate", "pubdate",
    "publish_date", "publishtime", "publish-time", "datepublished", "dc.date.issued", "dc.date", "sailthru.date",
    "weibo:article:create_at", "weibo: article:create_at", "og:time", "news:published_time", "created", "date",
)
# Forms crawler.text.dates does not read; kept here (see the report) rather than edited there.
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?([01]\d)[-/_]?([0-3]\d)(?!\d)")
# Simplified, traditional and Japanese labels (Chinese sites also publish 繁體 and 日本語 editions).
_LABELLED = re.compile(
    r"发布|發布|时间|時間|日期|发表|發表|発表|来源|來源|作者|编辑|記者|记者|posted|\d{1,2}[:：]\d{2}", re.I
)
_PROSE = re.compile(r"[，。；！？]")
_STRICTLY_LABELLED = re.compile(r"发布|發布|时间|時間|日期|发表|發表|発表|posted", re.I)
# Lines that carry some other article's time (CSDN's "最新推荐文章于 …", update stamps).
_OTHER_TIME = re.compile(r"推荐|更新|修改|回复|引用")
_WECHAT_TIME = re.compile(r"""var\s+ct\s*=\s*["'](\d{10})["']""")
_WINDOW_AFTER, _WINDOW_BEFORE = 10, 3


def parse_any(text: str, reference: datetime | None) -> datetime | None:
    """Any date form the shared parser knows (crawler/text/dates.py)."""
    return parse_datetime(text, reference=reference)


def from_metadata(root: html.HtmlElement, reference: datetime | None) -> datetime | None:
    """Publication time declared in meta tags or JSON-LD."""
    for name in _META_NAMES:
        value = meta_content(root, name)
        found = parse_any(value, reference) if value else None
        if found is not None:
            return found
    for item in json_ld_objects(root):
        value = item.get("datePublished") or item.get("dateCreated")
        if isinstance(value, str) and (found := parse_any(value, reference)) is not None:
            return found
    return None


def from_headline(
    blocks: list[Block], headline_index: int | None, body_index: int | None, reference: datetime | None
) -> datetime | None:
    """The date line between the headline and the body (or just above the headline); never a sidebar's or footer's."""
    if headline_index is None:
        return None
    end = headline_index + 1 + _WINDOW_AFTER
    if body_index is not None and body_index > headline_index:
        end = min(end, body_index)
    after = blocks[headline_index + 1 : end]
    before = blocks[max(0, headline_index - _WINDOW_BEFORE) : headline_index][::-1]
    for block in (*after, *before):
        if block.size > 120 or _OTHER_TIME.search(block.text):
            continue
        found = parse_any(block.text, reference)
        # An unlabelled date counts only on a short line that is not a sentence (``2024年5月9日，…`` is prose).
        if found is not None and (_LABELLED.search(block.text) or (block.size < 40 and not _PROSE.search(block.text))):
            return found
    return None


def from_trailer(blocks: list[Block], last_index: int | None, reference: datetime | None) -> datetime | None:
    """A labelled date line just after the body (``时间：…``, ``posted @ …``), as some sites put it at the end."""
    if last_index is None:
        return None
    for block in blocks[last_index + 1 : last_index + 1 + _WINDOW_AFTER]:
        if block.size <= 80 and _STRICTLY_LABELLED.search(block.text) and not _OTHER_TIME.search(block.text):
            found = parse_any(block.text, reference)
            if found is not None:
                return found
    return None


def from_scripts(root: html.HtmlElement) -> datetime | None:
    """WeChat articles render their time from ``var ct = "<unix seconds>"``."""
    for script in root.iter("script"):
        match = _WECHAT_TIME.search(script.text or "")
        if match:
            return datetime.fromtimestamp(int(match.group(1)), SHANGHAI)
    return None


def from_url(url: str) -> datetime | None:
    """``/2024-05/20/``, ``/20240520/`` or ``t20240520_`` in the URL, as a date."""
    match = _URL_DATE.search(url.split("?")[0])
    return aware_datetime(*(int(g) for g in match.groups())) if match else None
