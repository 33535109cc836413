"""Escaping everywhere, strict headers on every answer, read-only methods, loopback or a token."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import HOT_URL, SCRIPT
from web import create_app
from web.guard import CSP, RedactToken, check_token

TOKEN = "s3cret-token-0123456789"
# Pages that show a value holding the script (a title, source, author, channel, caption or error)...
SHOWING = ["/", "/search?q=养老", "/search?q=养老&format=atom", "/article/{script}", "/article/{plain}",
           "/hot/killer_site?period=all", "/story?url=https://news.example.cn/a/2.html", "/runs"]
# ...and every page, which must hold no script at all.
PAGES = [*SHOWING, "/hot", f"/story?url={HOT_URL}", "/sites"]
ROUTES = [*PAGES, "/search?q=养老&format=json", "/article/{plain}/raw", "/static/style.css", "/nowhere",
          "/search?q=a&page=x"]


def _path(template: str, ids: dict[str, Any]) -> str:
    return template.format(**ids)


@pytest.mark.parametrize("page", SHOWING)
def test_a_script_from_the_archive_shows_as_text(client: TestClient, ids: dict[str, Any], page: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(_path(page, ids)).text


@pytest.mark.parametrize("page", PAGES)
def test_no_page_holds_a_script_or_a_script_link(client: TestClient, ids: dict[str, Any], page: str) -> None:
    text = client.get(_path(page, ids)).text.lower()
    assert "<script" not in text and 'href="javascript:' not in text


@pytest.mark.parametrize("route", ROUTES)
def test_every_answer_carries_the_security_headers(client: TestClient, ids: dict[str, Any], route: str) -> None:
    answer = client.get(_path(route, ids))
    assert "script-src" not in answer.headers["content-security-policy"]
    if not route.endswith("/raw"):
        assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_a_server_error_carries_the_headers_and_no_traceback(seeded: tuple[Path, dict[str, Any]]) -> None:
    app = create_app(seeded[0])

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret detail")

    app.state.web.archive.site_health = broken
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        answer = client.get("/")
    assert answer.status_code == 500
    assert "secret detail" not in answer.text
    assert answer.headers["content-security-policy"] == CSP


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_get_and_head_are_answered(client: TestClient, method: str) -> None:
    for path in ("/", "/search", "/nowhere"):
        answer = client.request(method, path)
        assert answer.status_code == 405
        assert answer.headers["allow"] == "GET, HEAD"
        assert answer.headers["x-frame-options"] == "DENY"


def test_head_is_answered(client: TestClient) -> None:
    assert client.head("/").status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "192.168.1.5"])
def test_without_a_token_only_loopback_host_headers_are_served(client: TestClient, host: str) -> None:
    answer = client.get("/", headers={"host": host})
    assert answer.status_code == 421
    assert "loopback" in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:9000"])
def test_loopback_host_headers_are_served(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.fixture
def guarded(seeded: tuple[Path, dict[str, Any]]) -> Any:
    with TestClient(create_app(seeded[0], token=TOKEN), base_url="http://news.example.org",
                    follow_redirects=False) as test_client:
        yield test_client


def test_with_a_token_a_request_without_it_is_refused(guarded: TestClient) -> None:
    answer = guarded.get("/")
    assert answer.status_code == 401 and "token" in answer.text
    assert guarded.get("/", headers={"authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert guarded.get("/static/style.css").status_code == 401


def test_the_token_as_a_bearer_header(guarded: TestClient) -> None:
    assert guarded.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_token_in_a_link_sets_a_strict_cookie_and_redirects_without_it(guarded: TestClient) -> None:
    answer = guarded.get("/search", params={"q": "养老", "token": TOKEN})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/search?q=%E5%85%BB%E8%80%81"
    cookie = answer.headers["set-cookie"]
    assert f"hljnews_token={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert guarded.get("/search", params={"q": "养老"}).status_code == 200  # the cookie from now on
    assert guarded.get("/", params={"token": "wrong"}).status_code == 401


def test_the_access_log_never_shows_the_token() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", f"/search?q=x&token={TOKEN}&page=2", "1.1", 303), None)
    RedactToken().filter(record)
    assert TOKEN not in record.getMessage()
    assert "token=[redacted]&page=2" in record.getMessage()


def test_serving_beyond_loopback_needs_a_long_token() -> None:
    check_token("127.0.0.1", None)
    check_token("0.0.0.0", TOKEN)
    with pytest.raises(ValueError, match="needs a token"):
        check_token("0.0.0.0", None)
    with pytest.raises(ValueError, match="at least 16 characters"):
        check_token("127.0.0.1", "short")


def test_the_feed_escapes_a_script_title(client: TestClient) -> None:
    feed = client.get("/search", params={"q": "养老", "format": "atom"}).text
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in feed
    assert SCRIPT not in feed
