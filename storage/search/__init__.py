"""Full-text search: one interface (SearchBackend), one implementation per database, picked by dialect.

Both backends keep `search_text`, the normalised (textnorm.normalize) title and body of every article,
written in the same transaction as the article; each adds its own index beside it (sqlite.py,
postgresql.py). Results are exactly what a substring scan of search_text finds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, text

from storage.errors import StorageError
from storage.search.filters import SORTS, checked_filters
from storage.search.query import SearchQuery, check_query, parse_query
from storage.search.results import results
from storage.search.textnorm import normalize


class SearchBackend(Protocol):
    """What a database's search provides: its index, kept in the writing transaction, and its queries."""

    def write_index(self, conn: Connection, article_id: int, title: str, body: str, old: tuple[str, str] | None
                    ) -> None:
        """Store an article's normalised title and body (`old`: what search_text held, if anything)."""

    def write_new(self, conn: Connection, rows: list[tuple[int, str, str]]) -> None:
        """Index articles not indexed yet, in bulk: (article_id, normalised title, normalised body) each."""

    def write_filters(self, conn: Connection, article_ids: list[int]) -> None:
        """Bring the index's copy of these articles' filter columns up to date after their rows changed."""

    def count(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> int:
        """How many articles match the query and filters."""

    def ids_after(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], after: int, limit: int
                  ) -> list[int]:
        """The next `limit` matching article ids above `after`, in id order."""

    def ranked(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, limit: int,
               offset: int) -> tuple[int, list[tuple[int, float | None]]]:
        """The exact total and one page of (id, score) in result order."""


def backend_for(conn: Connection) -> SearchBackend:
    """The search backend of the connection's database."""
    if conn.dialect.name == "sqlite":
        from storage.search.sqlite import SQLiteSearch

        return SQLiteSearch()
    from storage.search.postgresql import PostgreSQLSearch

    return PostgreSQLSearch()


@dataclass(frozen=True)
class SearchRequest:
    """A checked search: the text as given, its parsed terms, filters, order and page."""

    text: str
    parsed: SearchQuery
    filters: dict[str, Any]
    sort: str = "relevance"
    limit: int = 20
    offset: int = 0


def search_request(query: str, sort: str, limit: int, offset: int, filters: dict[str, Any]) -> SearchRequest:
    """Check a search before any database work; one-line StorageError for anything wrong."""
    parsed = check_query(query)
    if sort not in SORTS:
        raise StorageError(f"unknown sort {sort!r} (use {' or '.join(SORTS)})")
    if limit < 0 or offset < 0:
        raise StorageError("limit and offset must not be negative")
    return SearchRequest(query, parsed, checked_filters(filters), sort, limit, offset)


def run_search(conn: Connection, request: SearchRequest, highlight: tuple[str, str]) -> dict[str, Any]:
    """{"query", "total", "limit", "offset", "results"} for one page of a checked search."""
    total, ranked = backend_for(conn).ranked(conn, request.parsed, request.filters, request.sort, request.limit,
                                             request.offset)
    return {"query": request.text, "total": total, "limit": request.limit, "offset": request.offset,
            "results": results(conn, ranked, request.parsed.terms, highlight)}


def searchable_title(article: Mapping[str, Any]) -> str:
    """The text a "title hit" is looked for in: pretitle, title and subtitle."""
    return " ".join(part for part in (article.get("pretitle"), article.get("title"), article.get("subtitle")) if part)


def index_article(conn: Connection, article_id: int, article: Mapping[str, Any]) -> None:
    """Insert or refresh one article's index rows (a no-op when its normalised text is unchanged)."""
    title, body = normalize(searchable_title(article)), normalize(article.get("body") or "")
    old = conn.execute(text("SELECT title, body FROM search_text WHERE article_id = :id"), {"id": article_id}).first()
    if old is not None and tuple(old) == (title, body):
        return
    backend_for(conn).write_index(conn, article_id, title, body, tuple(old) if old is not None else None)


__all__ = ["SearchBackend", "SearchQuery", "SearchRequest", "backend_for", "check_query", "checked_filters",
           "index_article", "parse_query", "run_search", "search_request", "searchable_title"]
