"""The Archive: every save_* is one transaction; reads return plain dicts (see storage/queries.py)."""

from __future__ import annotations

import hashlib
import os
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import queries
from storage.engine import WRITE_OPTION, create_archive_engine, display_url, resolve_url
from storage.errors import StorageError
from storage.migrate import upgrade
from storage.records import REVISION_FIELDS, article_row, clip_error, entries_hash, hot_list_rows
from storage.schema import (
    article_revisions,
    article_urls,
    articles,
    crawl_runs,
    hot_list_entries,
    hot_list_snapshots,
    raw_pages,
    run_pages,
)
from storage.search_index import index_article
from storage.values import parse_instant, utc_now

T = TypeVar("T")
MAX_RUN_ERRORS = 50  # errors kept on a run row; run_pages keeps every failure
WRITE_ATTEMPTS = 3  # a concurrent writer inserting the same article/URL first is retried, then reported
BATCH_SIZE = 200  # rows per read transaction when iterating


def open_archive(db_url: str | os.PathLike[str] | None = None) -> Archive:
    """Open (creating or upgrading the schema) the archive at db_url, $HLJNEWS_DB or data/hljnews.sqlite3."""
    url = resolve_url(db_url)
    engine = create_archive_engine(url)
    try:
        upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise StorageError(f"cannot open archive {display_url(url)}: {_first_line(exc)}") from None
    return Archive(engine)


class Archive:
    """Crawl runs, articles with revisions, raw pages and hot-list snapshots in one database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        self.url = display_url(engine.url)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Archive {self.url}>"

    def close(self) -> None:
        """Release all connections."""
        self._engine.dispose()

    # -- write side ---------------------------------------------------------------------------------------

    def start_run(self, spider: str, site: str, *, started_at: datetime | None = None,
                  scheduled_at: datetime | None = None, trigger: str = "manual") -> int:
        """Record a crawl run as running (after marking dead processes' runs on this host interrupted)."""
        row = {"spider": spider, "site": site, "trigger": trigger, "status": "running",
               "started_at": parse_instant(started_at, "started_at") or utc_now(),
               "scheduled_at": parse_instant(scheduled_at, "scheduled_at"), "errors": [],
               "pages_new": 0, "pages_updated": 0, "pages_unchanged": 0, "pages_failed": 0,
               "pid": os.getpid(), "hostname": socket.gethostname()}

        def write(conn: Connection) -> int:
            _mark_interrupted(conn, row["hostname"])
            return conn.execute(insert(crawl_runs).values(row).returning(crawl_runs.c.id)).scalar_one()

        return self._write(write)

    def save_raw_page(self, url: str, body: bytes, headers: Mapping[str, str], fetched_at: datetime, *,
                      run_id: int | None = None, status: int = 200, site: str | None = None) -> None:
        """Keep the page's bytes (zlib) unless the latest stored copy of this URL has the same sha256."""
        fetched = parse_instant(fetched_at, "fetched_at")
        digest = hashlib.sha256(body).hexdigest()

        def write(conn: Connection) -> None:
            _serialise_on(conn, f"raw_pages:{url}")
            latest = conn.execute(select(raw_pages.c.id, raw_pages.c.sha256, raw_pages.c.last_fetched_at)
                                  .where(raw_pages.c.url == url).order_by(raw_pages.c.id.desc()).limit(1)).first()
            if latest is not None and latest.sha256 == digest:
                if fetched > latest.last_fetched_at:
                    conn.execute(update(raw_pages).where(raw_pages.c.id == latest.id)
                                 .values(last_fetched_at=fetched))
                return
            conn.execute(insert(raw_pages).values(
                url=url, site=site or _run_site(conn, run_id), status=status, headers=dict(headers),
                body=zlib.compress(body, 6), compression="zlib", size=len(body), sha256=digest,
                fetched_at=fetched, last_fetched_at=fetched, run_id=run_id))

        self._write(write)

    def save_article(self, article: Mapping[str, Any], *, fetched_at: datetime, run_id: int | None = None,
                     aliases: Iterable[str] = ()) -> str:
        """Insert or update an article by canonical URL: "new", "updated" (new revision) or "unchanged".

        aliases: other URLs that led to this page (redirect sources), remembered for known_urls.
        """
        row = article_row(article)
        fetched = parse_instant(fetched_at, "fetched_at")
        urls = list(dict.fromkeys([row["url"], *aliases]))
        return self._write(lambda conn: _save_article(conn, row, fetched, run_id, urls))

    def save_hot_list(self, site: str, captured_at: datetime, page_url: str, entries: list[dict[str, Any]],
                      *, run_id: int | None = None) -> int | None:
        """Store a snapshot; None if entries is empty or equals this page's latest snapshot in this run."""
        rows = hot_list_rows(entries)
        if not rows:
            return None
        captured = parse_instant(captured_at, "captured_at")
        digest = entries_hash(rows)

        def write(conn: Connection) -> int | None:
            if run_id is not None:
                latest = conn.execute(
                    select(hot_list_snapshots.c.run_id, hot_list_snapshots.c.entries_hash)
                    .where(hot_list_snapshots.c.site == site, hot_list_snapshots.c.page_url == page_url)
                    .order_by(hot_list_snapshots.c.captured_at.desc(), hot_list_snapshots.c.id.desc()).limit(1)
                ).first()
                if latest is not None and tuple(latest) == (run_id, digest):
                    return None
            snapshot_id = conn.execute(insert(hot_list_snapshots).values(
                site=site, page_url=page_url, captured_at=captured, run_id=run_id, entries_hash=digest,
            ).returning(hot_list_snapshots.c.id)).scalar_one()
            conn.execute(insert(hot_list_entries), [{"snapshot_id": snapshot_id, **r} for r in rows])
            return snapshot_id

        return self._write(write)

    def record_failure(self, run_id: int, url: str, error: str) -> None:
        """Count url as a failed page of the run."""
        values = {"run_id": run_id, "url": url, "outcome": "failed", "error": clip_error(error), "at": utc_now()}
        self._write(lambda conn: conn.execute(insert(run_pages).values(values)))

    def finish_run(self, run_id: int, status: str, *, errors: list[str] | None = None,
                   finished_at: datetime | None = None) -> dict[str, Any]:
        """Close a run with counts from run_pages; errors default to its recorded failures. Returns the run."""
        finished = parse_instant(finished_at, "finished_at") or utc_now()

        def write(conn: Connection) -> dict[str, Any]:
            messages = errors if errors is not None else _failure_messages(conn, run_id)
            result = conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
                status=status, finished_at=finished, errors=[clip_error(e) for e in messages[:MAX_RUN_ERRORS]],
                **queries.run_counts(conn, run_id)))
            if result.rowcount == 0:
                raise StorageError(f"no crawl run {run_id}")
            run = queries.get_run(conn, run_id)
            assert run is not None
            return run

        return self._write(write)

    def mark_removed(self, url: str, *, removed_at: datetime | None = None) -> bool:
        """Mark the article behind url (canonical or fetched URL) as removed; False if unknown or already so."""
        when = parse_instant(removed_at, "removed_at") or utc_now()

        def write(conn: Connection) -> bool:
            alias = select(article_urls.c.article_id).where(article_urls.c.url == url)
            result = conn.execute(update(articles).where(
                (articles.c.canonical_url == url) | articles.c.id.in_(alias), articles.c.removed_at.is_(None),
            ).values(removed_at=when))
            return result.rowcount > 0

        return self._write(write)

    # -- read side ----------------------------------------------------------------------------------------

    def known_urls(self, site: str) -> set[str]:
        """URLs not worth downloading again: fetched, canonical and later-page URLs of stored articles."""
        return self._read(lambda conn: queries.known_urls(conn, site))

    def articles_due_for_refresh(self, site: str, *, days: int = 7, now: datetime | None = None) -> list[str]:
        """URLs of the site's articles of the last `days` days, not removed, due for a re-fetch (thinned)."""
        moment = parse_instant(now, "now") or utc_now()
        since = moment - timedelta(days=days)
        return self._read(lambda conn: queries.recent_article_urls(conn, site, since, moment))

    def get_article(self, id_or_url: int | str) -> dict[str, Any] | None:
        """An article by id or URL, with "revisions" (oldest first)."""
        return self._read(lambda conn: queries.get_article(conn, id_or_url))

    def iter_articles(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        """All articles (without revisions), oldest first, read in short batches."""
        ids = self._read(lambda conn: queries.article_ids(conn, site))
        for start in range(0, len(ids), BATCH_SIZE):
            yield from self._read(lambda conn, s=start: queries.articles_by_ids(conn, ids[s:s + BATCH_SIZE]))

    def latest_hot_list(self, site: str, page_url: str | None = None) -> dict[str, Any] | None:
        """The newest hot-list snapshot of a site (or page): id, site, page_url, captured_at, run_id, entries."""
        return self._read(lambda conn: queries.latest_hot_list(conn, site, page_url))

    def runs(self, site: str | None = None, limit: int = 20, failed_only: bool = False) -> list[dict[str, Any]]:
        """The latest runs, newest first; failed_only keeps those not "ok" (and not still running)."""
        return self._read(lambda conn: queries.runs(conn, site, limit, failed_only))

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run by id."""
        return self._read(lambda conn: queries.get_run(conn, run_id))

    def iter_raw_pages(self, site: str | None = None) -> Iterator[dict[str, Any]]:
        """The newest stored bytes of every URL (of one site), decompressed, for re-parsing."""
        ids = self._read(lambda conn: queries.latest_raw_page_ids(conn, site))
        for start in range(0, len(ids), BATCH_SIZE):
            yield from self._read(lambda conn, s=start: queries.raw_pages_by_ids(conn, ids[s:s + BATCH_SIZE]))

    def raw_page(self, url: str) -> dict[str, Any] | None:
        """The newest stored bytes of one URL, or None."""
        def read(conn: Connection) -> list[dict[str, Any]]:
            return queries.raw_pages_by_ids(conn, queries.latest_raw_page_ids(conn, None, url))

        pages = self._read(read)
        return pages[0] if pages else None

    def counts(self) -> dict[str, int]:
        """Row counts: articles, revisions, hot_list_snapshots, runs, raw_pages."""
        return self._read(queries.counts)

    # -- transactions -------------------------------------------------------------------------------------

    def _write(self, work: Callable[[Connection], T]) -> T:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._writer.begin() as conn:
                    return work(conn)
            except IntegrityError as exc:
                # Usually another process inserted the same article or URL first: the retry sees it.
                if attempt == WRITE_ATTEMPTS:
                    raise StorageError(f"archive write rejected: {_first_line(exc)}") from None
            except DBAPIError as exc:
                raise StorageError(f"archive write failed ({self.url}): {_first_line(exc)}") from None
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as conn:
                return work(conn)
        except DBAPIError as exc:
            raise StorageError(f"archive read failed ({self.url}): {_first_line(exc)}") from None


def _save_article(conn: Connection, row: dict[str, Any], fetched: datetime, run_id: int | None,
                  urls: list[str]) -> str:
    current = conn.execute(select(articles.c.id, articles.c.revision, articles.c.content_hash,
                                  articles.c.last_fetched_at)
                           .where(articles.c.canonical_url == row["canonical_url"]).with_for_update()).first()
    if current is None:
        article_id = conn.execute(insert(articles).values(
            {**row, "revision": 1, "first_seen_at": fetched, "last_fetched_at": fetched},
        ).returning(articles.c.id)).scalar_one()
        outcome, revision = "new", 1
    else:
        article_id, revision = current.id, current.revision
        outcome = "unchanged" if current.content_hash == row["content_hash"] else "updated"
        if outcome == "updated":
            revision += 1
        # Metadata (bylines, channel, images...) is refreshed in place; `url` stays the first one seen.
        changes = {key: value for key, value in row.items() if key != "url"}
        conn.execute(update(articles).where(articles.c.id == article_id).values(
            {**changes, "revision": revision, "removed_at": None,
             "last_fetched_at": max(fetched, current.last_fetched_at)}))
    if outcome != "unchanged":
        index_article(conn, article_id, row)
        conn.execute(insert(article_revisions).values(
            **{key: row[key] for key in (*REVISION_FIELDS, "content_hash")},
            article_id=article_id, revision=revision, fetched_at=fetched, run_id=run_id))
    seen = set(conn.scalars(select(article_urls.c.url).where(article_urls.c.url.in_(urls))))
    new_urls = [{"url": url, "article_id": article_id, "first_seen_at": fetched} for url in urls if url not in seen]
    if new_urls:
        conn.execute(insert(article_urls), new_urls)
    if run_id is not None:
        conn.execute(insert(run_pages).values(run_id=run_id, url=row["url"], outcome=outcome, at=utc_now()))
    return outcome


def _mark_interrupted(conn: Connection, hostname: str) -> None:
    running = conn.execute(select(crawl_runs.c.id, crawl_runs.c.pid).where(
        crawl_runs.c.status == "running", crawl_runs.c.hostname == hostname)).all()
    for run_id, pid in running:
        if pid is None or not _pid_alive(pid):
            conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
                status="interrupted", finished_at=utc_now(), errors=_failure_messages(conn, run_id),
                **queries.run_counts(conn, run_id)))


def _serialise_on(conn: Connection, key: str) -> None:
    # PostgreSQL writers run concurrently under READ COMMITTED; a transaction-scoped lock keeps two of them
    # from both seeing "no copy yet". SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
    if conn.dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _failure_messages(conn: Connection, run_id: int) -> list[str]:
    query = (select(run_pages.c.url, run_pages.c.error)
             .where(run_pages.c.run_id == run_id, run_pages.c.outcome == "failed")
             .order_by(run_pages.c.id).limit(MAX_RUN_ERRORS))
    return [f"{url}: {error}" for url, error in conn.execute(query)]


def _run_site(conn: Connection, run_id: int | None) -> str | None:
    return None if run_id is None else conn.scalar(select(crawl_runs.c.site).where(crawl_runs.c.id == run_id))


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__
