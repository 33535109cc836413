"""The scheduler's side of the ledger: firings claimed once, queued runs taken once, retries, scheduler state."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, update

from storage import Archive
from storage.schema import crawl_runs
from tests.support.archive_writer import SITE

FIRING = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
TRIGGER = "schedule:hot"


def test_a_firing_is_claimed_once(archive: Archive) -> None:
    first = archive.claim_firing(SITE, TRIGGER, FIRING)
    assert first is not None
    assert archive.claim_firing(SITE, TRIGGER, FIRING) is None  # a second scheduler, or a restart
    assert archive.claim_firing(SITE, "schedule:full", FIRING) is not None  # another job, same time
    run = archive.get_run(first)
    assert (run["status"], run["attempt"], run["scheduled_at"]) == ("queued", 1, FIRING)


def test_missed_and_skipped_firings_are_recorded_closed(archive: Archive) -> None:
    run_id = archive.claim_firing(SITE, TRIGGER, FIRING, status="missed", reason="missed: 700 s late")
    run = archive.get_run(run_id)
    assert run["status"] == "missed" and run["finished_at"] and run["errors"] == ["missed: 700 s late"]
    assert archive.claim_firing(SITE, TRIGGER, FIRING) is None


def test_a_queued_run_is_taken_once_and_a_taken_run_is_not_skipped(archive: Archive) -> None:
    run_id = archive.claim_firing(SITE, TRIGGER, FIRING, owned=False)
    assert archive.queued_runs()[0]["id"] == run_id
    assert archive.take_run(run_id)
    assert not archive.take_run(run_id)  # a second delivery of the same job
    assert not archive.close_queued_run(run_id, "skipped", "skipped: already running")
    run = archive.get_run(run_id)
    assert run["status"] == "running" and run["pid"] is not None and archive.queued_runs() == []


def test_a_retry_is_the_next_attempt_of_the_same_firing(archive: Archive) -> None:
    run_id = archive.claim_firing(SITE, TRIGGER, FIRING, owned=False)
    archive.take_run(run_id)
    archive.finish_run(run_id, "interrupted", errors=["interrupted: worker lost"])
    retry = archive.retry_run(run_id)
    assert retry is not None and archive.retry_run(run_id) is None  # two workers retrying: one wins
    again = archive.get_run(retry)
    assert (again["status"], again["attempt"], again["scheduled_at"]) == ("queued", 2, FIRING)
    assert archive.latest_attempt(run_id)["id"] == archive.latest_attempt(retry)["id"] == retry
    third = archive.retry_run(retry)  # the retry's worker died too
    assert archive.get_run(third)["attempt"] == 3 and archive.latest_attempt(run_id)["id"] == third


def test_a_queued_run_of_a_dead_scheduler_is_interrupted_but_a_queue_s_is_not(archive: Archive) -> None:
    mine = archive.claim_firing(SITE, TRIGGER, FIRING)
    in_queue = archive.claim_firing(SITE, "schedule:full", FIRING, owned=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    engine = create_engine(archive.engine.url)
    with engine.begin() as conn:
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == mine).values(pid=int(dead.stdout)))
    engine.dispose()
    assert archive.close_dead_runs() == [mine]
    assert archive.get_run(mine)["status"] == "interrupted"
    assert archive.get_run(in_queue)["status"] == "queued"


def test_a_scheduled_run_elsewhere_is_interrupted_once_its_site_lock_is_free(archive: Archive) -> None:
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("another machine's runs are judged by their site lock, which only PostgreSQL shares")
    run_id = archive.claim_firing(SITE, TRIGGER, FIRING, owned=False)
    engine = create_engine(archive.engine.url)
    with engine.begin() as conn:
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(
            status="running", pid=1, hostname="worker-2"))
    engine.dispose()
    with archive.crawl_lock(SITE):  # held: a crawl of the site is going on somewhere
        assert archive.close_dead_runs() == []
    assert archive.close_dead_runs() == [run_id]
    assert archive.get_run(run_id)["status"] == "interrupted"


def test_scheduler_state_is_plain_rows(archive: Archive) -> None:
    job = {"job": f"{SITE}:hot", "site": SITE, "kind": "hot", "schedule": "every 900 s",
           "timezone": "Asia/Shanghai", "days": 7, "next_run_at": FIRING}
    archive.save_scheduler_job(job)
    archive.save_scheduler_job({**job, "next_run_at": None})
    archive.save_scheduler_job({**job, "job": "dbw:full", "site": "dbw", "kind": "full"})
    stored = archive.scheduler_jobs()
    assert stored[f"{SITE}:hot"]["next_run_at"] is None and stored["dbw:full"]["next_run_at"] == FIRING
    archive.keep_scheduler_jobs(["dbw:full"])
    assert list(archive.scheduler_jobs()) == ["dbw:full"]


def test_apschedulers_pickled_job_store_becomes_readable_rows(db_url: str) -> None:
    from storage import open_archive
    from storage.engine import create_archive_engine, resolve_url
    from storage.migrate import upgrade

    engine = create_archive_engine(resolve_url(db_url))
    upgrade(engine, "0005")
    with engine.begin() as conn:  # as APScheduler's SQLAlchemyJobStore made it
        conn.exec_driver_sql("CREATE TABLE scheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, "
                             "job_state BYTEA)".replace("BYTEA", "BLOB" if "sqlite" in db_url else "BYTEA"))
        conn.exec_driver_sql(f"INSERT INTO scheduler_jobs VALUES ('{SITE}:hot', {FIRING.timestamp()}, NULL)")
    engine.dispose()
    with open_archive(db_url) as archive:
        stored = archive.scheduler_jobs()
    assert stored[f"{SITE}:hot"]["next_run_at"] == FIRING and stored[f"{SITE}:hot"]["kind"] == "hot"
