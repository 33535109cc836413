"""End-to-end crawls of a local mirror by the real spider, checked in the archive they leave."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from crawler.sites.registry import builtin_site
from mirror import BUNDLED_PAGES
from storage import ArchiveNotFound, open_archive

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "hlj_people"
site = builtin_site("hlj_people")


def crawl(root: Path, db: Path, *, overrides: dict | None = None, spider_args: dict | None = None,
          delay: float = 0.0) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.support.crawl_mirror", str(root), str(db),
               json.dumps(overrides or {}), json.dumps(spider_args or {}), str(delay)]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen, timeout: float = 180) -> list[dict]:
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def mirror_article_urls(root: Path) -> set[str]:
    """Every article the mirror holds (page 1 of each), except the one declared malformed."""
    routes = tomllib.loads((root / "ROUTES.toml").read_text(encoding="utf-8"))
    malformed = {entry["url"] for entry in routes.get("malformed", [])}
    urls = set()
    for path in root.rglob("*.html"):
        url = "http://" + path.relative_to(root).as_posix()
        if site.is_article_url(url) and url not in malformed:
            urls.add(url)
    return urls


def stored_articles(db: Path) -> dict[str, dict]:
    with open_archive(str(db)) as archive:
        return {article["canonical_url"]: article for article in archive.iter_articles("hlj_people")}


def _stored_so_far(db: Path) -> int:
    """Articles stored by a crawl still running (0 before it has created the archive)."""
    try:
        return len(stored_articles(db))
    except ArchiveNotFound:
        return 0


def runs(db: Path) -> list[dict]:
    with open_archive(str(db)) as archive:
        return list(reversed(archive.runs(site="hlj_people", limit=100)))


def test_demo_archives_every_mirror_article_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    command = [sys.executable, "-m", "jobs", "demo", "--db", str(db), "--quiet"]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert first.returncode == 0, first.stderr[-3000:]
    articles = stored_articles(db)
    assert set(articles) >= mirror_article_urls(BUNDLED_PAGES)
    for url, article in articles.items():
        assert article["title"] and article["body"] and article["published_at"], url
        assert "\ufffd" not in article["title"] + article["body"], f"mojibake in {url}"
    with open_archive(str(db)) as archive:
        hot = archive.latest_hot_list("hlj_people")
    assert hot is not None and len(hot["entries"]) == 10
    assert all(not entry["title"].endswith("…") for entry in hot["entries"])
    assert "hljnews show" in first.stdout
    assert first.stdout.rstrip().splitlines()[-1].strip() == f"hljnews serve --db {db}"  # the web page, last

    second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr[-3000:]
    assert stored_articles(db).keys() == articles.keys()
    last = runs(db)[-1]
    assert (last["pages_new"], last["pages_updated"], last["pages_unchanged"]) == (0, 0, 0)


def _gbk_list_page(links: list[str]) -> bytes:
    items = "".join(f'<li><a href="{link}" target="_blank">测试文章{n}</a><em>2021-07-16</em></li>'
                    for n, link in enumerate(links))
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=GB2312">'
            f'<title>省内要闻--黑龙江频道--人民网</title></head><body><ul class="list_16">{items}</ul></body></html>')
    return html.encode("gb18030")


BAD = {
    "404": "/n2/2021/0716/c220027-90000001.html",
    "500": "/n2/2021/0716/c220027-90000002.html",
    "timeout": "/n2/2021/0716/c220027-90000003.html",
    "empty": "/n2/2021/0716/c220027-90000004.html",
    "truncated": "/n2/2021/0716/c220027-90000005.html",
    "not_html": "/n2/2021/0716/c220027-90000006.html",
}


def test_bad_responses_are_each_recorded_as_failed_pages_while_the_crawl_goes_on(tmp_path: Path) -> None:
    seed = json.loads((FIXTURES / "seed_article.json").read_text(encoding="utf-8"))
    seed_bytes = (FIXTURES / "seed_article.html").read_bytes()
    host = tmp_path / "mirror" / "hlj.people.com.cn"
    seed_path = seed["url"].removeprefix("http://hlj.people.com.cn")
    list_url = "http://hlj.people.com.cn/GB/220027/index.html"
    (host / "GB" / "220027").mkdir(parents=True)
    (host / "GB" / "220027" / "index.html").write_bytes(_gbk_list_page([seed_path, *BAD.values()]))
    for name, path in [("good", seed_path), *BAD.items()]:
        if name not in {"404", "500", "timeout"}:
            target = host / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            body = {"truncated": seed_bytes[:700], "empty": b"", "not_html": b"%PDF-1.4 binary"}.get(name, seed_bytes)
            target.write_bytes(body)
    absolute = {name: "http://hlj.people.com.cn" + path for name, path in BAD.items()}
    (tmp_path / "mirror" / "ROUTES.toml").write_text(
        '[charsets]\n"hlj.people.com.cn" = "GB2312"\n'
        f'[[status]]\nurl = "{absolute["500"]}"\ncode = 500\n'
        f'[[slow]]\nurl = "{absolute["timeout"]}"\nseconds = 60\n'
        f'[[content_type]]\nurl = "{absolute["not_html"]}"\ntype = "application/pdf"\n',
        encoding="utf-8",
    )
    db = tmp_path / "bad.sqlite3"
    # Generous for the good pages on a loaded machine, far below the slow page's minute.
    overrides = {"DOWNLOAD_TIMEOUT": 8, "RETRY_TIMES": 0}
    results = finish(crawl(tmp_path / "mirror", db, overrides=overrides, spider_args={"start_urls": list_url}))

    assert results[0]["status"] == "partial"
    assert set(stored_articles(db)) == {seed["canonical_url"]}
    run = runs(db)[-1]
    assert run["pages_new"] == 1
    assert run["pages_failed"] == len(BAD)
    failed_urls = {error.split(": ")[0] for error in run["errors"]}
    assert failed_urls == set(absolute.values())
    reasons = " | ".join(run["errors"])
    assert "HTTP 404" in reasons and "HTTP 500" in reasons and "timed out" in reasons
    assert "application/pdf" in reasons and "empty body" in reasons


def test_a_crawl_killed_mid_way_is_completed_by_the_next_run_without_duplicates(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    shutil.copytree(BUNDLED_PAGES, root)
    db = tmp_path / "killed.sqlite3"
    slow = crawl(root, db, overrides={"CONCURRENT_REQUESTS": 1}, delay=0.3)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _stored_so_far(db) < 2:
        time.sleep(0.2)
    slow.send_signal(signal.SIGKILL)
    slow.wait()
    partial = stored_articles(db)
    expected = mirror_article_urls(BUNDLED_PAGES)
    assert 2 <= len(partial) < len(expected)

    finish(crawl(root, db))
    articles = stored_articles(db)
    assert set(articles) >= expected
    with open_archive(str(db)) as archive:
        assert archive.counts()["revisions"] == len(articles)
    first, second = runs(db)[-2:]
    assert first["status"] == "interrupted"
    assert second["pages_new"] == len(articles) - len(partial)


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_scrapy_crawl_of_an_unreachable_site_records_a_failed_run_with_one_line_per_failure(tmp_path: Path) -> None:
    db = tmp_path / "offline.sqlite3"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["http_proxy"] = f"http://127.0.0.1:{closed_port()}"  # every request refused, with or without a network
    command = [sys.executable, "-m", "scrapy", "crawl", "hlj_people", "-s", f"HLJNEWS_DB={db}",
               "-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=5"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in result.stderr
    failures = [line for line in result.stderr.splitlines() if " failed http" in line]
    assert len(failures) == len(site.start_urls) and all("connection refused" in line for line in failures)
    run = runs(db)[-1]
    assert run["status"] == "failed"
    assert run["pages_failed"] == len(site.start_urls)


@pytest.mark.network
def test_a_crawl_of_the_live_site_stores_articles(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite3"
    command = [sys.executable, "-m", "jobs", "crawl", "hlj_people", "--db", str(db), "--max-list-pages", "1", "-q"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    run = runs(db)[-1]
    assert run["status"] in {"ok", "partial"}, result.stderr[-2000:]
    assert run["pages_new"] + run["pages_unchanged"] > 0


@pytest.mark.parametrize("args", [["--help"], ["crawl", "--help"], ["extract", "--help"]])
def test_cli_help_ends_with_an_example(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "jobs", *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0
    assert "hljnews" in result.stdout
