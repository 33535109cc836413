"""Contract tests for crawl runs: counts from run_pages, failures, interrupted runs, opening errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert

from storage import Archive, StorageError, open_archive
from storage.schema import crawl_runs
from tests.support.archive_writer import SHANGHAI, SITE, sample_article

FETCHED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_run_counts_come_from_page_outcomes(archive: Archive) -> None:
    run_id = archive.start_run("killer", SITE, trigger="schedule", scheduled_at=FETCHED_AT)
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=run_id)
    archive.save_article(sample_article(2), fetched_at=FETCHED_AT, run_id=run_id)
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=run_id)
    archive.save_article(sample_article(2, version=2), fetched_at=FETCHED_AT, run_id=run_id)
    archive.record_failure(run_id, "https://news.example.cn/x.html", "HTTP 404")
    run = archive.finish_run(run_id, "partial", finished_at=FETCHED_AT + timedelta(minutes=5))
    assert {key: run[key] for key in ("pages_new", "pages_updated", "pages_unchanged", "pages_failed")} == {
        "pages_new": 2, "pages_updated": 1, "pages_unchanged": 1, "pages_failed": 1}
    assert run["status"] == "partial"
    assert run["trigger"] == "schedule"
    assert run["scheduled_at"].isoformat() == "2026-11-28T10:00:00+08:00"
    assert run["finished_at"].isoformat() == "2026-11-28T10:05:00+08:00"
    assert run["errors"] == ["https://news.example.cn/x.html: HTTP 404"]
    assert run["pid"] == os.getpid()
    assert run["hostname"] == socket.gethostname()


def test_a_running_run_reports_live_counts(archive: Archive) -> None:
    run_id = archive.start_run("killer", SITE)
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=run_id)
    [run] = archive.runs()
    assert (run["id"], run["status"], run["pages_new"], run["finished_at"]) == (run_id, "running", 1, None)


def test_finish_run_keeps_given_errors_capped(archive: Archive) -> None:
    run_id = archive.start_run("killer", SITE)
    run = archive.finish_run(run_id, "failed", errors=[f"error {i}" for i in range(80)])
    assert run["errors"] == [f"error {i}" for i in range(50)]


def test_failures_are_recorded_and_listed(archive: Archive) -> None:
    ok_run = archive.start_run("killer", SITE)
    archive.finish_run(ok_run, "ok")
    failed_run = archive.start_run("killer", SITE)
    archive.record_failure(failed_run, "https://news.example.cn/y.html", "timeout" * 1000)
    archive.finish_run(failed_run, "failed")
    other = archive.start_run("other", "other_site")
    assert [r["id"] for r in archive.runs()] == [other, failed_run, ok_run]
    assert [r["id"] for r in archive.runs(failed_only=True)] == [failed_run]
    assert [r["id"] for r in archive.runs(site=SITE, limit=1)] == [failed_run]
    [error] = archive.runs(failed_only=True)[0]["errors"]
    assert error.startswith("https://news.example.cn/y.html: timeout") and len(error) < 2100


def test_finish_unknown_run_raises(archive: Archive) -> None:
    with pytest.raises(StorageError, match="no crawl run 999"):
        archive.finish_run(999, "ok")


def test_dead_process_runs_become_interrupted(archive: Archive) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = _insert_running_run(archive, pid=dead_pid, hostname=socket.gethostname())
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=stale)
    alive = _insert_running_run(archive, pid=os.getpid(), hostname=socket.gethostname())
    elsewhere = _insert_running_run(archive, pid=dead_pid, hostname="another-host")
    archive.start_run("killer", SITE)
    runs = {run["id"]: run for run in archive.runs()}
    assert runs[stale]["status"] == "interrupted"
    assert runs[stale]["finished_at"] is not None
    assert runs[stale]["pages_new"] == 1
    assert runs[alive]["status"] == runs[elsewhere]["status"] == "running"


def test_counts(archive: Archive) -> None:
    run_id = archive.start_run("killer", SITE)
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=run_id)
    archive.save_article(sample_article(1, version=2), fetched_at=FETCHED_AT, run_id=run_id)
    assert archive.counts() == {"articles": 1, "revisions": 2, "hot_list_snapshots": 0, "runs": 1, "raw_pages": 0}


def test_mark_removed_and_recent_articles(archive: Archive) -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    archive.save_article(sample_article(1, published_at=datetime(2026, 11, 28, 9, 30, tzinfo=SHANGHAI)),
                         fetched_at=FETCHED_AT)
    archive.save_article(sample_article(2, published_at=datetime(2026, 11, 1, 9, 30, tzinfo=SHANGHAI)),
                         fetched_at=FETCHED_AT)
    archive.save_article(sample_article(3, published_at=datetime(2026, 11, 29, 9, 30, tzinfo=SHANGHAI)),
                         fetched_at=FETCHED_AT)
    assert archive.articles_due_for_refresh(SITE, days=7, now=now) == [
        sample_article(3)["url"], sample_article(1)["url"]]
    assert archive.mark_removed("https://news.example.cn/a/3.html") is True
    assert archive.mark_removed("https://news.example.cn/a/3.html") is False
    assert archive.mark_removed("https://nowhere.example.cn/") is False
    assert archive.get_article(sample_article(3)["url"])["removed_at"] is not None
    assert archive.articles_due_for_refresh(SITE, days=7, now=now) == [sample_article(1)["url"]]
    archive.save_article(sample_article(3), fetched_at=FETCHED_AT)  # back online: no longer removed
    assert archive.get_article(sample_article(3)["url"])["removed_at"] is None


def test_archive_is_a_context_manager(db_url: str) -> None:
    with open_archive(db_url, create=True) as archive:
        assert archive.counts()["articles"] == 0
        assert repr(archive) == f"<Archive {archive.url}>"


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://localhost/x", "unsupported database 'mysql'"),
    ("not a url://", "not a database URL"),
    ("postgresql+psycopg://postgres@127.0.0.1:1/nothing", "cannot open archive postgresql+psycopg://"),
    ("sqlite:////proc/no/such/dir/x.sqlite3", "cannot create the archive's directory"),
])
def test_bad_urls_raise_one_line_storage_errors(url: str, message: str) -> None:
    with pytest.raises(StorageError) as caught:
        open_archive(url, create=True)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_plain_path_and_env_default(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_archive(tmp_path / "nested" / "a.sqlite3", create=True) as archive:
        assert archive.url.endswith("nested/a.sqlite3")
    monkeypatch.setenv("HLJNEWS_DB", f"sqlite:///{tmp_path}/env.sqlite3")
    with open_archive(create=True) as archive:
        assert archive.url.endswith("env.sqlite3")
    monkeypatch.delenv("HLJNEWS_DB")
    monkeypatch.chdir(tmp_path)
    with open_archive(create=True) as archive:
        assert archive.url == "sqlite:///data/hljnews.sqlite3"
    assert (tmp_path / "data" / "hljnews.sqlite3").exists()


def _insert_running_run(archive: Archive, *, pid: int, hostname: str) -> int:
    engine = create_engine(archive.engine.url)
    with engine.begin() as conn:
        run_id = conn.execute(insert(crawl_runs).values(
            spider="killer", site=SITE, trigger="manual", started_at=FETCHED_AT, status="running", errors=[],
            pages_new=0, pages_updated=0, pages_unchanged=0, pages_failed=0, pid=pid, hostname=hostname,
        ).returning(crawl_runs.c.id)).scalar_one()
    engine.dispose()
    return run_id


def test_runs_shows_and_records_a_dead_process_run_as_interrupted(archive: Archive) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = _insert_running_run(archive, pid=int(dead.stdout), hostname=socket.gethostname())
    alive = _insert_running_run(archive, pid=os.getpid(), hostname=socket.gethostname())
    statuses = {run["id"]: run["status"] for run in archive.runs()}
    assert statuses == {stale: "interrupted", alive: "running"}
    assert archive.get_run(stale)["status"] == "interrupted"  # recorded, not only shown
    assert archive.get_run(stale)["finished_at"] is not None
    assert [run["id"] for run in archive.runs(failed_only=True)] == [stale]
