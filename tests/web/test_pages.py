"""Each page with Starlette's test client: what it shows, and the same data as ?format=json."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

import feedparser
from starlette.testclient import TestClient

from tests.web.conftest import HOT_URL, RAW_PAGE, SCRIPT


def test_home_has_search_latest_articles_hot_list_health_and_alerts(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'name="q"' in page.text
    assert "黑龙江新闻 1" in page.text  # the newest articles
    assert "热点 1" in page.text  # the current hot list
    assert "抓取健康" in page.text and "killer_site" in page.text
    assert "最新提醒" in page.text and page.text.count("养老 · new") == 2
    data = client.get("/?format=json").json()
    assert [a["title"] for a in data["latest"]["killer_site"]] == ["黑龙江新闻 1", SCRIPT]
    assert [e["rank"] for e in data["hot"]["killer_site"]["entries"]] == [1, 2]
    assert {a["watch"] for a in data["alerts"]} == {"养老"}
    assert "target" not in data["alerts"][0]  # a delivery target may hold a secret


def test_search_shows_count_highlights_and_shareable_filters(client: TestClient) -> None:
    page = client.get("/search", params={"q": "养老", "site": "killer_site", "sort": "date"})
    assert page.status_code == 200
    assert re.search(r'id="count">2 篇文章', page.text)
    assert "<mark>养老</mark>服务更好" in page.text
    assert '<option value="killer_site" selected>' in page.text and '<option value="date" selected>' in page.text
    assert "q=%E5%85%BB%E8%80%81&amp;site=killer_site&amp;sort=date&amp;format=atom" in page.text


def test_search_json_has_the_cli_shape(client: TestClient) -> None:
    found = client.get("/search", params={"q": "养老 服务", "format": "json"}).json()
    assert set(found) == {"query", "total", "limit", "offset", "results"}
    assert found["total"] == 1 and found["limit"] == 20
    result = found["results"][0]
    assert result["title"] == "黑龙江新闻 1" and "[养老]" in result["snippet"]
    assert result["published_at"] == "2026-11-28T09:30:00+08:00"


def test_search_paginates_twenty_a_page(client: TestClient) -> None:
    second = client.get("/search", params={"q": "养老", "page": "2", "format": "json"}).json()
    assert second["offset"] == 20 and second["results"] == [] and second["total"] == 2
    page = client.get("/search", params={"q": "养老", "page": "1"})
    assert 'rel="next"' not in page.text  # two results: one page


def test_search_without_a_query_shows_the_form(client: TestClient) -> None:
    page = client.get("/search")
    assert page.status_code == 200 and 'name="since"' in page.text and 'id="count"' not in page.text


def test_search_atom_feed_is_valid_and_links_the_articles(client: TestClient) -> None:
    answer = client.get("/search", params={"q": "养老", "format": "atom"})
    assert answer.headers["content-type"].startswith("application/atom+xml")
    ElementTree.fromstring(answer.content)  # well-formed XML
    feed = feedparser.parse(answer.content)
    assert not feed.bozo
    assert {entry.title for entry in feed.entries} == {"黑龙江新闻 1", SCRIPT}
    assert all(re.fullmatch(r"http://127\.0\.0\.1:8000/article/\d+", entry.link) for entry in feed.entries)


def test_article_shows_metadata_body_images_link_and_a_marked_diff(client: TestClient, ids: dict[str, Any]) -> None:
    page = client.get(f"/article/{ids['plain']}").text
    assert "2026-11-28 09:30" in page  # on Shanghai's clock
    assert "李四" in page and "要闻" in page
    assert "<p>第一段：养老服务更好。</p>" in page
    assert 'href="https://news.example.cn/a/1.html?from=list"' in page
    assert 'href="https://news.example.cn/img/1.jpg"' in page
    assert "第 1 版 → 第 2 版" in page
    assert "养老服务<ins>更好</ins>。" in page
    assert "<ins>第三段新加。</ins>" in page
    assert f'href="http://127.0.0.1:8000/article/{ids["plain"]}/raw"' in page


def test_article_json_has_revisions_and_changes(client: TestClient, ids: dict[str, Any]) -> None:
    data = client.get(f"/article/{ids['plain']}", params={"format": "json"}).json()
    assert [r["revision"] for r in data["revisions"]] == [1, 2]
    assert [c["kind"] for c in data["changes"][0]["changes"]] == ["changed", "added"]


def test_raw_download_is_the_stored_bytes_as_an_attachment(client: TestClient, ids: dict[str, Any]) -> None:
    answer = client.get(f"/article/{ids['plain']}/raw")
    assert answer.status_code == 200
    assert answer.content == RAW_PAGE
    assert answer.headers["content-disposition"] == f'attachment; filename="article-{ids["plain"]}.html"'
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert client.get(f"/article/{ids['script']}/raw").status_code == 404  # never fetched: no stored page


def test_hot_page_draws_one_line_per_story_broken_where_it_left(client: TestClient) -> None:
    page = client.get("/hot/killer_site", params={"period": "all"}).text
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    ElementTree.fromstring(svg)  # well-formed
    story_one = svg[svg.index("?url=https%3A//news.example.cn/a/1.html"):]
    story_one = story_one[:story_one.index("</a>")]
    assert story_one.count("<polyline") == 0 and story_one.count("<circle") == 2  # off the list in between
    assert svg.count("<polyline") == 1  # story 2: one unbroken line over three captures
    assert "3 次抓取" in page
    data = client.get("/hot/killer_site", params={"format": "json"}).json()
    assert len(data["history"]) == 5 and data["period"] == "1d"


def test_hot_index_lists_sites_with_hot_lists(client: TestClient) -> None:
    assert 'href="http://127.0.0.1:8000/hot/killer_site"' in client.get("/hot").text


def test_story_page_shows_the_rank_history_and_the_article(client: TestClient, ids: dict[str, Any]) -> None:
    page = client.get("/story", params={"url": HOT_URL})
    assert page.status_code == 200
    assert "最高第 1 名" in page.text
    assert f'/article/{ids["plain"]}"' in page.text
    history = client.get("/story", params={"url": HOT_URL, "format": "json"}).json()
    assert [r["rank"] for r in history["ranks"]] == [1, 1]  # on the list at hours 0 and 2, not 1


def test_runs_lists_the_ledger_with_errors_and_filters(client: TestClient, ids: dict[str, Any]) -> None:
    page = client.get("/runs").text
    assert "failed" in page and "HTTP 404" in page
    rows = client.get("/runs", params={"failed": "1", "site": "killer_site", "format": "json"}).json()["runs"]
    assert [r["id"] for r in rows] == [ids["run"]]
    assert client.get("/runs", params={"site": "elsewhere", "format": "json"}).json()["runs"] == []


def test_sites_shares_the_cli_rows(client: TestClient) -> None:
    data = client.get("/sites", params={"format": "json"}).json()
    row = next(r for r in data["sites"] if r["site"] == "killer_site")
    assert row["articles"] == 2 and row["last_run_status"] == "failed" and row["title"] == 1.0
    assert "新闻网" in client.get("/sites").text  # the configured description handed to create_app


def test_every_page_links_its_json(client: TestClient) -> None:
    page = client.get("/search", params={"q": "养老"}).text
    assert 'href="?q=%E5%85%BB%E8%80%81&amp;format=json"' in page
    assert json.loads(client.get("/search?q=%E5%85%BB%E8%80%81&format=json").text)["total"] == 2


def test_the_pages_read_postgresql_archives_too(archive: Any) -> None:
    """The `archive` fixture runs this on SQLite and on PostgreSQL (skipped where it is down)."""
    from tests.web.conftest import seed
    from web import create_app

    ids = seed(archive)
    with TestClient(create_app(archive), base_url="http://127.0.0.1") as pg_client:
        assert pg_client.get("/search", params={"q": "养老", "format": "json"}).json()["total"] == 2
        home = pg_client.get("/", params={"format": "json"}).json()
        assert [a["title"] for a in home["latest"]["killer_site"]] == ["黑龙江新闻 1", SCRIPT]
        assert "养老服务<ins>更好</ins>" in pg_client.get(f"/article/{ids['plain']}").text
        assert pg_client.get("/hot/killer_site", params={"period": "all"}).status_code == 200
        assert pg_client.get("/sites").status_code == 200
    assert not archive.read_only  # create_app leaves an archive it was handed open
    assert archive.counts()["articles"] == 2
