"""A small archive with every kind of row the pages show, and Starlette test clients over it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from storage import Archive, open_archive
from tests.support.archive_writer import SHANGHAI, SITE, sample_article
from web import create_app

SCRIPT = "<script>alert(1)</script>"
T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
# GBK bytes that are not UTF-8: the raw download must hand them back untouched.
RAW_PAGE = "<html><meta charset=gbk><title>养老</title></html>".encode("gbk") + b"\xff\x00end"
HOT_URL = "https://news.example.cn/a/1.html"


def seed(archive: Archive) -> dict[str, Any]:
    """Two articles (one with a second revision, one titled with a script), a raw page, three hot lists
    (a story that leaves and comes back), runs (one failed) and an alert; ids by name."""
    archive.add_watch({"name": "养老", "query": "养老", "targets": []})
    run_id = archive.start_run(SITE, SITE, started_at=T0)
    first = sample_article(1, body="第一段：养老服务。\n第二段，版本 1。",
                           authors=[SCRIPT], source=SCRIPT)
    archive.save_raw_page(first["url"], RAW_PAGE, {"content-type": "text/html"}, T0, run_id=run_id)
    archive.save_article(first, fetched_at=T0, run_id=run_id)
    archive.save_article({**first, "body": "第一段：养老服务更好。\n第二段，版本 1。\n第三段新加。"},
                         fetched_at=T0 + timedelta(hours=1), run_id=run_id)
    archive.save_article(sample_article(2, title=SCRIPT, subtitle=SCRIPT, body=f"养老 {SCRIPT}",
                                        channel={"id": "c9", "name": SCRIPT},
                                        images=[{"url": "javascript:alert(1)", "caption": SCRIPT}],
                                        published_at=datetime(2026, 11, 27, 8, tzinfo=SHANGHAI)),
                         fetched_at=T0, run_id=run_id)
    for hour, stories in ((0, [1, 2]), (1, [2]), (2, [1, 2])):
        entries = [{"rank": rank, "title": SCRIPT if n == 2 else f"热点 {n}",
                    "url": f"https://news.example.cn/a/{n}.html"} for rank, n in enumerate(stories, 1)]
        archive.save_hot_list(SITE, T0 + timedelta(hours=hour), "https://news.example.cn/hot", entries,
                              run_id=run_id)
    archive.record_failure(run_id, "https://news.example.cn/missing.html", f"HTTP 404 {SCRIPT}")
    archive.finish_run(run_id, "failed", finished_at=T0 + timedelta(hours=3))
    ids = {a["title"]: a["id"] for a in archive.iter_articles()}
    return {"plain": ids["黑龙江新闻 1"], "script": ids[SCRIPT], "run": run_id}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    db = tmp_path_factory.mktemp("web") / "archive.sqlite3"
    with open_archive(db, create=True) as archive:
        ids = seed(archive)
    yield db, ids


@pytest.fixture(scope="module")
def client(seeded: tuple[Path, dict[str, Any]]) -> Iterator[TestClient]:
    """A client on loopback, no token."""
    sites = {SITE: {"site": SITE, "kind": "built-in", "name": "新闻网", "start_urls": ["https://news.example.cn/"]}}
    with TestClient(create_app(seeded[0], sites=sites), base_url="http://127.0.0.1:8000",
                    raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def ids(seeded: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return seeded[1]
