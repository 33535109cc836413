"""An archive any SQL tool can read: times with their offset, readable JSON, an FTS table sqlite-utils finds."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from storage import Archive, normalize, open_archive
from tests.support.archive_writer import SHANGHAI, SITE, sample_article

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
ISO_SHANGHAI = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+08:00$"


@pytest.fixture
def sqlite_archive(tmp_path: Path) -> Archive:
    archive = open_archive(tmp_path / "tools.sqlite3", create=True)
    yield archive
    archive.close()


def rows(archive: Archive, sql: str) -> list[tuple]:
    """The raw values, as any SQLite tool (here the sqlite3 module) sees them."""
    path = archive.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_times_are_iso_8601_with_the_shanghai_offset(sqlite_archive: Archive) -> None:
    late_evening_utc = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 01:30 on the 28th in Shanghai
    run_id = sqlite_archive.start_run("killer", SITE, started_at=T0)
    sqlite_archive.save_article(sample_article(1, published_at=late_evening_utc), fetched_at=T0, run_id=run_id)
    sqlite_archive.save_article(sample_article(2, published_at=datetime(2026, 11, 27, 23, 0, tzinfo=SHANGHAI)),
                                fetched_at=T0 + timedelta(microseconds=250), run_id=run_id)
    sqlite_archive.finish_run(run_id, "ok", finished_at=T0 + timedelta(minutes=5))
    [(published, first_seen)] = rows(sqlite_archive, "SELECT published_at, first_seen_at FROM articles WHERE id = 1")
    assert (published, first_seen) == ("2026-11-28T01:30:00+08:00", "2026-11-28T10:00:00+08:00")
    assert rows(sqlite_archive, "SELECT first_seen_at FROM articles WHERE id = 2") == [
        ("2026-11-28T10:00:00.000250+08:00",)]
    # A plain date filter means Shanghai's date, and text order is time order.
    on_the_28th = rows(sqlite_archive, "SELECT id FROM articles WHERE published_at >= '2026-11-28' "
                                       "AND published_at < '2026-11-29'")
    assert on_the_28th == [(1,)]
    assert rows(sqlite_archive, "SELECT id FROM articles ORDER BY published_at") == [(2,), (1,)]
    [(started, finished)] = rows(sqlite_archive, "SELECT started_at, finished_at FROM crawl_runs")
    assert (started, finished) == ("2026-11-28T10:00:00+08:00", "2026-11-28T10:05:00+08:00")
    # SQLite's own date functions read the offset.
    in_utc = rows(sqlite_archive, "SELECT datetime(published_at) FROM articles WHERE id = 1")
    assert in_utc == [("2026-11-27 17:30:00",)]


def test_json_columns_are_readable_utf8(sqlite_archive: Archive) -> None:
    run_id = sqlite_archive.start_run("killer", SITE)
    sqlite_archive.save_article(sample_article(1), fetched_at=T0, run_id=run_id)
    sqlite_archive.save_raw_page("https://x.example.cn/", b"x", {"x-note": "黑龙江"}, T0, run_id=run_id)
    sqlite_archive.finish_run(run_id, "failed", errors=["https://x.example.cn/: 页面不存在"])
    [(authors, images, channel_free)] = rows(sqlite_archive, "SELECT authors, images, editors FROM articles")
    assert authors == '["张三"]' and channel_free == '["李四"]'
    assert '"caption": "图片"' in images
    assert rows(sqlite_archive, "SELECT errors FROM crawl_runs") == [('["https://x.example.cn/: 页面不存在"]',)]
    assert rows(sqlite_archive, "SELECT headers FROM raw_pages") == [('{"x-note": "黑龙江"}',)]
    assert rows(sqlite_archive, "SELECT value FROM articles, json_each(articles.authors)") == [("张三",)]


def test_sqlite_utils_finds_the_fts_table_and_its_results_are_search_results(sqlite_archive: Archive) -> None:
    for i, title in enumerate(["黑龙江冰雪旅游", "哈尔滨新闻", "冰雪大世界开园", "Harbin ICE festival"]):
        sqlite_archive.save_article(sample_article(i, title=title, body=f"正文{i}。"), fetched_at=T0)
    path = sqlite_archive.url.removeprefix("sqlite:///")
    table = Database(path)["articles"]
    assert table.detect_fts() == "articles_fts"
    for term in ["冰雪旅", "哈尔滨", "黑龙江", "ice", "FESTIVAL", "正文1"]:
        found = {row["id"] for row in table.search(term)}
        assert found == {r["id"] for r in sqlite_archive.search(term)["results"]}, term
        assert found, term
    command = [sys.executable, "-m", "sqlite_utils", "search", path, "articles", "冰雪大世界", "-c", "title"]
    listed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [{"title": "冰雪大世界开园"}]


def test_the_fts_index_holds_normalised_text_so_tools_match_simplified_lower_case(sqlite_archive: Archive) -> None:
    sqlite_archive.save_article(sample_article(1, title="黑龍江ＡＢＣ新聞"), fetched_at=T0)
    table = Database(sqlite_archive.url.removeprefix("sqlite:///"))["articles"]
    assert [row["title"] for row in table.search(normalize("黑龍江"))] == ["黑龍江ＡＢＣ新聞"]
    assert [row["title"] for row in table.search("abc")] == ["黑龍江ＡＢＣ新聞"]


def test_datasette_finds_the_fts_table_for_articles(sqlite_archive: Archive) -> None:
    # Datasette's detect_fts_sql (0.65), which decides whether the articles table gets a search box:
    # without a match its _search parameter was silently ignored and every row came back.
    detect = """select name from sqlite_master where rootpage = 0 and (
        sql like '%VIRTUAL TABLE%USING FTS%content="articles"%'
        or sql like '%VIRTUAL TABLE%USING FTS%content=[articles]%'
        or (tbl_name = "articles" and sql like '%VIRTUAL TABLE%USING FTS%'))"""
    assert rows(sqlite_archive, detect) == [("articles_fts",)]
    sqlite_archive.save_article(sample_article(1, title="哈尔滨冰雪节"), fetched_at=T0)
    sqlite_archive.save_article(sample_article(2, title="其他新闻"), fetched_at=T0)
    # What Datasette runs for ?_search=冰雪节 (escaped, its default search mode)
    found = rows(sqlite_archive, "select id from articles where rowid in "
                                 "(select rowid from articles_fts where articles_fts match '\"冰雪节\"')")
    assert found == [(1,)]
