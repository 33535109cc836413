"""The garbage collector's pace during crawls (crawler/gc_pace.py): raised while any crawl of the process runs,
put back as found when the last one closes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from crawler.gc_pace import YOUNG_ALLOCATIONS, GcPace
from crawler.settings import EXTENSIONS


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    found = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*found)


def crawl() -> tuple[GcPace, object]:
    crawler = get_crawler(Spider)
    return GcPace.from_crawler(crawler), crawler


def send(crawler, signal) -> None:
    crawler.signals.send_catch_log(signal, spider=Spider("site"), reason="finished")


def test_a_crawl_raises_the_young_threshold_and_puts_it_back(thresholds) -> None:
    _, crawler = crawl()
    send(crawler, signals.spider_opened)
    assert gc.get_threshold() == (YOUNG_ALLOCATIONS, 10, 10)
    send(crawler, signals.spider_closed)
    assert gc.get_threshold() == thresholds


def test_crawls_side_by_side_keep_it_raised_until_the_last_closes(thresholds) -> None:
    (_, first), (_, second) = crawl(), crawl()
    send(first, signals.spider_opened)
    send(second, signals.spider_opened)
    send(first, signals.spider_closed)
    assert gc.get_threshold()[0] == YOUNG_ALLOCATIONS
    send(first, signals.spider_closed)  # a second close of the same crawl changes nothing
    assert gc.get_threshold()[0] == YOUNG_ALLOCATIONS
    send(second, signals.spider_closed)
    assert gc.get_threshold() == thresholds


def test_a_collector_turned_off_or_already_slower_is_left_as_it_is() -> None:
    for found in ((0, 10, 10), (50_000, 20, 20)):
        gc.set_threshold(*found)
        _, crawler = crawl()
        send(crawler, signals.spider_opened)
        assert gc.get_threshold() == found
        send(crawler, signals.spider_closed)
        assert gc.get_threshold() == found


def test_every_crawl_of_the_project_runs_with_it() -> None:
    assert "crawler.gc_pace.GcPace" in EXTENSIONS
