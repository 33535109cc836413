"""Turning the plain dicts callers hand in into table rows: checks, normalisation, content hashes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from storage.errors import StorageError
from storage.times import optional_instant

# Title and text fields make a revision; everything else is metadata, refreshed in place.
REVISION_FIELDS = ("title", "pretitle", "subtitle", "body")
MAX_ERROR_CHARS = 2000
T = TypeVar("T")


def article_row(article: Mapping[str, Any]) -> dict[str, Any]:
    """The articles-table values of an article mapping (dataclasses.asdict(Article); bookkeeping aside)."""
    for key in ("url", "site", "title"):
        if not isinstance(article.get(key), str) or not article[key]:
            raise StorageError(f"article dict needs a non-empty string {key!r}")
    channel = article.get("channel") or {}
    row = {
        "site": article["site"],
        "url": article["url"],
        "canonical_url": article.get("canonical_url") or article["url"],
        "content_id": str(article.get("content_id") or ""),
        "published_at": optional_instant(article.get("published_at"), "published_at"),
        "source": article.get("source") or "",
        "authors": list(article.get("authors") or []),
        "editors": list(article.get("editors") or []),
        "channel_id": channel.get("id") or None,
        "channel_name": channel.get("name") or None,
        "images": [_image(image) for image in article.get("images") or []],
        "page_urls": list(article.get("page_urls") or []),
        "extractor": article.get("extractor") or "site",
    }
    row.update({key: article.get(key) or "" for key in REVISION_FIELDS})
    row["content_hash"] = content_hash(row)
    return row


def content_hash(row: Mapping[str, Any]) -> str:
    """sha256 of the revision fields; equal hashes mean "unchanged"."""
    return _sha256_json([row[key] for key in REVISION_FIELDS])


def hot_list_rows(entries: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Entries as hot_list_entries rows (position keeps their order)."""
    rows = []
    for position, entry in enumerate(entries):
        try:
            rows.append({"position": position, "rank": int(entry["rank"]), "title": str(entry["title"]),
                         "url": str(entry["url"])})
        except (KeyError, TypeError, ValueError) as exc:
            raise StorageError(f"hot-list entry {position} needs rank, title and url: {exc}") from None
    return rows


def entries_hash(rows: list[Mapping[str, Any]]) -> str:
    """sha256 of a hot list's (rank, title, url) sequence."""
    return _sha256_json([[row["rank"], row["title"], row["url"]] for row in rows])


def clip_error(error: str) -> str:
    """An error message short enough to store."""
    error = str(error)
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def _image(image: Any) -> dict[str, str]:
    if isinstance(image, str):
        return {"url": image, "caption": ""}
    return {"url": str(image.get("url", "")), "caption": str(image.get("caption") or "")}


def _sha256_json(value: Any) -> str:
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def distinct_rounds(writes: Iterable[T], key: Callable[[T], str]) -> Iterator[list[T]]:
    """The writes in order, cut into rounds whose keys are distinct: a round is written in a few statements,
    and a key coming again starts the next round, so the later write sees the earlier one."""
    round_: list[T] = []
    keys: set[str] = set()
    for write in writes:
        write_key = key(write)
        if write_key in keys:
            yield round_
            round_, keys = [], set()
        round_.append(write)
        keys.add(write_key)
    if round_:
        yield round_
