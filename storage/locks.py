"""One crawl per site at a time, across processes and machines sharing an archive.

SQLite archives use an fcntl lock file beside the database (locks/<archive file>.<site>.lock); PostgreSQL archives a
session advisory lock held on a connection of its own. Both are released by the operating system or the
server when the holder dies, SIGKILL included: a crash never leaves a stale lock. A PostgreSQL restart
drops the advisory lock with its connection: `verify()` notices and takes it again if nobody else has.
A machine that vanishes (power, network) cannot close its connection: TCP keepalives on both ends make the
server drop that session, and its locks, within about half a minute.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from pathlib import Path
from typing import IO, Self

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.database import first_line
from storage.errors import AlreadyRunning, StorageError

logger = logging.getLogger(__name__)
# The locks this process holds, by (archive, site): a crawl started under a lock its caller took finds it.
_HELD: dict[tuple[str, str], CrawlLock] = {}
# libpq's keepalives notice a dead server; the session settings make the server notice a dead client.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}
SERVER_KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5",
                     "SET tcp_keepalives_count = 3")


def lock_key(name: str) -> int:
    """The PostgreSQL advisory lock key of a site (or another named lock): 64 bits of a hash of its name."""
    return int.from_bytes(hashlib.sha256(f"hljnews:{name}".encode()).digest()[:8], "big", signed=True)


def held_advisory_keys(conn: Connection) -> set[int]:
    """The advisory lock keys some session holds in this database (any process, any machine)."""
    rows = conn.execute(text(
        "SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
    # A bigint key shows as its high and low 32 bits (classid, objid); put them back into a signed 64-bit key.
    return {int.from_bytes(((high << 32) | low).to_bytes(8, "big"), "big", signed=True) for high, low in rows}


def held_lock(archive: str, site: str) -> CrawlLock | None:
    """The lock on `site` of `archive` (its display URL) that this process holds, if any."""
    return _HELD.get((archive, site))


class CrawlLock:
    """A site's crawl lock; a context manager that takes it (or raises AlreadyRunning) and releases it."""

    def __init__(self, site: str, archive: str, *, lock_file: Path | None = None, database_url: URL | None = None,
                 retry_seconds: float = 30.0) -> None:
        self.site, self.archive = site, archive
        self._path, self._retry_seconds = lock_file, retry_seconds
        # Its own unpooled engine: the lock's session must never be lent to, or disposed with, the archive's.
        self._engine = create_engine(database_url, poolclass=NullPool,
                                     connect_args={"connect_timeout": 10, **KEEPALIVES}) \
            if database_url is not None else None
        self._key = lock_key(site)
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        if not self._take():
            raise AlreadyRunning(f"a crawl of {self.site} is already running")
        _HELD[(self.archive, self.site)] = self
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()

    def held(self) -> bool:
        """Whether this process still holds the lock (a PostgreSQL restart loses it with the connection)."""
        if self._file is not None:
            return True  # an open file's flock lasts as long as the file stays open
        if self._conn is None:
            return False
        try:
            # A bigint advisory key shows in pg_locks as its high and low 32 bits (classid, objid).
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                "AND pid = pg_backend_pid() AND classid = CAST(:high AS oid) AND objid = CAST(:low AS oid)"),
                {"high": (self._key >> 32) & 0xFFFFFFFF, "low": self._key & 0xFFFFFFFF}).scalar()
            self._conn.commit()
            return bool(held)
        except DBAPIError:
            self._drop_connection()
            return False

    def verify(self) -> bool:
        """True if the lock is held, taking it again (for up to the retry period) if it was lost and is free."""
        if self.held():
            return True
        deadline = time.monotonic() + self._retry_seconds
        while True:
            try:
                taken = self._take()
            except StorageError as error:
                taken, reason = False, str(error)
            else:
                reason = "another process holds it"
                if taken:
                    logger.warning("crawl lock of %s was lost and has been taken again", self.site)
                    return True
                return False
            if time.monotonic() >= deadline:
                logger.error("crawl lock of %s lost and not taken again: %s", self.site, reason)
                return False
            time.sleep(1.0)

    def release(self) -> None:
        """Give the lock up (closing the lock file or unlocking and closing the connection)."""
        if _HELD.get((self.archive, self.site)) is self:
            del _HELD[(self.archive, self.site)]
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
                self._conn.commit()
            except DBAPIError:
                pass  # the connection is gone, and the lock with it
            self._drop_connection()
        if self._engine is not None:
            self._engine.dispose()

    def _take(self) -> bool:
        return self._take_file() if self._path is not None else self._take_advisory()

    def _take_file(self) -> bool:
        assert self._path is not None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._path.open("a+")
        except OSError as exc:
            raise StorageError(f"cannot create the lock file {self._path}: {exc.strerror}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # for people: who holds it
        handle.flush()
        self._file = handle
        return True

    def _take_advisory(self) -> bool:
        assert self._engine is not None
        self._drop_connection()
        try:
            conn = self._engine.connect()
        except DBAPIError as exc:
            raise StorageError(f"cannot reach the archive to lock {self.site}: {first_line(exc)}") from None
        try:
            for setting in SERVER_KEEPALIVES:
                conn.execute(text(setting))
            taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar())
            conn.commit()
        except DBAPIError as exc:
            conn.close()
            raise StorageError(f"cannot lock {self.site}: {first_line(exc)}") from None
        if not taken:
            conn.close()
            return False
        self._conn = conn
        return True

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()  # unpooled: closing ends the session, and any lock it held
            self._conn = None
