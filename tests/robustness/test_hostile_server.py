"""The real hlj_people spider against a hostile server: every bad answer is one failed page with its true
reason, good pages around them are stored, nothing is fetched off-site, and memory stays bounded."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from storage import open_archive
from tests.robustness.hostile_server import (
    Answer,
    HostileServer,
    gzip_bomb,
    hang_up,
    html,
    not_http,
    raw_location,
    redirect,
    slow_loris,
    truncated,
    unsized,
)

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "mirror" / "pages" / "hlj.people.com.cn" / "n2"
LIST = "http://hlj.people.com.cn/GB/220027/index.html"
BASE = "http://hlj.people.com.cn/n2/2021/0716/c220027-"
EVIL = "evil.example.org"


def mirror_page(name: str) -> bytes:
    """A real people.com.cn article page as the live site serves it (GBK bytes)."""
    return next(PAGES.glob(f"*/*/{name}.html")).read_bytes()


def article_url(number: int) -> str:
    return f"{BASE}{90000000 + number}.html"


def list_page(urls: list[str]) -> bytes:
    links = "".join(f'<li><a href="{url}">新闻 {i}</a></li>' for i, url in enumerate(urls))
    return f"<html><head><title>省内要闻</title></head><body><ul>{links}</ul></body></html>".encode("gbk")


def with_hostile_title(page: bytes) -> bytes:
    """The page with a terminal escape, a backspace and a right-to-left override in its title."""
    text = page.decode("gb18030")
    start = text.index("<h1>") + len("<h1>")
    return (text[:start] + "\x1b[31m\u202e\x08" + text[start:]).encode("gb18030")


def with_nul_bytes(page: bytes) -> bytes:
    at = page.index("。".encode("gbk"), 4096)
    return page[:at] + b"\x00\x00" + page[at:]


def crawl(server: HostileServer, db: Path, start_url: str, **settings: object) -> dict:
    """`scrapy crawl hlj_people` through the server, in a child process; its status, peak memory and stderr."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["http_proxy"] = server.proxy_url
    options = {"HLJNEWS_DB": str(db), "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0,
               "DOWNLOAD_TIMEOUT": 6, "LOG_LEVEL": "INFO", **settings}
    command = [sys.executable, "-m", "tests.support.peak_rss", sys.executable, "-m", "scrapy", "crawl",
               "hlj_people", "-a", f"start_urls={start_url}"]
    for name, value in options.items():
        command += ["-s", f"{name}={value}"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    return {**outcome, "stderr": result.stderr}


def last_run(db: Path) -> dict:
    with open_archive(str(db)) as archive:
        return archive.runs(site="hlj_people", limit=1)[0]


def stored_urls(db: Path) -> dict[str, dict]:
    with open_archive(str(db)) as archive:
        return {article["canonical_url"]: article for article in archive.iter_articles()}


def no_foreign_rows(db: Path) -> None:
    """Nothing of another host was stored: not an article, not an alias, not a raw page."""
    with open_archive(str(db)) as archive:
        urls = [a["canonical_url"] for a in archive.iter_articles()]
        urls += [a["url"] for a in archive.iter_articles()]
        urls += [page["url"] for page in archive.iter_raw_pages()]
    assert urls and all(url.startswith("http://hlj.people.com.cn/") for url in urls), urls


GOOD = {  # number -> (behaviour, what makes it good)
    1: lambda: html(mirror_page("c220027-34832561"), "GB2312"),
    2: lambda: html(mirror_page("c220027-34825633"), "utf-8"),  # GBK bytes declared UTF-8: a charset lie
    3: lambda: html(mirror_page("c220027-34829876").decode("gb18030").encode("utf-8"), "GB2312"),  # the other lie
    4: lambda: html(with_hostile_title(mirror_page("c338553-34831102")), "GB2312"),
    5: lambda: html(with_nul_bytes(mirror_page("c220075-34832980")), "GB2312"),
    6: lambda: html(mirror_page("c338553-34825201").replace(b"</body>", b"<!--" + b"x" * (10 << 20) + b"--></body>"),
                    "GB2312"),  # a 10 MB page: over the 4 MB warning, under the 16 MB limit
}


def bad_cases(port: int, bomb: Path) -> dict[int, tuple[object, str]]:
    """number -> (behaviour, the reason its failure line must give)."""
    junk = random.Random(7).randbytes(20_000)
    nested = b"<html><body>" + b"<div>" * 100_000 + "深".encode("gbk") + b"</div>" * 100_000 + b"</body></html>"
    return {
        11: (Answer(404, b"<html><body>404</body></html>", {"Content-Type": "text/html"}), "HTTP 404"),
        12: (Answer(500, b"oops", {"Content-Type": "text/html"}), "HTTP 500"),
        13: (Answer(503, b"busy", {"Content-Type": "text/html", "Retry-After": "120"}), "HTTP 503"),
        14: (html(b""), "empty body"),
        15: (truncated(mirror_page("c220024-33034567")), "response cut short"),
        16: (slow_loris(), "timed out"),
        17: (html(junk), "not an HTML page"),
        18: (html(nested), "no article"),
        19: (redirect(f"http://{EVIL}/steal.html"), f"redirect off-site to {EVIL}"),
        20: (redirect(f"http://127.0.0.1:{port}/internal"), "redirect to a private address 127.0.0.1"),
        21: (redirect(article_url(22)), "redirect loop"),
        22: (redirect(article_url(21)), "redirect loop"),
        23: (redirect(article_url(24)), "more than 5 redirects"),
        **{n: (redirect(article_url(n + 1)), "") for n in range(24, 30)},  # the chain of 23
    }


def test_every_bad_answer_is_one_failed_page_and_the_good_pages_are_stored(tmp_path: Path) -> None:
    routes: dict[str, object] = {article_url(n): make() for n, make in GOOD.items()}
    with HostileServer(routes) as server:
        cases = bad_cases(server.server_address[1], tmp_path / "bomb.gz")
        routes.update({article_url(n): behaviour for n, (behaviour, _) in cases.items()})
        linked = [article_url(n) for n in (*GOOD, *(n for n, (_, reason) in cases.items() if reason))]
        routes[LIST] = html(list_page(linked), "GB2312")
        db = tmp_path / "hostile.sqlite3"
        outcome = crawl(server, db, LIST)
        requested_hosts = server.hosts_requested()

    assert "Traceback" not in outcome["stderr"], outcome["stderr"][-3000:]
    run = last_run(db)
    expected_failures = {article_url(n): reason for n, (_, reason) in cases.items() if reason}
    assert run["status"] == "partial"
    assert (run["pages_new"], run["pages_failed"]) == (len(GOOD), len(expected_failures)), run["errors"]
    lines = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in run["errors"]}
    assert set(lines) == set(expected_failures)
    for url, reason in expected_failures.items():
        assert reason in lines[url], (url, lines[url])
        assert "\n" not in lines[url] and len(lines[url]) < 300
    assert EVIL not in requested_hosts and "127.0.0.1" not in requested_hosts  # refused before any request

    stored = stored_urls(db)
    assert set(stored) == {article_url(n) for n in GOOD}
    for url, article in stored.items():
        text = article["title"] + article["body"]
        assert article["title"] and article["body"] and "\ufffd" not in text, url
        assert not any(ch in text for ch in "\x00\x08\x1b\u202e"), url
    no_foreign_rows(db)


@pytest.mark.parametrize(("answer", "reason"), [
    (redirect(f"http://{EVIL}/GB/220027/index.html"), f"redirect off-site to {EVIL}"),
    ("bounce", "redirect loop"),
])
def test_a_list_page_that_redirects_away_or_in_a_loop_fails_the_run_with_the_reason(tmp_path: Path, answer: object,
                                                                                  reason: str) -> None:
    other = "http://hlj.people.com.cn/GB/220027/index2.html"
    routes = {LIST: redirect(other), other: redirect(LIST)} if answer == "bounce" else {LIST: answer}
    with HostileServer(routes) as server:
        outcome = crawl(server, tmp_path / "list.sqlite3", LIST)
        assert EVIL not in server.hosts_requested()
    assert "Traceback" not in outcome["stderr"]
    run = last_run(tmp_path / "list.sqlite3")
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("failed", 0, 1)
    assert run["errors"][0].startswith(LIST + ": ") and reason in run["errors"][0]


def test_a_gzip_bomb_is_cut_off_at_the_size_limit_and_memory_stays_bounded(tmp_path: Path) -> None:
    routes: dict[str, object] = {article_url(1): html(mirror_page("c220027-34832561"), "GB2312"),
                                 article_url(2): gzip_bomb(tmp_path / "bomb.gz")}
    routes[LIST] = html(list_page([article_url(1), article_url(2)]), "GB2312")
    with HostileServer(routes) as server:
        outcome = crawl(server, tmp_path / "bomb.sqlite3", LIST)
    run = last_run(tmp_path / "bomb.sqlite3")
    assert outcome["peak_rss_mib"] < 300, outcome["peak_rss_mib"]
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("partial", 1, 1)
    assert run["errors"][0].startswith(article_url(2)) and "size limit" in run["errors"][0]
    assert set(stored_urls(tmp_path / "bomb.sqlite3")) == {article_url(1)}


def test_an_article_in_no_known_template_is_stored_by_the_generic_extractor_and_counted(tmp_path: Path) -> None:
    from tests.test_site_contract import OLD_PEOPLE_PAGE, OLD_PEOPLE_URL

    routes: dict[str, object] = {OLD_PEOPLE_URL: html(OLD_PEOPLE_PAGE.encode("gbk"), "GB2312"),
                                 article_url(1): html(mirror_page("c220027-34832561"), "GB2312")}
    routes[LIST] = html(list_page([OLD_PEOPLE_URL, article_url(1)]), "GB2312")
    with HostileServer(routes) as server:
        crawl(server, tmp_path / "generic.sqlite3", LIST)
    run = last_run(tmp_path / "generic.sqlite3")
    assert (run["status"], run["pages_new"], run["pages_generic"]) == ("ok", 2, 1)
    stored = stored_urls(tmp_path / "generic.sqlite3")
    assert stored[OLD_PEOPLE_URL]["extractor"] == "generic" and stored[article_url(1)]["extractor"] == "site"
    assert stored[OLD_PEOPLE_URL]["title"] == "哈尔滨冰雪大世界开园"


def long_url(length: int) -> str:
    """An article URL of the site padded with a query to ``length`` characters."""
    base = article_url(90) + "?p="
    return base + "x" * (length - len(base))


def test_broken_connections_sizes_raw_locations_and_long_urls_each_give_their_true_reason(tmp_path: Path) -> None:
    big = mirror_page("c220027-34832561").replace(b"</body>", b"<!--" + b"x" * (2 << 20) + b"--></body>")
    encoded_query = "?%E6%9D%A5%E6%BA%90=%E5%BE%AE%E4%BF%A1"  # ?来源=微信, as the redirect's raw UTF-8 names it
    routes: dict[str, object] = {
        article_url(1): html(mirror_page("c220027-34832561"), "GB2312"),
        article_url(36) + encoded_query: html(mirror_page("c220027-34825633"), "GB2312"),
    }
    cases = {  # linked URL -> (behaviour, the reason its failure line must give)
        article_url(31): (hang_up, "connection closed before any response"),
        article_url(32): (not_http, "not an HTTP response"),
        article_url(33): (unsized(big), "download size limit"),  # no Content-Length: cut off while streaming
        article_url(34): (html(big, "GB2312"), "download size limit"),  # its Content-Length says so at once
        article_url(37): (redirect(long_url(3000)), "redirect to a URL of 3,000 characters, over URLLENGTH_LIMIT"),
    }
    routes.update({url: behaviour for url, (behaviour, _) in cases.items()})
    routes[article_url(35)] = raw_location(f"{BASE}90000036.html?来源=微信".encode())
    routes[LIST] = html(list_page([article_url(1), article_url(35), *cases]), "GB2312")
    db = tmp_path / "reasons.sqlite3"
    with HostileServer(routes) as server:
        outcome = crawl(server, db, LIST, DOWNLOAD_MAXSIZE=1 << 20)
        requested = list(server.requests)

    assert "Traceback" not in outcome["stderr"], outcome["stderr"][-3000:]
    run = last_run(db)
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("partial", 2, len(cases)), run["errors"]
    lines = dict(line.split(": ", 1) for line in run["errors"])
    assert set(lines) == set(cases)
    for url, (_, reason) in cases.items():
        assert reason in lines[url], (url, lines[url])
        assert "SSH" not in lines[url] and "Failure" not in lines[url] and len(lines[url]) < 300
    assert long_url(3000) not in requested
    stored = stored_urls(db)
    assert set(stored) == {article_url(1), article_url(36)}  # the raw UTF-8 redirect led to the right page
    assert article_url(36) + encoded_query in requested


def paged_list(page: int, last: int) -> bytes:
    """Channel list page ``page`` of ``last``: one article, and a link to the next page."""
    more = f'<a href="index{page + 1}.html">下一页</a>' if page < last else ""
    links = f'<li><a href="{article_url(100 + page)}">新闻 {page}</a></li>'
    return f"<html><head><title>省内要闻</title></head><body><ul>{links}</ul>{more}</body></html>".encode("gbk")


def list_url(page: int) -> str:
    return LIST if page == 1 else LIST.replace("index.html", f"index{page}.html")


def test_a_deep_channel_is_read_to_its_page_limit_and_a_depth_limit_set_by_hand_is_recorded(tmp_path: Path) -> None:
    pages = 12  # Scrapy's DEPTH_LIMIT of 8 once dropped list pages 10-12 and their articles without a word
    seeds = ["c220027-34832561", "c220027-34825633", "c220027-34829876"]
    routes: dict[str, object] = {list_url(n): html(paged_list(n, pages), "GB2312") for n in range(1, pages + 1)}
    routes.update({article_url(100 + n): html(mirror_page(seeds[n % 3]), "GB2312") for n in range(1, pages + 1)})
    with HostileServer(routes) as server:
        crawl(server, tmp_path / "deep.sqlite3", LIST, HLJNEWS_MAX_LIST_PAGES=pages)
        limited = crawl(server, tmp_path / "limited.sqlite3", LIST, HLJNEWS_MAX_LIST_PAGES=pages, DEPTH_LIMIT=4)
        short = len(article_url(101)) - 1  # the list pages' URLs fit, the articles' do not
        crawl(server, tmp_path / "short.sqlite3", LIST, HLJNEWS_MAX_LIST_PAGES=pages, URLLENGTH_LIMIT=short)
    run = last_run(tmp_path / "deep.sqlite3")
    assert (run["status"], run["pages_new"], run["pages_failed"]) == ("ok", pages, 0), run["errors"]
    assert set(stored_urls(tmp_path / "deep.sqlite3")) == {article_url(100 + n) for n in range(1, pages + 1)}

    assert "Traceback" not in limited["stderr"]
    run = last_run(tmp_path / "limited.sqlite3")
    # Depth 0 is the first list page: lists 1-5 are read, articles of lists 1-4 stored, the rest recorded.
    assert (run["status"], run["pages_new"]) == ("partial", 4), run["errors"]
    lines = dict(line.split(": ", 1) for line in run["errors"])
    assert set(lines) == {list_url(6), article_url(105)}
    assert all("over DEPTH_LIMIT (4)" in line for line in lines.values())

    run = last_run(tmp_path / "short.sqlite3")
    assert (run["pages_new"], run["pages_failed"]) == (0, pages), run["errors"]
    lines = dict(line.split(": ", 1) for line in run["errors"])
    assert set(lines) == {article_url(100 + n) for n in range(1, pages + 1)}
    assert all(f"not fetched: a URL of {short + 1} characters, over URLLENGTH_LIMIT ({short})" == line
               for line in lines.values())
