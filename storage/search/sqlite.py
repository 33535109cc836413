"""SQLite search: two FTS5 tables beside search_text (see planning.py), one driving FTS query per search.

The terms go into as few FTS queries as possible; another table's query becomes an IN list. The total is
a count(*) over that expression. Up to RANK_LIMIT matches are scored with bm25() and sorted; more are read
newest first off ix_articles_when, one title-hit group at a time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Integer, Select, case, column, func, literal_column, not_, or_, select, text
from sqlalchemy import table as sql_table
from sqlalchemy.sql.elements import ColumnElement

from storage.schema import articles, search_text
from storage.search import planning
from storage.search.filters import ARTICLE_DATE, filter_clauses
from storage.search.planning import SHORT_TABLE, TRIGRAM_TABLE, Plan, fts_expression, plan
from storage.search.query import SearchQuery
from storage.search.textnorm import short_grams

WALK_FROM = 2000  # more matches than this: read them off the date index rather than sort them


class SQLiteSearch:
    """The SearchBackend of SQLite archives. Its FTS5 tables are made by migrations 0003, 0005 and 0011:
    articles_fts takes its rows' text from `articles` (so sqlite-utils and Datasette find it for that table) but
    is filled with the normalised text of search_text; search_short keeps no text at all."""

    def write_index(self, conn: Connection, article_id: int, title: str, body: str, old: tuple[str, str] | None
                    ) -> None:
        """Replace the article's index rows; the FTS tables forget text, so a delete hands back the old text."""
        for table, grams in ((TRIGRAM_TABLE, False), (SHORT_TABLE, True)):
            if old is not None:
                conn.execute(text(f"INSERT INTO {table} ({table}, rowid, title, body) VALUES ('delete', :id, :t, :b)"),
                             _texts(article_id, *old, grams))
            conn.execute(text(f"INSERT INTO {table} (rowid, title, body) VALUES (:id, :t, :b)"),
                         _texts(article_id, title, body, grams))
        conn.execute(text("INSERT INTO search_text (article_id, title, body) VALUES (:id, :title, :body) "
                          "ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, body = excluded.body"),
                     {"id": article_id, "title": title, "body": body})

    def write_new(self, conn: Connection, rows: list[tuple[int, str, str]]) -> None:
        """One executemany per table."""
        for table, grams in ((TRIGRAM_TABLE, False), (SHORT_TABLE, True)):
            conn.execute(text(f"INSERT INTO {table} (rowid, title, body) VALUES (:id, :t, :b)"),
                         [_texts(id_, title, body, grams) for id_, title, body in rows])
        conn.execute(text("INSERT INTO search_text (article_id, title, body) VALUES (:id, :t, :b)"),
                     [_texts(id_, title, body, False) for id_, title, body in rows])

    def write_filters(self, conn: Connection, article_ids: list[int]) -> None:
        """Nothing: SQLite's filters read the articles' own rows."""

    def count(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> int:
        """How many articles match (exact, from the index when no filter needs the articles' rows)."""
        hits = _ids(plan(parsed))
        if not filters:
            return conn.scalar(select(func.count()).select_from(hits.subquery("hits"))) or 0
        return conn.scalar(select(func.count()).select_from(_filtered(hits, filters).subquery())) or 0

    def ids_after(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], after: int, limit: int
                  ) -> list[int]:
        """The next `limit` matching ids above `after`, in id order (exports)."""
        if parsed.empty:
            stmt = select(articles.c.id).where(articles.c.id > after, *filter_clauses(filters, _author))
        else:
            stmt = _filtered(_ids(plan(parsed), after), filters)
        return list(conn.scalars(stmt.order_by(articles.c.id).limit(limit)))

    def ranked(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, limit: int,
               offset: int) -> tuple[int, list[tuple[int, float | None]]]:
        """The exact total and one page of (id, score): title hits, bm25 (small sets), newest first."""
        query_plan = plan(parsed)
        total = self.count(conn, parsed, filters)
        if not total or not limit:
            return total, []
        if sort == "relevance" and total <= planning.RANK_LIMIT:
            scored = _scored_hits(_ids(query_plan, scored=True), filters)
            stmt = (select(scored.c.id, scored.c.score).select_from(scored)
                    .join(articles, articles.c.id == scored.c.id)
                    .join(search_text, search_text.c.article_id == scored.c.id)
                    .where(*filter_clauses(filters, _author))
                    .order_by(_title_hits(parsed.terms).desc(), scored.c.score, ARTICLE_DATE.desc(),
                              articles.c.id.desc())
                    .limit(limit).offset(offset))
            return total, [(row.id, row.score) for row in conn.execute(stmt)]
        groups = [None] if sort == "date" else list(range(len(parsed.terms), -1, -1))
        walked = _walk_groups(conn, query_plan, parsed.terms, filters, groups, total, limit, offset)
        return total, [(id_, None) for id_ in walked]


def _filtered(hits: Select[Any], filters: dict[str, Any]) -> Select[Any]:
    """The ids of the articles among `hits` that pass the filters. With filters, `articles.id + 0 IN (hits)`:
    joined, SQLite may walk a site's articles running the full-text query once per article (1.3 s at 100,000
    articles), and with a bare `id IN` it looks each match up by id; "+ 0" makes it read the filter's index
    (site, or ix_articles_when for dates) and probe the list once built (6-30 ms)."""
    if not filters:
        joined = hits.subquery("hits").join(articles, articles.c.id == literal_column("hits.id"))
        return select(articles.c.id).select_from(joined)
    return select(articles.c.id).where((articles.c.id + 0).in_(hits), *filter_clauses(filters, _author))


def _scored_hits(stmt: Select[Any], filters: dict[str, Any]) -> Any:
    """The scored matches to join to the filtered articles: under a site, source, author or channel filter a
    CTE SQLite runs once (as in _filtered); under date filters alone a plain subquery, which is faster."""
    if set(filters) <= {"since", "until"}:
        return stmt.subquery("hits")
    hits = stmt.cte("hits")
    return hits.prefix_with("MATERIALIZED") if sqlite3.sqlite_version_info >= (3, 35) else hits


def _texts(article_id: int, title: str, body: str, grams: bool) -> dict[str, Any]:
    if grams:
        title, body = short_grams(title), short_grams(body)
    return {"id": article_id, "t": title, "b": body}


def _author(name: str) -> ColumnElement[bool]:
    return text("EXISTS (SELECT 1 FROM json_each(articles.authors) WHERE value = :author)").bindparams(author=name)


def _title_hits(terms: tuple[str, ...]) -> Any:
    return sum((case((func.instr(search_text.c.title, t) > 0, 1), else_=0) for t in terms),
               start=literal_column("0"))


def _contains(term: str) -> ColumnElement[bool]:
    return or_(func.instr(search_text.c.title, term) > 0, func.instr(search_text.c.body, term) > 0)


def _ids(query_plan: Plan, after: int | None = None, scored: bool = False) -> Select[Any]:
    """Ids holding every term and no excluded one: the first FTS table's query, other tables as IN lists."""
    params = _Params("m")
    tables = sorted(query_plan.matches, key=lambda t: t != SHORT_TABLE)  # pairs first: 1-2-char terms are common
    if tables:
        drive = tables[0]
        source: Any = sql_table(drive, column("rowid", Integer))
        ids = source.c.rowid
        expression = fts_expression(query_plan.matches[drive], query_plan.excludes.get(drive, []))
        stmt = select(ids.label("id")).where(params.match(drive, expression))
        if scored:
            weight = planning.TITLE_WEIGHT
            stmt = stmt.add_columns(literal_column(f"bm25({drive}, {weight}, 1.0)").label("score"))
    else:  # no term an index answers: scan the normalised text
        drive, source, ids = "", search_text, search_text.c.article_id
        stmt = select(ids.label("id"))
        if scored:
            stmt = stmt.add_columns(literal_column("0.0").label("score"))
    for table in tables[1:]:
        stmt = stmt.where(ids.in_(_fts_select(table, fts_expression(query_plan.matches[table], []), params)))
    for table, phrases in query_plan.excludes.items():
        if table != drive:
            stmt = stmt.where(ids.not_in(_fts_select(table, " OR ".join(phrases), params)))
    if after is not None:  # on the driving FTS table, so FTS5 seeks past `after` instead of scanning from 1
        stmt = stmt.where(ids > after)
    if drive and (query_plan.verify or query_plan.verify_excluded):
        source = source.join(search_text, search_text.c.article_id == ids)
    checks = [_contains(term) for term in query_plan.verify]
    checks += [not_(_contains(term)) for term in query_plan.verify_excluded]
    return stmt.select_from(source).where(*checks)


class _Params:
    """Unique, stable bind names for the MATCH strings of one statement."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.count = prefix, 0

    def match(self, table: str, expression: str) -> Any:
        self.count += 1
        name = f"{self.prefix}{self.count}"
        return text(f"{table} MATCH :{name}").bindparams(**{name: expression})


def _fts_select(table: str, expression: str, params: _Params) -> Select[Any]:
    fts = sql_table(table, column("rowid", Integer))
    return select(fts.c.rowid).where(params.match(table, expression))


def _walk_groups(conn: Connection, query_plan: Plan, terms: tuple[str, ...], filters: dict[str, Any],
                 groups: list[int | None], total: int, limit: int, offset: int) -> list[int]:
    """Newest first, group by group (number of terms in the title, most first); each group either read off
    the date index (many matches) or sorted by date from the matches (few)."""
    ids: list[int] = []
    before = 0  # matches in the groups passed so far
    for group in groups:
        matches, condition = _group(query_plan, terms, group)
        size = total if condition is not None or group is None else conn.scalar(
            select(func.count()).select_from(matches.subquery())) or 0
        stmt = _by_date(matches, condition, filters, walk=size > WALK_FROM)
        got = list(conn.scalars(stmt.limit(limit - len(ids)).offset(offset))) if size else []
        ids += got
        if len(ids) == limit:
            break
        if got or not offset:
            size = offset + len(got)
        elif condition is not None or filters:
            size = conn.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        offset, before = max(0, offset - size), before + size
        if before >= total:
            break
    return ids


def _group(query_plan: Plan, terms: tuple[str, ...], group: int | None) -> tuple[Select[Any], Any]:
    """The matches to read for a group, and the condition (title hits == group) still to check on them."""
    if group is None:
        return _ids(query_plan), None
    if group == len(terms) and all(query_plan.titles):  # every term in the title: the title column answers it
        in_title = {table: ["{title} : " + phrase for phrase in phrases]
                    for table, phrases in query_plan.matches.items()}
        return _ids(replace(query_plan, matches=in_title)), None
    params, title = _Params("t"), select(search_text.c.title).where(search_text.c.article_id == articles.c.id)
    hits = [articles.c.id.in_(_fts_select(route[0], "{title} : " + route[1], params)) if route
            else func.instr(title.scalar_subquery(), term) > 0
            for route, term in zip(query_plan.titles, terms, strict=True)]
    return _ids(query_plan), sum((case((hit, 1), else_=0) for hit in hits), start=literal_column("0")) == group


def _by_date(matches: Select[Any], condition: Any, filters: dict[str, Any], walk: bool) -> Select[Any]:
    """Matching ids newest first. walk: read the date index, probing the matches ("+ 0" keeps SQLite from
    looking them up by id); else look each match's date up by id and sort."""
    member = (articles.c.id + 0).in_(matches) if walk else articles.c.id.in_(matches)
    stmt = select(articles.c.id).where(member, *filter_clauses(filters, _author))
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.order_by(ARTICLE_DATE.desc(), articles.c.id.desc())
