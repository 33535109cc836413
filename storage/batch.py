"""Writes queued in memory and committed together: one transaction for many pages (Archive.batch()).

A crawl saves hundreds of pages a minute; a transaction each makes the commit, not the page, the cost. A
batch keeps the guarantee of single saves — a page's rows, its run_pages outcome and its alerts commit
together — for a whole batch at once: what a run's ledger counts is stored, and a killed process loses
at most the batch it had not committed, whose URLs the next run therefore does not know and fetches again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from storage import alerts, articles, hot_lists, raw_pages, runs
from storage.database import Database
from storage.errors import StorageError
from storage.rows import article_row, entries_hash, hot_list_rows
from storage.times import optional_instant, require_instant, utc_now
from storage.watches import WatchCache

# Kinds are written in this order within a batch; writes of one kind keep the order they were queued in.
KINDS = ("raw_page", "article", "hot_list", "page_outcome", "removal")


@dataclass
class _Queued:
    """Writes of one kind: their places in the batch and their checked arguments."""

    places: list[int] = field(default_factory=list)
    writes: list[Any] = field(default_factory=list)


class WriteBatch:
    """Saves queued with the Archive's checks, written by commit() in one transaction (or one each)."""

    def __init__(self, database: Database, watch_cache: WatchCache) -> None:
        self._db = database
        self._watch_cache = watch_cache
        self._queued = {kind: _Queued() for kind in KINDS}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def save_raw_page(self, url: str, body: bytes, headers: Mapping[str, str], fetched_at: datetime, *,
                      run_id: int | None = None, status: int = 200, site: str | None = None,
                      packed: raw_pages.PackedBody | None = None) -> None:
        """Queue Archive.save_raw_page (its result: None); packed: `pack_body(body)`, if made already."""
        fetched = require_instant(fetched_at, "fetched_at")
        self._queue("raw_page", raw_pages.RawSave(url, body, dict(headers), fetched, run_id, status, site, packed))

    def save_article(self, article: Mapping[str, Any], *, fetched_at: datetime, run_id: int | None = None,
                     aliases: Iterable[str] = ()) -> None:
        """Queue Archive.save_article (its result: "new", "updated" or "unchanged"); bad input raises now."""
        row = article_row(article)
        fetched = require_instant(fetched_at, "fetched_at")
        self._queue("article", (articles.ArticleSave(row, fetched, list(dict.fromkeys([row["url"], *aliases]))),
                                run_id))

    def save_hot_list(self, site: str, captured_at: datetime, page_url: str, entries: list[dict[str, Any]], *,
                      run_id: int | None = None) -> None:
        """Queue Archive.save_hot_list (its result: the snapshot id, or None when nothing new was stored)."""
        rows = hot_list_rows(entries)
        captured = require_instant(captured_at, "captured_at")
        self._queue("hot_list", hot_lists.HotSave(site, captured, page_url, rows, entries_hash(rows) if rows else "",
                                                  run_id))

    def record_failure(self, run_id: int, url: str, error: str, *, outcome: str = "failed") -> None:
        """Queue Archive.record_failure, or record_blocked with outcome "blocked" (its result: None)."""
        self._queue("page_outcome", (run_id, url, error, outcome))

    def mark_removed(self, url: str, *, removed_at: datetime | None = None) -> None:
        """Queue Archive.mark_removed (its result: whether an article was marked)."""
        self._queue("removal", (url, optional_instant(removed_at, "removed_at") or utc_now()))

    def commit(self) -> list[Any]:
        """Write everything queued in one transaction; each write's result, in queue order. Then empty.

        On a StorageError nothing of the batch is stored and the batch stays queued (for commit_each).
        """
        if not self._size:
            return []
        results = self._db.write(self._write_all)
        self.clear()
        return results

    def commit_each(self) -> list[Any]:
        """Write each queued write in a transaction of its own; its result or its StorageError, in queue order.

        For a batch whose commit failed: one bad page then fails alone. The batch is empty afterwards.
        """
        results: list[Any] = [None] * self._size
        for kind in KINDS:
            queued = self._queued[kind]
            for place, write in zip(queued.places, queued.writes, strict=True):
                try:
                    results[place] = self._db.write(_writer(kind, [write], self._watch_cache))[0]
                except StorageError as error:
                    results[place] = error
        self.clear()
        return results

    def clear(self) -> None:
        """Forget everything queued."""
        self._queued = {kind: _Queued() for kind in KINDS}
        self._size = 0

    def _queue(self, kind: str, write: Any) -> None:
        self._queued[kind].places.append(self._size)
        self._queued[kind].writes.append(write)
        self._size += 1

    def _write_all(self, conn: Connection) -> list[Any]:
        results: list[Any] = [None] * self._size
        for kind in KINDS:
            queued = self._queued[kind]
            if queued.writes:
                for place, result in zip(queued.places, _writer(kind, queued.writes, self._watch_cache)(conn),
                                         strict=True):
                    results[place] = result
        return results


def _writer(kind: str, writes: list[Any], watch_cache: WatchCache) -> Callable[[Connection], list[Any]]:
    """The function writing a list of queued writes of one kind inside a transaction; their results."""
    return lambda conn: WRITERS[kind](conn, writes, watch_cache)


def _raw_pages(conn: Connection, writes: list[raw_pages.RawSave], _cache: WatchCache) -> list[None]:
    raw_pages.save_raw_pages(conn, writes)
    return [None] * len(writes)


def _articles(conn: Connection, writes: list[tuple[articles.ArticleSave, int | None]], cache: WatchCache
              ) -> list[str]:
    outcomes: list[str] = []
    matcher, now = cache.current(conn), utc_now()
    for run_id, saves in _by_run(writes):
        # the watches each new or changed article matches, in the same transaction
        outcomes += articles.save_articles(conn, saves, run_id, after_round=lambda saved, run_id=run_id: (
            alerts.articles_alerts(conn, matcher, saved, run_id, now)))
    return outcomes


def _by_run(writes: list[tuple[articles.ArticleSave, int | None]]
            ) -> list[tuple[int | None, list[articles.ArticleSave]]]:
    """Consecutive saves of the same run grouped (a crawl's batch is one group)."""
    groups: list[tuple[int | None, list[articles.ArticleSave]]] = []
    for save, run_id in writes:
        if not groups or groups[-1][0] != run_id:
            groups.append((run_id, []))
        groups[-1][1].append(save)
    return groups


def _hot_lists(conn: Connection, writes: list[hot_lists.HotSave], cache: WatchCache) -> list[int | None]:
    ids = hot_lists.save_hot_lists(conn, [write for write in writes if write.rows])
    matcher, now, found = cache.current(conn), utc_now(), iter(ids)
    results = [next(found) if write.rows else None for write in writes]
    for write, snapshot_id in zip(writes, results, strict=True):
        if snapshot_id is not None and len(matcher):  # entries the hot watches match, in the same transaction
            alerts.hot_alerts(conn, matcher, write.site, write.rows, write.captured, write.run_id, now)
    return results


def _page_outcomes(conn: Connection, writes: list[tuple[int, str, str, str]], _cache: WatchCache) -> list[None]:
    for run_id, url, error, outcome in writes:
        runs.record_failures(conn, run_id, [(url, error)], outcome=outcome)
    return [None] * len(writes)


def _removals(conn: Connection, writes: list[tuple[str, datetime]], _cache: WatchCache) -> list[bool]:
    return [articles.mark_removed(conn, url, when) for url, when in writes]


WRITERS: dict[str, Callable[[Connection, list[Any], WatchCache], list[Any]]] = {
    "raw_page": _raw_pages, "article": _articles, "hot_list": _hot_lists, "page_outcome": _page_outcomes,
    "removal": _removals,
}
