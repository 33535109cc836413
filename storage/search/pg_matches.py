"""The sets of matching articles PostgreSQL search counts and lists: SQL over `search_grams` and search_text.

A term's matches are the rows of search_grams holding its grams (an index answer), confirmed with strpos
on search_text for terms of 3+ characters. Exclusions and title hits are index answers too, combined as
sets: testing each match instead would read its text or detoast its gram array.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    Column,
    CompoundSelect,
    Connection,
    DateTime,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    case,
    except_,
    func,
    literal_column,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text

from storage.schema import articles, search_text
from storage.search.filters import filter_clauses
from storage.search.query import SearchQuery
from storage.search.textnorm import term_grams, title_term_grams

# PostgreSQL's alone (migration 0010 builds it), so outside the archive's MetaData; declared to be queried.
search_grams = Table("search_grams", MetaData(), Column("article_id", Integer, primary_key=True),
                     Column("site", String(100)), Column("dated_at", DateTime(timezone=True)),
                     Column("grams", ARRAY(Text)))
NEAR = ("site", "since", "until")  # the filters search_grams answers itself


def counted_apart(parsed: SearchQuery, filters: dict[str, Any]) -> bool:
    """Whether the total is counted as matches less excluded ones (no filter needs the articles' rows)."""
    return bool(parsed.excluded) and set(filters) <= set(NEAR)


def total_less_excluded(conn: Connection, parsed: SearchQuery, filters: dict[str, Any]) -> int:
    """The terms' matches counted, less those holding an excluded term: two counts cost a fraction of the
    set difference of two long lists (中国 -的: 2 x 8 ms against 45 ms)."""
    near, needed = near_filters(filters), needed_grams(parsed.terms)
    excluding = [holding(needed | term_grams(term), (*parsed.terms, term), near) for term in parsed.excluded]
    excluded = excluding[0] if len(excluding) == 1 else union(*excluding)
    matched = select(func.count()).select_from(holding(needed, parsed.terms, near).subquery())
    return conn.scalar(select(matched.scalar_subquery() - select(func.count()).select_from(
        excluded.subquery()).scalar_subquery())) or 0


def needed_grams(terms: tuple[str, ...]) -> set[str]:
    """The grams an article must hold to contain every term."""
    return set().union(*(term_grams(term) for term in terms))


def hits(parsed: SearchQuery, filters: dict[str, Any], titled: str | None = None) -> Select[Any] | CompoundSelect:
    """The articles (columns `id`, `at`: their date) matching the terms and filters (and with `titled`, one of
    the terms, in the title).

    An excluded term takes away, as a set, the matches holding its grams (confirmed by strpos if it has 3+
    characters): testing each match instead would read its text or detoast its gram array. Filters other
    than site and date are an IN list over a materialised list of the matches: otherwise PostgreSQL may walk
    the filtered articles and test each one's gram array (a second at 100,000 articles).
    """
    near = near_filters(filters)
    needed = needed_grams(parsed.terms)
    if titled is not None:  # so the excluded sets also hold only these matches' neighbours
        needed |= title_term_grams(titled)
    found: Select[Any] | CompoundSelect = holding(needed, parsed.terms, near, titled)
    if parsed.excluded:
        found = except_(found, *(holding(needed | term_grams(term), (term,), near) for term in parsed.excluded))
    rest = {key: value for key, value in filters.items() if key not in NEAR}
    if not rest:
        return found
    listed = found.cte().prefix_with("MATERIALIZED")
    return select(listed.c.id, listed.c.at).where(
        listed.c.id.in_(select(articles.c.id).where(*filter_clauses(rest, author))))


def holding(grams: set[str], terms: tuple[str, ...], near: list[ColumnElement[bool]], titled: str | None = None
            ) -> Select[Any]:
    """The articles holding all `grams` and every one of `terms` (and `titled` in the title, whose marked grams
    `grams` must include); terms of 3+ characters are confirmed on search_text."""
    checks = [contains(term) for term in terms if len(term) > 2]
    if titled is not None and len(titled) > 2:
        checks.append(func.strpos(search_text.c.title, titled) > 0)
    stmt = select(search_grams.c.article_id.label("id"), search_grams.c.dated_at.label("at")).where(
        search_grams.c.grams.contains(sorted(grams)), *near)
    if checks:
        stmt = stmt.join(search_text, search_text.c.article_id == search_grams.c.article_id).where(*checks)
    return stmt


def title_counts(parsed: SearchQuery, filters: dict[str, Any]) -> Select[Any]:
    """The matches with a term in the title (`id`, `at`), each with how many terms its title holds (`n`):
    one index answer per term, so only title hits are read."""
    each = union_all(*(hits(parsed, filters, term) for term in parsed.terms)).subquery()
    return select(each.c.id, func.max(each.c.at).label("at"), func.count().label("n")).group_by(each.c.id)


def near_filters(filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The site and date filters, as conditions on search_grams (which keeps both beside the grams)."""
    clauses: list[ColumnElement[bool]] = []
    if "site" in filters:
        clauses.append(search_grams.c.site == filters["site"])
    if "since" in filters:
        clauses.append(search_grams.c.dated_at >= filters["since"])
    if "until" in filters:
        clauses.append(search_grams.c.dated_at < filters["until"])
    return clauses


def author(name: str) -> ColumnElement[bool]:
    return text("articles.authors @> CAST(:authors AS jsonb)").bindparams(
        authors=json.dumps([name], ensure_ascii=False))


def contains(term: str) -> ColumnElement[bool]:
    return or_(func.strpos(search_text.c.title, term) > 0, func.strpos(search_text.c.body, term) > 0)


def title_hits(terms: tuple[str, ...]) -> Any:
    return sum((case((func.strpos(search_text.c.title, t) > 0, 1), else_=0) for t in terms),
               start=literal_column("0"))
