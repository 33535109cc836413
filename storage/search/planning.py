"""Query planning: the ranking limits both backends share, and for SQLite which FTS5 table finds each term.

`articles_fts` (trigram tokenizer) answers terms of 3+ characters: a trigram phrase is a substring.
`search_short` holds each word character followed by its next one as a token, with a 1-character prefix
index: a 2-character word is one token, a 1-character one a prefix query, a longer one the phrase of its
pairs. Terms with punctuation or symbols under 3 characters are narrowed by one of their letters and
checked with instr() on search_text. User text reaches MATCH only as quoted FTS strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.search.query import SearchQuery
from storage.search.textnorm import is_word_char

TRIGRAM_TABLE = "articles_fts"
SHORT_TABLE = "search_short"
RANK_LIMIT = 2000  # more matches than this: no score (title hits, then newest), on either backend
TITLE_WEIGHT = 10.0  # a title hit outweighs many body hits (bm25 column weight; PostgreSQL's score too)


@dataclass(frozen=True)
class Plan:
    """How the terms of one query are found: FTS5 MATCH strings plus exact checks on search_text."""

    matches: dict[str, list[str]]  # FTS table -> MATCH expressions (AND-ed)
    verify: tuple[str, ...]  # terms the index only narrows down: checked by substring on search_text
    excludes: dict[str, list[str]] = field(default_factory=dict)  # FTS table -> phrases none may match
    verify_excluded: tuple[str, ...] = ()  # excluded terms no index answers: checked on search_text
    titles: tuple[tuple[str, str] | None, ...] = ()  # per term: FTS table and phrase, None for verify terms


def plan(parsed: SearchQuery) -> Plan:
    """Route every term and exclusion to the FTS table that answers it, else to a substring check."""
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
            matches.setdefault(SHORT_TABLE, []).append(fts_string(words[0]) + " *")
        verify.append(term)
    for term in parsed.excluded:
        route = _route(term, short or not matches)
        if route is None:
            verify_excluded.append(term)
        else:
            excludes.setdefault(route[0], []).append(route[1])
    return Plan(matches, tuple(verify), excludes, tuple(verify_excluded), tuple(titles))


def fts_expression(phrases: list[str], excluded: list[str]) -> str:
    """An FTS5 expression: every phrase, and none of the excluded ones."""
    expression = "(" + " AND ".join(phrases) + ")"
    return expression + (" NOT (" + " OR ".join(excluded) + ")" if excluded else "")


def fts_string(term: str) -> str:
    """A term as an FTS5 string literal: user text never reaches MATCH as syntax."""
    return '"' + term.replace('"', '""') + '"'


def _route(term: str, short: bool) -> tuple[str, str] | None:
    """The FTS table and MATCH phrase that find exactly the texts holding `term`; None if none can."""
    words = all(is_word_char(c) for c in term)
    if words and (len(term) < 3 or short):  # pair tokens: a 1-character prefix, one token, or a phrase of pairs
        if len(term) == 1:
            return SHORT_TABLE, fts_string(term) + " *"
        return SHORT_TABLE, fts_string(" ".join(term[i:i + 2] for i in range(len(term) - 1)))
    if len(term) >= 3:  # trigram phrase = substring, exactly
        return TRIGRAM_TABLE, fts_string(term)
    return None
