"""The daemon against the clock: on-time firings, overlaps, restarts, crashes, timeouts, SIGTERM, locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from jobs.config import ConfigError, JobSpec, SchedulerConfig, load_config
from jobs.demo import proxied_through
from jobs.scheduler import Daemon
from mirror import MirrorServer
from storage import AlreadyRunning, open_archive

ROOT = Path(__file__).resolve().parents[1]
FAKE = (sys.executable, "-m", "tests.support.fake_crawl")
SITE = "hlj_people"


def config(tmp_path: Path, *, every: float = 1, fake: bool = True, **settings) -> SchedulerConfig:
    job = JobSpec(SITE, "hot", interval_seconds=every)
    return SchedulerConfig(jobs=(job,), crawl_command=FAKE if fake else (), log_file=str(tmp_path / "log"),
                           shutdown_grace_seconds=settings.pop("grace", 2), **settings)


def fake_env(behaviour: str, seconds: float = 0.1) -> dict[str, str]:
    return {**os.environ, "FAKE_CRAWL": behaviour, "FAKE_SLEEP": str(seconds), "PYTHONPATH": str(ROOT)}


def run_daemon(cfg: SchedulerConfig, db: Path, env: dict[str, str], seconds: float) -> Daemon:
    daemon = Daemon(cfg, str(db), env=env)
    daemon.start()
    time.sleep(seconds)
    daemon.stop()
    return daemon


def ledger(db: Path) -> list[dict]:
    with open_archive(str(db)) as archive:
        return list(reversed(archive.runs(site=SITE, limit=500)))


def _at(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_runs_fire_on_time_and_are_recorded(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    daemon = run_daemon(config(tmp_path, every=2), db, fake_env("ok"), 5)
    runs = ledger(db)
    assert 2 <= len(runs) <= 3
    assert {run["status"] for run in runs} == {"ok"}
    for run in runs:
        assert run["trigger"] == "schedule:hot"
        assert 0 <= (_at(run["started_at"]) - _at(run["scheduled_at"])).total_seconds() < 1
    assert max(daemon.delays) < 1


def test_an_overlapping_firing_is_skipped_and_recorded(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite3"
    run_daemon(config(tmp_path), db, fake_env("ok", seconds=2.2), 3.5)
    statuses = [run["status"] for run in ledger(db)]
    assert "ok" in statuses and "skipped" in statuses
    skipped = [run for run in ledger(db) if run["status"] == "skipped"]
    assert all("still running" in run["errors"][0] for run in skipped)


@pytest.mark.parametrize(("grace", "expected"), [(30, "ok"), (1, "missed")])
def test_after_a_restart_missed_firings_are_coalesced_or_recorded_missed(tmp_path: Path, grace: int,
                                                                         expected: str) -> None:
    db = tmp_path / "c.sqlite3"
    cfg = config(tmp_path, every=3, misfire_grace_seconds=grace)
    run_daemon(cfg, db, fake_env("ok"), 3.5)  # fires once, at grid point G
    before = len(ledger(db))
    grid = _at(ledger(db)[-1]["scheduled_at"])
    # Down while G+3 and G+6 pass; back 1.5 s after G+6, 1.5 s before G+9.
    time.sleep(max(0.0, (grid.timestamp() + 7.5) - time.time()))
    restarted_at = datetime.now().astimezone()
    run_daemon(cfg, db, fake_env("ok"), 1.0)
    after = [run for run in ledger(db)[before:] if _at(run["scheduled_at"]) < restarted_at]
    assert [run["status"] for run in after] == [expected]  # G+3 and G+6 became one record
    assert abs((_at(after[0]["scheduled_at"]) - grid).total_seconds() - 6) < 0.01
    # coalesced: one record for the two or three grid times that passed while the daemon was down
    assert _at(after[0]["started_at"]) >= restarted_at


def test_a_crashing_crawl_is_recorded_and_the_daemon_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    run_daemon(config(tmp_path, every=2), db, fake_env("crash"), 5.5)
    runs = ledger(db)
    failed = [run for run in runs if run["status"] == "failed"]
    assert len(failed) >= 2  # the daemon went on firing after the first crash
    # besides: the last may be cut by stop(), and a slow crash may overlap the next firing
    assert {run["status"] for run in runs} <= {"failed", "interrupted", "skipped"}
    assert "exited with status 3" in runs[0]["errors"][0]
    assert any("boom" in error for error in runs[0]["errors"])


def test_a_hanging_crawl_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    cfg = SchedulerConfig(jobs=(JobSpec(SITE, "full", cron="0 0 1 1 *"),), crawl_command=FAKE,
                          crawl_timeout_seconds=1, log_file=str(tmp_path / "log"))
    daemon = Daemon(cfg, str(db), env=fake_env("hang"))
    daemon.start()  # a full crawl never run before fires at start
    time.sleep(3)
    daemon.stop()
    (run,) = ledger(db)
    assert run["status"] == "timeout"


def test_sigterm_stops_the_daemon_and_records_the_interrupted_crawl(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite3"
    cfg_file = tmp_path / "schedule.toml"
    cfg_file.write_text(
        f'[scheduler]\nshutdown_grace_seconds = 1\nlog_file = "{tmp_path / "daemon.log"}"\n'
        f'crawl_command = ["{sys.executable}", "-m", "tests.support.fake_crawl"]\n'
        f'[[sites]]\nkey = "{SITE}"\nhot = {{ interval_seconds = 1 }}\n', encoding="utf-8")
    daemon = subprocess.Popen([sys.executable, "-m", "jobs", "run", "--config", str(cfg_file), "--db", str(db)],
                              cwd=ROOT, env=fake_env("graceful"), stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, stderr[-2000:]
    assert "stopped" in stderr
    runs = ledger(db)
    assert [run["status"] for run in runs if run["status"] != "skipped"] == ["interrupted"]
    assert all(run["finished_at"] for run in runs)
    assert (tmp_path / "daemon.log").read_text(encoding="utf-8").count("stopping") == 1


def test_the_site_lock_works_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "g.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from storage import open_archive\n"
         f"with open_archive(sys.argv[1], create=True) as a, a.crawl_lock('{SITE}'):\n"
         "    print('held', flush=True); time.sleep(30)", str(db)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    archive = open_archive(str(db))
    with pytest.raises(AlreadyRunning), archive.crawl_lock(SITE):
        pass
    crawl = subprocess.run([sys.executable, "-m", "jobs", "crawl", SITE, "--db", str(db), "-q"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert crawl.returncode == 0 and "skipped: already running" in crawl.stderr
    assert ledger(db)[-1]["status"] == "skipped"
    holder.kill()  # SIGKILL: the lock must not outlive its holder
    holder.wait()
    with archive.crawl_lock(SITE):
        pass
    archive.close()


def test_a_scheduled_real_crawl_of_the_mirror_records_the_hot_list(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with MirrorServer() as server, proxied_through(server):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run_daemon(config(tmp_path, every=2, fake=False), db, env, 5)
    runs = ledger(db)
    assert runs and runs[0]["status"] == "ok" and runs[0]["pages_new"] == 1
    with open_archive(str(db)) as archive:
        assert len(archive.latest_hot_list(SITE)["entries"]) == 10


def test_bad_config_is_one_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[sites]]\nkey = "hlj_people"\nhot = { cron = "61 * * * *" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="site hlj_people, hot"):
        load_config(path)
    path.write_text('[[sites]]\nkey = "hlj_people"\nhot = { cron = "* * * * *", interval_minutes = 5 }\n')
    with pytest.raises(ConfigError, match="either cron or interval"):
        load_config(path)


def test_the_bundled_default_schedule_loads() -> None:
    cfg = load_config()
    assert {spec.id for spec in cfg.jobs} == {"hlj_people:full", "hlj_people:hot", "hlj_people:recent"}


class _LostLock:
    def verify(self) -> bool:
        return False


def test_the_daemon_stops_a_crawl_whose_site_lock_is_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    from jobs import tasks

    monkeypatch.setattr(tasks, "LOCK_CHECK_SECONDS", 0.2)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert tasks._wait(child, 120, _LostLock()) == "lock"  # type: ignore[arg-type]
    assert child.poll() is not None
