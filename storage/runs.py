"""Crawl runs: opening and closing run records, page outcomes and failures, runs whose process died."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.errors import StorageError
from storage.locks import held_advisory_keys, lock_key
from storage.rows import clip_error
from storage.schema import crawl_runs, run_pages
from storage.times import utc_now

OUTCOMES = ("new", "updated", "unchanged", "failed", "blocked")
# anything else (partial, truncated, failed, interrupted…) is a failed run
OK_STATUSES = ("ok", "running", "queued")
MAX_RUN_ERRORS = 50  # errors kept on a run row; run_pages keeps every failure
FIRING = ("site", "trigger", "scheduled_at", "attempt")  # the unique index ux_crawl_runs_firing


def new_run_row(spider: str, site: str, trigger: str, started: datetime, scheduled: datetime | None,
                status: str = "running", owned: bool = True) -> dict[str, Any]:
    """A crawl_runs row for a run starting now; owned: this process is the one to start it (pid, host)."""
    return {"spider": spider, "site": site, "trigger": trigger, "status": status, "started_at": started,
            "scheduled_at": scheduled, "errors": [], "pages_new": 0, "pages_updated": 0, "pages_unchanged": 0,
            "pages_failed": 0, "pages_blocked": 0, "pages_generic": 0, "pid": os.getpid() if owned else None,
            "hostname": socket.gethostname() if owned else None, "attempt": 1}


def start_run(conn: Connection, row: dict[str, Any]) -> int:
    """Insert the run (after marking this host's runs of dead processes interrupted); returns its id."""
    mark_interrupted(conn)
    return conn.execute(insert(crawl_runs).values(row).returning(crawl_runs.c.id)).scalar_one()


def claim_firing(conn: Connection, row: dict[str, Any]) -> int | None:
    """Insert the run of a scheduled firing unless that firing (and attempt) already has one; its id or None."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(crawl_runs).values(row).on_conflict_do_nothing(index_elements=list(FIRING))
    return conn.execute(statement.returning(crawl_runs.c.id)).scalar()


def take_run(conn: Connection, run_id: int, started: datetime) -> bool:
    """Mark a queued run running in this process (pid, host); False if it is not queued (taken, or closed)."""
    result = conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id, crawl_runs.c.status == "queued")
                          .values(status="running", started_at=started, pid=os.getpid(),
                                  hostname=socket.gethostname()))
    return result.rowcount == 1


def close_queued(conn: Connection, run_id: int, status: str, errors: list[str], finished: datetime) -> bool:
    """Close a run that is still queued (never started); False if it was taken or closed meanwhile."""
    result = conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id, crawl_runs.c.status == "queued")
                          .values(status=status, finished_at=finished, errors=[clip_error(e) for e in errors]))
    return result.rowcount == 1


def retry_run(conn: Connection, run_id: int, started: datetime) -> int | None:
    """A queued run for the next attempt of run_id's firing; None if that attempt exists already."""
    run = conn.execute(select(crawl_runs).where(crawl_runs.c.id == run_id)).first()
    if run is None:
        raise StorageError(f"no crawl run {run_id}")
    row = new_run_row(run.spider, run.site, run.trigger, started, run.scheduled_at, "queued", owned=False)
    return claim_firing(conn, {**row, "attempt": run.attempt + 1})


def latest_attempt(conn: Connection, run_id: int) -> dict[str, Any] | None:
    """The newest attempt of run_id's firing (run_id itself for a run without retries or schedule)."""
    run = conn.execute(select(crawl_runs).where(crawl_runs.c.id == run_id)).first()
    if run is None or run.scheduled_at is None:
        return get_run(conn, run_id)
    newest = conn.execute(select(crawl_runs.c.id).where(
        crawl_runs.c.site == run.site, crawl_runs.c.trigger == run.trigger,
        crawl_runs.c.scheduled_at == run.scheduled_at).order_by(crawl_runs.c.attempt.desc()).limit(1)).scalar_one()
    return get_run(conn, newest)


def queued_runs(conn: Connection) -> list[dict[str, Any]]:
    """Runs waiting in a queue for a worker (queued, owned by no process), oldest first."""
    query = (select(crawl_runs).where(crawl_runs.c.status == "queued", crawl_runs.c.pid.is_(None))
             .order_by(crawl_runs.c.id))
    return [dict(row._mapping) for row in conn.execute(query)]


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
    """Ids of runs still running (or queued by a process) whose process is gone.

    On this host the process is looked up by pid. On PostgreSQL a scheduled run on another host is gone when
    its site lock is free: a scheduled crawl marks its run running only once it holds that lock, and closes
    the run before letting go of it.
    """
    here = socket.gethostname()
    rows = conn.execute(select(crawl_runs.c.id, crawl_runs.c.pid, crawl_runs.c.status, crawl_runs.c.hostname,
                               crawl_runs.c.site, crawl_runs.c.trigger).where(
        crawl_runs.c.status.in_(("running", "queued")))).all()
    dead = [row.id for row in rows if row.hostname == here and (
        (row.status == "running" and (row.pid is None or not _pid_alive(row.pid)))
        or (row.status == "queued" and row.pid is not None and not _pid_alive(row.pid)))]
    remote = [row for row in rows if row.status == "running" and row.hostname not in (here, None)
              and row.trigger.startswith("schedule:")]
    if remote and conn.dialect.name == "postgresql":
        locked = held_advisory_keys(conn)
        dead += [row.id for row in remote if lock_key(row.site) not in locked]
    return dead


def mark_interrupted(conn: Connection) -> list[int]:
    """Close the runs whose process died (killed, crashed; see dead_runs) as interrupted; returns their ids."""
    dead = dead_runs(conn)
    for run_id in dead:
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
            status="interrupted", finished_at=utc_now(), errors=failure_messages(conn, run_id),
            **run_counts(conn, run_id)))
    return dead


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
        if run["id"] in dead and run["status"] in ("running", "queued"):
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
