"""The hlj_people spider routes pages from saved fixtures; no network, no reactor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.items import ArticleItem, FailedPageItem, HotListItem, RawPage
from crawler.middlewares.failed_pages import FailedPageMiddleware
from crawler.responses import NotHtmlError
from crawler.signals import raw_page_fetched
from crawler.spiderloader import spider_class
from crawler.spiders.site import HOT_LIST_REPEAT, SiteSpider

FIXTURES = Path(__file__).parent / "fixtures" / "hlj_people"
GBK_HEADERS = {"Content-Type": "text/html; charset=GB2312"}


def cases(predicate) -> list[dict]:
    found = []
    for path in sorted(FIXTURES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if path.with_suffix(".html").exists() and predicate(case):
            found.append({**case, "case": path.stem})
    return found


def response_for(case: dict, url: str | None = None, **kwargs) -> HtmlResponse:
    url = url or case["url"]
    body = (FIXTURES / f"{case['case']}.html").read_bytes()
    request = scrapy.Request(url, **kwargs)
    return HtmlResponse(url, body=body, headers=GBK_HEADERS, request=request)


def make_spider(**kwargs) -> SiteSpider:
    spider_cls = spider_class("hlj_people")
    crawler = get_crawler(spider_cls, {"HLJNEWS_MAX_LIST_PAGES": 2})
    return spider_cls.from_crawler(crawler, **kwargs)


def kept_pages(spider: SiteSpider) -> list[tuple[RawPage, str]]:
    """Collects what the spider hands the archive by signal (the raw bytes are not items)."""
    kept: list[tuple[RawPage, str]] = []

    def keep(page: RawPage, kind: str) -> None:
        kept.append((page, kind))

    spider.kept = keep  # the signal manager holds receivers weakly: keep this one alive with the spider
    spider.crawler.signals.connect(keep, signal=raw_page_fetched)
    return kept


LIST_CASE = cases(lambda c: bool(c.get("article_urls")) and bool(c.get("next_page_urls")))[0]
SEED = cases(lambda c: c["case"] == "seed_article")[0]
MULTI_PAGE = cases(lambda c: len(c.get("page_urls") or []) >= 2)[0]


def test_list_page_requests_each_article_not_yet_archived_and_the_following_pages() -> None:
    spider = make_spider()
    kept = kept_pages(spider)
    spider.known_urls = {LIST_CASE["article_urls"][0]}
    output = list(spider.parse_list(response_for(LIST_CASE), channel=LIST_CASE["url"]))
    requested = [r.url for r in output if isinstance(r, scrapy.Request) and r.callback == spider.parse_article]
    assert requested == LIST_CASE["article_urls"][1:]
    following = [r.url for r in output if isinstance(r, scrapy.Request) and r.callback == spider.parse_list]
    assert following and set(following) <= set(LIST_CASE["next_page_urls"])
    assert [(page.url, kind) for page, kind in kept] == [(LIST_CASE["url"], "list")]
    assert not [item for item in output if not isinstance(item, scrapy.Request)]  # the list's bytes are no item


def test_refresh_requests_archived_articles_too() -> None:
    spider = make_spider(refresh="1")
    spider.known_urls = set(LIST_CASE["article_urls"])
    output = list(spider.parse_list(response_for(LIST_CASE), channel=LIST_CASE["url"]))
    requested = [r.url for r in output if isinstance(r, scrapy.Request) and r.callback == spider.parse_article]
    assert requested == LIST_CASE["article_urls"]


def test_list_pages_stop_at_the_per_channel_limit() -> None:
    spider = make_spider(max_list_pages="1")
    spider._list_requests[LIST_CASE["url"]] = 1  # the index page itself was requested
    output = list(spider.parse_list(response_for(LIST_CASE), channel=LIST_CASE["url"]))
    assert not [r for r in output if isinstance(r, scrapy.Request) and r.callback == spider.parse_list]


def test_a_list_page_naming_too_many_new_articles_is_followed_only_so_far(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.spiders.site as site_module

    monkeypatch.setattr(site_module, "MAX_ARTICLE_LINKS", 3)  # the real cap is 2,000 links
    spider = make_spider()
    output = list(spider.parse_list(response_for(LIST_CASE), channel=LIST_CASE["url"]))
    requested = [r.url for r in output if isinstance(r, scrapy.Request) and r.callback == spider.parse_article]
    assert len(LIST_CASE["article_urls"]) > 3 and requested == LIST_CASE["article_urls"][:3]


def test_article_page_yields_the_article_its_hot_list_and_keeps_the_raw_bytes() -> None:
    spider = make_spider()
    kept = kept_pages(spider)
    output = list(spider.parse_article(response_for(SEED)))
    (article_item,) = [i for i in output if isinstance(i, ArticleItem)]
    assert article_item.article.title == SEED["title"]
    assert [(page.body, kind) for page, kind in kept] == [((FIXTURES / "seed_article.html").read_bytes(), "article")]
    (hot,) = [i for i in output if isinstance(i, HotListItem)]
    assert [e.title for e in hot.entries] == [e["title"] for e in SEED["hot_list"]]


def test_an_unchanged_hot_list_goes_on_again_only_after_hot_list_repeat_pages() -> None:
    """The archive keeps one snapshot per change, so the spider spares the crawl an item per page; a changed
    list goes on at once, an unchanged one again after HOT_LIST_REPEAT pages (in case its write was lost)."""
    spider = make_spider()
    seed_body = (FIXTURES / "seed_article.html").read_bytes()
    last_title = SEED["hot_list"][-1]["title"]
    changed = response_for(SEED).replace(body=seed_body.replace(last_title.encode("gbk"), "另一条新闻".encode("gbk")))
    pages = [response_for(SEED)] * (HOT_LIST_REPEAT + 2) + [changed, response_for(SEED)]
    passed_on = [(n, item.entries[-1].title) for n, response in enumerate(pages)
                 for item in spider.parse_article(response) if isinstance(item, HotListItem)]
    assert passed_on == [(0, last_title), (HOT_LIST_REPEAT + 1, last_title), (HOT_LIST_REPEAT + 2, "另一条新闻"),
                         (HOT_LIST_REPEAT + 3, last_title)]
    articles = [item for response in pages[:3] for item in spider.parse_article(response)
                if isinstance(item, ArticleItem)]
    assert len(articles) == 3  # the article of every page goes on, whatever its hot list


def test_multi_page_article_is_fetched_page_by_page_and_joined() -> None:
    spider = make_spider()
    kept = kept_pages(spider)
    output = list(spider.parse_article(response_for(MULTI_PAGE)))
    for url in MULTI_PAGE["page_urls"]:
        (request,) = [r for r in output if isinstance(r, scrapy.Request)]
        assert request.url == url
        case = cases(lambda c, url=url: c["url"] == url)[0]
        response = response_for(case, url, cb_kwargs=request.cb_kwargs)
        output = list(spider.parse_article_page(response, **request.cb_kwargs))
    (item,) = [i for i in output if isinstance(i, ArticleItem)]
    assert [page.url for page, _ in kept] == [MULTI_PAGE["url"], *MULTI_PAGE["page_urls"]]
    assert MULTI_PAGE["body_first"] in item.article.body
    last_case = cases(lambda c: c["url"] == MULTI_PAGE["page_urls"][-1])[0]
    assert item.article.body.rstrip().endswith(last_case["body_last"])


def test_a_failed_follow_page_keeps_the_pages_already_fetched() -> None:
    spider = make_spider()
    (request,) = [r for r in spider.parse_article(response_for(MULTI_PAGE)) if isinstance(r, scrapy.Request)]
    failed_response = Response(request.url, status=404, request=request)
    failure = Failure(HttpError(failed_response))
    failure.request = request
    output = list(spider.on_error(failure))
    assert FailedPageItem(request.url, "HTTP 404", status=404) in output
    # the spider moves on to the next page rather than dropping the article
    assert any(isinstance(o, scrapy.Request | ArticleItem) for o in output)


def test_non_html_answer_is_refused_and_recorded_by_the_middleware() -> None:
    spider = make_spider()
    request = scrapy.Request(SEED["url"])
    response = Response(SEED["url"], body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}, request=request)
    with pytest.raises(NotHtmlError) as error:
        list(spider.parse_article(response))
    (item,) = FailedPageMiddleware().process_spider_exception(response, error.value, spider)
    assert item == FailedPageItem(SEED["url"], "not an HTML page (Content-Type: application/pdf)")


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        make_spider(mode="everything")
