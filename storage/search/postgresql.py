"""PostgreSQL search: `search_grams`, every character and character pair of an article, under a GIN index.

A term needs all its pairs (or its character); terms of 3+ characters are then confirmed with strpos on
search_text. The title's grams are in the array a second time, marked (textnorm.TITLE_MARK), so the matches
with a term in the title are an index answer too. This does not depend on the database locale (pg_trgm
ignores CJK characters under the C ctype) and needs no extension.

Where the time goes, and how each statement avoids it (figures: benchmarks/search.py at 100,000 articles):
- The GIN index answers a gram in a few milliseconds; what costs is the heap pages a bitmap scan then reads
  (PostgreSQL 15 reads every one, all-visible or not). So the grams live in a narrow table of their own,
  the arrays stored out of line (toast_tuple_target), beside the article's site and date for the filters:
  counting 的 (70% of articles) reads ~3,000 pages of it, not the ~16,000 of search_text's title and body.
- PostgreSQL costs `@>` as cheap and, for a common gram, prefers a sequential scan that detoasts every
  gram array (1.6 s against 20 ms through the index): search statements run with sequential scans off.
- Exclusions are never tested per match: the total is the matches counted less those holding an excluded
  term (both index answers; a set difference of two long lists costs several times the two counts). Site
  and date filters are columns of search_grams; others an IN list over `articles`.
- One statement counts the matches and lists up to RANK_LIMIT + 1 of them; a set that small is then
  scored and sorted by id lookups (only the title-hit groups the page reaches: scoring reads every body).
  A larger one is not sorted at all: the page is read newest first off ix_articles_when, each article
  probed (strpos on its search_text row) until the page is full — a handful of probes for a common term.
  Where matches are too sparse for that (or a title-hit group turns out to be), its matches are taken from
  the index (a title-hit group from the marked title grams) and sorted by date instead.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    except_,
    func,
    literal_column,
    not_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text

from storage.schema import articles, search_text
from storage.search import pg_matches as matches
from storage.search import planning
from storage.search.filters import ARTICLE_DATE, filter_clauses
from storage.search.query import SearchQuery
from storage.search.textnorm import index_grams

# A gram row takes site and date from the article's row, written first in the same transaction. Its grams
# travel as one text, joined by GRAM_SEPARATOR, and the server splits them: psycopg dumps a text[] parameter
# element by element in Python, a quarter of a batched ingest. normalize() turns control characters into a
# space (\x1f is whitespace to Python) or drops them, so no gram holds the separator (TITLE_MARK, the one
# control character in the array, is another).
GRAM_SEPARATOR = "\x1f"
_GRAMS_ROW = ("INSERT INTO search_grams (article_id, site, dated_at, grams) "
              "SELECT id, site, coalesce(published_at, first_seen_at), "
              f"string_to_array(:grams, chr({ord(GRAM_SEPARATOR)})) FROM articles WHERE id = :id")
# A date-order walk reads at most this many articles for a page (each probed with strpos on its text);
# matches rarer than a page in that many are sorted by date instead.
WALK_PROBES = 3000
# ... and within fewer articles than this share of the matches: sorting reads every match once, and a probe
# costs about as much as reading one.
WALK_SHARE = 0.5
SAMPLE = 200  # listed matches whose titles estimate how the matches split into title-hit groups
_GRAMS_PARAM = bindparam("grams", type_=Text)
# Constant statements run as they are (exec_driver_sql): no statement object to build, key and look up per search.
_THROUGH_INDEXES = ("SELECT set_config('enable_seqscan', 'off', true), "
                    "set_config('max_parallel_workers_per_gather', '0', true)")
_ARTICLES_ESTIMATE = "SELECT reltuples::bigint FROM pg_class WHERE oid = 'articles'::regclass"


class PostgreSQLSearch:
    """The SearchBackend of PostgreSQL archives."""

    def write_index(self, conn: Connection, article_id: int, title: str, body: str, old: tuple[str, str] | None
                    ) -> None:
        """Upsert the article's normalised text and its grams."""
        conn.execute(text("INSERT INTO search_text (article_id, title, body) VALUES (:id, :title, :body) "
                          "ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, body = excluded.body"),
                     {"id": article_id, "title": title, "body": body})
        conn.execute(text(_GRAMS_ROW + " ON CONFLICT (article_id) DO UPDATE SET site = excluded.site, "
                          "dated_at = excluded.dated_at, grams = excluded.grams").bindparams(_GRAMS_PARAM),
                     {"id": article_id, "grams": _grams(title, body)})

    def write_new(self, conn: Connection, rows: list[tuple[int, str, str]]) -> None:
        """Insert the rows' text and grams, one executemany per table."""
        conn.execute(text("INSERT INTO search_text (article_id, title, body) VALUES (:id, :title, :body)"),
                     [{"id": id_, "title": title, "body": body} for id_, title, body in rows])
        conn.execute(text(_GRAMS_ROW).bindparams(_GRAMS_PARAM),
                     [{"id": id_, "grams": _grams(title, body)} for id_, title, body in rows])

    def write_filters(self, conn: Connection, article_ids: list[int]) -> None:
        """Copy the articles' site and date to their gram rows where they changed."""
        conn.execute(text("UPDATE search_grams g SET site = a.site, dated_at = coalesce(a.published_at, "
                          "a.first_seen_at) FROM articles a WHERE a.id = g.article_id AND a.id = ANY(:ids) AND "
                          "(g.site, g.dated_at) IS DISTINCT FROM (a.site, coalesce(a.published_at, a.first_seen_at))")
                     .bindparams(bindparam("ids", type_=ARRAY(Integer))), {"ids": article_ids})

    def count(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> int:
        """How many articles match (from search_grams, search_text only to confirm 3+ character terms)."""
        if parsed.empty:
            return conn.scalar(select(func.count()).select_from(articles)
                               .where(*filter_clauses(filters, matches.author))) or 0
        _through_indexes(conn)
        if matches.counted_apart(parsed, filters):
            return matches.total_less_excluded(conn, parsed, filters)
        return conn.scalar(select(func.count()).select_from(matches.hits(parsed, filters).subquery())) or 0

    def ids_after(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], after: int, limit: int
                  ) -> list[int]:
        """The next `limit` matching ids above `after`, in id order (exports)."""
        if parsed.empty:
            stmt = select(articles.c.id).where(articles.c.id > after, *filter_clauses(filters, matches.author))
            return list(conn.scalars(stmt.order_by(articles.c.id).limit(limit)))
        hits = matches.hits(parsed, filters).subquery()
        _through_indexes(conn)
        return list(conn.scalars(select(hits.c.id).where(hits.c.id > after).order_by(hits.c.id).limit(limit)))

    def ranked(self, conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, limit: int,
               offset: int) -> tuple[int, list[tuple[int, float | None]]]:
        """The exact total and one page of (id, score): title hits, score (small sets), newest first."""
        if parsed.empty:
            return self.count(conn, parsed, filters), []
        _through_indexes(conn)
        total, listed = _listed(conn, parsed, filters)
        if not total or not limit:
            return total, []
        if total <= planning.RANK_LIMIT:
            return total, _small_page(conn, parsed, listed, sort, limit, offset)
        sizes = {None: total} if sort == "date" else _group_sizes(conn, parsed, listed, total)
        return total, [(id_, None) for id_ in _date_pages(conn, parsed, filters, sizes, limit, offset)]


def _listed(conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> tuple[int, list[int]]:
    """The exact total, and the first RANK_LIMIT + 1 matches (a small set is ranked from them) or at least the
    first SAMPLE (whose titles estimate the title-hit groups)."""
    if matches.counted_apart(parsed, filters):
        total = matches.total_less_excluded(conn, parsed, filters)
        if total > planning.RANK_LIMIT:  # an estimate will do with matches of the terms, excluded or not
            terms = matches.holding(matches.needed_grams(parsed.terms), parsed.terms, matches.near_filters(filters))
            return total, list(conn.scalars(terms.limit(SAMPLE)))
    # One statement counts the matches and lists the first RANK_LIMIT + 1. (An aggregate, not a window:
    # that would keep every match in a tuplestore.)
    hits = matches.hits(parsed, filters).subquery()
    total, listed = conn.execute(select(func.count(), func.array_agg(hits.c.id)[1:planning.RANK_LIMIT + 1])).one()
    return total, listed or []


def _grams(title: str, body: str) -> str:
    """The article's gram array as _GRAMS_ROW takes it."""
    return GRAM_SEPARATOR.join(sorted(index_grams(title, body)))


def _through_indexes(conn: Connection) -> None:
    """For the rest of this transaction: no sequential scans (PostgreSQL underrates detoasting a gram array)
    and no parallel workers (their start-up costs more than these short statements gain on a busy server)."""
    conn.exec_driver_sql(_THROUGH_INDEXES)


def _small_page(conn: Connection, parsed: SearchQuery, ids: list[int], sort: str, limit: int, offset: int
                ) -> list[tuple[int, float | None]]:
    """A page of a small match set, given its ids: title hits, then score, then newest (or newest only)."""
    if sort == "relevance":
        ids, offset = _page_groups(conn, parsed, ids, limit, offset)
    stmt = select(matches.search_grams.c.article_id.label("id")).where(
        matches.search_grams.c.article_id == func.any(bindparam("ids", ids, type_=ARRAY(Integer))))
    if sort == "relevance":
        stmt = (stmt.add_columns(_score(parsed.terms).label("score"))
                .join(search_text, search_text.c.article_id == matches.search_grams.c.article_id)
                .order_by(matches.title_hits(parsed.terms).desc(), literal_column("score")))
    else:
        stmt = stmt.add_columns(literal_column("NULL").label("score"))
    stmt = stmt.order_by(matches.search_grams.c.dated_at.desc(), matches.search_grams.c.article_id.desc())
    return [(row.id, row.score) for row in conn.execute(stmt.limit(limit).offset(offset))]


def _page_groups(conn: Connection, parsed: SearchQuery, ids: list[int], limit: int, offset: int
                 ) -> tuple[list[int], int]:
    """The ids of the title-hit groups the page reaches, and the page's offset among them: only those need a
    score, which reads every body once per term (replace(): ~15 µs each)."""
    hits = conn.execute(select(search_text.c.article_id, matches.title_hits(parsed.terms)).where(
        search_text.c.article_id == func.any(bindparam("ids", ids, type_=ARRAY(Integer))))).all()
    sizes = Counter(group for _, group in hits)
    end, skipped, wanted = 0, 0, set()
    for group in sorted(sizes, reverse=True):
        start, end = end, end + sizes[group]
        if end <= offset:
            skipped = end
        elif start < offset + limit:
            wanted.add(group)
    return [id_ for id_, group in hits if group in wanted], offset - skipped


def _group_sizes(conn: Connection, parsed: SearchQuery, listed: list[int], total: int) -> dict[int | None, float]:
    """Each title-hit group (number of terms in the title, most first) with its estimated size: the total
    shared out as among the first SAMPLE listed matches. (Exact sizes would read every title hit.)"""
    hits = list(conn.scalars(select(matches.title_hits(parsed.terms))
                             .where(search_text.c.article_id == func.any(bindparam("ids", listed[:SAMPLE],
                                                                                   type_=ARRAY(Integer))))))
    return {group: total * hits.count(group) / max(1, len(hits)) for group in range(len(parsed.terms), -1, -1)}


def _date_pages(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sizes: dict[int | None, float],
                limit: int, offset: int) -> list[int]:
    """Newest first within each group (`sizes`: group -> estimated size, in order; None: all matches), each
    walked off the date index if a page should lie within WALK_PROBES articles, else sorted."""
    total = sum(sizes.values())
    articles_estimate = max(_walked_articles(conn, filters), total)
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


def _walked_articles(conn: Connection, filters: dict[str, Any]) -> int:
    """About how many articles a walk reads from: with only site and date filters, the planner's estimate (its
    statistics on both are good, and counting a date window would read its rows); else the whole archive."""
    if filters and set(filters) <= set(matches.NEAR):
        within = select(articles.c.id).where(*filter_clauses(filters, matches.author)).compile(dialect=conn.dialect)
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {within}", within.params).scalar()
        return int(plan[0]["Plan"]["Plan Rows"])
    return conn.exec_driver_sql(_ARTICLES_ESTIMATE).scalar() or 0


def _walk(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], group: int | None, need: int,
          offset: int) -> list[int] | None:
    """The page read newest first off ix_articles_when, probing each article; None when the newest
    WALK_PROBES articles did not fill it (the group is sparse, or ends on this page: sort it instead)."""
    newest = (select(articles.c.id, ARTICLE_DATE.label("at")).where(*filter_clauses(filters, matches.author))
              .order_by(ARTICLE_DATE.desc(), articles.c.id.desc()).limit(WALK_PROBES).subquery("newest"))
    checks = [matches.contains(term) for term in parsed.terms]
    checks += [not_(matches.contains(term)) for term in parsed.excluded]
    if group is not None:
        checks.append(matches.title_hits(parsed.terms) == group)
    # A scalar subquery per article: PostgreSQL cannot turn it into a join that reads every match first.
    probe = select(and_(*checks)).where(search_text.c.article_id == newest.c.id).scalar_subquery()
    stmt = (select(newest.c.id).where(probe).order_by(newest.c.at.desc(), newest.c.id.desc())
            .limit(need).offset(offset))
    got = list(conn.scalars(stmt))
    return got if len(got) == need else None


def _sorted(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], group: int | None, need: int,
            offset: int) -> tuple[list[int], int]:
    """A page of the group's matches sorted by date, and the group's size. The matches with a title hit come
    from the marked title grams, the others are all matches but those: no match's title is read."""
    if group is None:
        members = matches.hits(parsed, filters).subquery()
    elif group > 0:
        counted = matches.title_counts(parsed, filters).subquery()
        members = select(counted.c.id, counted.c.at).where(counted.c.n == group).subquery()
    else:
        titled = (matches.hits(parsed, filters, term) for term in parsed.terms)
        members = except_(matches.hits(parsed, filters), *titled).subquery()
    rows = conn.execute(select(members.c.id, func.count().over().label("size"))
                        .order_by(members.c.at.desc(), members.c.id.desc()).limit(need).offset(offset)).all()
    if rows:
        return [row.id for row in rows], rows[0].size
    return [], conn.scalar(select(func.count()).select_from(members)) or 0


def _score(terms: tuple[str, ...]) -> ColumnElement[float]:
    """Lower is better, like bm25(): weighted term frequency over the body's log length."""
    frequency = sum((_occurrences(search_text.c.title, t) * planning.TITLE_WEIGHT
                     + _occurrences(search_text.c.body, t) for t in terms), start=literal_column("0.0"))
    return -frequency / func.ln(func.length(search_text.c.body) + 2)


def _occurrences(column: Any, term: str) -> ColumnElement[float]:
    # In bytes: the same count as in characters, without counting the characters of the text twice.
    return (func.octet_length(column) - func.octet_length(func.replace(column, term, ""))) / float(
        len(term.encode()))
