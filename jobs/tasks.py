"""The job functions: one crawl of one site in a child process, recorded in the run ledger.

Both the daemon (each firing, in a thread) and a fleet worker (each queued job) end in `crawl_run`: the run
was created `queued`; the child (`hljnews crawl SITE --run-id N`) takes the site lock and the run, crawls and
closes it; this side enforces the timeout and records what the child could not (a crash, a hang). Everything
about the running process (archive, config, the children to stop on shutdown) lives in ``RUNTIME``, set by
the daemon or the worker before any job runs. Jobs travel by import path (``jobs.tasks:run_queued``) with
plain arguments only.
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
from typing import Any

from config import DEFAULT_CONFIG, LoadedConfig
from jobs.child import parent_env
from storage import Archive, open_archive

logger = logging.getLogger(__name__)
KILL_WAIT_SECONDS = 10
SETTLE_SECONDS = KILL_WAIT_SECONDS + 50  # how long a redelivered job waits for its first attempt to end
MAX_ATTEMPTS = 3  # a firing whose worker keeps dying (a crawl that kills it) is not retried for ever
OPEN_STATUSES = ("queued", "running")


@dataclass
class Runtime:
    config: LoadedConfig
    db: str | None = None
    env: dict[str, str] | None = None  # environment of crawl children (tests point http_proxy at a mirror)
    stopping: threading.Event = field(default_factory=threading.Event)
    children: set[subprocess.Popen[bytes]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


RUNTIME: Runtime | None = None


def crawl_job(site: str, kind: str, days: int = 7, run_id: int | None = None) -> str:
    """A scheduled job of the daemon: crawl the run its executor claimed for this firing."""
    if run_id is None:
        raise ValueError("crawl_job runs a claimed firing: the daemon's executor passes its run_id")
    return crawl_run(run_id, site, kind, days)


def crawl_run(run_id: int, site: str, kind: str, days: int = 7) -> str:
    """Crawl a queued run in a child process, waiting for it (within the crawl timeout); returns its status."""
    runtime = _runtime()
    status, errors = _run_child(runtime, site, kind, days, run_id)
    if errors is not None:
        with open_archive(runtime.db) as archive:
            archive.finish_run(run_id, status, errors=errors)
    logger.info("%s:%s run %s %s", site, kind, run_id, status)
    return status


def run_queued(run_id: int, site: str, kind: str, days: int = 7, redelivered: bool = False) -> str:
    """A fleet worker's job: crawl a queued run; safe to receive twice. Returns the status it leaves.

    A run already taken is left alone, unless this is a redelivery (its worker died before acknowledging):
    then, once the firing's latest attempt has ended (or is found dead), it is retried as the next attempt.
    """
    with open_archive(_runtime().db) as archive:
        run = archive.latest_attempt(run_id) if redelivered else archive.get_run(run_id)
        if run is not None and run["status"] == "running" and redelivered:
            run = _settled(archive, run["id"])
        if run is None or run["status"] == "running":
            return "gone" if run is None else "running"  # not ours: another worker is crawling it
        if run["status"] != "queued":
            if not redelivered or run["status"] != "interrupted" or run["attempt"] >= MAX_ATTEMPTS:
                return str(run["status"])
            retry = archive.retry_run(run["id"])
            if retry is None:
                return "retried"  # another worker made the retry first
            logger.warning("%s:%s run %s was interrupted with its worker; retrying as run %s", site, kind,
                           run["id"], retry)
            run_id = retry
    return crawl_run(run_id, site, kind, days)


def _settled(archive: Archive, run_id: int) -> dict[str, Any] | None:
    """The run once its crawl has ended or is found dead (closed interrupted), else as it still is."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        archive.close_dead_runs()
        run = archive.get_run(run_id)
        if run is None or run["status"] != "running" or time.monotonic() >= deadline:
            return run
        time.sleep(2)


def record_run_without_crawl(db: str | None, site: str, trigger: str, status: str, reason: str,
                             scheduled_at: datetime | None = None) -> int:
    """A ledger row, already closed, for a run that never crawled (cron's `hljnews crawl` finding the lock held)."""
    with open_archive(db, create=True) as archive:
        run_id = archive.start_run(spider=site, site=site, trigger=trigger, scheduled_at=scheduled_at)
        archive.finish_run(run_id, status, errors=[reason])
    return run_id


def crawl_command(runtime: Runtime, site: str, kind: str, days: int, run_id: int) -> list[str]:
    base = list(runtime.config.scheduler.crawl_command) or [sys.executable, "-m", "jobs", "crawl"]
    args = [site, "--quiet", "--mode", kind, "--recent-days", str(days), "--run-id", str(run_id),
            "--trigger", f"schedule:{kind}"]
    return base + args + (["--db", runtime.db] if runtime.db else [])


def _run_child(runtime: Runtime, site: str, kind: str, days: int, run_id: int) -> tuple[str, list[str] | None]:
    """Run the crawl; (status, errors) when this side must close the run record, else (status, None)."""
    if runtime.stopping.is_set():
        return "interrupted", ["interrupted: the scheduler was stopping"]
    timeout = runtime.config.scheduler.crawl_timeout_seconds
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(crawl_command(runtime, site, kind, days, run_id), stdout=subprocess.DEVNULL,
                                 stderr=stderr, env=_child_env(runtime), start_new_session=True)
        with runtime.lock:
            runtime.children.add(child)
        try:
            timed_out = _wait(child, timeout)
        finally:
            with runtime.lock:
                runtime.children.discard(child)
        stderr.seek(0)
        tail = [line for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()][-3:]
    with open_archive(runtime.db) as archive:
        run = archive.get_run(run_id)
    if run is None:
        return "gone", None
    ours = run["pid"] == child.pid or run["status"] == "queued"  # taken by this child, or by nobody
    if timed_out and ours:
        return "timeout", [f"crawl still running after {timeout:g} s; stopped"]
    if run["status"] not in OPEN_STATUSES:
        return run["status"], None  # the crawl closed its own record (skipped included)
    if not ours:
        return "running", None  # another delivery's crawl took the run: it is not this side's to close
    if runtime.stopping.is_set():
        return "interrupted", ["interrupted: stopped with the scheduler"]
    return "failed", [f"crawl process exited with status {child.returncode}", *tail]


def _child_env(runtime: Runtime) -> dict[str, str]:
    """The config names the configured outlets too: the crawl child must read the same file."""
    env = dict(runtime.env if runtime.env is not None else os.environ) | parent_env()
    if runtime.config.path != DEFAULT_CONFIG:
        env["HLJNEWS_CONFIG"] = str(runtime.config.path)
    return env


def _wait(child: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the child; True if it was still running at the timeout (then it has been stopped)."""
    try:
        child.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        stop_child(child)
        return True


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
        raise RuntimeError("jobs.tasks.RUNTIME is set by the daemon or the worker before any job runs")
    return RUNTIME
