"""Crawl runs: opening and closing run records, page outcomes and failures, runs whose process died."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from storage.errors import StorageError
from storage.rows import clip_error
from storage.schema import crawl_runs, run_pages
from storage.times import utc_now

OUTCOMES = ("new", "updated", "unchanged", "failed", "blocked")
OK_STATUSES = ("ok", "running")  # anything else (partial, truncated, failed, interrupted…) is a failed run
MAX_RUN_ERRORS = 50  # errors kept on a run row; run_pages keeps every failure


def new_run_row(spider: str, site: str, trigger: str, started: datetime, scheduled: datetime | None
                ) -> dict[str, Any]:
    """A crawl_runs row for a run starting now in this process."""
    return {"spider": spider, "site": site, "trigger": trigger, "status": "running", "started_at": started,
            "scheduled_at": scheduled, "errors": [], "pages_new": 0, "pages_updated": 0, "pages_unchanged": 0,
            "pages_failed": 0, "pages_blocked": 0, "pages_generic": 0, "pid": os.getpid(),
            "hostname": socket.gethostname()}


def start_run(conn: Connection, row: dict[str, Any]) -> int:
    """Insert the run (after marking this host's runs of dead processes interrupted); returns its id."""
    mark_interrupted(conn)
    return conn.execute(insert(crawl_runs).values(row).returning(crawl_runs.c.id)).scalar_one()


def record_failures(conn: Connection, run_id: int, failures: Iterable[tuple[str, str]], outcome: str = "failed"
                    ) -> None:
    """Count each (url, error) as a failed page of the run (or, with outcome "blocked", one robots.txt forbade)."""
    rows = [{"run_id": run_id, "url": url, "outcome": outcome, "error": clip_error(error), "at": utc_now()}
            for url, error in failures]
    if rows:
        conn.execute(insert(run_pages), rows)


def finish_run(conn: Connection, run_id: int, status: str, errors: list[str] | None,
               finished: datetime) -> dict[str, Any]:
    """Close a run with counts from run_pages; errors default to its recorded failures. Returns the run."""
    messages = errors if errors is not None else failure_messages(conn, run_id)
    result = conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
        status=status, finished_at=finished, errors=[clip_error(e) for e in messages[:MAX_RUN_ERRORS]],
        **run_counts(conn, run_id)))
    if result.rowcount == 0:
        raise StorageError(f"no crawl run {run_id}")
    run = get_run(conn, run_id)
    assert run is not None
    return run


def dead_runs(conn: Connection) -> list[int]:
    """Ids of this host's runs still marked running whose process is gone."""
    running = conn.execute(select(crawl_runs.c.id, crawl_runs.c.pid).where(
        crawl_runs.c.status == "running", crawl_runs.c.hostname == socket.gethostname())).all()
    return [run_id for run_id, pid in running if pid is None or not _pid_alive(pid)]


def mark_interrupted(conn: Connection) -> None:
    """Close this host's runs whose process died (killed, crashed) as interrupted."""
    for run_id in dead_runs(conn):
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
            status="interrupted", finished_at=utc_now(), errors=failure_messages(conn, run_id),
            **run_counts(conn, run_id)))


def run_counts(conn: Connection, run_id: int) -> dict[str, int]:
    """pages_<outcome> of a run, counted from run_pages."""
    counts = dict.fromkeys((f"pages_{outcome}" for outcome in OUTCOMES), 0)
    query = (select(run_pages.c.outcome, func.count()).where(run_pages.c.run_id == run_id)
             .group_by(run_pages.c.outcome))
    for outcome, count in conn.execute(query):
        counts[f"pages_{outcome}"] = count
    counts["pages_generic"] = conn.scalar(select(func.count()).where(
        run_pages.c.run_id == run_id, run_pages.c.extractor == "generic")) or 0
    return counts


def get_run(conn: Connection, run_id: int) -> dict[str, Any] | None:
    """One run by id."""
    row = conn.execute(select(crawl_runs).where(crawl_runs.c.id == run_id)).first()
    return _run_dict(conn, row) if row is not None else None


def runs(conn: Connection, site: str | None, limit: int, failed_only: bool, dead: set[int]) -> list[dict[str, Any]]:
    """The latest runs, newest first; runs in `dead` show as interrupted (their process is gone)."""
    query = select(crawl_runs).order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc()).limit(limit)
    if site is not None:
        query = query.where(crawl_runs.c.site == site)
    if failed_only:
        query = query.where(crawl_runs.c.status.not_in(OK_STATUSES) | crawl_runs.c.id.in_(dead))
    found = [_run_dict(conn, row) for row in conn.execute(query).all()]
    for run in found:
        if run["id"] in dead and run["status"] == "running":
            run["status"] = "interrupted"
    return found


def failure_messages(conn: Connection, run_id: int) -> list[str]:
    """The run's failed pages as "url: error" lines, oldest first."""
    query = (select(run_pages.c.url, run_pages.c.error)
             .where(run_pages.c.run_id == run_id, run_pages.c.outcome == "failed")
             .order_by(run_pages.c.id).limit(MAX_RUN_ERRORS))
    return [f"{url}: {error}" for url, error in conn.execute(query)]


def run_site(conn: Connection, run_id: int | None) -> str | None:
    """The site of a run (None without one)."""
    return None if run_id is None else conn.scalar(select(crawl_runs.c.site).where(crawl_runs.c.id == run_id))


def _run_dict(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    if data["status"] == "running":  # a run still going reports live counts
        data.update(run_counts(conn, data["id"]))
    return data


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
