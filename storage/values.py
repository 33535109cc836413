"""Column types and value conversions shared by the write and read sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.errors import StorageError

# Fixed offset rather than ZoneInfo: Shanghai has had no DST since 1991 and this needs no tzdata.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# JSONB on PostgreSQL so the later search/query issue can index into authors, images and the like.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """timestamptz on PostgreSQL, naive UTC text on SQLite; always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        # SQLite's DateTime ignores tzinfo; storing UTC keeps text order equal to time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_instant(value: Any, name: str) -> datetime | None:
    """An aware datetime (or ISO 8601 string) as UTC; None stays None; naive values are refused."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise StorageError(f"{name} is not an ISO 8601 datetime: {value!r}") from None
    if not isinstance(value, datetime):
        raise StorageError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise StorageError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def iso_shanghai(value: datetime | None) -> str | None:
    """The ISO 8601 string (+08:00) every returned timestamp uses."""
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def utc_now() -> datetime:
    """Now, aware UTC (storage stamps runs and failures; parsers never read the clock)."""
    return datetime.now(UTC)
