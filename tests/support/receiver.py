"""A webhook receiver for tests: an HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it.

It can be down (its port refusing connections) and up again on the same port, and can hold its first
request open until released (to kill a deliverer while it sends).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """Collects POSTed JSON in `posts`; `url` stays the same across down() and up()."""

    def __init__(self, *, hold_first: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.posts: list[dict[str, Any]] = []
        self.holding = threading.Event()  # set while the first request is held open
        self.release = threading.Event()
        self._hold = hold_first
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Receiver:
        self.up()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release.set()
        self.down()

    def up(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, condition: Callable[[list[dict[str, Any]]], bool], deadline: float = 60.0) -> None:
        """Poll until condition(posts) holds; AssertionError after `deadline` seconds."""
        end = time.monotonic() + deadline
        while not condition(list(self.posts)):
            assert time.monotonic() < end, f"receiver still waiting; has {len(self.posts)} posts"
            time.sleep(0.05)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver._lock:
                    hold, receiver._hold = receiver._hold, False
                receiver.posts.append(body)  # received, even if the sender never hears back
                if hold:  # keep the sender waiting, without an answer, until the test releases it
                    receiver.holding.set()
                    receiver.release.wait(120)
                    return
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        return Handler
