"""Parsing a user's search text ourselves: terms, "quoted phrases" and -exclusions, never FTS syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.errors import StorageError
from storage.search.textnorm import normalize

MAX_QUERY_CHARS = 1000
MAX_TERMS = 16
# A "quoted phrase" (closing quote optional: a lone quote quotes the rest), else a run of non-space.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_QUOTES = str.maketrans({"“": '"', "”": '"', "＂": '"'})


@dataclass(frozen=True)
class SearchQuery:
    """Normalised substrings: every one of `terms` must occur, none of `excluded` may."""

    terms: tuple[str, ...]
    excluded: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.excluded


def parse_query(text: str | None) -> SearchQuery:
    """Split text into AND-ed terms, phrases and -exclusions; each is a plain substring after normalize()."""
    if not text:
        return SearchQuery(())
    if len(text) > MAX_QUERY_CHARS:
        raise StorageError(f"search query too long: {len(text)} characters (at most {MAX_QUERY_CHARS})")
    terms: list[str] = []
    excluded: list[str] = []
    for match in _TOKEN.finditer(text.translate(_QUOTES)):
        negative, phrase, word = match.group(1), match.group(2), match.group(3)
        raw = phrase if phrase is not None else word
        if word is not None and word.startswith("-") and len(word) > 1:
            negative, raw = "-", word[1:]
        term = normalize(raw).strip(" ")
        if term:
            (excluded if negative else terms).append(term)
    if len(terms) + len(excluded) > MAX_TERMS:
        raise StorageError(f"search query has too many terms (at most {MAX_TERMS})")
    return SearchQuery(tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(excluded)))


def check_query(text: str | None) -> SearchQuery:
    """parse_query, refusing a query with nothing to find (empty, or only -exclusions) as search does."""
    parsed = parse_query(text)
    if not parsed.terms:
        raise StorageError("search needs at least one term to find (a -term only excludes)")
    return parsed
