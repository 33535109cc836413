"""The daemon against the clock: on-time firings, overlaps, restarts, crashes, timeouts, SIGTERM, locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config import DEFAULT_CONFIG, ConfigError, Job, LoadedConfig, Scheduler, SiteSchedule
from crawler.sites.registry import load_site_config
from jobs.demo import proxied_through
from jobs.scheduler import Daemon
from mirror import MirrorServer
from storage import AlreadyRunning, ArchiveNotFound, open_archive

ROOT = Path(__file__).resolve().parents[1]
FAKE = [sys.executable, "-m", "tests.support.fake_crawl"]
SITE = "hlj_people"
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = 120  # seconds a test waits for an outcome before failing; generous, so a loaded machine cannot flake


def config(tmp_path: Path, *, every: float = 1, fake: bool = True, kind: str = "hot", **settings) -> LoadedConfig:
    job = Job(cron=settings.pop("cron")) if "cron" in settings else Job(interval_seconds=every)
    scheduler = Scheduler(crawl_command=FAKE if fake else [], log_file=str(tmp_path / "log"),
                          shutdown_grace_seconds=settings.pop("grace", 2), **settings)
    return LoadedConfig.model_construct(scheduler=scheduler, outlets=[], sites=[SiteSchedule(key=SITE, **{kind: job})],
                                        path=DEFAULT_CONFIG)


def fake_env(behaviour: str, seconds: float = 0.1) -> dict[str, str]:
    return {**os.environ, "FAKE_CRAWL": behaviour, "FAKE_SLEEP": str(seconds), "PYTHONPATH": str(ROOT)}


def ledger(db: Path) -> list[dict]:
    """The site's runs, oldest first; none while the daemon is still creating the archive."""
    try:
        with open_archive(str(db)) as archive:
            return list(reversed(archive.runs(site=SITE, limit=500)))
    except ArchiveNotFound:
        return []


def finished(runs: list[dict]) -> list[dict]:
    return [run for run in runs if run["status"] not in ("running", "queued")]


def crawled(runs: list[dict]) -> list[dict]:
    """Finished runs that crawled (a firing meeting a crawl still running is skipped without one)."""
    return [run for run in finished(runs) if run["status"] != "skipped"]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds; fail naming ``what`` after DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {DEADLINE} s for {what}")
        time.sleep(0.2)


def run_daemon(cfg: LoadedConfig, db: Path, env: dict[str, str], until: Callable[[list[dict]], bool],
               what: str) -> Daemon:
    """Run the daemon until the ledger satisfies ``until``, then stop it."""
    daemon = Daemon(cfg, str(db), env=env)
    daemon.start()
    try:
        wait_for(lambda: until(ledger(db)), what)
    finally:
        daemon.stop()
    return daemon


def _at(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_runs_fire_on_schedule_and_are_recorded(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    daemon = run_daemon(config(tmp_path, every=3), db, fake_env("ok"),
                        lambda runs: sum(run["status"] == "ok" for run in runs) >= 2, "two ok runs")
    every = finished(ledger(db))
    # On a machine too loaded to start a crawl within 3 s a firing meets the last one still running.
    assert all(run["status"] == "ok" or "still running" in run["errors"][0] for run in every)
    runs = [run for run in every if run["status"] == "ok"]
    planned = [_at(run["scheduled_at"]) for run in runs]
    assert planned == sorted(planned) and len(set(planned)) == len(planned)  # one run per firing
    for run in runs:
        assert run["trigger"] == "schedule:hot"
        assert _at(run["started_at"]) >= _at(run["scheduled_at"])
    assert daemon.delays and min(daemon.delays) >= 0


def test_an_overlapping_firing_is_skipped_and_recorded(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite3"
    # Each crawl takes 3 s while the job fires every second: firings meet a crawl still running.
    run_daemon(config(tmp_path), db, fake_env("ok", seconds=3),
               lambda runs: {"ok", "skipped"} <= {run["status"] for run in runs}, "an ok run and a skipped one")
    skipped = [run for run in ledger(db) if run["status"] == "skipped"]
    assert skipped and all("still running" in run["errors"][0] for run in skipped)


def set_next_run(cfg: LoadedConfig, db: Path, when: datetime) -> None:
    """Rewrite the stored next fire time of the one job, as if the daemon had been down since ``when``."""
    with open_archive(str(db)) as archive:
        (state,) = archive.scheduler_jobs().values()
        archive.save_scheduler_job({**state, "next_run_at": when})


@pytest.mark.parametrize(("grace", "expected"), [(7200, "ok"), (60, "missed")])
def test_after_a_restart_missed_firings_are_coalesced_or_recorded_missed(tmp_path: Path, grace: int,
                                                                         expected: str) -> None:
    db = tmp_path / "c.sqlite3"
    # A daily job whose latest firing was an hour ago: its lateness does not depend on how fast anything runs.
    latest = (datetime.now(SHANGHAI) - timedelta(hours=1)).replace(second=0, microsecond=0)
    cfg = config(tmp_path, kind="full", cron=f"{latest.minute} {latest.hour} * * *", misfire_grace_seconds=grace)
    run_daemon(cfg, db, fake_env("ok"), lambda runs: len(finished(runs)) == 1, "the first run")  # fires at start
    set_next_run(cfg, db, latest - timedelta(days=2))  # down since: three firings passed while it was down
    restarted_at = datetime.now().astimezone()
    run_daemon(cfg, db, fake_env("ok"), lambda runs: len(finished(runs)) == 2, "the record of the missed firings")
    (after,) = finished(ledger(db))[1:]
    assert after["status"] == expected  # the three missed firings became one record …
    assert _at(after["scheduled_at"]) == latest  # … of the latest of them
    assert _at(after["started_at"]) >= restarted_at


def test_a_crashing_crawl_is_recorded_and_the_daemon_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    run_daemon(config(tmp_path, every=1), db, fake_env("crash"),
               lambda runs: sum(run["status"] == "failed" for run in runs) >= 2, "two failed runs")
    runs = finished(ledger(db))
    # besides failed: the last may be cut by stop(), and a slow crash may overlap the next firing
    assert {run["status"] for run in runs} <= {"failed", "interrupted", "skipped"}
    crashed = next(run for run in runs if run["status"] == "failed")
    assert "exited with status 3" in crashed["errors"][0]
    assert any("boom" in error for error in crashed["errors"])


def test_a_hanging_crawl_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    cfg = config(tmp_path, kind="full", cron="0 0 1 1 *", crawl_timeout_seconds=1)
    # a full crawl never run before fires at start
    run_daemon(cfg, db, fake_env("hang"), lambda runs: len(finished(runs)) == 1, "the timed-out run")
    (run,) = ledger(db)
    assert run["status"] == "timeout"
    assert "still running after 1 s" in run["errors"][0]


def test_sigterm_stops_the_daemon_and_records_the_interrupted_crawl(tmp_path: Path) -> None:
    db = tmp_path / "f.sqlite3"
    cfg_file = tmp_path / "schedule.toml"
    cfg_file.write_text(
        f'[scheduler]\nshutdown_grace_seconds = 1\nlog_file = "{tmp_path / "daemon.log"}"\n'
        f'crawl_command = ["{sys.executable}", "-m", "tests.support.fake_crawl"]\n'
        f'[[sites]]\nkey = "{SITE}"\nhot = {{ interval_seconds = 1 }}\n', encoding="utf-8")
    daemon = subprocess.Popen([sys.executable, "-m", "jobs", "run", "--config", str(cfg_file), "--db", str(db)],
                              cwd=ROOT, env=fake_env("graceful"), stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: any(run["status"] == "running" for run in ledger(db)), "a crawl to start")
    finally:
        daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=DEADLINE)
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
    crawl = subprocess.run([sys.executable, "-m", "jobs", "crawl", SITE, "--db", str(db)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert crawl.returncode == 0 and "skipped: already running" in crawl.stderr  # not quiet: it says why
    assert ledger(db)[-1]["status"] == "skipped"
    holder.kill()  # SIGKILL: the lock must not outlive its holder
    holder.wait()
    with archive.crawl_lock(SITE):
        pass
    archive.close()


def test_two_archives_in_one_folder_have_their_own_site_locks(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from storage import open_archive\n"
         f"with open_archive(sys.argv[1], create=True) as a, a.crawl_lock('{SITE}'):\n"
         "    print('held', flush=True); time.sleep(30)", str(tmp_path / "one.sqlite3")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with open_archive(str(tmp_path / "one.sqlite3")) as one, pytest.raises(AlreadyRunning), one.crawl_lock(SITE):
            pass
        with open_archive(str(tmp_path / "other.sqlite3"), create=True) as other, other.crawl_lock(SITE):
            pass  # the same site in another archive of the folder is not "already running"
    finally:
        holder.kill()
        holder.wait()


def test_a_scheduled_real_crawl_of_the_mirror_records_the_hot_list(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with MirrorServer() as server, proxied_through(server):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        run_daemon(config(tmp_path, every=2, fake=False), db, env, lambda runs: len(crawled(runs)) >= 1,
                   "the crawl of the mirror")
    runs = crawled(ledger(db))
    assert runs and runs[0]["status"] == "ok" and runs[0]["pages_new"] == 1
    with open_archive(str(db)) as archive:
        assert len(archive.latest_hot_list(SITE)["entries"]) == 10


def test_bad_config_names_each_problem_with_its_key_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[sites]]\nkey = "hlj_people"\nhot = { cron = "61 * * * *" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sites\.hlj_people\.hot\.cron: .*61"):
        load_site_config(path)
    path.write_text('[[sites]]\nkey = "hlj_people"\nhot = { cron = "* * * * *", interval_minutes = 5 }\n')
    with pytest.raises(ConfigError, match="exactly one of cron, interval_minutes or interval_seconds"):
        load_site_config(path)


def test_the_bundled_default_schedule_covers_every_built_in_site(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HLJNEWS_CONFIG", raising=False)
    cfg = load_site_config()
    assert cfg.path == DEFAULT_CONFIG
    assert {spec.id for spec in cfg.jobs} == {"hlj_people:full", "hlj_people:hot", "hlj_people:recent",
                                              "hlj_xinhua:full", "hlj_xinhua:recent", "dbw:full", "dbw:recent"}
