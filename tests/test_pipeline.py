"""The archive pipeline only writes: a write the archive refuses is a failed page, counted, in one log line."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from crawler.items import ArticleItem, FailedPageItem, HotListItem, RawPage, article_fields
from crawler.models import Article, Channel, HotEntry, Image
from crawler.pipelines import ArchivePipeline
from crawler.run_status import close_explanation, run_status
from crawler.spiderloader import spider_class
from crawler.spiders.site import HOT_LIST_REPEAT
from storage import open_archive
from tests.conftest import new_pg_database
from tests.support.tcp_proxy import TcpProxy

SEED_PAGE = Path(__file__).parent / "fixtures" / "hlj_people" / "seed_article.html"

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
HOT = [HotEntry(rank, f"热点{rank}", f"http://hlj.people.com.cn/n2/{rank}.html") for rank in range(1, 11)]


class Engine_:
    """Stands in for Scrapy's engine (no reactor here): remembers why the pipeline closed the spider."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def close_spider(self, _spider: object, reason: str) -> None:
        self.reasons.append(reason)


def article(i: int, body: str = "正文。") -> ArticleItem:
    url = f"http://hlj.people.com.cn/n2/2026/1128/c220024-{i}.html"
    return ArticleItem(Article(url, url, "hlj_people", f"标题{i}", body, published_at=T0), T0)


def raw(i: int) -> RawPage:
    return RawPage(f"http://hlj.people.com.cn/GB/{i}/index.html", b"<html></html>", {}, 200, T0)


def feed(pipeline: ArchivePipeline, item: Any) -> Any:
    """process_item as Scrapy calls it: hot lists and failed pages are stored, then dropped from the feed."""
    try:
        return pipeline.process_item(item)
    except DropItem:
        return None


HljPeopleSpider = spider_class("hlj_people")


def started(db: str, **settings: Any) -> tuple[ArchivePipeline, Crawler]:
    """A pipeline in a started crawl; each write is committed as it comes unless HLJNEWS_BATCH_SIZE says otherwise
    (the tests of batches set it)."""
    crawler = get_crawler(HljPeopleSpider, {"HLJNEWS_DB": db, "HLJNEWS_DB_RETRY_SECONDS": 30,
                                            "HLJNEWS_MAX_RUN_ERRORS": 20, "CLOSESPIDER_PAGECOUNT": 2000,
                                            "HLJNEWS_BATCH_SIZE": 1, **settings})
    crawler.spider = HljPeopleSpider.from_crawler(crawler)
    crawler.engine = Engine_()  # type: ignore[assignment]
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.crawl_started()  # what the spider's signal does when the crawl begins
    return pipeline, crawler


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    return str(tmp_path / "pipeline.sqlite3")


def test_a_refused_write_is_a_failed_page_in_one_log_line(sqlite_db: str, caplog: pytest.LogCaptureFixture) -> None:
    pipeline, crawler = started(sqlite_db)
    pipeline.keep_raw_page(raw(1), "list")
    feed(pipeline, article(1))
    _fill_the_disk(pipeline.archive.engine)
    with caplog.at_level(logging.INFO):
        feed(pipeline, article(2, body="黑龙江新闻。" * 5000))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "article of http://hlj.people.com.cn/n2/2026/1128/c220024-2.html not stored" in errors[0].getMessage()
    assert "is full" in errors[0].getMessage()
    pipeline.archive.engine.dispose()
    event.remove(pipeline.archive.engine, "connect", _cap_pages)  # room again, as when space is freed
    pipeline.spider_closed(crawler.spider, "finished")
    with open_archive(sqlite_db) as archive:
        run = archive.get_run(pipeline.run_id)
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("partial", 1, 1)
    assert run["errors"][0].startswith("http://hlj.people.com.cn/n2/2026/1128/c220024-2.html: article not stored")
    assert crawler.stats.get_value("hljnews/pages_failed") == 1


def test_failures_the_archive_cannot_take_are_recorded_once_it_is_back(pg_admin: Engine, pg_databases: list[str],
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    url = new_pg_database(pg_admin, pg_databases)
    with TcpProxy("127.0.0.1", 5432) as proxy:
        pipeline, crawler = started(make_url(url).set(port=proxy.port).render_as_string(hide_password=False),
                                    HLJNEWS_DB_RETRY_SECONDS=1)
        proxy.down()
        with caplog.at_level(logging.INFO):
            feed(pipeline, article(1))
            feed(pipeline, FailedPageItem("http://hlj.people.com.cn/n2/404.html", "HTTP 404", 404))
        proxy.up()
        feed(pipeline, article(2))
        pipeline.spider_closed(crawler.spider, "finished")
    assert [r.exc_info for r in caplog.records] == [None] * len(caplog.records)
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) <= 2
    with open_archive(url) as archive:
        run = archive.get_run(pipeline.run_id)
        stored = {a["url"] for a in archive.iter_articles()}
    assert stored == {article(2).article.url}
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("partial", 1, 2)
    assert any("article not stored" in e and "unreachable" in e for e in run["errors"])


def test_an_archive_that_stays_unreachable_stops_the_crawl(pg_admin: Engine, pg_databases: list[str]) -> None:
    url = new_pg_database(pg_admin, pg_databases)
    with TcpProxy("127.0.0.1", 5432) as proxy:
        pipeline, crawler = started(make_url(url).set(port=proxy.port).render_as_string(hide_password=False),
                                    HLJNEWS_DB_RETRY_SECONDS=0.5)
        proxy.down()
        for i in range(4):
            feed(pipeline, article(i))
        assert crawler.engine.reasons == ["archive_unavailable"]
        proxy.up()
        pipeline.spider_closed(crawler.spider, "archive_unavailable")
    with open_archive(url) as archive:
        run = archive.get_run(pipeline.run_id)
    assert run["status"] == "failed" and run["pages_failed"] == 4
    assert run["errors"][0].startswith("failed: the archive stayed unreachable")


class _LostLock:
    def verify(self) -> bool:
        return False


def test_a_crawl_that_lost_its_site_lock_is_closed_as_interrupted(sqlite_db: str) -> None:
    pipeline, crawler = started(sqlite_db)
    pipeline.lock = _LostLock()  # type: ignore[assignment]
    pipeline._lock_checked = (-1, 0.0)  # as after a reconnect
    feed(pipeline, article(1))
    assert crawler.engine.reasons == ["lost_site_lock"]
    pipeline.spider_closed(crawler.spider, "lost_site_lock")
    with open_archive(sqlite_db) as archive:
        run = archive.get_run(pipeline.run_id)
    assert (run["status"], run["pages_new"]) == ("interrupted", 1)
    assert run["errors"][0].startswith("interrupted: lost the site's crawl lock")


def test_the_pipeline_finds_the_lock_its_caller_holds(sqlite_db: str) -> None:
    with open_archive(sqlite_db, create=True) as archive, archive.crawl_lock("hlj_people") as lock:
        pipeline, crawler = started(sqlite_db)
        assert pipeline.lock is lock
        pipeline.spider_closed(crawler.spider, "finished")
    pipeline, crawler = started(sqlite_db)
    assert pipeline.lock is None
    pipeline.spider_closed(crawler.spider, "finished")


def test_repeated_sidebars_are_one_snapshot_without_the_pipeline_deduplicating(sqlite_db: str) -> None:
    pipeline, crawler = started(sqlite_db)
    for i in range(5):
        feed(pipeline, HotListItem("hlj_people", f"http://hlj.people.com.cn/n2/{i}.html", T0, HOT))
    feed(pipeline, HotListItem("hlj_people", "http://hlj.people.com.cn/n2/9.html", T0, HOT[:3]))
    assert crawler.stats.get_value("hljnews/hot_lists") == 2
    pipeline.spider_closed(crawler.spider, "finished")
    with open_archive(sqlite_db) as archive:
        assert archive.counts()["hot_list_snapshots"] == 2


def test_a_hot_list_the_archive_could_not_store_goes_again_with_the_next_page_showing_it(sqlite_db: str) -> None:
    """The spider passes an unchanged hot list on only every HOT_LIST_REPEAT pages; the pipeline tells it of one
    the archive refused, so the history has the list from the next page on, as when every page sent it."""
    pipeline, crawler = started(sqlite_db)
    urls = [f"http://hlj.people.com.cn/n2/2021/0716/c220027-{34832561 + n}.html" for n in range(3)]

    def crawl(url: str) -> None:
        response = HtmlResponse(url, body=SEED_PAGE.read_bytes(), request=scrapy.Request(url),
                                headers={"Content-Type": "text/html; charset=GB2312"})
        for item in crawler.spider.parse_article(response):
            feed(pipeline, item)

    with sqlite3.connect(sqlite_db) as conn:
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON hot_list_snapshots "
                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    crawl(urls[0])
    with sqlite3.connect(sqlite_db) as conn:
        conn.execute("DROP TRIGGER refuse")
    for url in urls[1:]:
        crawl(url)
    pipeline.spider_closed(crawler.spider, "finished")
    assert HOT_LIST_REPEAT > 1  # else every page would send the list anyway
    with open_archive(sqlite_db) as archive:
        assert archive.counts()["hot_list_snapshots"] == 1
        assert archive.latest_hot_list("hlj_people")["page_url"] == urls[1]
        run = archive.get_run(pipeline.run_id)
    assert run["errors"][0].startswith(f"{urls[0]}: hot list not stored")
    assert (run["pages_new"], run["pages_failed"]) == (3, 1)


def test_the_pipeline_writes_nothing_into_the_spider(sqlite_db: str) -> None:
    crawler = get_crawler(HljPeopleSpider, {"HLJNEWS_DB": sqlite_db})
    crawler.spider = HljPeopleSpider.from_crawler(crawler)
    before = dict(vars(crawler.spider))
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    feed(pipeline, article(1))
    pipeline.spider_closed(crawler.spider, "finished")
    assert vars(crawler.spider) == before


@pytest.mark.parametrize(("reason", "ok", "failed", "status"), [
    ("finished", 3, 0, "ok"), ("finished", 3, 1, "partial"), ("finished", 0, 2, "failed"),
    ("closespider_pagecount", 5, 0, "truncated"), ("closespider_timeout", 5, 1, "truncated"),
    ("shutdown", 5, 0, "interrupted"), ("lost_site_lock", 5, 0, "interrupted"),
    ("archive_unavailable", 5, 3, "failed"),
])
def test_run_status(reason: str, ok: int, failed: int, status: str) -> None:
    assert run_status(reason, ok=ok, failed=failed) == status


def test_a_truncated_run_says_why() -> None:
    settings = {"CLOSESPIDER_PAGECOUNT": 2000, "CLOSESPIDER_TIMEOUT": 600}
    assert close_explanation("closespider_pagecount", settings) == (
        "truncated: CLOSESPIDER_PAGECOUNT = 2000 reached; pages beyond it were not crawled")
    assert "CLOSESPIDER_TIMEOUT = 600" in close_explanation("closespider_timeout", settings)
    assert close_explanation("finished", settings) == ""
    assert close_explanation("shutdown", settings) == "interrupted: shutdown"


def _cap_pages(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA max_page_count = {cursor.execute('PRAGMA page_count').fetchone()[0] + 2}")
    cursor.close()


def _fill_the_disk(engine: Engine) -> None:
    """From now on the file may grow by two pages only: SQLite answers as it does on a full disk."""
    engine.dispose()
    event.listen(engine, "connect", _cap_pages)



def _refuse_title(db: str, title: str) -> None:
    """Make the database refuse one article (as a constraint would), whatever transaction it comes in."""
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.title = '{title}' "
                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")


def test_writes_wait_in_the_batch_until_it_is_full_and_are_not_known_before(sqlite_db: str) -> None:
    pipeline, crawler = started(sqlite_db, HLJNEWS_BATCH_SIZE=4)
    for i in range(3):
        feed(pipeline, article(i))
    with open_archive(sqlite_db) as archive:
        assert archive.counts()["articles"] == 0 and archive.known_urls("hlj_people") == set()
        assert archive.get_run(pipeline.run_id)["pages_new"] == 0
    assert crawler.stats.get_value("hljnews/pages_ok") is None  # nothing counted before it is stored
    feed(pipeline, article(3))  # the fourth write fills the batch: one transaction stores all four
    with open_archive(sqlite_db) as archive:
        assert archive.counts()["articles"] == 4 and archive.get_run(pipeline.run_id)["pages_new"] == 4
    feed(pipeline, article(4))
    pipeline.spider_closed(crawler.spider, "finished")
    with open_archive(sqlite_db) as archive:
        run = archive.get_run(pipeline.run_id)
        assert (run["status"], run["pages_new"], archive.counts()["articles"]) == ("ok", 5, 5)
    assert crawler.stats.get_value("hljnews/pages_ok") == 5


def test_a_batch_the_database_refuses_is_written_page_by_page_and_the_crawl_goes_on(
        sqlite_db: str, caplog: pytest.LogCaptureFixture) -> None:
    pipeline, crawler = started(sqlite_db, HLJNEWS_BATCH_SIZE=3)
    _refuse_title(sqlite_db, "标题3")
    with caplog.at_level(logging.INFO):
        pipeline.keep_raw_page(raw(1), "list")
        for i in range(1, 7):  # batches: raw, 1, 2 | 3 (refused), 4, 5 | 6 and the failure of 3, at close
            feed(pipeline, article(i))
        pipeline.spider_closed(crawler.spider, "finished")
    assert crawler.engine.reasons == []  # the crawl was not stopped
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and f"article of {article(3).article.url} not stored" in errors[0]
    assert any("writing them one by one" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    with open_archive(sqlite_db) as archive:
        run = archive.get_run(pipeline.run_id)
        stored = {a["url"] for a in archive.iter_articles()}
    assert stored == {article(i).article.url for i in (1, 2, 4, 5, 6)}
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("partial", 5, 1)
    assert run["errors"][0].startswith("http://hlj.people.com.cn/n2/2026/1128/c220024-3.html: article not stored")
    assert crawler.stats.get_value("hljnews/pages_ok") == 6  # five articles and the list page


def test_article_fields_are_asdict_of_the_article() -> None:
    full = Article("http://hlj.people.com.cn/n2/1.html", "http://hlj.people.com.cn/n2/1.html", "hlj_people", "标题",
                   "正文。", published_at=T0, authors=["张三"], editors=["李四"], channel=Channel("220027", "要闻"),
                   images=[Image("http://hlj.people.com.cn/1.jpg", "图")], page_urls=["http://hlj.people.com.cn/n2/1-2.html"])
    assert article_fields(full) == asdict(full)
    assert article_fields(full)["authors"] is not full.authors  # a copy: the feed may change it
    bare = article(1).article
    assert article_fields(bare) == asdict(bare)
