"""Schema migrations: an archive made by an older schema is upgraded in place with its data kept."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, insert

from storage import open_archive
from storage.engine import create_archive_engine, resolve_url
from storage.migrate import current_revision, head_revision, upgrade
from storage.schema import declared_here, metadata
from tests.support.archive_writer import SITE, sample_article

SEEN_AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
PREVIOUS = "0001"


def _archive_at_previous_version(db_url: str) -> None:
    """An archive as schema 0001 made it: one finished run, one article with its revision, a hot list."""
    engine = create_archive_engine(resolve_url(db_url))
    upgrade(engine, PREVIOUS)
    old = MetaData()
    old.reflect(engine)
    article = sample_article(1)
    with engine.begin() as conn:
        conn.execute(insert(old.tables["crawl_runs"]).values(
            id=1, spider="killer", site=SITE, trigger="cron", started_at=SEEN_AT, finished_at=SEEN_AT,
            status="ok", pages_new=1, pages_updated=0, pages_unchanged=0, pages_failed=0, errors=[]))
        conn.execute(insert(old.tables["articles"]).values(
            id=1, site=SITE, url=article["url"], canonical_url=article["canonical_url"], content_id="1",
            title=article["title"], pretitle="", subtitle="", body=article["body"], published_at=SEEN_AT,
            source="", authors=["张三"], editors=[], channel_id=None, channel_name=None, images=[], page_urls=[],
            content_hash="0" * 64, revision=1, first_seen_at=SEEN_AT, last_fetched_at=SEEN_AT))
        conn.execute(insert(old.tables["article_revisions"]).values(
            article_id=1, revision=1, title=article["title"], pretitle="", subtitle="", body=article["body"],
            content_hash="0" * 64, fetched_at=SEEN_AT, run_id=1))
        conn.execute(insert(old.tables["hot_list_snapshots"]).values(
            id=1, site=SITE, page_url="https://news.example.cn/", captured_at=SEEN_AT, run_id=1,
            entries_hash="0" * 64))
        conn.execute(insert(old.tables["hot_list_entries"]).values(
            snapshot_id=1, position=0, rank=1, title="热点", url=article["url"]))
    engine.dispose()


def test_older_archive_is_upgraded_on_open_and_keeps_its_data(db_url: str) -> None:
    _archive_at_previous_version(db_url)
    with open_archive(db_url) as archive:
        stored = archive.get_article(1)
        assert stored["title"] == sample_article(1)["title"]
        assert stored["authors"] == ["张三"]
        assert stored["removed_at"] is None
        assert [r["run_id"] for r in stored["revisions"]] == [1]
        assert sample_article(1)["url"] in archive.known_urls(SITE)  # article_urls backfilled
        [run] = archive.runs()
        assert (run["status"], run["pages_new"], run["pid"]) == ("ok", 1, None)
        assert archive.latest_hot_list(SITE)["entries"][0]["title"] == "热点"
        run_id = archive.start_run("killer", SITE)
        assert archive.save_article(sample_article(1, version=2), fetched_at=SEEN_AT, run_id=run_id) == "updated"
        assert archive.finish_run(run_id, "ok")["pages_updated"] == 1
    engine = create_archive_engine(resolve_url(db_url))
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    open_archive(db_url).close()
    engine = create_archive_engine(resolve_url(db_url))
    with engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": declared_here}), metadata)
    engine.dispose()
    assert differences == []


def test_opening_an_up_to_date_archive_changes_nothing(db_url: str) -> None:
    with open_archive(db_url) as archive:
        archive.save_article(sample_article(1), fetched_at=SEEN_AT)
    with open_archive(db_url) as archive:
        assert archive.counts()["articles"] == 1
