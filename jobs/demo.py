"""`hljnews demo`: crawl the bundled mirror of the built-in outlets with the real spiders, then summarise."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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
    _check_archive(db)
    settings = {**DEMO_OVERRIDES, "HLJNEWS_PROGRESS": not quiet, **(overrides or {})}
    with MirrorServer(mirror) as server, proxied_through(server):
        return run_crawls(sites or DEMO_SITES, db=db, overrides=settings, spider_args=spider_args)


def _check_archive(db: str | None) -> None:
    """Open (creating) the archive once before any spider starts: a bad one (not a database, a directory, an
    unreachable server) is then the archive's one-line error, as for `hljnews crawl`, instead of a traceback
    from each spider's pipeline."""
    from storage import open_archive

    with open_archive(db, create=True):
        pass


def contract_check(sites: list[str], config: str | os.PathLike[str] | None = None, *,
                   pages: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`scrapy check` of the sites (all by default), a mirror of saved pages (the bundled one by default)
    standing in for the live sites."""
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"  # no scrapy.cfg needed, whatever the working directory
    if config is not None:
        env["HLJNEWS_CONFIG"] = os.fspath(config)
    with MirrorServer(Mirror(pages) if pages is not None else None) as server:
        env["http_proxy"] = server.proxy_url
        return subprocess.run([sys.executable, "-m", "scrapy", "check", *sites], env=env, capture_output=True,
                              text=True, timeout=600)
