"""Publication time as a ranked list of candidates, each with a score and the reasons for it.

Every date on the page is a candidate: meta tags and JSON-LD, each text line, WeChat's script variable and the
URL. Points for what makes a date the article's own (a 发布时间 label, a place between headline and body,
agreement with the URL or another source) and against what makes it someone else's (a list, footer, sidebar or
"today" widget, prose, a time after the fetch). ``date_candidates`` is pure, so ``quality.py --explain`` can
print why a date won.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import html

from crawler.generic.blocks import Block
from crawler.generic.metadata import json_ld_objects
from crawler.text.dates import SHANGHAI, DateMatch, aware_datetime, find_datetimes, parse_datetime

__all__ = ["DateCandidate", "Layout", "choose_published", "date_candidates", "parse_any"]

# Strong: the page says "this is when it was published"; weak: a date of some kind (creation, indexing).
_STRONG_META = (
    "article:published_time", "og:article:published_time", "og:release_date", "publishdate", "pubdate",
    "publish_date", "publishtime", "publish-time", "datepublished", "dc.date.issued", "weibo:article:create_at",
    "weibo: article:create_at", "news:published_time",
)
_WEAK_META = ("dc.date", "sailthru.date", "og:time", "created", "date")
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?([01]\d)[-/_]?([0-3]\d)(?!\d)")
_WECHAT_TIME = re.compile(r"""var\s+ct\s*=\s*["'](\d{10})["']""")
# Labels right before a date, strongest first; simplified, traditional and Japanese (Chinese sites publish all three).
_LABELS = (
    (re.compile(r"(?:发布|發布|发表|發表|発表|发稿|刊发|出版)(?:时间|時間|日期|于|於)|posted|published|publish", re.I),
     4.0, "labelled 发布时间"),
    (re.compile(r"更新|修改|updated", re.I), 0.5, "labelled 更新时间 (a later edit)"),
    (re.compile(r"成文日期"), 1.0, "labelled 成文日期"),
    (re.compile(r"时间|時間|日期|发布|發布|date|time", re.I), 2.5, "labelled 时间/日期"),
)
_FOLLOWED_BY_LABEL = re.compile(r"\s*(?:发布|發布|发表|發表|posted)", re.I)
_BYLINE_WORDS = re.compile(r"来源|來源|稿源|出处|作者|记者|記者|编辑|责编|浏览|阅读|点击|字号|【字体")
_OTHER_ITEM = re.compile(r"推荐|回复|引用|评论|上一篇|下一篇")
_WIDGET = re.compile(r"今天是|今日是|农历|天气|欢迎")
_WEEKDAY = re.compile(r"星期[一二三四五六日天]|礼拜[一二三四五六日天]")
_PROSE = re.compile(r"[，。；！？]")
_NOT_HERE = re.compile(
    r"nav|menu|footer|foot\b|copyright|sidebar|side|related|relate|recommend|hot|rank|list|more|comment|links?\b|"
    r"bottom|today|calendar|weather|marquee|scroll|tuijian|xiangguan|xgxw|xgwz|xglj",
    re.I,
)
_LIST_TAGS = frozenset({"li", "dd", "dt"})
# The end of an issuing body's name, as it signs a notice (广东省通信管理局, 某某市人民政府办公室, …).
_ISSUER = re.compile(r"^\S{2,30}?(?:局|委|委员会|政府|办公室|办公厅|部|厅|院|会|中心|处|所|公司|小组|站|馆|社|署)$")
_LABEL_REACH = 12  # characters before a date that its label may take
_WINDOW_AFTER, _WINDOW_BEFORE, _TRAILER_WINDOW = 10, 3, 10
MIN_SCORE = 2.0


@dataclass
class DateCandidate:
    """One date the page offers, its score and why it got that score."""

    value: datetime
    origin: str  # "meta pubdate", "json-ld datePublished", "line 41", "script var ct", "url"
    text: str  # what it was read from
    has_time: bool
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: float, reason: str) -> None:
        """Change the score and say why."""
        self.score += points
        self.reasons.append(f"{points:+g} {reason}")


@dataclass(frozen=True)
class Layout:
    """Where the headline and the body sit in the page's text blocks."""

    headline: int | None = None
    body_start: int | None = None
    body_end: int | None = None


def parse_any(text: str, reference: datetime | None) -> datetime | None:
    """Any date form the shared parser knows (crawler/text/dates.py)."""
    return parse_datetime(text, reference=reference)


def date_candidates(
    root: html.HtmlElement, blocks: list[Block], layout: Layout, url: str, fetched_at: datetime | None
) -> list[DateCandidate]:
    """Every date of the page, best first."""
    candidates = [
        *_meta_candidates(root, fetched_at), *_line_candidates(blocks, layout, fetched_at),
        *_script_candidates(root), *_url_candidates(url),
    ]
    url_day = from_url(url)
    for candidate in candidates:
        _check_plausible(candidate, url_day, fetched_at)
    _credit_agreement(candidates)
    _doubt_later_metadata(candidates)
    return sorted(candidates, key=lambda c: -c.score)


def choose_published(candidates: list[DateCandidate]) -> DateCandidate | None:
    """The best candidate, when it scores enough to be believed; a believed one of the same day that has the
    clock time (a meta tag beside a day-only dateline) gives the time too."""
    if not candidates or candidates[0].score < MIN_SCORE:
        return None
    best = candidates[0]
    if best.has_time:
        return best
    return next((c for c in candidates[1:] if c.has_time and c.score >= MIN_SCORE
                 and c.value.date() == best.value.date()), best)


def _meta_candidates(root: html.HtmlElement, reference: datetime | None) -> list[DateCandidate]:
    """Dates declared in <meta> tags and JSON-LD."""
    found = []
    wanted = {name: 5.0 for name in _STRONG_META} | {name: 3.5 for name in _WEAK_META}
    seen: set[str] = set()
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key in wanted and key not in seen and content and (match := _first_date(content, reference)):
            seen.add(key)
            found.append(_candidate(match, f"meta {key}", content, wanted[key], "declared in a meta tag"))
    for item in json_ld_objects(root):
        for key, points in (("datePublished", 5.0), ("dateCreated", 3.5)):
            value = item.get(key)
            if isinstance(value, str) and (match := _first_date(value, reference)):
                found.append(_candidate(match, f"json-ld {key}", value, points, "declared in JSON-LD"))
    return found


def _line_candidates(blocks: list[Block], layout: Layout, reference: datetime | None) -> list[DateCandidate]:
    """Each date in each visible line, scored by its label, place and surroundings."""
    found = []
    for index, block in enumerate(blocks):
        if block.size > 300:
            continue
        previous = blocks[index - 1].text if index else ""
        for match in find_datetimes(block.text, reference=reference):
            candidate = DateCandidate(match.value, f"line {index}", block.text, match.has_time)
            _score_place(candidate, index, layout)
            _score_label(candidate, block.text, match, previous)
            _score_surroundings(candidate, block, match.end - match.start)
            _score_sign_off(candidate, block, match.end - match.start, previous, index, layout)
            if match.has_time:
                candidate.add(0.5, "has a clock time")
            if match.relative:
                candidate.add(0.0, "read against the fetch time")
            found.append(candidate)
    return found


def _script_candidates(root: html.HtmlElement) -> list[DateCandidate]:
    """WeChat articles render their time from ``var ct = "<unix seconds>"``."""
    for script in root.iter("script"):
        match = _WECHAT_TIME.search(script.text or "")
        if match:
            value = datetime.fromtimestamp(int(match.group(1)), SHANGHAI)
            candidate = DateCandidate(value, "script var ct", match.group(), True)
            candidate.add(4.0, "WeChat's publication time variable")
            return [candidate]
    return []


def _url_candidates(url: str) -> list[DateCandidate]:
    """The URL's date, the last resort."""
    value = from_url(url)
    if value is None:
        return []
    candidate = DateCandidate(value, "url", url, False)
    candidate.add(MIN_SCORE, "date in the URL (last resort, day only)")
    return [candidate]


def from_url(url: str) -> datetime | None:
    """``/2024-05/20/``, ``/20240520/`` or ``t20240520_`` in the URL, as a date."""
    match = _URL_DATE.search(url.split("?")[0])
    return aware_datetime(*(int(g) for g in match.groups())) if match else None


def _first_date(text: str, reference: datetime | None) -> DateMatch | None:
    found = find_datetimes(text, reference=reference)
    return found[0] if found else None


def _candidate(match: DateMatch, origin: str, text: str, points: float, reason: str) -> DateCandidate:
    candidate = DateCandidate(match.value, origin, text, match.has_time)
    candidate.add(points, reason)
    if match.has_time:
        candidate.add(0.5, "has a clock time")
    return candidate


def _score_place(candidate: DateCandidate, index: int, layout: Layout) -> None:
    """Between headline and body is where a dateline lives; inside the body or far away, dates are other things."""
    head, start, end = layout.headline, layout.body_start, layout.body_end
    if head is not None and head < index <= head + _WINDOW_AFTER and (start is None or index < start or start <= head):
        candidate.add(4.0 - 0.2 * (index - head - 1), f"{index - head} line(s) under the headline")
    elif head is not None and head - _WINDOW_BEFORE <= index < head:
        candidate.add(2.5, f"{head - index} line(s) above the headline")
    elif head is None and start is not None and start - 5 <= index < start:
        candidate.add(3.0, "just above the body (no headline found)")
    elif start is not None and end is not None and start <= index <= end:
        candidate.add(-1.5, "inside the body text")
    elif end is not None and end < index <= end + _TRAILER_WINDOW:
        candidate.add(0.5, "just after the body (counts only with a label)")
    else:
        candidate.add(-3.0, "far from the headline and the body")


def _score_label(candidate: DateCandidate, text: str, match: DateMatch, previous: str) -> None:
    """A label right before the date (or ending the previous cell, as table layouts split them)."""
    before = text[max(0, match.start - _LABEL_REACH) : match.start]
    if not before.strip(" ：:[]【】（）()") and len(previous) <= 12:
        before = previous
    label = next(((points, reason) for pattern, points, reason in _LABELS if pattern.search(before)), None)
    if label is None and _FOLLOWED_BY_LABEL.match(text[match.end : match.end + 6]):
        label = (4.0, "followed by 发布 (labelled)")
    if label is not None:
        candidate.add(*label)
    elif _BYLINE_WORDS.search(text):
        candidate.add(1.5, "on the 来源/作者 line")
    if _OTHER_ITEM.search(text):
        candidate.add(-3.0, "next to 推荐/评论/上一篇 (another item's time)")
    if _WIDGET.search(text):
        candidate.add(-4.0, "a today/calendar widget")
    elif _WEEKDAY.search(text) and label is None:
        candidate.add(-1.0, "names a weekday without a label (often a today widget)")


def _score_surroundings(candidate: DateCandidate, block: Block, date_chars: int) -> None:
    """Lists, footers, sidebars and link runs hold other items' dates; a short non-sentence line is a dateline."""
    labelled = any("labelled" in r or "来源" in r for r in candidate.reasons)
    names = _container_names(block.owner)
    # Sidebars and lists hold other items' bare dates; a labelled time there is usually the page's own.
    if names:
        candidate.add(-1.0 if labelled else -3.0, f"inside {names}")
    elif block.owner.tag in _LIST_TAGS:
        candidate.add(-0.5 if labelled else -1.5, f"a <{block.owner.tag}> list item")
    if block.link_density > 0.5 or (not labelled and block.link_chars > 0.5 * max(block.size - date_chars, 1)):
        candidate.add(-3.0, "beside link text (a list entry)")
    if block.size > 60 and _PROSE.search(block.text):
        candidate.add(-2.0, "a sentence of prose")
    elif block.size <= 60 and not _PROSE.search(block.text):
        candidate.add(1.0, "a short line, not a sentence")


def _score_sign_off(candidate: DateCandidate, block: Block, date_chars: int, previous: str, index: int,
                    layout: Layout) -> None:
    """A notice's sign-off (落款): the issuing body's name, then a line that is only the date, closing the text."""
    end = layout.body_end
    date_only = block.size - date_chars <= 2
    if end is not None and end - 1 <= index <= end + 2 and date_only and _ISSUER.search(previous.strip()):
        candidate.add(5.0, f"a sign-off date after {previous.strip()[:20]!r}")


def _container_names(element: html.HtmlElement) -> str:
    """The first ancestor named like navigation, a list, a footer, a sidebar or a widget, as ``<tag class>``."""
    while element is not None and element.tag not in ("body", "html"):
        names = f"{element.get('class', '')} {element.get('id', '')}".strip()
        if element.tag == "footer" or (names and _NOT_HERE.search(names)):
            return f"<{element.tag} {names[:40]}>"
        element = element.getparent()
    return ""


def _check_plausible(candidate: DateCandidate, url_day: datetime | None, fetched_at: datetime | None) -> None:
    """A date after the fetch cannot be the publication; the URL's date confirms or contradicts."""
    if fetched_at is not None and candidate.value > fetched_at + timedelta(days=1):
        candidate.add(-10.0, "after the fetch time")
    if candidate.value.year < 1995:
        candidate.add(-5.0, "before Chinese news sites existed")
    if url_day is None or candidate.origin == "url":
        return
    days = abs((candidate.value.date() - url_day.date()).days)
    if days == 0:
        candidate.add(2.0, "the URL's date")
    elif days > 3:
        candidate.add(-2.0, f"{days} days from the URL's date")


def _doubt_later_metadata(candidates: list[DateCandidate]) -> None:
    """A meta date days after the page's own labelled date line is the page's regeneration, not its publication
    (government CMSs restamp every page when they republish a site)."""
    lines = [c for c in candidates if c.origin.startswith("line") and _shown_with_a_label(c)]
    for meta in (c for c in candidates if c.origin.startswith(("meta", "json-ld"))):
        earlier = [line for line in lines if line.value.date() < meta.value.date() - timedelta(days=1)]
        if earlier:
            meta.add(-3.0, "days after the page's labelled date line (an update stamp)")
            for line in earlier:
                line.add(3.0, "a labelled date line days before the meta tag's (the publication)")


def _shown_with_a_label(candidate: DateCandidate) -> bool:
    """A labelled date line outside the body text, lists and sidebars: the page's own dateline."""
    reasons = " ".join(candidate.reasons)
    return "labelled" in reasons and not any(word in reasons for word in ("inside", "list", "prose", "link text"))


def _credit_agreement(candidates: list[DateCandidate]) -> None:
    """A day that two different kinds of source give (meta and a visible line, say) is more likely right."""
    believed = [(c.origin.split()[0], c.value.date(), c.origin) for c in candidates if c.score >= MIN_SCORE]
    for candidate in candidates:
        kind = candidate.origin.split()[0]
        other = next((origin for other_kind, day, origin in believed
                      if other_kind not in (kind, "url") and day == candidate.value.date()), None)
        if other is not None:
            candidate.add(1.0, f"same day as {other}")
