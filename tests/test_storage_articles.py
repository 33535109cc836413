"""Contract tests for articles: new / unchanged / updated, revisions, canonical dedupe, known_urls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import Archive, StorageError
from tests.support.archive_writer import SHANGHAI, SITE, sample_article

FETCHED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
LATER = FETCHED_AT + timedelta(hours=3)


def test_first_save_is_new_and_round_trips(archive: Archive) -> None:
    assert archive.save_article(sample_article(1), fetched_at=FETCHED_AT) == "new"
    stored = archive.get_article("https://news.example.cn/a/1.html")
    assert stored is not None
    expected = sample_article(1)
    assert {key: stored[key] for key in expected} == expected
    assert stored["revision"] == 1
    assert stored["first_seen_at"] == stored["last_fetched_at"] == FETCHED_AT
    assert stored["first_seen_at"].isoformat() == "2026-11-28T10:00:00+08:00"
    assert stored["removed_at"] is None


def test_published_at_is_returned_in_shanghai_time(archive: Archive) -> None:
    archive.save_article(sample_article(1, published_at=datetime(2026, 11, 28, 1, 30, tzinfo=UTC)),
                         fetched_at=FETCHED_AT)
    published = archive.get_article("https://news.example.cn/a/1.html")["published_at"]
    assert published.isoformat() == "2026-11-28T09:30:00+08:00"
    assert published.tzname() == "Asia/Shanghai"


def test_same_page_twice_is_unchanged(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    assert archive.save_article(sample_article(1), fetched_at=LATER) == "unchanged"
    stored = archive.get_article("https://news.example.cn/a/1.html")
    assert archive.counts()["articles"] == 1
    assert len(stored["revisions"]) == 1
    assert stored["last_fetched_at"].isoformat() == "2026-11-28T13:00:00+08:00"
    assert stored["first_seen_at"].isoformat() == "2026-11-28T10:00:00+08:00"


def test_changed_body_adds_a_revision_and_keeps_the_old_one(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    assert archive.save_article(sample_article(1, version=2), fetched_at=LATER) == "updated"
    stored = archive.get_article("https://news.example.cn/a/1.html")
    assert stored["revision"] == 2
    assert stored["body"].endswith("版本 2。")
    assert [r["revision"] for r in stored["revisions"]] == [1, 2]
    assert stored["revisions"][0]["body"].endswith("版本 1。")
    assert stored["revisions"][1]["fetched_at"].isoformat() == "2026-11-28T13:00:00+08:00"


def test_changed_title_adds_a_revision(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    assert archive.save_article(sample_article(1, title="更正后的标题"), fetched_at=LATER) == "updated"
    assert archive.counts()["revisions"] == 2


def test_metadata_change_updates_the_row_without_a_revision(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    outcome = archive.save_article(sample_article(1, editors=["王五"], channel=None), fetched_at=LATER)
    stored = archive.get_article("https://news.example.cn/a/1.html")
    assert outcome == "unchanged"
    assert stored["editors"] == ["王五"]
    assert stored["channel"] is None
    assert len(stored["revisions"]) == 1


def test_page_fetched_under_two_urls_is_one_article(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    alias = sample_article(1, url="https://m.news.example.cn/a/1.html")
    assert archive.save_article(alias, fetched_at=LATER) == "unchanged"
    assert archive.counts()["articles"] == 1
    assert archive.get_article("https://m.news.example.cn/a/1.html")["url"] == sample_article(1)["url"]


def test_known_urls_cover_fetched_canonical_and_page_urls(archive: Archive) -> None:
    pages = ["https://news.example.cn/a/1_2.html"]
    archive.save_article(sample_article(1, page_urls=pages), fetched_at=FETCHED_AT)
    archive.save_article(sample_article(1, url="https://m.news.example.cn/a/1.html", page_urls=pages), fetched_at=LATER)
    archive.save_article(sample_article(2, site="other_site"), fetched_at=FETCHED_AT)
    assert archive.known_urls(SITE) == {
        "https://news.example.cn/a/1.html?from=list",
        "https://news.example.cn/a/1.html",
        "https://news.example.cn/a/1_2.html",
        "https://m.news.example.cn/a/1.html",
    }
    assert archive.known_urls("nobody") == set()


def test_redirect_sources_given_as_aliases_become_known(archive: Archive) -> None:
    moved_from = "https://news.example.cn/old/1.html"
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, aliases=[moved_from])
    archive.save_article(sample_article(1), fetched_at=LATER, aliases=[moved_from])
    assert moved_from in archive.known_urls(SITE)
    assert archive.get_article(moved_from)["canonical_url"] == "https://news.example.cn/a/1.html"


def test_get_article_by_id_and_missing(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    article_id = archive.get_article("https://news.example.cn/a/1.html")["id"]
    assert archive.get_article(article_id)["canonical_url"] == "https://news.example.cn/a/1.html"
    assert archive.get_article("https://nowhere.example.cn/") is None
    assert archive.get_article(article_id + 1) is None


def test_iter_articles_filters_by_site(archive: Archive) -> None:
    for i in range(3):
        archive.save_article(sample_article(i), fetched_at=FETCHED_AT)
    archive.save_article(sample_article(9, site="other_site"), fetched_at=FETCHED_AT)
    assert [a["content_id"] for a in archive.iter_articles(SITE)] == ["0", "1", "2"]
    assert len(list(archive.iter_articles())) == 4
    assert "revisions" not in next(archive.iter_articles())


def test_missing_canonical_url_falls_back_to_url(archive: Archive) -> None:
    archive.save_article(sample_article(1, canonical_url=""), fetched_at=FETCHED_AT)
    assert archive.get_article(sample_article(1)["url"])["canonical_url"] == sample_article(1)["url"]


@pytest.mark.parametrize(("override", "message"), [
    ({"url": ""}, "'url'"),
    ({"title": None}, "'title'"),
    ({"published_at": "yesterday"}, "published_at"),
    ({"published_at": "2026-11-28T09:30:00"}, "timezone-aware"),
    ({"published_at": "2026-11-28T09:30:00+08:00"}, "timezone-aware datetime, not a string"),
    ({"published_at": datetime(2026, 11, 28, 9, 30)}, "published_at must be timezone-aware"),
])
def test_bad_article_raises_storage_error(archive: Archive, override: dict, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        archive.save_article(sample_article(1, **override), fetched_at=FETCHED_AT)
    assert archive.counts()["articles"] == 0


def test_naive_fetched_at_is_refused(archive: Archive) -> None:
    with pytest.raises(StorageError, match="fetched_at must be timezone-aware"):
        archive.save_article(sample_article(1), fetched_at=datetime(2026, 11, 28, 10, 0))


@pytest.mark.parametrize("when", ["2026-11-28T10:00:00+08:00", datetime(2026, 11, 28, 10, 0), 1764295200])
def test_every_time_input_must_be_an_aware_datetime(archive: Archive, when: object) -> None:
    run_id = archive.start_run("killer", SITE)
    calls = [lambda: archive.start_run("killer", SITE, scheduled_at=when),
             lambda: archive.save_raw_page("https://x.example.cn/", b"x", {}, when),
             lambda: archive.save_hot_list(SITE, when, "https://x.example.cn/", [{"rank": 1, "title": "t", "url": "u"}],
                                           run_id=run_id),
             lambda: archive.finish_run(run_id, "ok", finished_at=when),
             lambda: archive.mark_removed("https://x.example.cn/", removed_at=when),
             lambda: archive.articles_due_for_refresh(SITE, now=when),
             lambda: archive.hot_list_at(SITE, when),
             lambda: archive.rank_history(SITE, since=when),
             lambda: archive.search("黑龙江", since=when)]
    for call in calls:
        with pytest.raises(StorageError, match="timezone-aware") as caught:
            call()
        assert "\n" not in str(caught.value)


def test_times_come_back_as_aware_shanghai_datetimes(archive: Archive) -> None:
    run_id = archive.start_run("killer", SITE, started_at=FETCHED_AT)
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=run_id)
    archive.finish_run(run_id, "ok", finished_at=LATER)
    stored = archive.get_article(1)
    run = archive.get_run(run_id)
    moments = [stored["published_at"], stored["first_seen_at"], stored["revisions"][0]["fetched_at"],
               run["started_at"], run["finished_at"], archive.search("黑龙江")["results"][0]["published_at"]]
    assert all(isinstance(m, datetime) and m.utcoffset() == timedelta(hours=8) for m in moments)
    assert stored["published_at"] == datetime(2026, 11, 28, 9, 30, tzinfo=SHANGHAI)
    assert run["finished_at"] == LATER


def test_latest_articles_are_the_sites_newest_by_publication_undated_last(archive: Archive) -> None:
    for i, day in ((1, 3), (2, 1), (3, 2)):
        archive.save_article(sample_article(i, published_at=datetime(2026, 11, day, 9, tzinfo=SHANGHAI)),
                             fetched_at=FETCHED_AT)
    archive.save_article(sample_article(4, published_at=None), fetched_at=FETCHED_AT)
    archive.save_article(sample_article(5, site="other_site"), fetched_at=FETCHED_AT)
    newest = archive.latest_articles(SITE, 3)
    assert [a["canonical_url"].rsplit("/", 1)[1] for a in newest] == ["1.html", "3.html", "2.html"]
    assert "revisions" not in newest[0]
    assert [a["title"] for a in archive.latest_articles(SITE, 10)][-1] == "黑龙江新闻 4"
    assert archive.latest_articles("no_such_site") == []
    with pytest.raises(StorageError):
        archive.latest_articles(SITE, -1)
