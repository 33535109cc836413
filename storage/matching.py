"""Standing searches matched in memory: which watches an article's (or a hot-list title's) text matches.

A watch matches a text exactly when `hljnews search` would find it: every term is a substring of the
normalised title or body and no excluded term is (the substring scan search is tested against). Both
sides are already normalised — the article's text is read back from search_text, which the index wrote
in the same transaction — so matching is plain `in`, done once per distinct term. Each watch is filed
under its longest term (long terms are rare), so an article only wakes the watches whose key term it
holds, and a term is only looked for when every character of it occurs in the text (one set test).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

from storage.search.query import SearchQuery, parse_query

JOIN = "\x00"  # never in normalised text (control characters are dropped), so no term spans title and body


KeyGroup = tuple[str, frozenset[str], tuple["CompiledWatch", ...]]  # key term, its characters, its watches


@dataclass(frozen=True)
class CompiledWatch:
    """A watch row, its query parsed: what matching and alerting need."""

    id: int
    name: str
    text: str  # the query as written
    query: SearchQuery
    sites: frozenset[str]
    triggers: frozenset[str]
    hot_rank: int | None
    targets: tuple[str, ...]
    digest: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> CompiledWatch:
        return cls(row["id"], row["name"], row["query"], parse_query(row["query"]), frozenset(row["sites"] or ()),
                   frozenset(row["triggers"] or ()), row["hot_rank"], tuple(row["targets"] or ()), row["digest"])

    @cached_property
    def key(self) -> str:
        """The term the watch is filed under: its longest (long terms are rare)."""
        return max(self.query.terms, key=len)

    @cached_property
    def others(self) -> tuple[str, ...]:
        """The terms besides the key, and the exclusions: what is left to check once the key is found."""
        return tuple(term for term in self.query.terms if term != self.key)

    def holds(self, text: str) -> bool:
        """Given its key term in the (title JOIN body) text: every other term in it, and no excluded one."""
        return all(term in text for term in self.others) and not any(x in text for x in self.query.excluded)


class WatchMatcher:
    """A set of watches compiled for matching many texts; one index per trigger."""

    def __init__(self, watches: Iterable[CompiledWatch]) -> None:
        self.watches = tuple(watch for watch in watches if watch.query.terms)
        self._index: dict[str, tuple[dict[str, tuple[CompiledWatch, ...]], list[KeyGroup]]] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> WatchMatcher:
        return cls(CompiledWatch.from_row(row) for row in rows)

    def __len__(self) -> int:
        return len(self.watches)

    def matches(self, title: str, body: str, *, site: str, trigger: str) -> list[CompiledWatch]:
        """The watches of `trigger` for `site` whose query the normalised title and body match, by id."""
        single, longer = self._keys(trigger)
        if not single and not longer:
            return []
        text = title + JOIN + body
        present = set(text)
        groups = [single[char] for char in present & single.keys()]  # a 1-character key: the set answers
        groups += [group for key, chars, group in longer if chars <= present and key in text]
        found = [watch for group in groups for watch in group
                 if (not watch.sites or site in watch.sites) and watch.holds(text)]
        return sorted(found, key=attrgetter("id")) if len(found) > 1 else found

    def _keys(self, trigger: str) -> tuple[dict[str, tuple[CompiledWatch, ...]], list[KeyGroup]]:
        """The watches of one trigger filed by key term: 1-character keys by character, the others with
        the characters they need."""
        if trigger not in self._index:
            groups: dict[str, list[CompiledWatch]] = {}
            for watch in self.watches:
                if trigger in watch.triggers:
                    groups.setdefault(watch.key, []).append(watch)
            single = {key: tuple(group) for key, group in groups.items() if len(key) == 1}
            longer = [(key, frozenset(key), tuple(group)) for key, group in groups.items() if len(key) > 1]
            self._index[trigger] = (single, longer)
        return self._index[trigger]
