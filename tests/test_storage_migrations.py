"""Schema migrations: an archive made by an older schema is upgraded in place with its data kept."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, insert, inspect, text

from storage import normalize, open_archive, parse_query
from storage.engine import create_archive_engine, resolve_url
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.schema import declared_here, metadata
from tests.support.archive_writer import SITE, sample_article
from tests.test_search import PHRASES, TERMS, found, scan
from tests.test_search import corpus as search_corpus

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
    open_archive(db_url, create=True).close()
    engine = create_archive_engine(resolve_url(db_url))
    with engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": declared_here}), metadata)
    engine.dispose()
    assert differences == []


def test_opening_an_up_to_date_archive_changes_nothing(db_url: str) -> None:
    with open_archive(db_url, create=True) as archive:
        archive.save_article(sample_article(1), fetched_at=SEEN_AT)
    with open_archive(db_url) as archive:
        assert archive.counts()["articles"] == 1


# -- an archive made by the version before 0005 ---------------------------------------------------------------

FIXTURE = Path(__file__).parent / "fixtures" / "archives" / "v1_demo.sqlite3"
TIME_COLUMNS = {
    "crawl_runs": ("scheduled_at", "started_at", "finished_at"),
    "run_pages": ("at",),
    "articles": ("published_at", "first_seen_at", "last_fetched_at", "removed_at"),
    "article_urls": ("first_seen_at",),
    "article_revisions": ("fetched_at",),
    "raw_pages": ("fetched_at", "last_fetched_at"),
    "hot_list_snapshots": ("captured_at",),
}
JSON_COLUMNS = {"crawl_runs": ("errors",), "articles": ("authors", "editors", "images", "page_urls"),
                "raw_pages": ("headers",)}
ISO_SHANGHAI = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+08:00$")


def _raw_values(db: Path) -> dict[tuple[str, int, str], object]:
    """Every time and JSON value of the archive as stored, by (table, rowid, column)."""
    values = {}
    with sqlite3.connect(db) as conn:
        for table in TIME_COLUMNS.keys() | JSON_COLUMNS.keys():
            columns = (*TIME_COLUMNS.get(table, ()), *JSON_COLUMNS.get(table, ()))
            for rowid, *row in conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {table}"):
                values.update({(table, rowid, column): value for column, value in zip(columns, row, strict=True)})
    return values


def _v1_copy(tmp_path: Path) -> Path:
    db = tmp_path / "v1.sqlite3"
    shutil.copy(FIXTURE, db)
    return db


def test_an_archive_made_by_the_previous_version_is_converted_in_place(tmp_path: Path) -> None:
    db = _v1_copy(tmp_path)
    before = _raw_values(db)
    assert any("\\u" in str(value) for value in before.values())  # the fixture is what the old code wrote
    with open_archive(db) as archive:
        counts = archive.counts()
        stored = list(archive.iter_articles())
        run = archive.get_run(4)
        captures = {entry["captured_at"] for entry in archive.rank_history("hlj_people")}
    after = _raw_values(db)
    assert after.keys() == before.keys()
    times = 0
    for (table, rowid, column), old in before.items():
        new = after[table, rowid, column]
        if column in JSON_COLUMNS.get(table, ()):
            assert json.loads(new) == json.loads(old) and "\\u" not in new, (table, rowid, column)
        elif old is None:
            assert new is None, (table, rowid, column)
        else:
            assert ISO_SHANGHAI.match(new), (table, rowid, column, new)
            assert datetime.fromisoformat(new) == datetime.fromisoformat(old).replace(tzinfo=UTC)
            times += 1
    assert times > 200 and counts == {"articles": 23, "revisions": 24, "hot_list_snapshots": 2, "runs": 4,
                                      "raw_pages": 41}
    # What the fixture's last run wrote, read back through the archive.
    assert run["scheduled_at"] == datetime(2026, 11, 30, 23, 37, tzinfo=UTC)
    assert run["errors"] == ["http://hlj.news.cn/gone.htm: 页面已删除：HTTP 410"]
    assert datetime(2026, 12, 1, 0, 15, tzinfo=UTC) in captures and len(captures) == 2
    assert [a["removed_at"] for a in stored if a["removed_at"]] == [datetime(2026, 12, 1, 0, 1, tzinfo=UTC)]


@pytest.mark.parametrize("term", ["黑龙江", "黑龍江", "养老", "的", "哈尔滨", "冰雪", "2021", "新华", "（", "记者",
                                  "习近平", "ABC"])
def test_search_stays_exact_on_a_converted_archive(tmp_path: Path, term: str) -> None:
    with open_archive(_v1_copy(tmp_path)) as archive:
        articles = list(archive.iter_articles())
        found = {r["id"] for r in archive.search(term, limit=1000)["results"]}
    wanted = normalize(term)
    expected = {a["id"] for a in articles
                if wanted in normalize(" ".join(p for p in (a["pretitle"], a["title"], a["subtitle"]) if p))
                or wanted in normalize(a["body"])}
    assert found == expected


def test_the_conversion_downgrades_back_to_the_old_text(tmp_path: Path) -> None:
    db = _v1_copy(tmp_path)
    before = _raw_values(db)
    open_archive(db).close()
    _downgrade(db, "0004")
    after = _raw_values(db)
    for key, old in before.items():
        if key[2] in TIME_COLUMNS.get(key[0], ()):
            assert after[key] == old, key
        else:
            assert json.loads(after[key]) == json.loads(old), key
    with sqlite3.connect(db) as conn:
        fts = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_trigram'")}
    assert fts == {"search_trigram"}


def test_an_older_archive_gets_the_search_site_index_and_finds_its_old_rows_by_site(db_url: str) -> None:
    _archive_at_previous_version(db_url)
    with open_archive(db_url) as archive:
        found = archive.search(sample_article(1)["title"][:2], site=SITE)
        assert [r["id"] for r in found["results"]] == [1] and found["total"] == 1
        assert archive.search(sample_article(1)["title"][:2], site="elsewhere")["total"] == 0
        if archive.url.startswith("postgresql"):
            with archive.engine.connect() as conn:
                indexes = {ix["name"]: ix["column_names"] for ix in inspect(conn).get_indexes("articles")}
            assert indexes["ix_articles_site_id"] == ["site", "id"]


def _automerge(db: str) -> dict[str, int]:
    with closing(sqlite3.connect(db)) as conn:
        return {table: conn.execute(f"SELECT v FROM {table}_config WHERE k = 'automerge'").fetchone()[0]
                for table in ("articles_fts", "search_short")}


def test_fts_tables_merge_eight_segments_at_a_time_and_stay_exact_across_merges(tmp_path: Path) -> None:
    db = str(tmp_path / "archive.sqlite3")
    articles = search_corpus(90, seed=13)
    with open_archive(db, create=True) as archive:
        assert _automerge(db) == {"articles_fts": 8, "search_short": 8}
        for start in range(0, len(articles), 3):  # a segment per commit: 30 of them, merged eight at a time
            archive.save_articles(articles[start:start + 3], fetched_at=SEEN_AT)
        for term in TERMS:
            assert found(archive, term) == scan(articles, list(parse_query(term).terms)), term
    _downgrade(db, "0010")
    assert _automerge(db) == {"articles_fts": 4, "search_short": 4}  # FTS5's default


def _downgrade(db: str, revision: str) -> None:
    engine = create_archive_engine(resolve_url(db))
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    engine.dispose()


def _compression(db_url: str, *where: str) -> list[str | None]:
    """What pg_attribute declares for the long columns (l: LZ4, "": the server's default), or, with `where`, the
    method each gram array matching it was stored with."""
    engine = create_archive_engine(resolve_url(db_url))
    with engine.connect() as conn:
        if where:
            found = [conn.scalar(text("SELECT pg_column_compression(g.grams) FROM search_grams g JOIN articles a "
                                      "ON a.id = g.article_id WHERE a.canonical_url = :url"), {"url": url})
                     for url in where]
        else:
            found = list(conn.scalars(text(
                "SELECT attcompression FROM pg_attribute WHERE (attrelid::regclass::text, attname) IN "
                "(('search_grams', 'grams'), ('search_text', 'body'), ('articles', 'body')) ORDER BY 1")))
    engine.dispose()
    return found


def test_postgresql_compresses_new_long_values_with_lz4_and_reads_the_older_ones(pg_url: str) -> None:
    db_url = pg_url  # SQLite has no per-column compression: 0012 leaves it alone
    # Long enough that its gram array (several KB) is compressed as it is stored.
    body = "。".join(f"{phrase}第{n}号" for n, phrase in enumerate(PHRASES * 12))
    older, newer = (sample_article(i, body=f"{body}（{i}）") for i in (1, 2))
    with open_archive(db_url, create=True) as archive:
        assert _compression(db_url) == ["l", "l", "l"]
        _downgrade(db_url, "0011")
        assert _compression(db_url) == ["", "", ""]
        archive.save_article(older, fetched_at=SEEN_AT)
    with open_archive(db_url) as archive:  # upgraded again on open
        assert _compression(db_url) == ["l", "l", "l"]
        archive.save_article(newer, fetched_at=SEEN_AT)
        assert _compression(db_url, older["canonical_url"], newer["canonical_url"]) == ["pglz", "lz4"]
        for term in ("第7号", "黑龙江", "（2）", "（1）"):
            expected = {a["canonical_url"] for a in (older, newer) if normalize(term) in normalize(a["body"])}
            assert found(archive, term) == expected, term
