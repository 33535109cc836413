"""Outlets configured in TOML: config checks, parsing the example-city site, and a crawl from config to search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scrapy.utils.test import get_crawler

from config import DEFAULT_CONFIG, ConfigError, config_path
from crawler.errors import ParseError
from crawler.models import Page
from crawler.sites.outlet import OutletSite
from crawler.sites.registry import load_sites
from crawler.spiderloader import SiteSpiderLoader
from jobs.cli.sites import sites
from jobs.crawl import crawl_settings
from jobs.extract import extract_page
from jobs.reparse import reparse_archive
from mirror import Mirror, MirrorServer
from storage import open_archive

ROOT = Path(__file__).resolve().parents[1]
SITE_ROOT = Path(__file__).parent / "fixtures" / "outlet_site"  # a mirror: <host>/<path> + ROUTES.toml
HOST = "www.example-city.gov.cn"
CHANNEL = f"http://{HOST}/xwzx/zwyw"
FARM_MEETING = f"{CHANNEL}/202403/t20240315_100231.html"
ARTICLES = {FARM_MEETING, f"{CHANNEL}/202403/t20240314_100228.html", f"{CHANNEL}/202403/t20240312_100219.html",
            f"{CHANNEL}/202403/t20240311_100215.html"}
SHELL = f"{CHANNEL}/202403/t20240310_100210.html"  # matches the article pattern, holds only a script
GB2312 = {"content-type": "text/html; charset=GB2312"}
OUTLET: dict[str, Any] = {
    "key": "example_city",
    "name": "示例市人民政府",
    "start_urls": [f"{CHANNEL}/index.html"],
    "list_url_pattern": r"^http://www\.example-city\.gov\.cn/xwzx/zwyw/index(_\d+)?\.html$",
    "article_url_pattern": r"^http://www\.example-city\.gov\.cn/xwzx/zwyw/\d{6}/t\d{8}_\d+\.html$",
}
# The byline line also holds the font-size switcher (字号：大 中 小), which the heuristics misread as a name.
SELECTORS = {"authors": "span.author::text", "source": "(substring-after(//span[@class='source'], '：'))"}


def toml_value(value: Any) -> str:
    if isinstance(value, str):  # literal strings keep regex backslashes as they are
        return f"'{value}'" if "'" not in value else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def outlet_toml(*tables: dict[str, Any]) -> str:
    return "".join("[[outlets]]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in table.items())
                   for table in tables)


def write_config(tmp_path: Path, *tables: dict[str, Any], name: str = "hljnews.toml") -> Path:
    path = tmp_path / name
    path.write_text('[scheduler]\ntimezone = "Asia/Shanghai"\n\n' + outlet_toml(*tables), encoding="utf-8")
    return path


def saved_page(url: str) -> Page:
    path = SITE_ROOT / HOST / url.removeprefix(f"http://{HOST}/")
    return Page(url, path.read_bytes(), GB2312)


@pytest.fixture(autouse=True)
def no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test names its config file; none comes from the environment."""
    monkeypatch.delenv("HLJNEWS_CONFIG", raising=False)


def load_outlet(path: Path, key: str = "example_city") -> OutletSite:
    _, registry = load_sites(path)
    site = registry.get(key)
    assert isinstance(site, OutletSite)
    return site


@pytest.fixture
def plain(tmp_path: Path) -> OutletSite:
    return load_outlet(write_config(tmp_path, OUTLET, name="plain.toml"))


@pytest.fixture
def tuned(tmp_path: Path) -> OutletSite:
    return load_outlet(write_config(tmp_path, {**OUTLET, "selectors": SELECTORS}, name="tuned.toml"))


# -- config checks ---------------------------------------------------------------------------------------


def without(name: str) -> dict[str, Any]:
    return {key: value for key, value in OUTLET.items() if key != name}


BAD_CONFIGS = {
    "missing_key": ([without("key")], "outlets.#1.key: missing"),
    "bad_key": ([{**OUTLET, "key": "Example-City"}], "outlets.Example-City.key: 'Example-City' is not a site key"),
    "built_in_key": ([{**OUTLET, "key": "hlj_people"}], "outlets.hlj_people.key: 'hlj_people' is already a built-in"),
    "twice": ([OUTLET, OUTLET], "outlets: key(s) example_city defined twice"),
    "missing_start_urls": ([without("start_urls")], "outlets.example_city.start_urls: missing"),
    "start_url_not_url": ([{**OUTLET, "start_urls": ["www.example-city.gov.cn"]}], "example_city.start_urls"),
    "missing_article_pattern": ([without("article_url_pattern")], "example_city.article_url_pattern: missing"),
    "bad_article_regex": ([{**OUTLET, "article_url_pattern": "^http://(www"}],
                          "example_city.article_url_pattern: bad regular expression"),
    "bad_list_regex": ([{**OUTLET, "list_url_pattern": "index[0-9.html"}],
                       "example_city.list_url_pattern: bad regular expression"),
    "unknown_selector_field": ([{**OUTLET, "selectors": {"headline": "h1"}}],
                               "example_city.selectors: unknown field(s) headline"),
    "bad_selector": ([{**OUTLET, "selectors": {"title": "h1[[["}}], "example_city.selectors: title: not a valid"),
    "unknown_option": ([{**OUTLET, "start_url": "x"}], "example_city.start_url: unknown setting"),
    "domains_miss_start_url": ([{**OUTLET, "allowed_domains": ["other.gov.cn"]}],
                               "example_city.allowed_domains: do not cover the start URL host(s) " + HOST),
    "zero_list_pages": ([{**OUTLET, "max_list_pages": 0}], "example_city.max_list_pages"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_bad_outlet_is_one_line_naming_the_file_outlet_and_field(tmp_path: Path, case: str) -> None:
    tables, expected = BAD_CONFIGS[case]
    path = write_config(tmp_path, *tables)
    with pytest.raises(ConfigError) as raised:
        load_sites(path)
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert message.startswith(f"config {path}: ") and expected in message
    assert "\n" not in message


def test_every_problem_of_a_config_is_reported_at_once(tmp_path: Path) -> None:
    path = write_config(tmp_path, without("key"), {**OUTLET, "max_list_pages": 0, "start_url": "x"})
    with pytest.raises(ConfigError) as raised:
        load_sites(path)
    assert raised.value.problems == ["outlets.#1.key: missing",
                                     "outlets.example_city.max_list_pages: Input should be greater than or equal to 1 "
                                     "(got 0)",
                                     "outlets.example_city.start_url: unknown setting"]


def test_a_config_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "hljnews.toml"
    path.write_text("[[outlets]]\nkey = example_city\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_sites(path)


def test_a_config_without_outlets_has_only_the_built_in_sites(tmp_path: Path) -> None:
    path = tmp_path / "hljnews.toml"
    path.write_text('[scheduler]\ntimezone = "UTC"\n[[sites]]\nkey = "hlj_people"\n', encoding="utf-8")
    config, registry = load_sites(path)
    assert registry.keys() == ["hlj_people", "hlj_xinhua", "dbw"]
    assert config.scheduler.timezone == "UTC" and [site.key for site in config.sites or []] == ["hlj_people"]


def test_defaults_name_domains_and_list_pages(tmp_path: Path, plain: OutletSite) -> None:
    outlet = load_outlet(write_config(tmp_path, without("name")))
    assert outlet.name == "example_city"
    assert plain.name == "示例市人民政府"
    assert plain.allowed_domains == (HOST,)
    assert list(plain.start_urls) == OUTLET["start_urls"]
    assert plain.key == "example_city"
    assert plain.max_list_pages is None and plain.selectors == {}


def test_the_example_config_defines_an_outlet_whose_patterns_fit_its_urls() -> None:
    outlet = load_outlet(ROOT / "hljnews.example.toml", "hljnews_cn")
    assert outlet.is_article_url("http://www.hljnews.cn/ljxw/content/2024-03/15/content_781234.html")
    assert outlet.is_list_url("http://www.hljnews.cn/ljxw/index_2.html") and outlet.is_list_url("http://www.hljnews.cn/")
    assert not outlet.is_article_url("http://www.hljnews.cn/ljxw/index.html")


def test_config_path_is_the_setting_else_the_environment_else_hljnews_toml_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path() == DEFAULT_CONFIG
    (tmp_path / "hljnews.toml").write_text("", encoding="utf-8")
    assert config_path() == Path("hljnews.toml")
    monkeypatch.setenv("HLJNEWS_CONFIG", "/etc/hljnews/env.toml")
    assert config_path() == Path("/etc/hljnews/env.toml")
    assert config_path("/srv/setting.toml") == Path("/srv/setting.toml")


def test_a_named_config_that_does_not_exist_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HLJNEWS_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read it"):
        load_sites()


# -- parsing the example-city site -----------------------------------------------------------------------


def test_urls_are_told_apart_by_the_configured_patterns(plain: OutletSite) -> None:
    assert plain.is_article_url(FARM_MEETING)
    assert not plain.is_article_url(f"{CHANNEL}/index.html")
    assert plain.is_list_url(f"{CHANNEL}/index.html") and plain.is_list_url(f"{CHANNEL}/index_1.html")
    assert not plain.is_list_url(f"http://{HOST}/zwgk/index.html")


def test_a_list_page_yields_its_articles_and_following_list_pages(plain: OutletSite) -> None:
    listing = plain.parse_page(saved_page(f"{CHANNEL}/index.html")).listing
    assert listing is not None
    assert listing.article_urls == [FARM_MEETING, f"{CHANNEL}/202403/t20240314_100228.html"]
    assert listing.next_page_urls == [f"{CHANNEL}/index_1.html"]


def test_the_last_list_page_links_back_but_not_forward(plain: OutletSite) -> None:
    listing = plain.parse_page(saved_page(f"{CHANNEL}/index_1.html")).listing
    assert listing is not None
    assert listing.article_urls == [f"{CHANNEL}/202403/t20240312_100219.html",
                                    f"{CHANNEL}/202403/t20240311_100215.html", SHELL]
    assert listing.next_page_urls == []  # index.html is the start URL


def farm_meeting(outlet: OutletSite) -> dict[str, Any]:
    parsed = outlet.parse_page(saved_page(FARM_MEETING))
    assert parsed.listing is None and parsed.article is not None
    return parsed.article.to_dict()


@pytest.mark.parametrize("which", ["plain", "tuned"])
class TestFarmMeetingArticle:
    """The same page read by the generic extractor alone (plain) and with the outlet's selectors (tuned)."""

    def test_site(self, which: str, request: pytest.FixtureRequest) -> None:
        assert farm_meeting(request.getfixturevalue(which))["site"] == "example_city"

    def test_title(self, which: str, request: pytest.FixtureRequest) -> None:
        assert farm_meeting(request.getfixturevalue(which))["title"] == "我市召开2024年春季农业生产工作会议"

    def test_body_first_and_last_sentences(self, which: str, request: pytest.FixtureRequest) -> None:
        body = farm_meeting(request.getfixturevalue(which))["body"]
        assert body.startswith("3月14日，全市春季农业生产工作会议召开")
        assert body.endswith("在四月底前完成三十万亩新建任务，为春播打好基础。")

    def test_body_has_no_boilerplate(self, which: str, request: pytest.FixtureRequest) -> None:
        body = farm_meeting(request.getfixturevalue(which))["body"]
        for line in ("字号", "分享到", "相关链接", "主办单位", "当前位置", "发布时间"):
            assert line not in body

    def test_published_at(self, which: str, request: pytest.FixtureRequest) -> None:
        assert farm_meeting(request.getfixturevalue(which))["published_at"] == "2024-03-15T09:30:00+08:00"

    def test_source(self, which: str, request: pytest.FixtureRequest) -> None:
        assert farm_meeting(request.getfixturevalue(which))["source"] == "示例市农业农村局"

    def test_authors(self, which: str, request: pytest.FixtureRequest) -> None:
        authors = farm_meeting(request.getfixturevalue(which))["authors"]
        assert authors == ["王立新"] if which == "tuned" else "王立新" in authors


def test_a_selector_that_finds_nothing_empties_its_field(tmp_path: Path) -> None:
    outlet = load_outlet(write_config(tmp_path, {**OUTLET, "selectors": {"source": "span.no-such-class"}}))
    assert farm_meeting(outlet)["source"] == ""


def test_an_article_page_without_text_is_a_parse_error(plain: OutletSite) -> None:
    with pytest.raises(ParseError, match=r"t20240310_100210\.html: no article text found"):
        plain.parse_page(saved_page(SHELL))


def test_a_page_neither_listed_nor_an_article_yields_nothing(plain: OutletSite) -> None:
    parsed = plain.parse_page(Page(f"http://{HOST}/zwgk/index.html", b"<html><body><p>x</p></body></html>"))
    assert parsed.article is None and parsed.listing is None and parsed.site == "example_city"


def test_merged_pages_join_their_bodies(plain: OutletSite) -> None:
    first = plain.parse_page(saved_page(FARM_MEETING)).article
    second = plain.parse_page(saved_page(f"{CHANNEL}/202403/t20240314_100228.html")).article
    assert first is not None and second is not None
    merged = plain.merge_pages(first, [second])
    assert merged.body == first.body + "\n" + second.body and merged.title == first.title


# -- the rest of hljnews sees configured outlets ---------------------------------------------------------


def test_registry_spider_keys_and_extract_find_the_configured_outlet(tmp_path: Path) -> None:
    _, registry = load_sites(write_config(tmp_path, {**OUTLET, "selectors": SELECTORS}))
    assert isinstance(registry.get("example_city"), OutletSite)
    assert registry.for_url(FARM_MEETING) is registry.get("example_city")
    assert registry.for_url("http://hlj.people.com.cn/GB/220027/index.html") is registry.get("hlj_people")
    assert registry.for_url("http://www.other.gov.cn/") is None
    with pytest.raises(KeyError, match="known: hlj_people"):
        registry.get("no_such_site")
    assert registry.keys() == ["hlj_people", "hlj_xinhua", "dbw", "example_city"]
    extracted = extract_page(registry, saved_page(FARM_MEETING).body, FARM_MEETING, GB2312)
    assert extracted["site"] == "example_city" and extracted["authors"] == ["王立新"]


def test_the_spider_of_an_outlet_takes_its_name_start_urls_and_domains_from_the_outlet(tmp_path: Path) -> None:
    config = write_config(tmp_path, OUTLET)
    loader = SiteSpiderLoader.from_settings(crawl_settings(config=config))
    assert loader.list() == ["hlj_people", "hlj_xinhua", "dbw", "example_city"]
    spider_cls = loader.load("example_city")
    spider = spider_cls.from_crawler(get_crawler(spider_cls, {"HLJNEWS_CONFIG": str(config)}))
    assert (spider.name, spider.site.key) == ("example_city", "example_city")
    assert spider.start_urls == OUTLET["start_urls"] and spider.allowed_domains == [HOST]
    assert loader.find_by_request(scrapy_request(FARM_MEETING)) == ["example_city"]
    with pytest.raises(KeyError, match="example_city"):
        loader.load("hljnews_cn")


def scrapy_request(url: str) -> Any:
    from scrapy import Request

    return Request(url)


# -- end to end ------------------------------------------------------------------------------------------


def crawl(config: Path, db: Path, mirror: Mirror) -> subprocess.CompletedProcess[str]:
    """`hljnews crawl example_city` in a child process, its plain-http requests answered by the mirror."""
    with MirrorServer(mirror) as server:
        env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
        env.update(http_proxy=server.proxy_url, HLJNEWS_CONFIG=str(config))
        command = [sys.executable, "-m", "jobs", "crawl", "example_city", "--db", str(db), "-q"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def test_an_outlet_defined_only_in_the_config_is_crawled_stored_and_searchable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, {**OUTLET, "selectors": SELECTORS})
    db = tmp_path / "archive.sqlite3"
    mirror = Mirror(SITE_ROOT)
    result = crawl(config, db, mirror)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"http://{HOST}/zwgk/index.html" not in mirror.requests  # not a list page of the outlet

    with open_archive(str(db)) as archive:
        stored = {article["url"]: article for article in archive.iter_articles("example_city")}
        run = archive.runs(site="example_city")[0]
        found = archive.search("高标准农田", site="example_city")
        elsewhere = archive.search("高标准农田", site="hlj_people")
    assert set(stored) == ARTICLES
    for url, article in stored.items():
        assert article["title"] and article["body"] and article["published_at"], url
        assert "\ufffd" not in article["title"] + article["body"], f"mojibake in {url}"
    assert stored[FARM_MEETING]["authors"] == ["王立新"]
    assert (run["spider"], run["status"], run["pages_new"], run["pages_failed"]) == ("example_city", "partial", 4, 1)
    assert any(error.startswith(SHELL) and "no article text found" in error for error in run["errors"])
    assert [hit["url"] for hit in found["results"]] == [FARM_MEETING]
    assert elsewhere["total"] == 0

    monkeypatch.setenv("HLJNEWS_CONFIG", str(config))
    listed = CliRunner().invoke(sites, ["--db", str(db), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["site"]: row for row in json.loads(listed.output)}
    outlet = rows["example_city"]
    assert (outlet["kind"], outlet["name"], outlet["articles"], outlet["last_run_status"]) == (
        "configured", "示例市人民政府", 4, "partial")
    assert outlet["start_urls"] == OUTLET["start_urls"] and outlet["last_run_at"]
    assert {field: outlet[field] for field in ("title", "body", "published_at", "source", "authors")} == dict.fromkeys(
        ("title", "body", "published_at", "source", "authors"), 1.0)
    assert rows["hlj_people"]["kind"] == "built-in" and rows["hlj_people"]["name"] == "人民网黑龙江频道"

    _, registry = load_sites(config)
    with open_archive(str(db)) as archive:
        assert reparse_archive(archive, registry, "example_city") == {"unchanged": 4}


def test_sites_lists_built_in_sites_on_an_empty_archive_as_a_table(tmp_path: Path) -> None:
    open_archive(tmp_path / "empty.sqlite3", create=True).close()  # read commands never create one
    result = CliRunner().invoke(sites, ["--db", str(tmp_path / "empty.sqlite3")], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "hlj_people" in result.output and "built-in" in result.output
    assert "Example: hljnews sites" in CliRunner().invoke(sites, ["--help"]).output
