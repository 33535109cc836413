"""Search results for either backend: the ranked ids' rows, shaped as dicts with highlighted snippets."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, bindparam, select

from storage.schema import articles
from storage.search.textnorm import normalize, normalized_offsets, source_index

SNIPPET_CHARS = 40  # context each side of the first match
RESULT_COLUMNS = (articles.c.id, articles.c.site, articles.c.url, articles.c.title, articles.c.body,
                  articles.c.published_at, articles.c.source, articles.c.authors, articles.c.channel_id,
                  articles.c.channel_name)
# Built once: SQLAlchemy keys a statement object for its compiled cache once, so a search skips that work.
_RESULT_ROWS = select(*RESULT_COLUMNS).where(articles.c.id.in_(bindparam("ids", expanding=True)))


def results(conn: Connection, ranked: list[tuple[int, float | None]], terms: tuple[str, ...],
            marks: tuple[str, str]) -> list[dict[str, Any]]:
    """One result dict per ranked (id, score), in rank order."""
    if not ranked:
        return []
    rows = {row.id: row for row in conn.execute(_RESULT_ROWS, {"ids": [id_ for id_, _ in ranked]})}
    return [_result(dict(rows[id_]._mapping), score, terms, marks) for id_, score in ranked if id_ in rows]


def _result(data: dict[str, Any], score: float | None, terms: tuple[str, ...], marks: tuple[str, str]
            ) -> dict[str, Any]:
    body = data.pop("body")
    channel_id, channel_name = data.pop("channel_id"), data.pop("channel_name")
    data["channel"] = {"id": channel_id, "name": channel_name or ""} if channel_id else None
    data["score"] = round(score, 4) if isinstance(score, float) and math.isfinite(score) else score
    data["snippet"] = snippet(body, terms, marks) or snippet(data["title"], terms, marks)
    return data


def snippet(text_: str, terms: tuple[str, ...], marks: tuple[str, str] = ("[", "]")) -> str:
    """The text around the first match, every match in it between marks; "" if no term occurs."""
    folded = normalize(text_)
    hits = sorted((i, i + len(t)) for t in terms for i in _all_positions(folded, t))
    if not hits:
        return ""
    # Map back to text_ only around the first match: normalize works per character, so prefixes line up.
    first = source_index(text_, hits[0][0])  # text_ was normalised just above, as source_index needs
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


def _all_positions(haystack: str, needle: str) -> Iterator[int]:
    index = haystack.find(needle)
    while index >= 0:
        yield index
        index = haystack.find(needle, index + len(needle))
