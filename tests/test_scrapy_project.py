"""hljnews as a Scrapy project: `scrapy list`, `scrapy check` (via `hljnews check`), `scrapy parse`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from jobs.cli import main
from mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[1]
OUTLET_SITE = Path(__file__).parent / "fixtures" / "outlet_site"
HOST = "www.example-city.gov.cn"
OUTLET = f"""[[outlets]]
key = "example_city"
start_urls = ["http://{HOST}/xwzx/zwyw/index.html"]
list_url_pattern = '^http://www\\.example-city\\.gov\\.cn/xwzx/zwyw/index(_\\d+)?\\.html$'
article_url_pattern = '^http://www\\.example-city\\.gov\\.cn/xwzx/zwyw/\\d{{6}}/t\\d{{8}}_\\d+\\.html$'
sample_urls = ["http://{HOST}/xwzx/zwyw/index.html", "http://{HOST}/xwzx/zwyw/202403/t20240315_100231.html"]
"""


def scrapy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=300)


def test_scrapy_list_names_every_site_of_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "hljnews.toml"
    config.write_text(OUTLET, encoding="utf-8")
    assert scrapy("list").stdout.split() == ["dbw", "hlj_people", "hlj_xinhua"]
    listed = scrapy("list", env={"HLJNEWS_CONFIG": str(config)}).stdout.split()
    assert listed == ["dbw", "example_city", "hlj_people", "hlj_xinhua"]


def test_hljnews_check_runs_every_built_in_sites_contracts_offline() -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.stderr
    assert "Ran 15 contracts" in result.stderr and "OK" in result.stderr  # 5 per built-in site


def test_a_contract_fails_when_a_sample_page_no_longer_parses(tmp_path: Path) -> None:
    config = tmp_path / "hljnews.toml"
    config.write_text(OUTLET, encoding="utf-8")
    assert CliRunner().invoke(main, ["check", "example_city", "--config", str(config), "--mirror",
                                     str(OUTLET_SITE)]).exit_code == 0
    broken = tmp_path / "site"
    shutil.copytree(OUTLET_SITE, broken)
    article = broken / HOST / "xwzx" / "zwyw" / "202403" / "t20240315_100231.html"
    article.write_bytes(b"<html><body><h1>\xb1\xea\xcc\xe2</h1></body></html>")  # a template change: no text
    result = CliRunner().invoke(main, ["check", "example_city", "--config", str(config), "--mirror", str(broken)])
    assert result.exit_code == 1
    assert "FAILED" in result.stderr and "parse_article" in result.stderr


def runs_in(db: Path) -> list[dict]:
    from storage import open_archive

    if not db.exists():
        return []
    with open_archive(str(db)) as archive:
        return archive.runs(limit=10)


def test_scrapy_parse_uses_the_default_callback_and_writes_no_run(tmp_path: Path) -> None:
    db = tmp_path / "parse.sqlite3"
    with MirrorServer() as server:
        result = scrapy("parse", "http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html", "--spider",
                        "hlj_people", "-s", f"HLJNEWS_DB={db}", env={"http_proxy": server.proxy_url})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "双鸭山：织密民生保障网" in result.stdout
    assert "Traceback" not in result.stderr and "\\x" not in result.stdout  # no raw page bytes in the items
    assert runs_in(db) == []


def test_scrapy_shell_and_bench_write_no_run(tmp_path: Path) -> None:
    db = tmp_path / "shell.sqlite3"
    with MirrorServer() as server:
        shell = scrapy("shell", "http://hlj.people.com.cn/GB/220027/index.html", "-c", "response.status",
                       "-s", f"HLJNEWS_DB={db}", env={"http_proxy": server.proxy_url})
    assert shell.returncode == 0 and shell.stdout.strip() == "200", shell.stderr[-2000:]
    bench = scrapy("bench", "-s", f"HLJNEWS_DB={db}", "-s", "CLOSESPIDER_TIMEOUT=2", "-s", "LOG_LEVEL=ERROR")
    assert bench.returncode == 0, bench.stderr[-2000:]
    assert runs_in(db) == []


def test_scrapy_crawl_exports_articles_with_the_fields_of_extract(tmp_path: Path) -> None:
    import json as json_module

    db, feed = tmp_path / "feed.sqlite3", tmp_path / "items.jsonl"
    with MirrorServer() as server:
        result = scrapy("crawl", "hlj_people", "-O", str(feed), "-s", f"HLJNEWS_DB={db}", "-s", "DOWNLOAD_DELAY=0",
                        "-s", "AUTOTHROTTLE_ENABLED=0", env={"http_proxy": server.proxy_url})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    rows = [json_module.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]
    from storage import open_archive

    with open_archive(str(db)) as archive:
        stored = {article["canonical_url"] for article in archive.iter_articles("hlj_people")}
    assert {row["canonical_url"] for row in rows} == stored  # a moved article read twice is exported twice
    extract_fields = {"url", "canonical_url", "site", "title", "pretitle", "subtitle", "published_at", "source",
                      "authors", "editors", "channel", "content_id", "body", "images", "page_urls", "extractor"}
    assert all(extract_fields <= set(row) for row in rows)
    assert all(row["published_at"] is None or row["published_at"].endswith("+08:00") for row in rows)
    for name, extra in (("items.csv", ()), ("items.xml", ())):
        with MirrorServer() as server:
            other = scrapy("crawl", "hlj_people", "-O", str(tmp_path / name), "-s", f"HLJNEWS_DB={db}",
                           "-a", "refresh=1", "-s", "DOWNLOAD_DELAY=0", *extra, env={"http_proxy": server.proxy_url})
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert other.returncode == 0 and "双鸭山" in text and "b'" not in text and "\\x" not in text


PEOPLE_LIST = "http://hlj.people.com.cn/GB/220027/index.html"
PEOPLE_ARTICLE = "http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html"


def robots_crawl(tmp_path: Path, config_text: str) -> tuple[dict, set[str]]:
    """A crawl of one list and one article whose robots.txt disallows the articles; the run and what was fetched."""
    from storage import open_archive
    from tests.robustness.hostile_server import HostileServer, html

    pages = ROOT / "mirror" / "pages" / "hlj.people.com.cn"
    routes = {"http://hlj.people.com.cn/robots.txt": html(b"User-agent: *\nDisallow: /n2/\n"),
              PEOPLE_LIST: html((pages / "GB" / "220027" / "index.html").read_bytes(), "GB2312"),
              PEOPLE_ARTICLE: html((pages / "n2" / "2021" / "0716" / "c220027-34832561.html").read_bytes(), "GB2312")}
    config = tmp_path / "hljnews.toml"
    config.write_text(config_text, encoding="utf-8")
    db = tmp_path / "robots.sqlite3"
    with HostileServer(routes) as server:
        result = scrapy("crawl", "hlj_people", "-a", f"start_urls={PEOPLE_LIST}", "-s", f"HLJNEWS_DB={db}",
                        "-s", "HLJNEWS_MAX_LIST_PAGES=1", "-s", "DOWNLOAD_DELAY=0",
                        env={"http_proxy": server.proxy_url, "HLJNEWS_CONFIG": str(config)})
        fetched = set(server.requests)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    with open_archive(str(db)) as archive:
        return archive.runs(limit=1)[0], fetched


def test_robots_txt_is_obeyed_by_default_and_what_it_blocks_is_counted(tmp_path: Path) -> None:
    run, fetched = robots_crawl(tmp_path, "")
    assert PEOPLE_LIST in fetched and not [url for url in fetched if url.startswith("http://hlj.people.com.cn/n2/")]
    assert run["pages_new"] == 0 and run["pages_blocked"] >= 1
    # blocked pages are not failures of the crawl (the list also links a page on another host, which 404s here)
    assert not [error for error in run["errors"] if "robots" in error]


def test_a_site_configured_not_to_obey_robots_txt_must_say_why_and_is_then_crawled(tmp_path: Path) -> None:
    from config import ConfigError
    from crawler.sites.registry import load_sites

    no_reason = '[[sites]]\nkey = "hlj_people"\nobey_robots = false\nfull = { cron = "0 * * * *" }\n'
    (tmp_path / "bad.toml").write_text(no_reason, encoding="utf-8")
    try:
        load_sites(tmp_path / "bad.toml")
    except ConfigError as error:
        assert "sites.hlj_people: obey_robots = false needs robots_reason" in str(error)
    else:
        raise AssertionError("accepted obey_robots = false without a reason")
    run, fetched = robots_crawl(tmp_path, no_reason + 'robots_reason = "the archive project has written consent"\n')
    assert PEOPLE_ARTICLE in fetched and run["pages_new"] >= 1
