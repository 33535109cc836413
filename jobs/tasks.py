"""The job the daemon fires: one crawl of one site, in a child process, recorded in the run ledger.

Jobs are stored in the archive database by import path (``jobs.tasks:crawl_job``) with only their
site, kind and age limit; everything about the running daemon (archive, timeouts, the crawl command,
the children to stop on shutdown) lives in ``RUNTIME``, which the daemon sets before it starts.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from config import DEFAULT_CONFIG, LoadedConfig
from storage import AlreadyRunning, CrawlLock, open_archive

logger = logging.getLogger(__name__)
KILL_WAIT_SECONDS = 10
LOCK_CHECK_SECONDS = 30  # how often a running crawl's site lock is checked (a PostgreSQL restart drops it)


@dataclass
class Runtime:
    config: LoadedConfig
    db: str | None = None
    env: dict[str, str] | None = None  # environment of crawl children (tests point http_proxy at a mirror)
    stopping: threading.Event = field(default_factory=threading.Event)
    children: set[subprocess.Popen[bytes]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


RUNTIME: Runtime | None = None


def crawl_job(site: str, kind: str, days: int = 7, scheduled_at: datetime | None = None) -> str:
    """Record a run, take the site's lock, crawl in a child process; returns the run's status."""
    runtime = _runtime()
    with open_archive(runtime.db, create=True) as archive:
        run_id = archive.start_run(spider=site, site=site, trigger=f"schedule:{kind}", scheduled_at=scheduled_at)
        try:
            with archive.crawl_lock(site) as lock:
                status, errors = _run_child(runtime, site, kind, days, run_id, lock)
        except AlreadyRunning as error:
            status, errors = "skipped", [f"skipped: {error}"]
        if errors is not None:
            archive.finish_run(run_id, status, errors=errors)
    logger.info("%s:%s run %s %s", site, kind, run_id, status)
    return status


def record_without_crawl(site: str, kind: str, status: str, scheduled_at: datetime | None, reason: str) -> int:
    """A firing that never started a crawl (missed, or skipped because the job was still running)."""
    run_id = record_run_without_crawl(_runtime().db, site, f"schedule:{kind}", status, reason, scheduled_at)
    logger.warning("%s:%s %s: %s", site, kind, status, reason)
    return run_id


def record_run_without_crawl(db: str | None, site: str, trigger: str, status: str, reason: str,
                             scheduled_at: datetime | None = None) -> int:
    """A ledger row, already closed, for a run that never crawled: the daemon's and cron's skips alike."""
    with open_archive(db, create=True) as archive:
        run_id = archive.start_run(spider=site, site=site, trigger=trigger, scheduled_at=scheduled_at)
        archive.finish_run(run_id, status, errors=[reason])
    return run_id


def crawl_command(runtime: Runtime, site: str, kind: str, days: int, run_id: int) -> list[str]:
    base = list(runtime.config.scheduler.crawl_command) or [sys.executable, "-m", "jobs", "crawl"]
    args = [site, "--quiet", "--mode", kind, "--recent-days", str(days), "--run-id", str(run_id),
            "--trigger", f"schedule:{kind}", "--lock-held"]
    return base + args + (["--db", runtime.db] if runtime.db else [])


def _run_child(runtime: Runtime, site: str, kind: str, days: int, run_id: int, lock: CrawlLock
               ) -> tuple[str, list[str] | None]:
    """Run the crawl; (status, errors) when this side must close the run record, else (status, None)."""
    if runtime.stopping.is_set():
        return "interrupted", ["the daemon was stopping"]
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(crawl_command(runtime, site, kind, days, run_id), stdout=subprocess.DEVNULL,
                                 stderr=stderr, env=_child_env(runtime), start_new_session=True)
        with runtime.lock:
            runtime.children.add(child)
        try:
            stopped = _wait(child, runtime.config.scheduler.crawl_timeout_seconds, lock)
        finally:
            with runtime.lock:
                runtime.children.discard(child)
        stderr.seek(0)
        tail = [line for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()][-3:]
    if stopped == "timeout":
        return "timeout", [f"crawl still running after {runtime.config.scheduler.crawl_timeout_seconds:g} s; stopped"]
    if stopped == "lock":
        return "interrupted", ["interrupted: lost the site's crawl lock and could not take it again; stopped"]
    with open_archive(runtime.db) as archive:
        run = archive.get_run(run_id)
    if run is not None and run["status"] != "running":
        return run["status"], None  # the crawl closed its own record
    if runtime.stopping.is_set():
        return "interrupted", ["stopped with the daemon"]
    return "failed", [f"crawl process exited with status {child.returncode}", *tail]


def _child_env(runtime: Runtime) -> dict[str, str]:
    """The daemon's config names the configured outlets too: the crawl child must read the same file."""
    env = dict(runtime.env if runtime.env is not None else os.environ)
    if runtime.config.path != DEFAULT_CONFIG:
        env["HLJNEWS_CONFIG"] = str(runtime.config.path)
    return env


def _wait(child: subprocess.Popen[bytes], timeout: float, lock: CrawlLock) -> str | None:
    """Wait for the child; stop it (TERM, then KILL) past the timeout or once the site lock is lost for good.

    Returns why it was stopped ("timeout" or "lock"), None if it ended by itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            child.wait(timeout=max(0.0, min(LOCK_CHECK_SECONDS, deadline - time.monotonic())))
            return None
        except subprocess.TimeoutExpired:
            reason = "timeout" if time.monotonic() >= deadline else None if lock.verify() else "lock"
        if reason:
            stop_child(child)
            return reason


def stop_child(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets Scrapy close the spider and record the run; SIGKILL if it does not within 10 s."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=KILL_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _runtime() -> Runtime:
    if RUNTIME is None:
        raise RuntimeError("jobs.tasks.RUNTIME is set by the daemon before any job runs")
    return RUNTIME
