"""SIGKILL a writer at random moments: the archive stays consistent and a second writer completes it."""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, func, inspect, select

from storage import open_archive
from storage.engine import create_archive_engine, resolve_url
from storage.schema import (
    article_revisions,
    articles,
    crawl_runs,
    hot_list_entries,
    hot_list_snapshots,
    raw_pages,
    run_pages,
)
from tests.support.archive_writer import HOT_LIST_SIZE, SITE, sample_article

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = 300
KILLS = 4
DEADLINE = 600  # seconds a writer may take to start or finish: generous, so a loaded machine cannot flake
SEED = int(os.environ.get("HLJNEWS_KILL_SEED", time.time_ns() % 1_000_000))


def _start_writer(db_url: str, batch: int | None = None) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    process = subprocess.Popen([sys.executable, "-m", "tests.support.archive_writer", db_url, str(ARTICLES),
                                *([str(batch)] if batch else [])], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put("")  # end of output: the writer exited

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def _kill_mid_way(db_url: str, rng: random.Random, first: bool) -> int:
    """Start a writer, SIGKILL it at a random moment; returns its exit code (-9 if the kill landed)."""
    process, lines = _start_writer(db_url)
    if first:  # anywhere from interpreter start-up through schema creation to the first writes
        time.sleep(rng.uniform(0.1, 0.8))
    else:
        for _ in range(rng.randint(1, 40)):
            if not lines.get(timeout=DEADLINE):
                break
        time.sleep(rng.uniform(0, 0.01))
    process.send_signal(signal.SIGKILL)
    return process.wait(timeout=30)  # reaped, so its pid is dead for the next start_run


def test_sigkilled_writers_leave_a_consistent_archive(db_url: str) -> None:
    rng = random.Random(SEED)
    context = f"HLJNEWS_KILL_SEED={SEED}"
    exit_codes = []
    for attempt in range(KILLS):
        exit_codes.append(_kill_mid_way(db_url, rng, first=attempt == 0))
        _assert_consistent(db_url, context)
    assert exit_codes.count(-signal.SIGKILL) >= KILLS - 1, (context, exit_codes)
    process, _ = _start_writer(db_url)
    assert process.wait(timeout=DEADLINE) == 0, context
    _assert_consistent(db_url, context)
    with open_archive(db_url) as archive:
        stored = {a["canonical_url"]: a for a in archive.iter_articles(SITE)}
        assert set(stored) == {sample_article(i)["canonical_url"] for i in range(ARTICLES)}, context
        assert archive.counts()["raw_pages"] == ARTICLES, context
        statuses = [run["status"] for run in archive.runs(limit=100)]
        assert statuses[0] == "ok" and "running" not in statuses, (context, statuses)


def test_writers_killed_mid_batch_lose_only_their_uncommitted_batch(db_url: str) -> None:
    """Batched writers: a kill loses the batch in the making, nothing else; the ledger equals what is stored."""
    rng, batch = random.Random(SEED), 7
    context = f"HLJNEWS_KILL_SEED={SEED}"
    for _ in range(KILLS):
        process, lines = _start_writer(db_url, batch)
        for _ in range(rng.randint(1, 6)):
            if not lines.get(timeout=DEADLINE):
                break
        time.sleep(rng.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        _assert_consistent(db_url, context)
        with open_archive(db_url) as archive:
            stored = archive.counts()
        # Each run commits whole batches of `batch` new articles (with their raw pages): never a part of one,
        # unless the writer got through them all (its last batch is short) before the kill landed.
        whole_batches = stored["articles"] % batch == 0 or stored["articles"] == ARTICLES
        assert whole_batches and stored["raw_pages"] == stored["articles"], (context, stored)
    process, _ = _start_writer(db_url, batch)
    assert process.wait(timeout=DEADLINE) == 0, context
    _assert_consistent(db_url, context)
    with open_archive(db_url) as archive:
        assert archive.counts()["articles"] == archive.counts()["raw_pages"] == ARTICLES, context
        assert archive.runs(limit=1)[0]["status"] == "ok", context


def _assert_consistent(db_url: str, context: str) -> None:
    engine = create_archive_engine(resolve_url(db_url))
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok", context
        if MigrationContext.configure(conn).get_current_revision() is None:
            # Killed before or during schema creation: the migration is one transaction, so no tables.
            assert "articles" not in inspect(conn).get_table_names(), context
            return
        _assert_articles_have_their_revisions(conn, context)
        _assert_hot_lists_complete(conn, context)
        _assert_run_counts_match(conn, context)
    engine.dispose()


def _assert_articles_have_their_revisions(conn: Connection, context: str) -> None:
    for article_id, revision, content_hash in conn.execute(
        select(articles.c.id, articles.c.revision, articles.c.content_hash)
    ):
        revisions = conn.execute(select(article_revisions.c.revision, article_revisions.c.content_hash)
                                 .where(article_revisions.c.article_id == article_id)
                                 .order_by(article_revisions.c.revision)).all()
        assert [r.revision for r in revisions] == list(range(1, revision + 1)), context
        assert revisions[-1].content_hash == content_hash, context
    # Each article was created, and each revision after the first added, by exactly one recorded page outcome.
    outcomes = dict(conn.execute(select(run_pages.c.outcome, func.count()).group_by(run_pages.c.outcome)).all())
    article_count = conn.scalar(select(func.count()).select_from(articles))
    revision_count = conn.scalar(select(func.count()).select_from(article_revisions))
    assert outcomes.get("new", 0) == article_count, context
    assert outcomes.get("updated", 0) == revision_count - article_count, context
    raw_urls = conn.scalar(select(func.count(func.distinct(raw_pages.c.url))))
    assert raw_urls == conn.scalar(select(func.count()).select_from(raw_pages)), context


def _assert_hot_lists_complete(conn: Connection, context: str) -> None:
    sizes = conn.execute(select(hot_list_snapshots.c.id, func.count(hot_list_entries.c.position))
                         .outerjoin(hot_list_entries).group_by(hot_list_snapshots.c.id)).all()
    assert all(size == HOT_LIST_SIZE for _, size in sizes), (context, sizes)


def _assert_run_counts_match(conn: Connection, context: str) -> None:
    for run in conn.execute(select(crawl_runs).where(crawl_runs.c.status != "running")):
        recorded = dict(conn.execute(select(run_pages.c.outcome, func.count())
                                     .where(run_pages.c.run_id == run.id).group_by(run_pages.c.outcome)).all())
        for outcome in ("new", "updated", "unchanged", "failed"):
            assert getattr(run, f"pages_{outcome}") == recorded.get(outcome, 0), (context, run.id, outcome)


def test_two_writers_at_once_neither_fail_nor_duplicate(db_url: str) -> None:
    """A scheduler and a cron crawl on a fresh database: they race on creating the schema, then on rows."""
    writers = [_start_writer(db_url)[0] for _ in range(2)]
    assert [writer.wait(timeout=DEADLINE) for writer in writers] == [0, 0]
    _assert_consistent(db_url, "two writers")
    with open_archive(db_url) as archive:
        assert archive.counts()["articles"] == archive.counts()["raw_pages"] == ARTICLES
        assert [run["status"] for run in archive.runs()] == ["ok", "ok"]
