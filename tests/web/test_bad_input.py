"""Odd input gets a 400 or 404 page with one clear line (or JSON with it), never a 500."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from storage import ArchiveUnavailable
from web import create_app

BAD = [
    ("/search?q=-广告", 400, "at least one term"),
    ("/search?q=a&since=yesterday", 400, "since is not an ISO date/time"),
    ("/search?q=a&until=0001-01-01", 400, "outside the years"),
    ("/search?q=a&until=2026-13-01", 400, "until is not an ISO date/time"),
    ("/search?q=a&sort=best", 400, "sort must be one of relevance, date"),
    ("/search?q=a&page=0", 400, "page must be a whole number"),
    ("/search?q=a&page=-1", 400, "page must be a whole number"),
    ("/search?q=a&page=１", 400, "page must be a whole number"),  # a full-width digit
    ("/search?q=a&page=99999999999999999999", 400, "page must be a whole number"),
    ("/search?q=a&site=nowhere", 400, "unknown site 'nowhere'"),
    ("/search?q=a&format=pdf", 400, "format must be one of html, json, atom"),
    ("/search?q=a%00b", 400, "NUL"),
    ("/search?q=" + "长" * 1001, 400, "longer than 1000"),
    ("/article/0", 404, "no article '0'"),
    ("/article/abc", 404, "no article 'abc'"),
    ("/article/99999999999999999999999", 404, "no article"),
    ("/article/１", 404, "no article"),
    ("/article/999/raw", 404, "no article '999'"),
    ("/hot/nowhere", 404, "no hot list captured for 'nowhere'"),
    ("/hot/killer_site?period=2d", 400, "period must be one of 1d, 7d, 30d, all"),
    ("/story", 400, "url is required"),
    ("/story?url=https://elsewhere.cn/x", 404, "never on a captured hot list"),
    ("/runs?limit=0", 400, "limit must be a whole number from 1 to 1000"),
    ("/runs?limit=x", 400, "limit must be a whole number"),
    ("/sites?recent=0", 400, "recent must be a whole number"),
    ("/?format=xml", 400, "format must be one of html, json"),
    ("/nowhere", 404, "no such page"),
    ("/static/../pyproject.toml", 404, ""),
]


@pytest.mark.parametrize(("path", "status", "line"), BAD)
def test_bad_input_is_a_clear_page(client: TestClient, path: str, status: int, line: str) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    if line:
        shown = re.search(r'<p class="error">(.*)</p>', answer.text)
        assert shown is not None and line in shown.group(1).replace("&#39;", "'")
        assert "\n" not in shown.group(1)


@pytest.mark.parametrize(("path", "status", "line"), [b for b in BAD if "format=" not in b[0] and b[2]])
def test_bad_input_as_json_is_an_error_object(client: TestClient, path: str, status: int, line: str) -> None:
    answer = client.get(path + ("&" if "?" in path else "?") + "format=json")
    assert answer.status_code == status
    assert line in answer.json()["error"]


def test_an_unreachable_archive_is_a_503_not_the_querys_fault(seeded: tuple[Path, Any]) -> None:
    app = create_app(seeded[0])

    def unreachable(*_args: Any, **_kwargs: Any) -> None:
        raise ArchiveUnavailable("the database at postgresql://db/x is unreachable\nretried for 30 s")

    app.state.web.archive.search = unreachable
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.get("/search", params={"q": "养老"})
    assert answer.status_code == 503
    assert "the archive is unavailable: the database at postgresql://db/x is unreachable" in answer.text
    assert "retried" not in answer.text
