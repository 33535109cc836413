"""Contract tests for hot-list history, revision diffs, stats, and the search index of upgraded archives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Archive, open_archive
from tests.support.archive_writer import SHANGHAI, SITE, sample_article
from tests.test_storage_migrations import _archive_at_previous_version

T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
PAGE = "https://news.example.cn/"
STORY = "https://news.example.cn/a/7.html"


def entries(*urls: str) -> list[dict]:
    return [{"rank": rank, "title": f"标题{url[-6:]}", "url": url} for rank, url in enumerate(urls, 1)]


def fill_hot_lists(archive: Archive) -> None:
    """Snapshots hourly: the story enters at rank 3, climbs to 1, drops off at 03:00, returns at 04:00 as 2."""
    lists = [("x", "y", STORY), ("x", STORY, "y"), (STORY, "x", "y"), ("x", "y", "z"), ("x", STORY, "z")]
    for hour, urls in enumerate(lists):
        urls = [u if u == STORY else f"https://news.example.cn/a/{u}.html" for u in urls]
        archive.save_hot_list(SITE, T0 + timedelta(hours=hour), PAGE, entries(*urls))


def test_hot_list_at_returns_the_list_as_it_stood(archive: Archive) -> None:
    fill_hot_lists(archive)
    assert archive.hot_list_at(SITE, T0 - timedelta(minutes=1)) is None
    at_0230 = archive.hot_list_at(SITE, T0 + timedelta(hours=2, minutes=30))
    assert at_0230["captured_at"].isoformat() == "2026-11-28T10:00:00+08:00"
    assert at_0230["entries"][0]["url"] == STORY
    at_11 = archive.hot_list_at(SITE, datetime(2026, 11, 28, 11, tzinfo=SHANGHAI))
    assert at_11["entries"][2]["url"].endswith("z.html")
    assert archive.hot_list_at(SITE)["captured_at"].isoformat() == "2026-11-28T12:00:00+08:00"
    assert archive.hot_list_at("other_site") is None


def test_story_history_first_seen_best_rank_and_time_on_list(archive: Archive) -> None:
    fill_hot_lists(archive)
    history = archive.story_history(STORY)
    assert history["first_seen_at"].isoformat() == "2026-11-28T08:00:00+08:00"
    assert history["last_seen_at"].isoformat() == "2026-11-28T12:00:00+08:00"
    assert history["best_rank"] == 1
    assert [r["rank"] for r in history["ranks"]] == [3, 2, 1, 2]
    assert history["time_on_list_seconds"] == 3 * 3600  # 00-03h; the 04:00 sighting is the latest capture
    assert archive.story_history("https://nowhere.example/") is None


def test_rank_history_covers_the_period(archive: Archive) -> None:
    fill_hot_lists(archive)
    period = archive.rank_history(SITE, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert len(period) == 6
    assert {row["captured_at"].hour for row in period} == {9, 10}  # Shanghai time


def test_revision_diff_by_paragraph(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=T0)
    archive.save_article(sample_article(1, version=2), fetched_at=T0 + timedelta(hours=1))
    diff = archive.revision_diff(1)
    assert "-第二段，版本 1。" in diff and "+第二段，版本 2。" in diff
    assert " 第一段 1。" in diff or "第一段 1。" not in "".join(d for d in diff if d[:1] in "+-")


def test_stats_counts_per_site_and_day(archive: Archive) -> None:
    archive.save_article(sample_article(1, published_at=datetime(2026, 11, 28, 23, 30, tzinfo=SHANGHAI)), fetched_at=T0)
    archive.save_article(sample_article(2, published_at=datetime(2026, 11, 28, 16, 30, tzinfo=UTC)), fetched_at=T0)
    numbers = archive.stats()
    assert numbers["sites"][0]["articles"] == 2
    assert {(d["day"], d["articles"]) for d in numbers["days"]} == {("2026-11-28", 1), ("2026-11-29", 1)}


def test_upgrade_builds_the_search_index_for_existing_articles(db_url: str) -> None:
    _archive_at_previous_version(db_url)
    with open_archive(db_url) as archive:
        assert archive.search("黑龍江")["total"] == 1  # title 黑龙江新闻 1, indexed by migration 0003
        assert archive.search("段")["total"] == 1
        archive.save_article(sample_article(1, body="全新正文"), fetched_at=T0)
        assert archive.search("段")["total"] == 0
        assert archive.search("全新")["total"] == 1
