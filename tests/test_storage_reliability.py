"""Writes against a failing database: reconnect and retry within a bounded time, then one clear error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from storage import AlreadyRunning, Archive, ArchiveFull, ArchiveUnavailable, StorageError, open_archive
from tests.conftest import new_pg_database
from tests.support.archive_writer import SITE, sample_article
from tests.support.tcp_proxy import TcpProxy

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(pg_admin: Engine, pg_databases: list[str]) -> str:
    return new_pg_database(pg_admin, pg_databases)


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    with TcpProxy("127.0.0.1", 5432) as running:
        yield running


def via(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def test_a_write_during_a_short_outage_waits_for_the_database(pg_url: str, proxy: TcpProxy) -> None:
    with open_archive(via(proxy, pg_url), create=True, retry_seconds=60) as archive:
        run_id = archive.start_run("killer", SITE)
        proxy.down()
        threading.Timer(1.0, proxy.up).start()
        assert archive.save_article(sample_article(1), fetched_at=T0, run_id=run_id) == "new"
        assert archive.reconnects >= 1
        assert archive.finish_run(run_id, "ok")["pages_new"] == 1


def test_a_transaction_cut_in_the_middle_is_retried_whole(pg_url: str, proxy: TcpProxy) -> None:
    with open_archive(via(proxy, pg_url), create=True, retry_seconds=60) as archive:
        run_id = archive.start_run("killer", SITE)
        cut: list[bool] = []

        @event.listens_for(archive.engine, "before_cursor_execute")
        def _cut(*args: object) -> None:
            statement = str(args[2])
            if statement.startswith("INSERT INTO article_revisions") and not cut:
                cut.append(True)  # the article row is written, its revision not yet: the server goes away
                proxy.down()
                threading.Timer(0.5, proxy.up).start()

        assert archive.save_article(sample_article(1), fetched_at=T0, run_id=run_id) == "new"
        assert cut == [True]
        stored = archive.get_article(sample_article(1)["url"])  # its id is not 1: the cut insert used that
        assert [r["revision"] for r in stored["revisions"]] == [1]
        assert archive.finish_run(run_id, "ok")["pages_new"] == 1
        assert archive.counts()["articles"] == 1


def test_a_database_down_longer_than_the_retry_period_is_one_clear_error(pg_url: str, proxy: TcpProxy) -> None:
    with open_archive(via(proxy, pg_url), create=True, retry_seconds=1.5) as archive:
        proxy.down()
        began = time.monotonic()
        with pytest.raises(ArchiveUnavailable) as caught:
            archive.save_article(sample_article(1), fetched_at=T0)
        assert time.monotonic() - began >= 1.5
        message = str(caught.value)
        assert "\n" not in message and "unreachable for 1.5 s" in message and "write given up" in message
        proxy.up()
        assert archive.save_article(sample_article(1), fetched_at=T0) == "new"
        assert archive.counts()["articles"] == 1


def test_the_crawl_lock_notices_it_was_lost_and_takes_it_again(pg_url: str, proxy: TcpProxy) -> None:
    with open_archive(via(proxy, pg_url), create=True, retry_seconds=10) as archive, \
            archive.crawl_lock(SITE) as lock:
        assert lock.held() and lock.verify()
        with open_archive(pg_url) as direct, pytest.raises(AlreadyRunning):
            direct.crawl_lock(SITE).__enter__()
        proxy.down()  # the lock's session ends with its connection, as in a server restart
        proxy.up()
        assert not lock.held()
        with open_archive(pg_url) as direct:  # a restart ends the session at once; a cut connection, a moment later
            _take_when_free(direct).release()  # type: ignore[attr-defined]
        assert lock.verify() and lock.held()
        with open_archive(pg_url) as direct, pytest.raises(AlreadyRunning):
            direct.crawl_lock(SITE).__enter__()


def test_a_lost_lock_someone_else_took_is_not_taken_again(pg_url: str, proxy: TcpProxy) -> None:
    with open_archive(via(proxy, pg_url), create=True, retry_seconds=10) as archive, \
            archive.crawl_lock(SITE) as lock, open_archive(pg_url) as direct:
        proxy.down()
        other = _take_when_free(direct)
        proxy.up()
        try:
            assert not lock.verify()
            assert not lock.held()
        finally:
            other.release()


def _take_when_free(archive: Archive) -> object:
    """The site's lock, once the server has ended the session that held it (it notices a cut connection)."""
    deadline = time.monotonic() + 30
    while True:
        lock = archive.crawl_lock(SITE)
        try:
            return lock.__enter__()
        except AlreadyRunning:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def tiny_sqlite(tmp_path) -> Iterator[Archive]:
    """A SQLite archive whose file may not grow past its current size plus a few pages (a full disk)."""
    archive = open_archive(tmp_path / "full.sqlite3", create=True)
    archive.save_article(sample_article(0), fetched_at=T0)
    archive.engine.dispose()
    limit: list[int] = []

    @event.listens_for(archive.engine, "connect")
    def _cap(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        limit.append(limit[0] if limit else pages + 4)
        cursor.execute(f"PRAGMA max_page_count = {limit[0]}")
        cursor.close()

    yield archive
    archive.close()


def test_a_full_disk_is_one_clear_error_and_loses_nothing_already_stored(tiny_sqlite: Archive) -> None:
    run_id = tiny_sqlite.start_run("killer", SITE)
    with pytest.raises(ArchiveFull) as caught:
        for i in range(1, 50):
            tiny_sqlite.save_article(sample_article(i, body="黑龙江新闻。" * 2000), fetched_at=T0, run_id=run_id)
    message = str(caught.value)
    assert "\n" not in message and "is full" in message and "database or disk is full" in message
    stored = tiny_sqlite.counts()["articles"]
    assert stored == tiny_sqlite.get_run(run_id)["pages_new"] + 1  # the failed save left no trace
    assert tiny_sqlite.search("黑龙江")["total"] == stored
    tiny_sqlite.record_failure(run_id, "https://news.example.cn/x", "article not stored: disk full")
    assert tiny_sqlite.finish_run(run_id, "partial")["pages_failed"] == 1


def test_other_database_errors_are_storage_errors_not_retried(pg_url: str) -> None:
    with open_archive(pg_url, create=True, retry_seconds=60) as archive:
        began = time.monotonic()
        with pytest.raises(StorageError, match="no crawl run 12345"):
            archive.finish_run(12345, "ok")
        with pytest.raises(StorageError) as caught:
            archive.record_failure(12345, "https://x.example.cn/", "x")  # violates the run foreign key
        assert not isinstance(caught.value, ArchiveUnavailable)
        assert time.monotonic() - began < 30  # refused at once, not retried for the minute
