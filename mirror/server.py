"""A local stand-in for the live sites: serves saved pages by host and path, as an HTTP proxy.

Spiders reach it through ``http_proxy``, so they request the real URLs unchanged and the mirror answers
as the live site would: GBK bytes with a charset header, 404s, redirects, errors and slow answers as
declared in the mirror's ROUTES.toml.
"""

from __future__ import annotations

import threading
import time
import tomllib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

BUNDLED_PAGES = Path(str(files("mirror") / "pages"))


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Routes:
    """Special answers by URL; every other URL is a file under ``root/<host>/<path>`` or a 404."""

    redirects: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    empty: set[str] = field(default_factory=set)
    charsets: dict[str, str] = field(default_factory=dict)  # host -> charset named in Content-Type

    @classmethod
    def load(cls, path: Path) -> Routes:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(
            redirects={r["from"]: r["to"] for r in data.get("redirect", [])},
            statuses={r["url"]: int(r.get("code", 404)) for r in data.get("missing", []) + data.get("status", [])},
            delays={r["url"]: float(r["seconds"]) for r in data.get("slow", [])},
            content_types={r["url"]: r["type"] for r in data.get("content_type", [])},
            empty={r["url"] for r in data.get("empty", [])},
            charsets=dict(data.get("charsets", {})),
        )


class Mirror:
    """Maps an absolute URL to the answer the live site would give."""

    def __init__(self, root: Path = BUNDLED_PAGES, routes: Routes | None = None, delay: float = 0.0) -> None:
        self.root = root
        self.routes = routes or Routes.load(root / "ROUTES.toml")
        self.delay = delay  # added to every answer, to give tests time to interrupt a crawl
        self.requests: list[str] = []

    def answer(self, url: str) -> Answer:
        self.requests.append(url)
        routes = self.routes
        if url in routes.redirects:
            return Answer(301, b"", {"Location": routes.redirects[url]})
        if url in routes.statuses:
            status = routes.statuses[url]
            return Answer(status, f"<html><body><h1>{status}</h1></body></html>".encode(), _html_type(None))
        answer = self._file_answer(url)
        answer.delay = routes.delays.get(url, self.delay)
        if url in routes.empty:
            answer.body = b""
        if url in routes.content_types:
            answer.headers["Content-Type"] = routes.content_types[url]
        return answer

    def _file_answer(self, url: str) -> Answer:
        parts = urlsplit(url)
        path = parts.path or "/"
        if path.endswith("/"):
            path += "index.html"
        candidate = (self.root / parts.hostname / path.lstrip("/")).resolve() if parts.hostname else None
        if candidate is None or self.root.resolve() not in candidate.parents or not candidate.is_file():
            return Answer(404, b"<html><body><h1>404 Not Found</h1></body></html>", _html_type(None))
        charset = self.routes.charsets.get(parts.hostname or "")
        return Answer(200, candidate.read_bytes(), _html_type(charset))


def _html_type(charset: str | None) -> dict[str, str]:
    return {"Content-Type": f"text/html; charset={charset}" if charset else "text/html"}


class _Handler(BaseHTTPRequestHandler):
    server: MirrorServer

    def do_GET(self) -> None:
        url = self.path if "://" in self.path else f"http://{self.headers.get('Host', 'localhost')}{self.path}"
        answer = self.server.mirror.answer(url)
        if answer.delay:
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def log_message(self, format: str, *args: object) -> None:  # keep the demo's terminal clean
        pass


class MirrorServer(ThreadingHTTPServer):
    """The mirror on 127.0.0.1, served from a background thread (``with MirrorServer(...) as server``)."""

    daemon_threads = True

    def __init__(self, mirror: Mirror | None = None, port: int = 0) -> None:
        self.mirror = mirror or Mirror()
        super().__init__(("127.0.0.1", port), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, name="mirror", daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> MirrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
