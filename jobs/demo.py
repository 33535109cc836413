"""`hljnews demo`: crawl the bundled mirror of the built-in outlets with the real spiders, then summarise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jobs.crawl import CrawlResult, run_crawls
from mirror import Mirror, MirrorServer

DEMO_SITES = ["hlj_people", "hlj_xinhua", "dbw"]
# The mirror answers instantly; politeness delays would only make the demo slow.
DEMO_OVERRIDES: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "HLJNEWS_PROGRESS": True,
}


@contextmanager
def proxied_through(server: MirrorServer) -> Iterator[None]:
    """Route the spiders' plain-http requests to the mirror, leaving the real URLs untouched."""
    saved = {name: os.environ.get(name) for name in ("http_proxy", "no_proxy", "NO_PROXY")}
    os.environ["http_proxy"] = server.proxy_url
    os.environ.pop("no_proxy", None)
    os.environ.pop("NO_PROXY", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(
    db: str | None,
    *,
    sites: list[str] | None = None,
    quiet: bool = False,
    mirror: Mirror | None = None,
    overrides: dict[str, Any] | None = None,
    spider_args: dict[str, str] | None = None,
) -> list[CrawlResult]:
    """Serve the mirror on 127.0.0.1, crawl it into the archive ``db``, return the runs."""
    settings = {**DEMO_OVERRIDES, "HLJNEWS_PROGRESS": not quiet, **(overrides or {})}
    with MirrorServer(mirror) as server, proxied_through(server):
        return run_crawls(sites or DEMO_SITES, db=db, overrides=settings, spider_args=spider_args)
