"""PostgreSQL search: `search_text.grams`, every character and character pair, under a GIN index.

A term needs all its pairs (or its character); terms of 3+ characters are then confirmed with strpos.
This does not depend on the database locale (pg_trgm ignores CJK characters under the C ctype) and
needs no extension.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, case, func, literal_column, not_, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text

from storage.schema import articles, search_text
from storage.search import planning
from storage.search.filters import ARTICLE_DATE, filter_clauses
from storage.search.query import SearchQuery
from storage.search.textnorm import all_grams, term_grams

INDEX_DDL = (
    "ALTER TABLE search_text ADD COLUMN grams text[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX ix_search_text_grams ON search_text USING gin (grams)",
)
_GRAMS = literal_column("search_text.grams", ARRAY(Text))
_GRAMS_PARAM = bindparam("grams", type_=ARRAY(Text))


class PostgreSQLSearch:
    """The SearchBackend of PostgreSQL archives."""

    def create_index(self, conn: Connection) -> None:
        """The gram column and its GIN index."""
        for statement in INDEX_DDL:
            conn.exec_driver_sql(statement)

    def write_index(self, conn: Connection, article_id: int, title: str, body: str, old: tuple[str, str] | None
                    ) -> None:
        """Upsert the article's normalised text with its grams."""
        upsert = ("INSERT INTO search_text (article_id, title, body, grams) VALUES (:id, :title, :body, :grams) "
                  "ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, body = excluded.body, "
                  "grams = excluded.grams")
        grams = sorted(all_grams(title) | all_grams(body))
        conn.execute(text(upsert).bindparams(_GRAMS_PARAM), {"id": article_id, "title": title, "body": body,
                                                             "grams": grams})

    def count(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> int:
        """How many articles match."""
        return conn.scalar(_matching(parsed, select(func.count()), filters)) or 0

    def ids_after(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], after: int, limit: int
                  ) -> list[int]:
        """The next `limit` matching ids above `after`, in id order (exports)."""
        stmt = _matching(parsed, select(articles.c.id), filters).where(articles.c.id > after)
        return list(conn.scalars(stmt.order_by(articles.c.id).limit(limit)))

    def ranked(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, limit: int,
               offset: int) -> tuple[int, list[tuple[int, float | None]]]:
        """The exact total and one page of (id, score): title hits, score (small sets), newest first."""
        total = self.count(conn, parsed, filters)
        if not total or not limit:
            return total, []
        scored = total <= planning.RANK_LIMIT
        score = _score(parsed.terms) if scored else literal_column("NULL")
        stmt = _matching(parsed, select(articles.c.id, score.label("score")), filters)
        recency = (ARTICLE_DATE.desc(), articles.c.id.desc())
        if sort == "date":
            stmt = stmt.order_by(*recency)
        else:
            title_hits = sum((case((func.strpos(search_text.c.title, t) > 0, 1), else_=0) for t in parsed.terms),
                             start=literal_column("0"))
            stmt = stmt.order_by(title_hits.desc(), *([literal_column("score")] if scored else []), *recency)
        return total, [(row.id, row.score) for row in conn.execute(stmt.limit(limit).offset(offset))]


def _matching(parsed: SearchQuery, stmt: Select[Any], filters: dict[str, Any]) -> Select[Any]:
    """stmt restricted to articles matching the query and filters (joining search_text when there are terms)."""
    stmt = stmt.select_from(articles)
    where = filter_clauses(filters, _author)
    if parsed.terms or parsed.excluded:
        stmt = stmt.join(search_text, search_text.c.article_id == articles.c.id)
    # The gram array narrows every term; 1- and 2-character terms are then exact, longer ones are checked.
    where.extend(_GRAMS.contains(sorted(term_grams(term))) for term in parsed.terms)
    where.extend(_contains(term) for term in parsed.terms if len(term) > 2)
    where.extend(not_(_contains(term)) for term in parsed.excluded)
    return stmt.where(and_(True, *where))


def _author(name: str) -> ColumnElement[bool]:
    return text("articles.authors @> CAST(:authors AS jsonb)").bindparams(
        authors=json.dumps([name], ensure_ascii=False))


def _contains(term: str) -> ColumnElement[bool]:
    return or_(func.strpos(search_text.c.title, term) > 0, func.strpos(search_text.c.body, term) > 0)


def _score(terms: tuple[str, ...]) -> ColumnElement[float]:
    """Lower is better, like bm25(): weighted term frequency over the body's log length."""
    frequency = sum((_occurrences(search_text.c.title, t) * planning.TITLE_WEIGHT
                     + _occurrences(search_text.c.body, t) for t in terms), start=literal_column("0.0"))
    return -frequency / func.ln(func.length(search_text.c.body) + 2)


def _occurrences(column: Any, term: str) -> ColumnElement[float]:
    return (func.length(column) - func.length(func.replace(column, term, ""))) / float(len(term))
