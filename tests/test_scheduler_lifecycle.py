"""The daemon dying or stopping mid-crawl: its child stops or keeps the site lock; firings due meanwhile get rows."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from config import DEFAULT_CONFIG, LoadedConfig, Scheduler
from jobs.scheduler import Daemon
from mirror import Mirror, MirrorServer
from tests.support.daemons import (
    FAKE_CRAWL,
    ROOT,
    alive,
    gaps,
    ledger,
    proc_env,
    processes,
    wait_for,
    write_config,
)

SITE = "hlj_people"


def _running(db: str) -> dict | None:
    """The run being crawled, once its child has taken it."""
    return next((run for run in ledger(db, SITE) if run["status"] == "running"), None)


def _at(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_a_sigkilled_daemon_s_real_crawl_child_stops_and_closes_its_run(tmp_path: Path) -> None:
    db = str(tmp_path / "a.sqlite3")
    cfg = write_config(tmp_path / "a.toml", f'log_file = "{tmp_path / "log"}"',
                       f'[[sites]]\nkey = "{SITE}"\nfull = {{ cron = "0 0 1 1 *" }}\n')
    # Every answer takes 0.5 s, so the crawl of the mirror lasts long enough to be interrupted.
    with MirrorServer(Mirror(delay=0.5)) as server, processes(tmp_path) as started:
        daemon = started.start("daemon", "run", "--config", str(cfg), "--db", db,
                               env=proc_env(http_proxy=server.proxy_url))
        wait_for(lambda: (run := _running(db)) and run["pages_new"] + run["pages_unchanged"] >= 1,
                 "the crawl child to take its run and store a page")
        child = _running(db)["pid"]
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()
        wait_for(lambda: not alive(child), "the orphaned crawl child to stop", deadline=90)
    (run,) = ledger(db, SITE)
    assert run["status"] == "interrupted" and run["pid"] == child  # closed by the child itself, as on SIGTERM
    assert run["pages_new"] >= 1


def test_an_orphaned_child_keeps_the_site_lock_so_a_restarted_daemon_skips_the_site(tmp_path: Path) -> None:
    db = str(tmp_path / "b.sqlite3")
    cfg = write_config(tmp_path / "b.toml", f'log_file = "{tmp_path / "log"}"\nshutdown_grace_seconds = 1\n'
                       f"crawl_command = {_toml_list(FAKE_CRAWL)}",
                       f'[[sites]]\nkey = "{SITE}"\nhot = {{ interval_seconds = 2 }}\n')
    with processes(tmp_path) as started:
        # stubborn: once its parent is gone it takes 10 s to close its run, holding the lock meanwhile
        first = started.start("first", "run", "--config", str(cfg), "--db", db,
                              env=proc_env(FAKE_CRAWL="stubborn", FAKE_SLEEP="10"))
        wait_for(lambda: _running(db), "the first daemon's crawl")
        orphan = _running(db)
        first.send_signal(signal.SIGKILL)
        first.wait()
        started.start("second", "run", "--config", str(cfg), "--db", db, env=proc_env(FAKE_CRAWL="ok"))
        wait_for(lambda: any(run["status"] == "skipped" and run["id"] > orphan["id"] for run in ledger(db, SITE)),
                 "a firing of the restarted daemon meeting the orphan's lock")
        assert alive(orphan["pid"])
        wait_for(lambda: any(run["status"] == "ok" for run in ledger(db, SITE)), "a crawl once the orphan is gone")
    runs = ledger(db, SITE)
    assert next(run for run in runs if run["id"] == orphan["id"])["status"] == "interrupted"
    assert any("already running" in (run["errors"] or [""])[0] for run in runs if run["status"] == "skipped")
    crawls = sorted((_at(run["started_at"]), _at(run["finished_at"])) for run in runs
                    if run["status"] in ("ok", "interrupted"))
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(crawls)), \
        "two crawls of one site at once"


def test_firings_due_during_the_shutdown_grace_are_recorded_after_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "c.sqlite3")
    cfg = write_config(tmp_path / "c.toml", f'log_file = "{tmp_path / "log"}"\nshutdown_grace_seconds = 6\n'
                       f"coalesce = false\ncrawl_command = {_toml_list(FAKE_CRAWL)}",
                       f'[[sites]]\nkey = "{SITE}"\nfull = {{ cron = "0 0 1 1 *" }}\n'
                       '[[sites]]\nkey = "dbw"\nhot = { interval_seconds = 2 }\n')
    with processes(tmp_path) as started:
        # The full crawl takes 60 s: SIGTERM comes during it, and dbw's hot job falls due during the grace.
        daemon = started.start("first", "run", "--config", str(cfg), "--db", db,
                               env=proc_env(FAKE_CRAWL="ok", FAKE_SLEEP="60"))
        wait_for(lambda: _running(db) and len(ledger(db, "dbw")) >= 2, "the long crawl and two hot firings")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=120) == 0
        stopped_at = datetime.now().astimezone()
        before = {run["scheduled_at"] for run in ledger(db, "dbw")}
        started.start("second", "run", "--config", str(cfg), "--db", db, env=proc_env(FAKE_CRAWL="ok"))
        wait_for(lambda: any(_at(run["scheduled_at"]) > stopped_at for run in ledger(db, "dbw")),
                 "firings after the restart")
    assert "cannot schedule new futures" not in started.log("first")
    hot = [run for run in ledger(db, "dbw") if run["status"] not in ("queued", "running")]
    times = [_at(run["scheduled_at"]) for run in hot]
    recovered = [run for run in hot if run["scheduled_at"] not in before and _at(run["scheduled_at"]) < stopped_at]
    assert recovered, "no row for the firings due while the daemon was stopping"
    assert gaps(times, 2) == [], "a firing without a row"
    assert len(set(times)) == len(times)
    assert next(run for run in ledger(db, SITE))["status"] == "interrupted"


def test_a_crawl_started_through_a_wrapper_still_stops_when_its_supervisor_dies() -> None:
    supervisor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    crawl = "from jobs.child import watch_parent; import time; watch_parent(); print('up', flush=True); time.sleep(600)"
    # sh stays between the supervisor and the crawl (it waits, then echoes), as a wrapper script would
    wrapped = subprocess.Popen(["sh", "-c", f'"{sys.executable}" -c "{crawl}"; echo done'], cwd=ROOT,
                               env=proc_env(HLJNEWS_PARENT_PID=str(supervisor.pid)), stdout=subprocess.PIPE, text=True)
    try:
        assert wrapped.stdout.readline().strip() == "up"
        time.sleep(2)
        assert wrapped.poll() is None  # the supervisor lives: the crawl goes on
        supervisor.kill()
        supervisor.wait()
        assert wrapped.stdout.readline().strip() == "done"  # the crawl ended, so the wrapper went on
    finally:
        for process in (supervisor, wrapped):
            if process.poll() is None:
                process.kill()
            process.wait()


class _Companion:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")


def test_a_companion_service_starts_and_stops_with_the_daemon(tmp_path: Path) -> None:
    cfg = LoadedConfig.model_construct(scheduler=Scheduler(log_file=str(tmp_path / "log")), outlets=[], sites=[],
                                       path=DEFAULT_CONFIG)
    daemon, companion = Daemon(cfg, str(tmp_path / "d.sqlite3")), _Companion()
    daemon.add_companion(companion)
    thread = threading.Thread(target=daemon.run_forever)
    thread.start()
    wait_for(lambda: companion.calls == ["start"] and daemon.leadership.leading, "the daemon to lead")
    daemon.request_stop()
    thread.join(timeout=60)
    assert companion.calls == ["start", "stop"] and not thread.is_alive()


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"

