"""Column types: instants (ISO 8601 text with +08:00 on SQLite, timestamptz on PostgreSQL) and JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.times import from_sqlite_text, in_shanghai, sqlite_text


def json_text(value: Any) -> str:
    """JSON as any tool reads it: UTF-8 text, no \\u escapes (SQLAlchemy's default escapes non-ASCII)."""
    return json.dumps(value, ensure_ascii=False)


class _SQLiteInstantText(sqlite.DATETIME):
    """Declared DATETIME (as migration 0001 made it) but bound and read as the text Instant writes."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


class Instant(TypeDecorator[datetime]):
    """An aware datetime; returned on Shanghai's clock.

    SQLite: ISO 8601 text with a constant +08:00 offset, so text order is time order and a plain
    `published_at >= '2021-07-16'` means Shanghai's date. PostgreSQL: timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteInstantText())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return sqlite_text(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return from_sqlite_text(value) if isinstance(value, str) else in_shanghai(value)


# JSONB on PostgreSQL so queries can index into authors, images and the like.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
