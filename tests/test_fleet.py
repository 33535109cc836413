"""The fleet on this machine: PostgreSQL, Redis, schedulers and workers as real processes, the bundled mirror."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from mirror import BUNDLED_PAGES, Mirror, MirrorServer
from storage import open_archive
from tests.conftest import REDIS_URL
from tests.support.daemons import (
    FAKE_CRAWL,
    ROOT,
    alive,
    ancestors,
    gaps,
    ledger,
    proc_env,
    processes,
    wait_for,
    write_config,
)
from tests.test_crawl_e2e import mirror_article_urls

SITES = ("hlj_people", "hlj_xinhua", "dbw")
OPEN = ("queued", "running")


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _at(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _closed(runs: list[dict]) -> bool:
    return bool(runs) and all(run["status"] not in OPEN for run in runs)


def test_two_workers_crawl_the_mirror_and_a_killed_worker_s_job_completes_on_the_other(
        tmp_path: Path, pg_url: str, broker: str) -> None:
    cfg = write_config(tmp_path / "fleet.toml", f'log_file = "{tmp_path / "log"}"\ncrawl_timeout_seconds = 90',
                       "".join(f'[[sites]]\nkey = "{site}"\nfull = {{ cron = "0 0 1 1 *" }}\n' for site in SITES))
    common = ["--config", str(cfg), "--db", pg_url, "--queue", broker]
    # Every answer takes 0.5 s, so a crawl lasts long enough to lose its worker in the middle.
    with MirrorServer(Mirror(delay=0.5)) as server, processes(tmp_path) as started:
        env = proc_env(http_proxy=server.proxy_url)
        workers = {started.start(name, "worker", *common, "--concurrency", "1", env=env).pid: name
                   for name in ("worker-a", "worker-b")}
        started.start("scheduler", "run", *common, env=env)
        spotted: dict[str, tuple[dict, int] | None] = {}
        wait_for(lambda: spotted.update(crawl=_crawling(pg_url, workers)) or spotted["crawl"],
                 "the hlj_people crawl storing its first article")
        victim, worker = spotted["crawl"]
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not alive(victim["pid"]), "the killed worker's crawl child to stop", deadline=90)
        # Redis redelivers the job after its visibility timeout (the crawl timeout and a margin), then it crawls.
        wait_for(lambda: len(ledger(pg_url)) == len(SITES) + 1 and _closed(ledger(pg_url)),
                 "the retry of the killed worker's job and every other job", deadline=480)
        survivor = next(name for pid, name in workers.items() if pid != worker)
        survivor_log = started.log(survivor)
    runs = ledger(pg_url)
    first, retry = [run for run in runs if run["site"] == victim["site"]]
    assert (first["id"], first["status"], first["attempt"]) == (victim["id"], "interrupted", 1)
    assert retry["attempt"] == 2 and retry["scheduled_at"] == first["scheduled_at"]
    assert retry["status"] in ("ok", "partial") and f"retrying as run {retry['id']}" in survivor_log
    assert all(run["status"] in ("ok", "partial") for run in runs if run["site"] != victim["site"])
    with open_archive(pg_url) as archive:
        articles = list(archive.iter_articles())
        revisions = [len(archive.get_article(article["id"])["revisions"]) for article in articles]
    assert {a["canonical_url"] for a in articles if a["site"] == "hlj_people"} >= mirror_article_urls(BUNDLED_PAGES)
    assert revisions == [1] * len(articles)  # every article stored once …
    assert sum(run["pages_new"] for run in runs) == len(articles)  # … by exactly one run


def _crawling(db: str, workers: dict[int, str]) -> tuple[dict, int] | None:
    """The hlj_people run being crawled once it has stored an article, and the worker process its crawl child
    runs under. Only hlj_people's: its crawl of the mirror lasts ~15 s more after its first batch, where the
    other sites' may end before the kill reaches them (a finished run is not retried)."""
    for run in ledger(db):
        if run["site"] == "hlj_people" and run["status"] == "running" and run["pages_new"] >= 1:
            try:
                return run, next(pid for pid in ancestors(run["pid"]) if pid in workers)
            except (FileNotFoundError, StopIteration):  # it ended meanwhile
                continue
    return None


def test_a_standby_scheduler_takes_over_when_the_leader_is_killed(tmp_path: Path, pg_url: str, broker: str) -> None:
    every = 3
    cfg = write_config(tmp_path / "fleet.toml", f'log_file = "{tmp_path / "log"}"\ncoalesce = false\n'
                       f"crawl_command = {_toml_list(FAKE_CRAWL)}",
                       "".join(f'[[sites]]\nkey = "{site}"\nhot = {{ interval_seconds = {every} }}\n'
                               for site in ("hlj_people", "dbw")))
    common = ["--config", str(cfg), "--db", pg_url, "--queue", broker]
    env = proc_env(FAKE_CRAWL="ok", FAKE_SLEEP="0.2")
    with processes(tmp_path) as started:
        for name in ("worker-a", "worker-b"):
            started.start(name, "worker", *common, "--concurrency", "2", env=env)
        leader = started.start("leader", "run", *common, env=env)
        wait_for(lambda: "leading" in started.log("leader"), "the first scheduler to lead")
        standby = started.start("standby", "run", *common, env=env)
        wait_for(lambda: "standby" in started.log("standby"), "the second scheduler to stand by")
        wait_for(lambda: len(ledger(pg_url, "dbw")) >= 3, "three firings under the first leader")
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        killed_at = time.monotonic()
        wait_for(lambda: "leading" in started.log("standby"), "the standby to take over", deadline=60)
        took_over = time.monotonic() - killed_at
        count = len(ledger(pg_url, "dbw"))
        wait_for(lambda: len(ledger(pg_url, "dbw")) >= count + 3, "three firings under the new leader")
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=120) == 0
        wait_for(lambda: _closed(ledger(pg_url)), "the workers to finish every queued job")
    assert took_over < 60
    for site in ("hlj_people", "dbw"):
        runs = ledger(pg_url, site)
        times = [_at(run["scheduled_at"]) for run in runs]
        assert len(set(times)) == len(times), f"{site}: a firing recorded twice"
        assert gaps(times, every) == [], f"{site}: a firing lost in the takeover"
        assert {run["status"] for run in runs} <= {"ok", "skipped"}, site


@pytest.mark.parametrize(("db", "queue", "message"), [
    ("sqlite", REDIS_URL, "--queue needs a PostgreSQL archive"),
    ("postgresql", "redis://127.0.0.1:1/0", "cannot reach the queue redis://127.0.0.1:1/0"),
])
def test_a_fleet_that_cannot_work_says_why_in_one_line(tmp_path: Path, request: pytest.FixtureRequest, db: str,
                                                       queue: str, message: str) -> None:
    url = str(tmp_path / "a.sqlite3") if db == "sqlite" else request.getfixturevalue("pg_url")
    for command in ("run", "worker"):
        result = subprocess.run([sys.executable, "-m", "jobs", command, "--db", url, "--queue", queue], cwd=ROOT,
                                capture_output=True, text=True, timeout=120, env=proc_env())
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.returncode == 2 and len(errors) == 1 and message in errors[0], result.stderr[-2000:]
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "a.sqlite3").exists()  # refused before anything was created


RABBITMQ_URL = os.environ.get("HLJNEWS_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def rabbitmq() -> str:
    """RabbitMQ with the fleet's queue emptied; skips (fails when CI=true) if it is unreachable."""
    from config import Scheduler
    from jobs.fleet import FleetError, celery_app, check_broker

    app = celery_app(RABBITMQ_URL, Scheduler())
    try:
        check_broker(app, RABBITMQ_URL)
    except FleetError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))
    app.control.purge()
    return RABBITMQ_URL


def test_with_rabbitmq_a_killed_worker_s_job_is_delivered_again_at_once(tmp_path: Path, pg_url: str,
                                                                       rabbitmq: str) -> None:
    cfg = write_config(tmp_path / "fleet.toml", f'log_file = "{tmp_path / "log"}"\n'
                       f"crawl_command = {_toml_list(FAKE_CRAWL)}",
                       '[[sites]]\nkey = "dbw"\nfull = { cron = "0 0 1 1 *" }\n')
    common = ["--config", str(cfg), "--db", pg_url, "--queue", rabbitmq]
    with processes(tmp_path) as started:
        first = started.start("worker-a", "worker", *common, "--concurrency", "1",
                              env=proc_env(FAKE_CRAWL="ok", FAKE_SLEEP="600"))
        wait_for(lambda: "ready" in started.log("worker-a"), "the first worker")
        started.start("scheduler", "run", *common, env=proc_env())
        wait_for(lambda: any(run["status"] == "running" for run in ledger(pg_url)), "the crawl on the first worker")
        started.start("worker-b", "worker", *common, "--concurrency", "1", env=proc_env(FAKE_CRAWL="ok"))
        wait_for(lambda: "ready" in started.log("worker-b"), "the second worker")
        first.send_signal(signal.SIGKILL)  # AMQP hands its unacknowledged job to another consumer at once
        wait_for(lambda: any(run["status"] == "ok" for run in ledger(pg_url)), "the retry on the second worker",
                 deadline=120)
    attempts = [(run["attempt"], run["status"]) for run in ledger(pg_url)]
    assert attempts == [(1, "interrupted"), (2, "ok")]
