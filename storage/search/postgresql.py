"""PostgreSQL search: `search_text.grams`, every character and character pair, under a GIN index.

A term needs all its pairs (or its character); terms of 3+ characters are then confirmed with strpos.
This does not depend on the database locale (pg_trgm ignores CJK characters under the C ctype) and
needs no extension.

Where the time goes, and how each statement avoids it (figures: benchmarks/search.py at 100,000 articles):
- The GIN index answers a gram in a few milliseconds, but PostgreSQL costs `@>` as cheap and, for a common
  gram (的: 70% of articles), prefers a sequential scan that detoasts every row's gram array (1.6 s against
  20 ms through the index). Search statements run with sequential scans off (`_through_indexes`).
- Counting is done on search_text alone (filters as an IN list, see _hits), never joined row by row to
  `articles`.
- One statement counts the matches and lists up to RANK_LIMIT + 1 of them; a set that small is then
  scored and sorted by id lookups. A larger one is not sorted at all: the page is read newest
  first off ix_articles_when, each article probed (strpos on its search_text row) until the page is full —
  a handful of probes for a common term. Where matches are too sparse for that (or a title-hit group
  turns out to be), its matches are taken from the index and sorted by date instead.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, case, func, literal_column, not_, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Integer, Text

from storage.schema import articles, search_text
from storage.search import planning
from storage.search.filters import ARTICLE_DATE, filter_clauses
from storage.search.query import SearchQuery
from storage.search.textnorm import all_grams, term_grams

INDEX_DDL = (
    "ALTER TABLE search_text ADD COLUMN grams text[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX ix_search_text_grams ON search_text USING gin (grams)",
)
# A date-order walk reads at most this many articles for a page (each probed with strpos on its text);
# matches rarer than a page in that many are sorted by date instead.
WALK_PROBES = 3000
# ... and within fewer articles than this share of the matches: sorting reads every match once, and a probe
# costs about as much as reading one.
WALK_SHARE = 0.5
SAMPLE = 200  # listed matches whose titles estimate how the matches split into title-hit groups
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

    def write_new(self, conn: Connection, rows: list[tuple[int, str, str]]) -> None:
        """Insert the rows with their grams in one executemany."""
        insert = "INSERT INTO search_text (article_id, title, body, grams) VALUES (:id, :title, :body, :grams)"
        conn.execute(text(insert).bindparams(_GRAMS_PARAM),
                     [{"id": id_, "title": title, "body": body, "grams": sorted(all_grams(title) | all_grams(body))}
                      for id_, title, body in rows])

    def count(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> int:
        """How many articles match (on search_text alone; filters become an IN list of article ids)."""
        if parsed.empty:
            return conn.scalar(select(func.count()).select_from(articles)
                               .where(*filter_clauses(filters, _author))) or 0
        _through_indexes(conn)
        return conn.scalar(select(func.count()).select_from(_hits(parsed, filters).subquery())) or 0

    def ids_after(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], after: int, limit: int
                  ) -> list[int]:
        """The next `limit` matching ids above `after`, in id order (exports)."""
        if parsed.empty:
            stmt = select(articles.c.id).where(articles.c.id > after, *filter_clauses(filters, _author))
            return list(conn.scalars(stmt.order_by(articles.c.id).limit(limit)))
        hits = _hits(parsed, filters).subquery()
        _through_indexes(conn)
        return list(conn.scalars(select(hits.c.id).where(hits.c.id > after).order_by(hits.c.id).limit(limit)))

    def ranked(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, limit: int,
               offset: int) -> tuple[int, list[tuple[int, float | None]]]:
        """The exact total and one page of (id, score): title hits, score (small sets), newest first."""
        if parsed.empty:
            return self.count(conn, parsed, filters), []
        _through_indexes(conn)
        # One statement counts the matches and lists the first RANK_LIMIT + 1: a small set is ranked from that
        # list. (The window keeps PostgreSQL from a "fast start" plan probing article by article.)
        hits = _hits(parsed, filters).subquery()
        listed = conn.execute(select(hits.c.id, func.count().over().label("total"))
                              .limit(planning.RANK_LIMIT + 1)).all()
        total = listed[0].total if listed else 0
        if not total or not limit:
            return total, []
        if total <= planning.RANK_LIMIT:
            return total, _small_page(conn, parsed, [row.id for row in listed], sort, limit, offset)
        sizes = {None: total} if sort == "date" else _group_sizes(conn, parsed, [row.id for row in listed], total)
        return total, [(id_, None) for id_ in _date_pages(conn, parsed, filters, sizes, limit, offset)]


def _through_indexes(conn: Connection) -> None:
    """For the rest of this transaction: no sequential scans (PostgreSQL underrates detoasting a gram array)
    and no parallel workers (their start-up costs more than these short statements gain on a busy server)."""
    conn.execute(text("SELECT set_config('enable_seqscan', 'off', true), "
                      "set_config('max_parallel_workers_per_gather', '0', true)"))


def _matches(parsed: SearchQuery) -> list[ColumnElement[bool]]:
    """Conditions on search_text: the gram array narrows every term (1-2 characters: exactly), strpos
    confirms longer ones and the exclusions."""
    where: list[ColumnElement[bool]] = [_GRAMS.contains(sorted(term_grams(term))) for term in parsed.terms]
    where.extend(_contains(term) for term in parsed.terms if len(term) > 2)
    where.extend(not_(_contains(term)) for term in parsed.excluded)
    return where


def _hits(parsed: SearchQuery, filters: dict[str, Any]) -> Select[Any]:
    """The ids (column `id`) of the articles matching the terms and filters. With filters the term matches
    are listed first (a materialised CTE), then kept if in the filters' IN list: otherwise PostgreSQL may
    walk the filtered articles and test each one's gram array (a second at 100,000 articles)."""
    matched = select(search_text.c.article_id.label("id")).where(*_matches(parsed))
    if not filters:
        return matched
    listed = matched.cte("matched").prefix_with("MATERIALIZED")
    return select(listed.c.id).where(listed.c.id.in_(select(articles.c.id).where(*filter_clauses(filters, _author))))


def _small_page(conn: Connection, parsed: SearchQuery, ids: list[int], sort: str, limit: int, offset: int
                ) -> list[tuple[int, float | None]]:
    """A page of a small match set, given its ids: title hits, then score, then newest (or newest only)."""
    score = _score(parsed.terms).label("score") if sort == "relevance" else literal_column("NULL").label("score")
    order = [_title_hits(parsed.terms).desc(), literal_column("score")] if sort == "relevance" else []
    stmt = (select(search_text.c.article_id.label("id"), score)
            .join(articles, articles.c.id == search_text.c.article_id)
            .where(search_text.c.article_id == func.any(bindparam("ids", ids, type_=ARRAY(Integer))))
            .order_by(*order, ARTICLE_DATE.desc(), articles.c.id.desc()))
    return [(row.id, row.score) for row in conn.execute(stmt.limit(limit).offset(offset))]


def _group_sizes(conn: Connection, parsed: SearchQuery, listed: list[int], total: int) -> dict[int | None, float]:
    """Each title-hit group (number of terms in the title, most first) with its estimated size: the
    total shared out as among the first SAMPLE listed matches."""
    hits = list(conn.scalars(select(_title_hits(parsed.terms))
                             .where(search_text.c.article_id == func.any(bindparam("ids", listed[:SAMPLE],
                                                                                   type_=ARRAY(Integer))))))
    return {group: total * hits.count(group) / max(1, len(hits)) for group in range(len(parsed.terms), -1, -1)}


def _date_pages(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sizes: dict[int | None, float],
                limit: int, offset: int) -> list[int]:
    """Newest first within each group (`sizes`: group -> estimated size, in order; None: all matches), each
    walked off the date index if a page should lie within WALK_PROBES articles, else sorted."""
    articles_estimate = conn.scalar(text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'articles'::regclass"))
    total = sum(sizes.values())
    articles_estimate = max(articles_estimate or 0, total)
    ids: list[int] = []
    for group, estimate in sizes.items():
        need = limit - len(ids)
        dense = (offset + need) * articles_estimate <= min(WALK_PROBES, WALK_SHARE * total) * estimate
        got = _walk(conn, parsed, filters, group, need, offset) if dense else None
        size = 0  # a walk fills the page, which ends the loop
        if got is None:
            got, size = _sorted(conn, parsed, filters, group, need, offset)
        ids += got
        if len(ids) == limit or group is None:
            break
        offset = max(0, offset - size)
    return ids


def _walk(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], group: int | None, need: int,
          offset: int) -> list[int] | None:
    """The page read newest first off ix_articles_when, probing each article; None when the newest
    WALK_PROBES articles did not fill it (the group is sparse, or ends on this page: sort it instead)."""
    newest = (select(articles.c.id, ARTICLE_DATE.label("at")).where(*filter_clauses(filters, _author))
              .order_by(ARTICLE_DATE.desc(), articles.c.id.desc()).limit(WALK_PROBES).subquery("newest"))
    checks = [_contains(term) for term in parsed.terms] + [not_(_contains(term)) for term in parsed.excluded]
    if group is not None:
        checks.append(_title_hits(parsed.terms) == group)
    # A scalar subquery per article: PostgreSQL cannot turn it into a join that reads every match first.
    probe = select(and_(*checks)).where(search_text.c.article_id == newest.c.id).scalar_subquery()
    stmt = (select(newest.c.id).where(probe).order_by(newest.c.at.desc(), newest.c.id.desc())
            .limit(need).offset(offset))
    got = list(conn.scalars(stmt))
    return got if len(got) == need else None


def _sorted(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], group: int | None, need: int,
            offset: int) -> tuple[list[int], int]:
    """A page of the group's matches sorted by date, and the group's size."""
    stmt = (select(search_text.c.article_id)
            .join(articles, articles.c.id == search_text.c.article_id)
            .where(*_matches(parsed), *filter_clauses(filters, _author),
                   *([_title_hits(parsed.terms) == group] if group is not None else [])))
    rows = conn.execute(stmt.add_columns(func.count().over().label("size"))
                        .order_by(ARTICLE_DATE.desc(), articles.c.id.desc()).limit(need).offset(offset)).all()
    if rows:
        return [row.article_id for row in rows], rows[0].size
    return [], conn.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _author(name: str) -> ColumnElement[bool]:
    return text("articles.authors @> CAST(:authors AS jsonb)").bindparams(
        authors=json.dumps([name], ensure_ascii=False))


def _contains(term: str) -> ColumnElement[bool]:
    return or_(func.strpos(search_text.c.title, term) > 0, func.strpos(search_text.c.body, term) > 0)


def _title_hits(terms: tuple[str, ...]) -> Any:
    return sum((case((func.strpos(search_text.c.title, t) > 0, 1), else_=0) for t in terms),
               start=literal_column("0"))


def _score(terms: tuple[str, ...]) -> ColumnElement[float]:
    """Lower is better, like bm25(): weighted term frequency over the body's log length."""
    frequency = sum((_occurrences(search_text.c.title, t) * planning.TITLE_WEIGHT
                     + _occurrences(search_text.c.body, t) for t in terms), start=literal_column("0.0"))
    return -frequency / func.ln(func.length(search_text.c.body) + 2)


def _occurrences(column: Any, term: str) -> ColumnElement[float]:
    # In bytes: the same count as in characters, without counting the characters of the text twice.
    return (func.octet_length(column) - func.octet_length(func.replace(column, term, ""))) / float(
        len(term.encode()))

