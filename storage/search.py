"""Full-text search and filtered exports over the archive (storage/search_index.py keeps the index)."""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    and_,
    case,
    column,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text

from storage import queries
from storage.errors import StorageError
from storage.querytext import SearchQuery, parse_query
from storage.schema import articles, search_text
from storage.textnorm import is_word_char, normalize, normalized_offsets, term_grams
from storage.values import parse_instant

if TYPE_CHECKING:
    from storage.archive import Archive

FILTERS = ("site", "since", "until", "source", "author", "channel")
SORTS = ("relevance", "date")
RANK_LIMIT = 2000  # more matches than this: BM25 is skipped (title hits, then newest)
WALK_FROM = 2000  # more matches than this: read them off the date index rather than sort them
TITLE_WEIGHT = 10.0  # bm25 column weight: a title hit outweighs many body hits
SNIPPET_CHARS = 40  # context each side of the first match
EXPORT_BATCH = 500
_GRAMS = literal_column("search_text.grams", ARRAY(Text))
_WHEN = func.coalesce(articles.c.published_at, articles.c.first_seen_at)
_RESULT_COLUMNS = (articles.c.id, articles.c.site, articles.c.url, articles.c.title, articles.c.pretitle,
                   articles.c.subtitle, articles.c.body, articles.c.published_at, articles.c.first_seen_at,
                   articles.c.last_fetched_at, articles.c.removed_at, articles.c.source, articles.c.authors,
                   articles.c.channel_id, articles.c.channel_name)


@dataclass(frozen=True)
class _Plan:
    """How the terms of one query are found: FTS5 MATCH strings plus exact checks on search_text."""

    matches: dict[str, list[str]]  # SQLite FTS table -> MATCH expressions (AND-ed)
    verify: tuple[str, ...]  # terms the index only narrows down: checked by substring on search_text
    excludes: dict[str, list[str]] = field(default_factory=dict)  # FTS table -> phrases none may match
    verify_excluded: tuple[str, ...] = ()  # excluded terms no index answers: checked on search_text
    titles: tuple[tuple[str, str] | None, ...] = ()  # per term: FTS table and phrase, None for verify terms


def search(archive: Archive, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance",
           highlight: tuple[str, str] = ("[", "]"), **filters: Any) -> dict[str, Any]:
    """Articles containing every term of `query` (substrings after normalisation), best first.

    Returns {"query", "total", "limit", "offset", "results"}; each result has id, site, url, title,
    published_at, source, authors, channel, score and a snippet with matches between `highlight` marks.
    """
    parsed = parse_query(query)
    if not parsed.terms:
        raise StorageError("search needs at least one term to find (a -term only excludes)")
    if sort not in SORTS:
        raise StorageError(f"unknown sort {sort!r} (use {' or '.join(SORTS)})")
    if limit < 0 or offset < 0:
        raise StorageError("limit and offset must not be negative")
    filters = _checked_filters(filters)

    def read(conn: Connection) -> dict[str, Any]:
        if conn.dialect.name == "sqlite":
            total, rows = _sqlite_page(conn, parsed, filters, sort, limit, offset)
        else:
            total = conn.scalar(_matching(conn, parsed, select(func.count()), filters)) or 0
            scored = total <= RANK_LIMIT
            rows = conn.execute(_ranked(conn, parsed, filters, sort, scored).limit(limit).offset(offset)).all()
        results = [_result(row, parsed.terms, highlight) for row in rows]
        return {"query": query, "total": total or 0, "limit": limit, "offset": offset, "results": results}

    return archive._read(read)


def export_rows(archive: Archive, query: str | None = None, *, batch_size: int = EXPORT_BATCH,
                **filters: Any) -> Iterator[dict[str, Any]]:
    """Matching articles (all if no query) in id order, read in short batches: constant memory."""
    parsed = parse_query(query)
    filters = _checked_filters(filters)
    after = 0
    while True:
        def read(conn: Connection, after: int = after) -> list[dict[str, Any]]:
            stmt = _matching(conn, parsed, select(articles.c.id), filters, after=after)
            ids = list(conn.scalars(stmt.order_by(articles.c.id).limit(batch_size)))
            return queries.articles_by_ids(conn, ids) if ids else []

        batch = archive._read(read)
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1]["id"]


def count_matches(archive: Archive, query: str | None = None, **filters: Any) -> int:
    """How many articles export_rows would yield."""
    parsed, filters = parse_query(query), _checked_filters(filters)
    return archive._read(lambda conn: conn.scalar(_matching(conn, parsed, select(func.count()), filters)) or 0)


def _checked_filters(filters: dict[str, Any]) -> dict[str, Any]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise StorageError(f"unknown filter {', '.join(sorted(unknown))} (known: {', '.join(FILTERS)})")
    checked = {key: value for key, value in filters.items() if value not in (None, "")}
    for key in ("since", "until"):
        if key in checked:
            checked[key] = parse_instant(checked[key], key)
    return checked


def _filter_clauses(filters: dict[str, Any], postgres: bool) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if "site" in filters:
        clauses.append(articles.c.site == filters["site"])
    if "since" in filters:
        clauses.append(filters["since"] <= _WHEN)
    if "until" in filters:
        clauses.append(filters["until"] > _WHEN)
    if "source" in filters:
        clauses.append(articles.c.source.contains(filters["source"], autoescape=True))
    if "channel" in filters:
        clauses.append(or_(articles.c.channel_name == filters["channel"],
                           articles.c.channel_id == filters["channel"]))
    if "author" in filters and postgres:
        clauses.append(text("articles.authors @> CAST(:authors AS jsonb)")
                       .bindparams(authors=json.dumps([filters["author"]], ensure_ascii=False)))
    elif "author" in filters:
        clauses.append(text("EXISTS (SELECT 1 FROM json_each(articles.authors) WHERE value = :author)")
                       .bindparams(author=filters["author"]))
    return clauses


def _matching(conn: Connection, parsed: SearchQuery, stmt: Select[Any], filters: dict[str, Any], *,
              after: int | None = None, scored: bool = False) -> Select[Any]:
    """stmt restricted to articles matching the query and filters (joins the index as needed)."""
    if conn.dialect.name != "postgresql":
        return _sqlite_matching(_plan(parsed, False), stmt, filters, after)
    stmt = stmt.select_from(articles)
    where = _filter_clauses(filters, True)
    if after is not None:
        where.append(articles.c.id > after)
    if parsed.terms or parsed.excluded:
        stmt = stmt.join(search_text, search_text.c.article_id == articles.c.id)
    where.extend(_GRAMS.contains(sorted(term_grams(term))) for term in parsed.terms)
    where.extend(_contains(term, True) for term in _plan(parsed, True).verify)
    where.extend(not_(_contains(term, True)) for term in parsed.excluded)
    stmt = stmt.where(and_(True, *where))
    if scored:
        stmt = stmt.add_columns(_score(parsed.terms).label("score"))
    return stmt


def _ranked(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, scored: bool) -> Select[Any]:
    """PostgreSQL's page query: title hits, score (only when `scored`), newest first."""
    postgres = conn.dialect.name == "postgresql"
    stmt = _matching(conn, parsed, select(*_RESULT_COLUMNS), filters, scored=scored)
    if not scored:
        stmt = stmt.add_columns(literal_column("NULL").label("score"))
    title_hits = sum((case((_position(search_text.c.title, t, postgres) > 0, 1), else_=0) for t in parsed.terms),
                     start=literal_column("0"))
    recency = (_WHEN.desc(), articles.c.id.desc())
    if sort == "date":
        return stmt.order_by(*recency)
    return stmt.order_by(title_hits.desc(), *([literal_column("score")] if scored else []), *recency)


def _plan(parsed: SearchQuery, postgres: bool) -> _Plan:
    if postgres:  # the gram array narrows every term; 1- and 2-character terms are then exact
        return _Plan({}, tuple(term for term in parsed.terms if len(term) > 2))
    short = any(len(term) < 3 for term in parsed.terms)  # then words of any length go there too: one FTS query
    matches: dict[str, list[str]] = {}
    excludes: dict[str, list[str]] = {}
    verify, verify_excluded, titles = [], [], []
    for term in parsed.terms:
        route = _route(term, short)
        titles.append(route)
        if route is not None:
            matches.setdefault(route[0], []).append(route[1])
            continue
        words = [c for c in term if is_word_char(c)]  # punctuation or symbols: narrow by a letter, then check
        if words:
            matches.setdefault("search_short", []).append(_fts_string(words[0]) + " *")
        verify.append(term)
    for term in parsed.excluded:
        route = _route(term, short or not matches)
        if route is None:
            verify_excluded.append(term)
        else:
            excludes.setdefault(route[0], []).append(route[1])
    return _Plan(matches, tuple(verify), excludes, tuple(verify_excluded), tuple(titles))


def _route(term: str, short: bool) -> tuple[str, str] | None:
    """The FTS table and MATCH phrase that find exactly the texts holding `term`; None if none can."""
    words = all(is_word_char(c) for c in term)
    if words and (len(term) < 3 or short):  # pair tokens: a 1-character prefix, one token, or a phrase of pairs
        if len(term) == 1:
            return "search_short", _fts_string(term) + " *"
        return "search_short", _fts_string(" ".join(term[i:i + 2] for i in range(len(term) - 1)))
    if len(term) >= 3:  # trigram phrase = substring, exactly
        return "search_trigram", _fts_string(term)
    return None


def _sqlite_matching(plan: _Plan, stmt: Select[Any], filters: dict[str, Any], after: int | None) -> Select[Any]:
    """stmt over the articles matching plan and filters (SQLite): one FTS query drives, the rest narrow it."""
    hits = _sqlite_ids(plan, after).subquery("hits")
    if not filters and articles not in stmt.get_final_froms():  # a count: the index alone answers it
        return stmt.select_from(hits)
    return stmt.select_from(hits.join(articles, articles.c.id == hits.c.id)).where(*_filter_clauses(filters, False))


def _sqlite_ids(plan: _Plan, after: int | None = None, scored: bool = False) -> Select[Any]:
    """Ids holding every term and no excluded one: the first FTS table's query, other tables as IN lists."""
    params = _Params("m")
    tables = sorted(plan.matches, key=lambda t: t != "search_short")  # pairs first: 1-2-char terms are common
    if tables:
        drive = tables[0]
        source: Any = sql_table(drive, column("rowid", Integer))
        ids = source.c.rowid
        expression = _fts_expression(plan.matches[drive], plan.excludes.get(drive, []))
        stmt = select(ids.label("id")).where(params.match(drive, expression))
        if scored:
            stmt = stmt.add_columns(literal_column(f"bm25({drive}, {TITLE_WEIGHT}, 1.0)").label("score"))
    else:  # no term an index answers: scan the normalised text
        drive, source, ids = "", search_text, search_text.c.article_id
        stmt = select(ids.label("id"))
        if scored:
            stmt = stmt.add_columns(literal_column("0.0").label("score"))
    for table in tables[1:]:
        stmt = stmt.where(ids.in_(_fts_select(table, _fts_expression(plan.matches[table], []), params)))
    for table, phrases in plan.excludes.items():
        if table != drive:
            stmt = stmt.where(ids.not_in(_fts_select(table, " OR ".join(phrases), params)))
    if after is not None:  # on the driving FTS table, so FTS5 seeks past `after` instead of scanning from 1
        stmt = stmt.where(ids > after)
    if drive and (plan.verify or plan.verify_excluded):
        source = source.join(search_text, search_text.c.article_id == ids)
    checks = [_contains(term, False) for term in plan.verify]
    checks += [not_(_contains(term, False)) for term in plan.verify_excluded]
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


def _fts_expression(phrases: list[str], excluded: list[str]) -> str:
    expression = "(" + " AND ".join(phrases) + ")"
    return expression + (" NOT (" + " OR ".join(excluded) + ")" if excluded else "")


def _sqlite_page(conn: Connection, parsed: SearchQuery, filters: dict[str, Any], sort: str, limit: int,
                 offset: int) -> tuple[int, list[Any]]:
    """The exact total and one page of ranked rows, on SQLite."""
    plan = _plan(parsed, False)
    total = conn.scalar(_sqlite_matching(plan, select(func.count()), filters, None)) or 0
    if not total or not limit:
        return total, []
    if sort == "relevance" and total <= RANK_LIMIT:
        scored = _sqlite_ids(plan, scored=True).subquery("hits")
        title_hits = sum((case((_position(search_text.c.title, t, False) > 0, 1), else_=0) for t in parsed.terms),
                         start=literal_column("0"))
        stmt = (select(scored.c.id, scored.c.score).select_from(scored)
                .join(articles, articles.c.id == scored.c.id).join(search_text, search_text.c.article_id == scored.c.id)
                .where(*_filter_clauses(filters, False))
                .order_by(title_hits.desc(), scored.c.score, _WHEN.desc(), articles.c.id.desc())
                .limit(limit).offset(offset))
        ranked = [(row.id, row.score) for row in conn.execute(stmt)]
    else:
        groups = [None] if sort == "date" else list(range(len(parsed.terms), -1, -1))
        ranked = [(id_, None) for id_ in _walk_groups(conn, plan, parsed.terms, filters, groups, total, limit, offset)]
    return total, _rows_in_order(conn, ranked)


def _rows_in_order(conn: Connection, ranked: list[tuple[int, float | None]]) -> list[Any]:
    """The result columns of the ranked ids, in rank order, with their scores."""
    stmt = select(*_RESULT_COLUMNS).where(articles.c.id.in_([id_ for id_, _ in ranked]))
    rows = {row.id: row for row in conn.execute(stmt)}
    return [_Scored({**rows[id_]._mapping, "score": score}, rows[id_].title) for id_, score in ranked]


@dataclass(frozen=True)
class _Scored:
    """A result row with its score, shaped like a SQLAlchemy Row for _result."""

    _mapping: dict[str, Any]
    title: str


def _walk_groups(conn: Connection, plan: _Plan, terms: tuple[str, ...], filters: dict[str, Any],
                 groups: list[int | None], total: int, limit: int, offset: int) -> list[int]:
    """Newest first, group by group (number of terms in the title, most first); each group either read off
    the date index (many matches) or sorted by date from the matches (few)."""
    ids: list[int] = []
    before = 0  # matches in the groups passed so far
    for group in groups:
        matches, condition = _group(plan, terms, group)
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


def _group(plan: _Plan, terms: tuple[str, ...], group: int | None) -> tuple[Select[Any], Any]:
    """The matches to read for a group, and the condition (title hits == group) still to check on them."""
    if group is None:
        return _sqlite_ids(plan), None
    if group == len(terms) and all(plan.titles):  # every term in the title: the title column answers it
        in_title = {table: ["{title} : " + phrase for phrase in phrases] for table, phrases in plan.matches.items()}
        return _sqlite_ids(replace(plan, matches=in_title)), None
    params, title = _Params("t"), select(search_text.c.title).where(search_text.c.article_id == articles.c.id)
    hits = [articles.c.id.in_(_fts_select(route[0], "{title} : " + route[1], params)) if route
            else func.instr(title.scalar_subquery(), term) > 0 for route, term in zip(plan.titles, terms, strict=True)]
    return _sqlite_ids(plan), sum((case((hit, 1), else_=0) for hit in hits), start=literal_column("0")) == group


def _by_date(matches: Select[Any], condition: Any, filters: dict[str, Any], walk: bool) -> Select[Any]:
    """Matching ids newest first. walk: read the date index, probing the matches ("+ 0" keeps SQLite from
    looking them up by id); else look each match's date up by id and sort."""
    member = (articles.c.id + 0).in_(matches) if walk else articles.c.id.in_(matches)
    stmt = select(articles.c.id).where(member, *_filter_clauses(filters, False))
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.order_by(_WHEN.desc(), articles.c.id.desc())


def _fts_string(term: str) -> str:
    """A term as an FTS5 string literal: user text never reaches MATCH as syntax."""
    return '"' + term.replace('"', '""') + '"'


def _position(column: Any, term: str, postgres: bool) -> ColumnElement[int]:
    return func.strpos(column, term) if postgres else func.instr(column, term)


def _contains(term: str, postgres: bool) -> ColumnElement[bool]:
    return or_(_position(search_text.c.title, term, postgres) > 0, _position(search_text.c.body, term, postgres) > 0)


def _score(terms: tuple[str, ...]) -> ColumnElement[float]:
    """PostgreSQL's score, lower is better like bm25(): weighted term frequency over the body's log length."""
    frequency = sum((_occurrences(search_text.c.title, t) * TITLE_WEIGHT + _occurrences(search_text.c.body, t)
                     for t in terms), start=literal_column("0.0"))
    return -frequency / func.ln(func.length(search_text.c.body) + 2)


def _occurrences(column: Any, term: str) -> ColumnElement[float]:
    return (func.length(column) - func.length(func.replace(column, term, ""))) / float(len(term))


def _result(row: Any, terms: tuple[str, ...], marks: tuple[str, str]) -> dict[str, Any]:
    data = queries.article_dict(row)
    body = data.pop("body")
    for key in ("pretitle", "subtitle", "first_seen_at", "last_fetched_at", "removed_at"):
        data.pop(key)
    score = data.pop("score")
    data["score"] = round(score, 4) if isinstance(score, float) and math.isfinite(score) else score
    data["snippet"] = snippet(body, terms, marks) or snippet(row.title, terms, marks)
    return data


def snippet(text_: str, terms: tuple[str, ...], marks: tuple[str, str] = ("[", "]")) -> str:
    """The text around the first match, every match in it between marks; "" if no term occurs."""
    folded = normalize(text_)
    hits = sorted((i, i + len(t)) for t in terms for i in _all_positions(folded, t))
    if not hits:
        return ""
    # Map back to text_ only around the first match: normalize works per character, so prefixes line up.
    first = _source_index(text_, hits[0][0])
    start, end = max(0, first - SNIPPET_CHARS), min(len(text_), first + SNIPPET_CHARS * 2)
    base, offsets = len(normalize(text_[:start])), [start + i for i in normalized_offsets(text_[start:end])]
    out, cursor = [], start
    for a, b in hits:
        if a < base or b - base >= len(offsets):
            continue
        a, b = offsets[a - base], offsets[b - base]
        if a < cursor:
            continue
        out += [text_[cursor:a], marks[0], text_[a:b], marks[1]]
        cursor = b
    out.append(text_[cursor:end])
    body = "".join(out).replace("\n", " ")
    return ("…" if start else "") + body + ("…" if end < len(text_) else "")


def _source_index(text_: str, index: int) -> int:
    """The index in text_ of the character that produced normalize(text_)[index]."""
    if len(normalize(text_[:index])) == index < len(normalize(text_[:index + 1])):
        return index  # everything before it normalised one to one: the usual case
    return bisect_right(range(len(text_) + 1), index, key=lambda k: len(normalize(text_[:k]))) - 1


def _all_positions(haystack: str, needle: str) -> Iterator[int]:
    index = haystack.find(needle)
    while index >= 0:
        yield index
        index = haystack.find(needle, index + len(needle))
