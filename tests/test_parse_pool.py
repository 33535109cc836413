"""Parse processes beside the crawl (crawler/parse_pool.py, crawler/parse_worker.py, the offload middleware):
they read pages exactly as the crawl process does, lose nothing when they die, and die with the crawl."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.middlewares.parse_offload import count_setting, seconds_setting
from crawler.models import Page
from crawler.parse_pool import RESTARTS
from crawler.parse_worker import FRAME, frame, read_message, serve
from crawler.sites.registry import builtin_site
from mirror import Mirror, MirrorServer
from storage import open_archive, pack_body
from tests.support.parse_pool_driver import fixture_pages

ROOT = Path(__file__).resolve().parents[1]


def drive(mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.support.parse_pool_driver", mode, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def hlj_people():
    return builtin_site("hlj_people")


def test_the_worker_answers_each_page_in_order_as_the_site_parses_it() -> None:
    site, pages = hlj_people(), fixture_pages()[:4]
    image = Page("http://hlj.people.com.cn/img/a.png", b"\x89PNG\r\n\x1a\n" + bytes(64), {"content-type": "image/png"})
    incoming = io.BytesIO(frame(site) + b"".join(frame(page) for page in [*pages, image]))
    outgoing = io.BytesIO()
    serve(incoming, outgoing)
    outgoing.seek(0)
    answers = []
    while (message := read_message(outgoing)) is not None:
        answers.append(message)
    assert answers[0] == ("ready",)
    assert len(answers) == 1 + len(pages) + 1
    for page, answer in zip([*pages, image], answers[1:], strict=True):
        try:
            expected = ("ok", site.parse_page(page), pack_body(page.body))
        except Exception as error:  # the answer names what the crawl process would raise
            expected = ("error", f"{type(error).__name__}: {error}")
        assert answer == expected
    assert answers[-1][0] == "error" and [answer[0] for answer in answers[1:-1]].count("ok") >= 3


def test_the_worker_stops_at_a_cut_off_message_and_at_the_end_of_its_input() -> None:
    whole = frame(hlj_people()) + frame(fixture_pages()[0])
    outgoing = io.BytesIO()
    serve(io.BytesIO(whole[:-10]), outgoing)  # the page's message is cut short: no answer for it, no hang
    outgoing.seek(0)
    assert read_message(outgoing) == ("ready",) and read_message(outgoing) is None
    serve(io.BytesIO(b""), io.BytesIO())  # no site at all: nothing to do
    assert FRAME.size == 4


def test_a_parse_process_reads_every_fixture_page_as_the_crawl_process_does() -> None:
    result = drive("equal")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["pages"] >= 10 and summary["differ"] == []
    site = hlj_people()
    assert "oversized" not in summary["refused"]  # a 2.7 MB page came back whole, and the pages after it
    for n, page in enumerate(fixture_pages()):  # a page the pool hands back is one whose parse raises here too
        if n in summary["refused"]:
            with pytest.raises(Exception):  # noqa: B017 (whatever the site raises, the pool must not hide it)
                site.parse_page(page)
    assert len(summary["refused"]) < summary["pages"] // 2
    assert summary["image"] is None  # not HTML: handed back, so the crawl refuses it as it always has


def test_the_spider_yields_the_same_from_a_page_parsed_elsewhere_and_keeps_its_packed_body() -> None:
    result = drive("spider")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["differ"] == []  # articles, hot lists, requests, failures and kept bytes alike
    assert summary["offloaded"] >= summary["pages"] - 2  # all but the pages whose parse raises
    assert summary["stats"]["hljnews/parse_pool/parsed"] == summary["offloaded"]
    assert summary["kept"] > 0 and summary["packed"] == summary["kept"]  # the archive gets them packed


def test_pages_of_a_killed_parse_process_come_back_and_a_new_process_takes_over_until_it_keeps_dying() -> None:
    result = drive("kill")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.splitlines()[-1])
    rounds = summary["rounds"]
    assert [r["restarts"] for r in rounds] == list(range(1, RESTARTS + 2))
    assert all(r["answered_none"] == r["sent"] for r in rounds)  # every waiting page answered: none hangs
    assert summary["after"] is True  # given up: the rest of the crawl parses in the crawl process
    assert result.stderr.count("a parse process of hlj_people died") == RESTARTS
    assert f"died {RESTARTS + 1} times" in result.stderr


def test_a_page_that_hangs_its_parse_process_fails_alone_and_the_process_is_replaced() -> None:
    result = drive("hang", "5")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.splitlines()[-1])
    # The page before it was parsed; it failed with why; the pages behind it came back to the crawl process.
    assert summary["got"] == ["parsed", "parsing took over 5 s (the parse process was stopped)", None, None]
    assert summary["again"] is True and summary["restarts"] == 1
    assert "index-hang.html took over 5 s" in result.stderr


def test_the_spider_fails_a_page_that_hung_its_parse_process_instead_of_parsing_it_again() -> None:
    import scrapy
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from crawler.errors import ParseError
    from crawler.parse_pool import PARSE_FAILED
    from crawler.spiderloader import spider_class

    spider_cls = spider_class("hlj_people")
    spider = spider_cls.from_crawler(get_crawler(spider_cls))
    page = fixture_pages()[-1]
    request = scrapy.Request(page.url, callback=spider.parse_article, meta={PARSE_FAILED: "parsing took over 60 s"})
    response = HtmlResponse(page.url, body=page.body, headers=page.headers, request=request)
    with pytest.raises(ParseError, match="parsing took over 60 s") as failed:
        list(spider.parse_article(response))
    assert failed.value.reason == "parsing took over 60 s"  # what the failed-page middleware records


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_sigkilled_crawl_process_takes_its_parse_process_with_it() -> None:
    result = drive("orphan")
    assert result.returncode == -9, result.stderr[-2000:]
    pid = int(result.stdout.split()[0])
    for _ in range(600):  # the kernel kills it at once; a loaded machine may take a moment to reap it
        if not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail(f"parse process {pid} outlived its crawl")


@pytest.mark.parametrize("value", ["-1", "many", "1.5", ""])
def test_a_bad_parse_processes_setting_is_one_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="HLJNEWS_PARSE_PROCESSES must be a whole number >= 0"):
        count_setting("HLJNEWS_PARSE_PROCESSES", value)
    assert count_setting("X", "0") == 0 and count_setting("X", 2) == 2


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf", None])
def test_a_bad_parse_timeout_is_one_clear_error(value: object) -> None:
    with pytest.raises(ValueError, match="HLJNEWS_PARSE_TIMEOUT must be a number of seconds > 0"):
        seconds_setting("HLJNEWS_PARSE_TIMEOUT", value)
    assert seconds_setting("X", "2.5") == 2.5


def test_a_bad_parse_processes_in_the_environment_stops_hljnews_crawl_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "HLJNEWS_PARSE_PROCESSES": "two"}
    result = subprocess.run([sys.executable, "-m", "jobs", "crawl", "hlj_people", "--db", str(tmp_path / "a.sqlite3")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "$HLJNEWS_PARSE_PROCESSES must be a whole number >= 0, not 'two'" in result.stderr
    assert not (tmp_path / "a.sqlite3").exists()  # nothing started


def crawl(db: Path, processes: int) -> subprocess.CompletedProcess[str]:
    """The bundled mirror, each answer 0.2 s late: the parse process, started at once, is up for most pages."""
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with MirrorServer(Mirror(delay=0.2)) as server:
        return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "hlj_people", "-s", f"HLJNEWS_DB={db}",
                               "-s", f"HLJNEWS_PARSE_PROCESSES={processes}", "-s", "HLJNEWS_PARSE_PROCESS_AFTER=0",
                               "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"], cwd=ROOT, capture_output=True,
                              text=True, timeout=300, env={**clean, "http_proxy": server.proxy_url})


def archived(db: Path) -> dict:
    """What a crawl stored, without the times it was stored at."""
    with open_archive(str(db)) as archive:
        articles = sorted((a["canonical_url"], a["title"], a["body"], a["published_at"], tuple(a["authors"]))
                          for a in archive.iter_articles("hlj_people"))
        pages = sorted((page["url"], page["body"]) for page in archive.iter_raw_pages("hlj_people"))
        # An unchanged hot list is stored once, from whichever page came first: compare the lists, not pages.
        hot = sorted({json.dumps(snapshot["entries"], ensure_ascii=False) for url, _ in pages
                      if (snapshot := archive.latest_hot_list("hlj_people", url))})
        run = archive.runs(site="hlj_people", limit=1)[0]
        rows = archive.counts()
    counts = {key: run[key] for key in ("pages_new", "pages_failed", "pages_blocked", "status")}
    return {"articles": articles, "hot": hot, "pages": pages, "run": counts, "rows": rows}


def test_a_crawl_with_a_parse_process_stores_what_a_crawl_without_one_stores(tmp_path: Path) -> None:
    pooled, inline = crawl(tmp_path / "pooled.sqlite3", 1), crawl(tmp_path / "inline.sqlite3", 0)
    for result in (pooled, inline):
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "hljnews/parse_pool/" not in inline.stderr  # 0: no pool at all
    # How many pages the process read depends on how soon it was up (19 of 20 here); what was stored must not.
    stored = archived(tmp_path / "pooled.sqlite3")
    assert stored == archived(tmp_path / "inline.sqlite3")
    assert stored["run"]["pages_new"] > 0 and stored["pages"]


def test_the_process_starts_once_the_crawl_has_asked_for_enough_pages_not_parsed_them(monkeypatch) -> None:
    """A channel list names its articles at once: the process starts then, not after the crawl parsed them."""
    import asyncio

    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from crawler.middlewares.parse_offload import ParseOffloadMiddleware
    from crawler.spiders.site import SiteSpider

    started = []
    monkeypatch.setattr("crawler.middlewares.parse_offload.ParsePool.start",
                        lambda site, processes, timeout: started.append(site.key))
    crawler = get_crawler(SiteSpider, {"HLJNEWS_PARSE_PROCESSES": 1, "HLJNEWS_PARSE_PROCESS_AFTER": 3,
                                       "HLJNEWS_PARSE_TIMEOUT": 60})
    crawler.spider = SiteSpider(site=hlj_people())
    middleware = ParseOffloadMiddleware.from_crawler(crawler)
    middleware.spider_opened()
    page = fixture_pages()[0]

    def respond() -> None:
        request = Request(page.url, callback=crawler.spider.parse_article)
        response = HtmlResponse(page.url, body=page.body, headers=page.headers, request=request)
        assert asyncio.run(middleware.process_response(request, response)) is response

    crawler.stats.set_value("scheduler/enqueued", 2)
    respond()
    assert started == []  # two pages asked for: the crawl parses them itself
    crawler.stats.set_value("scheduler/enqueued", 52)  # the first list page named fifty articles
    respond()
    assert started == ["hlj_people"]  # after parsing two pages itself, not three


def test_a_parse_process_loads_neither_the_archive_nor_the_configuration(tmp_path: Path) -> None:
    """What makes its start cost (SQLAlchemy, Alembic, pydantic, BeautifulSoup) stays out of a parse process."""
    import pickle

    site_file = tmp_path / "site.pickle"
    site_file.write_bytes(pickle.dumps(hlj_people()))
    code = ("import pickle, sys\n"
            "import crawler.parse_worker\n"
            f"site = pickle.loads(open({str(site_file)!r}, 'rb').read())\n"
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'sqlalchemy', 'alembic', 'pydantic', "
            "'config', 'bs4', 'scrapy', 'twisted'}))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
