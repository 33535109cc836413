"""One crawl per site at a time, across processes: the daemon's crawls and cron's `hljnews crawl` alike.

SQLite archives use an fcntl lock file beside the database; PostgreSQL archives a session advisory lock,
so crawlers on several machines sharing one archive exclude each other too. Both are released by the
operating system or the server when the holder dies, SIGKILL included: a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from storage.engine import create_archive_engine, resolve_url


class AlreadyRunning(RuntimeError):
    """Another process is crawling this site right now."""


@contextmanager
def site_lock(site: str, db_url: str | None = None) -> Iterator[None]:
    """Hold the site's crawl lock for the duration of the block, or raise AlreadyRunning at once."""
    url = resolve_url(db_url)
    if url.get_backend_name() == "postgresql":
        with _advisory_lock(site, db_url):
            yield
        return
    database = url.database if url.database not in (None, "", ":memory:") else "data/memory"
    with _file_lock(Path(database).parent / "locks" / f"{site}.lock", site):
        yield


@contextmanager
def _file_lock(path: Path, site: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"a crawl of {site} is already running") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # for people: who holds it
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


@contextmanager
def _advisory_lock(site: str, db_url: str | None) -> Iterator[None]:
    key = int.from_bytes(hashlib.sha256(f"hljnews:{site}".encode()).digest()[:8], "big", signed=True)
    engine = create_archive_engine(resolve_url(db_url))
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                raise AlreadyRunning(f"a crawl of {site} is already running")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
    finally:
        engine.dispose()
