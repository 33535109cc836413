"""Test helper: drive a ParsePool under a running reactor, in a fresh process (Twisted's reactor runs once).

    python -m tests.support.parse_pool_driver MODE

equal   parse every hlj_people fixture page in the pool and in this process; print what differs
kill    SIGKILL the parse process with pages waiting, RESTARTS + 1 times; print what the pool did
orphan  print the parse process's pid, then SIGKILL this process (the parse process must die with it)
hang    a page that hangs its parse process among good ones; print what each page got
spider  the offload middleware and the spider on every fixture page, against the spider alone; print the
        differences
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import signal
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from scrapy.utils.defer import maybe_deferred_to_future as wait
from scrapy.utils.reactor import install_reactor

install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")

from twisted.internet import reactor, task  # noqa: E402  (after the reactor is chosen)
from twisted.internet.defer import Deferred  # noqa: E402

from crawler.models import Page  # noqa: E402
from crawler.parse_pool import PIPE_BYTES, RESTARTS, ParsePool  # noqa: E402
from crawler.sites.registry import builtin_site  # noqa: E402
from storage import pack_body  # noqa: E402
from tests.support.site_fixtures import SiteFixtures  # noqa: E402

FETCHED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def fixture_pages() -> list[Page]:
    fixtures = SiteFixtures("hlj_people")
    return [replace(fixtures.page(case), fetched_at=FETCHED) for case in fixtures.cases]


async def until_ready(pool: ParsePool, page: Page) -> Any:
    """The first answer of a ready pool (polled: the process takes a moment to start)."""
    for _ in range(1200):  # 60 s: a loaded machine starts Python slowly, but it does start
        answer = pool.parse(page)
        if answer is not None:
            return await wait(answer)
        await wait(task.deferLater(reactor, 0.05))
    raise SystemExit("the parse process never became ready")


def oversized_page(page: Page) -> Page:
    """The page with ~2.7 MB of hardly compressible text in a comment: its answer (the packed body) is more than
    a pipe holds and more than one read of the process's output takes."""
    filler = base64.b64encode(random.Random(7).randbytes(2_000_000))
    assert len(filler) > 2 * PIPE_BYTES
    body = page.body.replace(b"</body>", b"<!-- " + filler + b" --></body>", 1)
    return replace(page, url=page.url.replace(".html", "-big.html"), body=body)


async def equal(pool: ParsePool, site: Any) -> dict[str, Any]:
    fixtures = fixture_pages()
    # (index in fixture_pages(), page); the oversized one goes second: the pages after it must come back whole
    pages = [(0, fixtures[0]), (None, oversized_page(fixtures[0])), *enumerate(fixtures[1:], start=1)]
    await until_ready(pool, fixtures[0])
    answers = [pool.parse(page) for _, page in pages]  # all sent before the first answer is read
    differ, refused = [], []
    for (n, page), answer in zip(pages, answers, strict=True):
        got = await wait(answer)  # type: ignore[arg-type]
        if got is None:
            refused.append(n if n is not None else "oversized")
        elif got.parsed != site.parse_page(page) or got.packed != pack_body(page.body) or got.page is not page:
            differ.append(page.url)
    image = Page("http://hlj.people.com.cn/img/a.png", b"\x89PNG\r\n\x1a\n" + bytes(64), {"content-type": "image/png"})
    return {"pages": len(pages), "differ": differ, "refused": refused, "image": await wait(pool.parse(image))}


async def kill(pool: ParsePool, site: Any) -> dict[str, Any]:
    pages = fixture_pages()
    rounds = []
    for _ in range(RESTARTS + 1):
        await until_ready(pool, pages[0])
        pid = pool._processes[0].transport.pid  # type: ignore[union-attr]
        answers = [pool.parse(page) for page in pages]
        os.kill(pid, signal.SIGKILL)
        results = [await wait(answer) for answer in answers]  # type: ignore[arg-type]
        rounds.append({"answered_none": sum(result is None for result in results), "sent": len(results),
                       "restarts": pool.restarts})
    return {"rounds": rounds, "restarts": pool.restarts, "after": pool.parse(pages[0]) is None}


async def hang(pool: ParsePool, site: Any) -> dict[str, Any]:
    from tests.support.hanging_site import HangingSite

    await wait(pool.close())
    pool = ParsePool.start(HangingSite(), 1, timeout=float(sys.argv[2]))
    assert pool is not None
    try:
        pages = fixture_pages()
        good = [page for page in pages if "34832561" not in page.url][:3]  # pages that parse
        hanging = replace(good[0], url=good[0].url.replace(".html", "-hang.html"))
        await until_ready(pool, good[0])
        answers = [pool.parse(page) for page in [good[0], hanging, good[1], good[2]]]
        got = [await wait(answer) for answer in answers]  # type: ignore[arg-type]
        again = await until_ready(pool, good[1])
        return {"got": [None if g is None else g if isinstance(g, str) else "parsed" for g in got],
                "again": again is not None and not isinstance(again, str), "restarts": pool.restarts}
    finally:
        await wait(pool.close())


async def orphan(pool: ParsePool, site: Any) -> None:
    await until_ready(pool, fixture_pages()[0])
    print(pool._processes[0].transport.pid, flush=True)  # type: ignore[union-attr]
    os.kill(os.getpid(), signal.SIGKILL)


def _spider_output(spider: Any, response: Any) -> tuple[list[Any], list[Any]]:
    """What the spider yields for the response (articles and hot lists, not fetch times) and the raw pages it
    hands the archive."""
    import scrapy

    from crawler.items import ArticleItem, HotListItem
    from crawler.signals import raw_page_fetched

    kept: list[Any] = []

    def keep(page: Any, kind: str) -> None:
        kept.append(page)

    spider.crawler.signals.connect(keep, signal=raw_page_fetched)
    try:
        items = list(spider.parse(response))
    except Exception as error:  # the same page must fail the same way on both paths
        items = [f"{type(error).__name__}: {error}"]
    finally:
        spider.crawler.signals.disconnect(keep, signal=raw_page_fetched)
    readable = [item.article if isinstance(item, ArticleItem) else item.entries if isinstance(item, HotListItem)
                else ("request", item.url) if isinstance(item, scrapy.Request) else item for item in items]
    return readable, kept


async def spider(pool: ParsePool, site: Any) -> dict[str, Any]:
    import scrapy
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.middlewares.parse_offload import ParseOffloadMiddleware
    from crawler.spiderloader import spider_class
    from crawler.spiders import site as site_spider

    await wait(pool.close())
    spider_cls = spider_class("hlj_people")
    crawler = get_crawler(spider_cls, {"HLJNEWS_PARSE_PROCESSES": 1, "HLJNEWS_PARSE_PROCESS_AFTER": 0,
                                       "HLJNEWS_PARSE_TIMEOUT": 60})
    crawler.spider = the_spider = spider_cls.from_crawler(crawler)
    site_spider.HOT_LIST_REPEAT = 0  # every page's hot list, even a repeated one, is compared on both paths
    middleware = ParseOffloadMiddleware.from_crawler(crawler)
    middleware.spider_opened()
    assert middleware.pool is not None
    pages = fixture_pages()
    await until_ready(middleware.pool, pages[0])
    differ, offloaded, packed, kept = [], 0, 0, 0
    def response(page: Page) -> HtmlResponse:
        request = scrapy.Request(page.url, callback=the_spider.parse)
        return HtmlResponse(page.url, body=page.body, headers=page.headers, request=request)

    for n, page in enumerate(pages):
        fetched = response(page)
        through = await middleware.process_response(fetched.request, fetched)
        offloaded += "hljnews_parsed_elsewhere" in through.meta
        pooled, pooled_kept = _spider_output(the_spider, through)
        alone, alone_kept = _spider_output(the_spider, response(page))
        packed += sum(page.packed == pack_body(page.body) for page in pooled_kept)
        kept += len(pooled_kept) if "hljnews_parsed_elsewhere" in through.meta else 0
        if pooled != alone or [k.body for k in pooled_kept] != [k.body for k in alone_kept]:
            differ.append(n)
        if any(page.packed is not None for page in alone_kept):
            differ.append(f"{n}: packed without a parse process")
    await middleware.spider_closed()
    return {"pages": len(pages), "differ": differ, "offloaded": offloaded, "packed": packed, "kept": kept,
            "stats": {k: v for k, v in crawler.stats.get_stats().items() if "parse_pool" in k}}


async def run(mode: str) -> None:
    site = builtin_site("hlj_people")
    pool = ParsePool.start(site, 1)
    assert pool is not None
    try:
        modes = {"equal": equal, "kill": kill, "orphan": orphan, "spider": spider, "hang": hang}
        result = await modes[mode](pool, site)
        print(json.dumps(result, default=str))
    finally:
        await wait(pool.close())
        reactor.stop()


def main() -> None:
    # Driven by asyncio, as Scrapy drives middlewares under its asyncio reactor.
    reactor.callWhenRunning(lambda: Deferred.fromFuture(asyncio.ensure_future(run(sys.argv[1]))))
    reactor.run()


if __name__ == "__main__":
    main()
