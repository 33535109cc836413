"""The Archive: the one way in. Every save_* is one transaction; every read is a method returning plain dicts."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine

from storage import articles, bulk, counts, hot_lists, raw_pages, runs, scheduler_state
from storage.batch import WriteBatch
from storage.database import RETRY_SECONDS, Database
from storage.engine import sqlite_path
from storage.errors import StorageError
from storage.locks import CrawlLock, held_lock
from storage.monitoring import MonitoringMethods
from storage.opening import open_database
from storage.rows import article_row, entries_hash, hot_list_rows
from storage.search import backend_for as search_backend
from storage.search import checked_filters, parse_query, run_search, search_request
from storage.times import optional_instant, require_instant, utc_now
from storage.watches import WatchCache

BATCH_SIZE = 200  # rows per read transaction when iterating
SCHEDULER_LOCK = "_scheduler"  # a lock name no site key can take (site keys start with a letter)
EXPORT_BATCH = 500


def open_archive(db_url: str | os.PathLike[str] | None = None, *, create: bool = False,
                 retry_seconds: float = RETRY_SECONDS) -> Archive:
    """Open the archive at db_url, $HLJNEWS_DB or data/hljnews.sqlite3, upgrading its schema in place.

    create: make the archive if there is none (crawls do); otherwise a missing one is ArchiveNotFound.
    A SQLite file or directory that cannot be written opens read-only: reads work, writes raise
    ArchiveReadOnly. retry_seconds: how long a transaction is retried while the database is unreachable.
    """
    return Archive(open_database(db_url, create=create, retry_seconds=retry_seconds))


class Archive(MonitoringMethods):
    """Crawl runs, articles with revisions, raw pages and hot-list snapshots in one database (and, from
    MonitoringMethods, watches, alerts and crawl health)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.url = database.url
        self._watch_cache = WatchCache()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Archive {self.url}>"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for what must share the database (APScheduler's SQLAlchemyJobStore)."""
        return self._db.engine

    @property
    def read_only(self) -> bool:
        """Whether writes are refused (the SQLite file or its directory cannot be written)."""
        return self._db.read_only is not None

    @property
    def reconnects(self) -> int:
        """How often a lost database connection was replaced (a caller may then re-check its crawl lock)."""
        return self._db.reconnects

    def close(self) -> None:
        """Release all connections."""
        self._db.close()

    def crawl_lock(self, site: str) -> CrawlLock:
        """The site's crawl lock, to use as `with archive.crawl_lock(site) as lock:` (AlreadyRunning if held)."""
        path = sqlite_path(self._db.engine.url)
        if path is not None:
            # Named after the archive too: two archives in one folder are crawled independently.
            return CrawlLock(site, self.url, lock_file=path.parent / "locks" / f"{path.name}.{site}.lock")
        if self._db.engine.dialect.name == "sqlite":  # in memory: one process, a lock file in a scratch place
            return CrawlLock(site, self.url, lock_file=Path("data/memory") / "locks" / f"{site}.lock")
        return CrawlLock(site, self.url, database_url=self._db.engine.url, retry_seconds=self._db.retry_seconds)

    def scheduler_lock(self) -> CrawlLock:
        """The lock the active scheduler of this archive holds (leader election); `with` raises AlreadyRunning."""
        return self.crawl_lock(SCHEDULER_LOCK)

    def held_lock(self, site: str) -> CrawlLock | None:
        """The site's crawl lock if this process holds it (taken by whoever started the crawl), else None."""
        return held_lock(self.url, site)

    # -- writes -------------------------------------------------------------------------------------------

    def start_run(self, spider: str, site: str, *, started_at: datetime | None = None,
                  scheduled_at: datetime | None = None, trigger: str = "manual") -> int:
        """Record a crawl run as running (after marking dead processes' runs on this host interrupted)."""
        row = runs.new_run_row(spider, site, trigger, optional_instant(started_at, "started_at") or utc_now(),
                               optional_instant(scheduled_at, "scheduled_at"))
        return self._db.write(lambda conn: runs.start_run(conn, row))

    def claim_firing(self, site: str, trigger: str, scheduled_at: datetime, *, status: str = "queued",
                     reason: str | None = None, owned: bool = True) -> int | None:
        """The run of one scheduled firing, unless that firing was recorded already (then None).

        status "queued": a run that a crawl process will take (take_run); owned: this process starts it,
        otherwise it waits in a queue for a worker. Any other status ("missed", "skipped") is recorded closed,
        with reason as its error line.
        """
        now = utc_now()
        row = runs.new_run_row(site, site, trigger, now, require_instant(scheduled_at, "scheduled_at"), status,
                               owned=owned and status == "queued")
        if status != "queued":
            row |= {"finished_at": now, "errors": [reason] if reason else []}
        return self._db.write(lambda conn: runs.claim_firing(conn, row))

    def take_run(self, run_id: int) -> bool:
        """Mark a queued run as running in this process (its pid and host); False if it is no longer queued."""
        return self._db.write(lambda conn: runs.take_run(conn, run_id, utc_now()))

    def close_queued_run(self, run_id: int, status: str, reason: str) -> bool:
        """Close a run that never started (e.g. "skipped"); False if it was taken or closed meanwhile."""
        return self._db.write(lambda conn: runs.close_queued(conn, run_id, status, [reason], utc_now()))

    def retry_run(self, run_id: int) -> int | None:
        """A queued run for the next attempt of run_id's firing; None if another process made it first."""
        return self._db.write(lambda conn: runs.retry_run(conn, run_id, utc_now()))

    def close_dead_runs(self) -> list[int]:
        """Record runs whose process is gone as interrupted (this host by pid; elsewhere by the site lock)."""
        return self._db.write(runs.mark_interrupted)

    def save_scheduler_job(self, job: Mapping[str, Any]) -> None:
        """Store one job's state: job, site, kind, schedule, timezone, days and next_run_at (aware or None)."""
        optional_instant(job["next_run_at"], "next_run_at")
        self._db.write(lambda conn: scheduler_state.save_job(conn, job))

    def keep_scheduler_jobs(self, job_ids: list[str]) -> None:
        """Forget the stored state of every job not in job_ids (no longer configured)."""
        self._db.write(lambda conn: scheduler_state.keep_jobs(conn, list(job_ids)))

    def save_raw_page(self, url: str, body: bytes, headers: Mapping[str, str], fetched_at: datetime, *,
                      run_id: int | None = None, status: int = 200, site: str | None = None) -> None:
        """Keep the page's bytes (compressed) unless the latest stored copy of this URL has the same sha256."""
        fetched = require_instant(fetched_at, "fetched_at")
        self._db.write(lambda conn: raw_pages.save_raw_page(conn, url, body, headers, fetched, run_id, status, site))

    def save_article(self, article: Mapping[str, Any], *, fetched_at: datetime, run_id: int | None = None,
                     aliases: Iterable[str] = ()) -> str:
        """Insert or update an article by canonical URL: "new", "updated" (new revision) or "unchanged".

        article: dataclasses.asdict(Article) (published_at an aware datetime). aliases: other URLs that led
        to this page (redirect sources), remembered for known_urls.
        """
        row = article_row(article)
        fetched = require_instant(fetched_at, "fetched_at")
        urls = list(dict.fromkeys([row["url"], *aliases]))

        def write(conn: Connection) -> str:
            outcome = articles.save_article(conn, row, fetched, run_id, urls)
            self._article_alerts(conn, row["canonical_url"], outcome, run_id)  # the watches it matches, if any
            return outcome

        return self._db.write(write)

    def load_new_articles(self, new: Iterable[Mapping[str, Any]], *, fetched_at: datetime) -> int:
        """Insert many articles known to be new in one transaction, in bulk: rows, revision 1, URLs and the
        search index, but no run and no watch alerts (benchmarks/search.py; imports into an empty archive).
        A canonical URL already stored refuses the whole load. Returns how many were loaded."""
        rows = [article_row(article) for article in new]
        fetched = require_instant(fetched_at, "fetched_at")
        return self._db.write(lambda conn: bulk.load_new_articles(conn, rows, fetched))
    def save_articles(self, batch: Iterable[Mapping[str, Any]], *, fetched_at: datetime,
                      run_id: int | None = None) -> list[str]:
        """save_article for many articles in one transaction (all stored or none); their outcomes in order."""
        writes = self.batch()
        for article in batch:
            writes.save_article(article, fetched_at=fetched_at, run_id=run_id)
        return writes.commit()

    def batch(self) -> WriteBatch:
        """An empty WriteBatch: save_* calls queued with their checks, then written in one transaction by commit().

        A crawl's pipeline commits one every few hundred pages or seconds; what is not committed yet is not
        stored, not counted in its run and not known to the next run, which therefore fetches it again.
        """
        return WriteBatch(self._db, self._watch_cache)

    def save_hot_list(self, site: str, captured_at: datetime, page_url: str, entries: list[dict[str, Any]],
                      *, run_id: int | None = None) -> int | None:
        """Store a snapshot; None if entries is empty or equal to the site's latest snapshot in this run."""
        rows = hot_list_rows(entries)
        if not rows:
            return None
        captured = require_instant(captured_at, "captured_at")
        digest = entries_hash(rows)

        def write(conn: Connection) -> int | None:
            snapshot_id = hot_lists.save_hot_list(conn, site, captured, page_url, rows, digest, run_id)
            if snapshot_id is not None:
                self._hot_alerts(conn, site, rows, captured, run_id)  # entries the hot watches match
            return snapshot_id

        return self._db.write(write)

    def record_failure(self, run_id: int, url: str, error: str) -> None:
        """Count url as a failed page of the run."""
        self.record_failures(run_id, [(url, error)])

    def record_failures(self, run_id: int, failures: Iterable[tuple[str, str]]) -> None:
        """Count each (url, error) as a failed page of the run, in one transaction."""
        batch = list(failures)
        self._db.write(lambda conn: runs.record_failures(conn, run_id, batch))

    def record_blocked(self, run_id: int, url: str, reason: str) -> None:
        """Count url as a page of the run that robots.txt forbade (not a failure: the site asked not to)."""
        self._db.write(lambda conn: runs.record_failures(conn, run_id, [(url, reason)], outcome="blocked"))

    def finish_run(self, run_id: int, status: str, *, errors: list[str] | None = None,
                   finished_at: datetime | None = None) -> dict[str, Any]:
        """Close a run with counts from run_pages; errors default to its recorded failures. Returns the run."""
        finished = optional_instant(finished_at, "finished_at") or utc_now()
        return self._db.write(lambda conn: runs.finish_run(conn, run_id, status, errors, finished))

    def mark_removed(self, url: str, *, removed_at: datetime | None = None) -> bool:
        """Mark the article behind url (canonical or fetched URL) as removed; False if unknown or already so."""
        when = optional_instant(removed_at, "removed_at") or utc_now()
        return self._db.write(lambda conn: articles.mark_removed(conn, url, when))

    # -- reads: articles ----------------------------------------------------------------------------------

    def known_urls(self, site: str) -> set[str]:
        """URLs not worth downloading again: fetched, canonical and later-page URLs of stored articles."""
        return self._db.read(lambda conn: articles.known_urls(conn, site))

    def articles_due_for_refresh(self, site: str, *, days: int = 7, now: datetime | None = None) -> list[str]:
        """URLs of the site's articles of the last `days` days, not removed, due for a re-fetch (thinned)."""
        moment = optional_instant(now, "now") or utc_now()
        since = moment - timedelta(days=days)
        return self._db.read(lambda conn: articles.due_for_refresh(conn, site, since, moment))

    def get_article(self, id_or_url: int | str) -> dict[str, Any] | None:
        """An article by id or URL, with "revisions" (oldest first)."""
        return self._db.read(lambda conn: articles.get_article(conn, id_or_url))

    def latest_articles(self, site: str, limit: int = 10) -> list[dict[str, Any]]:
        """The site's `limit` newest articles (by published_at, undated ones last), without revisions."""
        if limit < 0:
            raise StorageError("limit must not be negative")
        return self._db.read(lambda conn: articles.latest_articles(conn, site, limit))

    def iter_articles(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        """All articles (without revisions), oldest first, read in short batches."""
        ids = self._db.read(lambda conn: articles.article_ids(conn, site))
        for start in range(0, len(ids), BATCH_SIZE):
            yield from self._db.read(lambda conn, s=start: articles.articles_by_ids(conn, ids[s:s + BATCH_SIZE]))

    def revision_diff(self, id_or_url: int | str, old: int | None = None, new: int | None = None) -> list[str]:
        """Unified diff, paragraph by paragraph, between two revisions (default: the last two)."""
        return articles.revision_diff(self.get_article(id_or_url), id_or_url, old, new)

    # -- reads: search and export -------------------------------------------------------------------------

    def search(self, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance",
               highlight: tuple[str, str] = ("[", "]"), **filters: Any) -> dict[str, Any]:
        """Articles containing every term of `query` (substrings after normalisation), best first.

        Returns {"query", "total", "limit", "offset", "results"}; each result has id, site, url, title,
        published_at, source, authors, channel, score and a snippet with matches between `highlight` marks.
        Filters: site, since, until (aware datetimes), source, author, channel.
        """
        request = search_request(query, sort, limit, offset, filters)
        return self._db.read(lambda conn: run_search(conn, request, highlight))

    def export_rows(self, query: str | None = None, *, batch_size: int = EXPORT_BATCH,
                    **filters: Any) -> Iterator[dict[str, Any]]:
        """Matching articles (all if no query) in id order, read in short batches: constant memory."""
        parsed, checked = parse_query(query), checked_filters(filters)

        def batch(conn: Connection, after: int) -> list[dict[str, Any]]:
            ids = search_backend(conn).ids_after(conn, parsed, checked, after, batch_size)
            return articles.articles_by_ids(conn, ids) if ids else []

        after = 0
        while rows := self._db.read(lambda conn, after=after: batch(conn, after)):
            yield from rows
            if len(rows) < batch_size:
                return
            after = rows[-1]["id"]

    def count_matches(self, query: str | None = None, **filters: Any) -> int:
        """How many articles export_rows would yield."""
        parsed, checked = parse_query(query), checked_filters(filters)
        return self._db.read(lambda conn: search_backend(conn).count(conn, parsed, checked))

    # -- reads: hot lists ---------------------------------------------------------------------------------

    def latest_hot_list(self, site: str, page_url: str | None = None) -> dict[str, Any] | None:
        """The newest hot-list snapshot of a site (or page): id, site, page_url, captured_at, run_id, entries."""
        return self._db.read(lambda conn: hot_lists.hot_list_at(conn, site, None, page_url))

    def hot_list_at(self, site: str, at: datetime | None = None, page_url: str | None = None
                    ) -> dict[str, Any] | None:
        """The site's hot list as it stood at `at` (default now): the latest snapshot captured then or before."""
        when = optional_instant(at, "at") or utc_now()
        return self._db.read(lambda conn: hot_lists.hot_list_at(conn, site, when, page_url))

    def story_history(self, url: str) -> dict[str, Any] | None:
        """A story's ranks over time: first/last seen, best rank, snapshots, time_on_list_seconds, ranks."""
        return self._db.read(lambda conn: hot_lists.story_history(conn, url))

    def rank_history(self, site: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> list[dict[str, Any]]:
        """Every hot-list entry captured in [since, until): captured_at, rank, title, url, site (for charts)."""
        start, end = optional_instant(since, "since"), optional_instant(until, "until")
        return self._db.read(lambda conn: hot_lists.rank_history(conn, site, start, end))

    # -- reads: runs, raw pages, numbers ------------------------------------------------------------------

    def runs(self, site: str | None = None, limit: int = 20, failed_only: bool = False) -> list[dict[str, Any]]:
        """The latest runs, newest first; failed_only keeps those not "ok" (and not still running).

        A run still "running" whose process is gone shows as "interrupted" (and is recorded so when the
        archive is writable): on this host by its pid, on another host (PostgreSQL, scheduled runs) by its
        site lock being free.
        """
        dead = set(self._db.read(runs.dead_runs))
        if dead and not self.read_only:
            self._db.write(runs.mark_interrupted)
            dead = set()
        return self._db.read(lambda conn: runs.runs(conn, site, limit, failed_only, dead))

    def latest_attempt(self, run_id: int) -> dict[str, Any] | None:
        """The newest attempt (retry) of run_id's firing; the run itself when it was never retried."""
        return self._db.read(lambda conn: runs.latest_attempt(conn, run_id))

    def queued_runs(self) -> list[dict[str, Any]]:
        """Runs waiting in a queue for a worker (status queued, owned by no process), oldest first."""
        return self._db.read(runs.queued_runs)

    def scheduler_jobs(self) -> dict[str, dict[str, Any]]:
        """The scheduler's stored state by job id: site, kind, schedule, timezone, days, next_run_at, updated_at."""
        return self._db.read(scheduler_state.jobs)

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run by id."""
        return self._db.read(lambda conn: runs.get_run(conn, run_id))

    def iter_raw_pages(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        """The newest stored bytes of every URL (of one site), decompressed, for re-parsing."""
        ids = self._db.read(lambda conn: raw_pages.latest_ids(conn, site))
        for start in range(0, len(ids), BATCH_SIZE):
            yield from self._db.read(lambda conn, s=start: raw_pages.by_ids(conn, ids[s:s + BATCH_SIZE]))

    def raw_page(self, id_or_url: int | str) -> dict[str, Any] | None:
        """One stored page by raw_pages id, or the newest stored bytes of a URL; None if there is none."""
        def read(conn: Connection) -> list[dict[str, Any]]:
            ids = [id_or_url] if isinstance(id_or_url, int) else raw_pages.latest_ids(conn, None, id_or_url)
            return raw_pages.by_ids(conn, ids)

        pages = self._db.read(read)
        return pages[0] if pages else None

    def counts(self) -> dict[str, int]:
        """Row counts: articles, revisions, hot_list_snapshots, runs, raw_pages."""
        return self._db.read(counts.counts)

    def stats(self, days: int = 30, runs: int = 10) -> dict[str, Any]:
        """Counts, articles per site and per day (Shanghai dates, last `days` days with articles), last runs."""
        def read(conn: Connection) -> dict[str, Any]:
            per_site = counts.per_site(conn)
            return {"counts": counts.counts(conn), "sites": per_site, "days": counts.per_day(conn, days)}

        numbers = self._db.read(read)
        numbers["runs"] = self.runs(limit=runs) if runs else []
        return numbers
