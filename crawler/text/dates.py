"""Chinese and ISO date/time forms found on news pages, as aware Asia/Shanghai datetimes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "DateMatch", "aware_datetime", "find_datetimes", "normalize_date_text", "parse_datetime"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Full-width digits and separators (２００５－０５－０７ １０：３０) as older CMSs print them; one character for one,
# so offsets into the normalised text are offsets into the original.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－／．：\u3000\xa0", "0123456789-/.:  ")
_FULL_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2}))?)?"
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_COMPACT_TIME = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?!\d)")
# Official documents write zero as 〇, 零, or the look-alike circles ○ and ◯ (and Ｏ on older pages).
_HAN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "◯": 0, "Ｏ": 0}
_HAN_DATE = re.compile(
    r"([〇零○◯Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日"
)
_MONTH_DAY_GLUED = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2}))?")
_MONTH_DAY = re.compile(
    r"(?<![\d\-/])(?P<m>\d{1,2})\s*[月\-/]\s*(?P<d>\d{1,2})\s*日?\s+(?P<H>\d{1,2})\s*:\s*(?P<M>\d{2})"
)
_RELATIVE = re.compile(r"(?P<n>\d+|半)\s*(?P<unit>秒|分钟|小时|个小时|天|日)前")
_YESTERDAY = re.compile(r"(?P<word>今天|昨天|前天)\s*(?P<H>\d{1,2})\s*:\s*(?P<M>\d{2})")
_UNIT_SECONDS = {"秒": 1, "分钟": 60, "小时": 3600, "个小时": 3600, "天": 86400, "日": 86400}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


@dataclass(frozen=True)
class DateMatch:
    """One date found in a text: its value, where it stands and whether it carries a clock time."""

    value: datetime
    start: int
    end: int
    has_time: bool
    relative: bool = False  # read against the fetch time (year-less, "3小时前", "昨天 18:20")


def normalize_date_text(text: str) -> str:
    """Full-width digits, dashes, slashes, dots and colons to ASCII, character for character."""
    return text.translate(_FULL_WIDTH)


def parse_datetime(text: str, *, reference: datetime | None = None) -> datetime | None:
    """First date/time in ``text``; year-less and relative forms need ``reference`` (the fetch time)."""
    if not text or not text.strip():
        return None
    text = normalize_date_text(text).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text) and (iso := _iso_value(text)) is not None:
        return iso
    for finder in (_full_dates, _compact_dates, _compact_times, _han_dates):
        found = next(finder(text), None)
        if found is not None:
            return found.value
    if reference is None:
        return None
    for relative in (_month_days, _named_days, _ago, _glued_month_days):
        found = next(relative(text, reference.astimezone(SHANGHAI)), None)
        if found is not None:
            return found.value
    return None


def find_datetimes(text: str, *, reference: datetime | None = None) -> list[DateMatch]:
    """Every date in ``text`` in reading order; where two forms overlap the more explicit one wins."""
    text = normalize_date_text(text or "")
    finders: list[Callable[[str], Iterator[DateMatch]]] = [_iso_dates, _full_dates, _compact_times, _compact_dates,
                                                           _han_dates]
    if reference is not None:
        reference = reference.astimezone(SHANGHAI)
        finders += [lambda t, f=f: f(t, reference) for f in (_month_days, _named_days, _ago, _glued_month_days)]
    taken: list[DateMatch] = []
    for finder in finders:
        for match in finder(text):
            if not any(match.start < other.end and other.start < match.end for other in taken):
                taken.append(match)
    return sorted(taken, key=lambda m: m.start)


def aware_datetime(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime | None:
    """A Shanghai datetime, or None for an impossible one."""
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:  # 2021-02-30 and friends are noise, not dates
        return None


def _iso_value(text: str) -> datetime | None:
    """ISO 8601 with an offset (meta tags such as article:published_time), kept as Shanghai time."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value.astimezone(SHANGHAI)


def _iso_dates(text: str) -> Iterator[DateMatch]:
    for match in _ISO.finditer(text):
        if (value := _iso_value(match.group())) is not None:
            yield DateMatch(value, match.start(), match.end(), True)


def _full_dates(text: str) -> Iterator[DateMatch]:
    """``2021年7月5日 10:30``, ``2005-5-7 21:23:57``, ``2021/07/05``, ``[2005-04-27 14:32]``."""
    for match in _FULL_DATE.finditer(text):
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        value = aware_datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0),
                               parts.get("S", 0))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), "H" in parts)


def _compact_dates(text: str) -> Iterator[DateMatch]:
    for match in _COMPACT_DATE.finditer(text):
        if (value := aware_datetime(int(match["y"]), int(match["m"]), int(match["d"]))) is not None:
            yield DateMatch(value, match.start(), match.end(), False)


def _compact_times(text: str) -> Iterator[DateMatch]:
    """``20240520103000``: a 12- or 14-digit timestamp as some CMSs print it."""
    for match in _COMPACT_TIME.finditer(text):
        if (value := aware_datetime(*(int(group or 0) for group in match.groups()))) is not None:
            yield DateMatch(value, match.start(), match.end(), True)


def _han_dates(text: str) -> Iterator[DateMatch]:
    """``二〇〇六年十二月二十七日``, the written date of government documents."""
    for match in _HAN_DATE.finditer(text):
        year = int("".join(str(_HAN_DIGITS[c]) for c in match.group(1)))
        value = aware_datetime(year, _han_number(match.group(2)), _han_number(match.group(3)))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), False)


def _han_number(text: str) -> int:
    """一 .. 三十一 written with 十."""
    if "十" not in text:
        return _HAN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_HAN_DIGITS[tens] if tens else 1) * 10 + (_HAN_DIGITS[ones] if ones else 0)


def _month_days(text: str, reference: datetime) -> Iterator[DateMatch]:
    """``07-05 10:30``: the latest such moment not after the reference (so December pages read in January work)."""
    for match in _MONTH_DAY.finditer(text):
        value = _in_reference_year(reference, *(int(match[k]) for k in ("m", "d", "H", "M")))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), True, relative=True)


def _glued_month_days(text: str, reference: datetime) -> Iterator[DateMatch]:
    """``05月20日10:30`` or ``05月20日``: month and day with the time glued on, or no time at all."""
    for match in _MONTH_DAY_GLUED.finditer(text):
        value = _in_reference_year(reference, *(int(group or 0) for group in match.groups()))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), match.group(3) is not None, relative=True)


def _in_reference_year(reference: datetime, month: int, day: int, hour: int, minute: int) -> datetime | None:
    candidate = aware_datetime(reference.year, month, day, hour, minute)
    if candidate is not None and candidate > reference + timedelta(days=1):
        candidate = aware_datetime(reference.year - 1, month, day, hour, minute)
    return candidate


def _named_days(text: str, reference: datetime) -> Iterator[DateMatch]:
    for match in _YESTERDAY.finditer(text):
        day = reference - timedelta(days=_DAYS_BACK[match["word"]])
        value = aware_datetime(day.year, day.month, day.day, int(match["H"]), int(match["M"]))
        if value is not None:
            yield DateMatch(value, match.start(), match.end(), True, relative=True)


def _ago(text: str, reference: datetime) -> Iterator[DateMatch]:
    for match in _RELATIVE.finditer(text):
        amount = 0.5 if match["n"] == "半" else int(match["n"])
        moment = reference - timedelta(seconds=amount * _UNIT_SECONDS[match["unit"]])
        yield DateMatch(moment.replace(microsecond=0), match.start(), match.end(), True, relative=True)
