"""Chinese and ISO date/time forms found on news pages, as aware Asia/Shanghai datetimes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_FULL_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)
_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_COMPACT_TIME = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?!\d)")
_MONTH_DAY_GLUED = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：](\d{2}))?")
_MONTH_DAY = re.compile(
    r"(?<!\d)(?P<m>\d{1,2})\s*[月\-/]\s*(?P<d>\d{1,2})\s*日?\s+(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2})"
)
_RELATIVE = re.compile(r"(?P<n>\d+|半)\s*(?P<unit>秒|分钟|小时|个小时|天|日)前")
_YESTERDAY = re.compile(r"(?P<word>今天|昨天|前天)\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2})")
_UNIT_SECONDS = {"秒": 1, "分钟": 60, "小时": 3600, "个小时": 3600, "天": 86400, "日": 86400}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


def parse_datetime(text: str, *, reference: datetime | None = None) -> datetime | None:
    """First date/time in ``text``; year-less and relative forms need ``reference`` (the fetch time)."""
    if not text:
        return None
    text = text.strip()
    iso = _parse_iso(text)
    if iso is not None:
        return iso
    for parse in (_parse_full, _parse_compact, _parse_compact_time):
        found = parse(text)
        if found is not None:
            return found
    if reference is None:
        return None
    reference = reference.astimezone(SHANGHAI)
    for parse_relative in (_parse_month_day, _parse_named_day, _parse_ago, _parse_glued_month_day):
        found = parse_relative(text, reference)
        if found is not None:
            return found
    return None


def aware_datetime(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime | None:
    """A Shanghai datetime, or None for an impossible one."""
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except ValueError:  # 2021-02-30 and friends are noise, not dates
        return None


def _parse_iso(text: str) -> datetime | None:
    """ISO 8601 with an offset (meta tags such as article:published_time), kept as Shanghai time."""
    if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value.astimezone(SHANGHAI)


def _parse_full(text: str) -> datetime | None:
    match = _FULL_DATE.search(text)
    if not match:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    return aware_datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0), parts.get("S", 0))


def _parse_compact(text: str) -> datetime | None:
    match = _COMPACT_DATE.search(text)
    if not match:
        return None
    return aware_datetime(int(match["y"]), int(match["m"]), int(match["d"]))


def _parse_compact_time(text: str) -> datetime | None:
    """``20240520103000``: a 12- or 14-digit timestamp as some CMSs print it."""
    match = _COMPACT_TIME.search(text)
    return aware_datetime(*(int(group or 0) for group in match.groups())) if match else None


def _parse_month_day(text: str, reference: datetime) -> datetime | None:
    """``07-05 10:30``: the latest such moment not after the reference (so December pages read in January work)."""
    match = _MONTH_DAY.search(text)
    if not match:
        return None
    return _in_reference_year(reference, *(int(match[k]) for k in ("m", "d", "H", "M")))


def _parse_glued_month_day(text: str, reference: datetime) -> datetime | None:
    """``05月20日10:30`` or ``05月20日``: month and day with the time glued on, or no time at all."""
    match = _MONTH_DAY_GLUED.search(text)
    if not match:
        return None
    return _in_reference_year(reference, *(int(group or 0) for group in match.groups()))


def _in_reference_year(reference: datetime, month: int, day: int, hour: int, minute: int) -> datetime | None:
    candidate = aware_datetime(reference.year, month, day, hour, minute)
    if candidate is not None and candidate > reference + timedelta(days=1):
        candidate = aware_datetime(reference.year - 1, month, day, hour, minute)
    return candidate


def _parse_named_day(text: str, reference: datetime) -> datetime | None:
    match = _YESTERDAY.search(text)
    if not match:
        return None
    day = reference - timedelta(days=_DAYS_BACK[match["word"]])
    return aware_datetime(day.year, day.month, day.day, int(match["H"]), int(match["M"]))


def _parse_ago(text: str, reference: datetime) -> datetime | None:
    match = _RELATIVE.search(text)
    if not match:
        return None
    amount = 0.5 if match["n"] == "半" else int(match["n"])
    moment = reference - timedelta(seconds=amount * _UNIT_SECONDS[match["unit"]])
    return moment.replace(microsecond=0)
