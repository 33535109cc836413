"""A misbehaving web server for crawl tests: an HTTP proxy whose answers are chosen per URL.

Spiders reach it through ``http_proxy`` and request the real URLs of a site, as they do the demo mirror; each
URL maps to a behaviour (a status, a redirect, a lie about the charset, a slow trickle, a gzip bomb…). Every
request is logged, so a test can tell that a host was never contacted.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

Behaviour = Callable[["HostileHandler"], None]


@dataclass
class Answer:
    """A plain answer: status, headers and body, sent at once."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def __call__(self, handler: HostileHandler) -> None:
        handler.send_response(self.status)
        for name, value in self.headers.items():
            handler.send_header(name, value)
        if "Content-Length" not in self.headers:
            handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)


def html(body: bytes, charset: str | None = None, status: int = 200) -> Answer:
    content_type = f"text/html; charset={charset}" if charset else "text/html"
    return Answer(status, body, {"Content-Type": content_type})


def redirect(to: str, status: int = 301) -> Answer:
    return Answer(status, b"", {"Location": to})


def truncated(body: bytes, charset: str = "GB2312") -> Answer:
    """Promises the whole body in Content-Length, sends half of it, closes the connection."""
    return Answer(200, body[: len(body) // 2], {"Content-Type": f"text/html; charset={charset}",
                                               "Content-Length": str(len(body))})


def slow_loris(seconds_per_byte: float = 1.0, total: int = 600) -> Behaviour:
    """Headers at once, then one byte per ``seconds_per_byte``: never a whole page within a download timeout."""
    def behave(handler: HostileHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        for _ in range(total):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if handler.server.stopping.wait(seconds_per_byte):
                return
    return behave


def hang_up(handler: HostileHandler) -> None:
    """Accepts the request and closes the connection without a byte of answer."""
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def not_http(handler: HostileHandler) -> None:
    """Answers in another protocol (an SSH banner), then closes."""
    handler.wfile.write(b"SSH-2.0-OpenSSH_8.9\r\n")
    handler.close_connection = True


def raw_location(location: bytes, status: int = 302) -> Behaviour:
    """A redirect whose Location header is raw bytes (UTF-8, not percent-encoded), as some servers send it."""
    def behave(handler: HostileHandler) -> None:
        handler.wfile.write(b"HTTP/1.0 %d Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % (status, location))
        handler.close_connection = True
    return behave


def unsized(body: bytes, charset: str = "GB2312") -> Behaviour:
    """The body without a Content-Length, ended by closing the connection (HTTP/1.0)."""
    def behave(handler: HostileHandler) -> None:
        handler.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=%s\r\n\r\n" % charset.encode())
        handler.wfile.write(body)
        handler.close_connection = True
    return behave


def gzip_bomb(path: Path) -> Answer:
    """A gzip body (about 1 MB on the wire) that inflates to 1 GiB of zeros, built once into ``path``."""
    if not path.exists():
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip wrapper
        chunk = bytes(1024 * 1024)
        with path.open("wb") as out:
            for _ in range(1024):
                out.write(compressor.compress(chunk))
            out.write(compressor.flush())
    return Answer(200, path.read_bytes(), {"Content-Type": "text/html", "Content-Encoding": "gzip"})


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body)


class HostileHandler(BaseHTTPRequestHandler):
    server: HostileServer

    def do_GET(self) -> None:
        url = self.path if "://" in self.path else f"http://{self.headers.get('Host', 'localhost')}{self.path}"
        self.server.requests.append(url)
        behaviour = self.server.routes.get(url) or Answer(404, b"<html><body>404</body></html>",
                                                           {"Content-Type": "text/html"})
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the crawler gave up: a timeout, a limit
            behaviour(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class HostileServer(ThreadingHTTPServer):
    """The proxy on 127.0.0.1, served from a background thread (``with HostileServer(routes) as server``)."""

    daemon_threads = True

    def __init__(self, routes: dict[str, Behaviour]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), HostileHandler)
        self._thread = threading.Thread(target=self.serve_forever, name="hostile", daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hosts_requested(self) -> set[str]:
        return {urlsplit(url).hostname or "" for url in self.requests}

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        time.sleep(0)  # let trickling handlers see the event
        self.shutdown()
        self.server_close()
