"""Instants at the storage boundary: aware datetimes in, aware Asia/Shanghai datetimes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from storage.errors import StorageError

# Fixed offset rather than ZoneInfo: Shanghai has had no DST since 1991, SQLite text carries a constant
# +08:00 (so text order is time order), and this needs no tzdata.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def require_instant(value: Any, name: str) -> datetime:
    """value as an aware datetime; strings, naive datetimes and other types are refused in one line."""
    if isinstance(value, str):
        raise StorageError(f"{name} must be a timezone-aware datetime, not a string: {value[:60]!r}")
    if not isinstance(value, datetime):
        raise StorageError(f"{name} must be a timezone-aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise StorageError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def optional_instant(value: Any, name: str) -> datetime | None:
    """None stays None; anything else as require_instant."""
    return None if value is None else require_instant(value, name)


def in_shanghai(value: datetime | None) -> datetime | None:
    """The same instant on Shanghai's clock (every datetime storage returns)."""
    return value.astimezone(SHANGHAI) if value is not None else None


def utc_now() -> datetime:
    """Now, aware (storage stamps runs and failures; parsers never read the clock)."""
    return datetime.now(UTC)


def sqlite_text(value: datetime) -> str:
    """How SQLite stores an instant: ISO 8601 on Shanghai's clock with its +08:00 offset."""
    return value.astimezone(SHANGHAI).isoformat()


def from_sqlite_text(value: str) -> datetime:
    """An instant stored by sqlite_text, back as an aware Shanghai datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:  # never written by this version; read as UTC like the schema before 0005
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(SHANGHAI)
