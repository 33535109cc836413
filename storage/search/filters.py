"""Search and export filters (site, dates, source, author, channel): checked once, as SQL for any backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.sql.elements import ColumnElement

from storage.errors import StorageError
from storage.schema import articles
from storage.times import require_instant

FILTERS = ("site", "since", "until", "source", "author", "channel")
SORTS = ("relevance", "date")
# An article's date: when it was published, else when it was first seen.
ARTICLE_DATE = func.coalesce(articles.c.published_at, articles.c.first_seen_at)


def checked_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that are set, with since/until checked as aware datetimes; unknown names refused."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise StorageError(f"unknown filter {', '.join(sorted(unknown))} (known: {', '.join(FILTERS)})")
    checked = {key: value for key, value in filters.items() if value not in (None, "")}
    for key in ("since", "until"):
        if key in checked:
            checked[key] = require_instant(checked[key], key)
    return checked


def filter_clauses(filters: dict[str, Any], author: Callable[[str], ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """WHERE clauses over articles; `author` is the backend's test for one name among the JSON authors."""
    clauses: list[ColumnElement[bool]] = []
    if "site" in filters:
        clauses.append(articles.c.site == filters["site"])
    if "since" in filters:
        clauses.append(filters["since"] <= ARTICLE_DATE)
    if "until" in filters:
        clauses.append(filters["until"] > ARTICLE_DATE)
    if "source" in filters:
        clauses.append(articles.c.source.contains(filters["source"], autoescape=True))
    if "channel" in filters:
        clauses.append(or_(articles.c.channel_name == filters["channel"], articles.c.channel_id == filters["channel"]))
    if "author" in filters:
        clauses.append(author(filters["author"]))
    return clauses
