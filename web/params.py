"""Query parameters read and checked: odd input is a 400 with one clear line, never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
EARLIEST, LATEST = 1900, 2200  # as the CLI: years beyond these overflow datetime arithmetic
MAX_TEXT = 1000  # characters of any one parameter


class BadRequest(HTTPException):
    """A 400 whose detail is the one line the page shows."""

    def __init__(self, line: str) -> None:
        super().__init__(400, line)


def text(request: Request, name: str, default: str = "") -> str:
    """A parameter as stripped text ("" when absent)."""
    value = request.query_params.get(name, default).strip()
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name} is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise BadRequest(f"{name} contains a NUL character")
    return value


def choice(request: Request, name: str, choices: tuple[str, ...]) -> str:
    """One of choices (the first when absent)."""
    value = text(request, name) or choices[0]
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, not {value[:40]!r}")
    return value


def number(request: Request, name: str, default: int, low: int, high: int) -> int:
    """A whole number in [low, high]."""
    value = text(request, name)
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}, not {value[:40]!r}")
    return int(value)


def flag(request: Request, name: str) -> bool:
    """A checkbox: present and not 0/false/off."""
    return text(request, name).lower() not in ("", "0", "false", "off", "no")


def instant(request: Request, name: str) -> datetime | None:
    """An ISO date/time as the CLI reads it: a date alone is its midnight; naive ones on Shanghai's clock."""
    value = text(request, name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} is not an ISO date/time: {value[:40]!r} (e.g. 2026-11-28 or 2026-11-28T09:30)"
                         ) from None
    if not EARLIEST <= parsed.year <= LATEST:
        raise BadRequest(f"{name} {value!r} is outside the years {EARLIEST}–{LATEST}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def record_id(value: str) -> int | None:
    """A row id from a path (ASCII digits within SQL's integer range); None for one no row can have."""
    if value.isascii() and value.isdigit() and int(value) < 2**63:
        return int(value)
    return None


def web_link(url: str | None) -> str | None:
    """url if it is an http(s) link (an archived javascript: or data: URL is never made a link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None
