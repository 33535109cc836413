"""Transactions against the archive's engine: reconnect-and-retry, and one-line errors by cause."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from storage.engine import WRITE_OPTION, display_url
from storage.errors import ArchiveFull, ArchiveReadOnly, ArchiveUnavailable, StorageError

T = TypeVar("T")
logger = logging.getLogger(__name__)
RETRY_SECONDS = 30.0  # how long a transaction is retried while the database is unreachable
WRITE_ATTEMPTS = 3  # a concurrent writer inserting the same article/URL first is retried, then reported
SQLITE_FULL, SQLITE_READONLY = 13, 8
# PostgreSQL: connection exceptions (08…), shutdown and start-up (57P01-3), too many connections (53300).
TRANSIENT_SQLSTATES = ("57P01", "57P02", "57P03", "53300")


class Database:
    """The engine plus the rules every transaction follows (retry period, read-only refusal)."""

    def __init__(self, engine: Engine, *, read_only: str | None = None, retry_seconds: float = RETRY_SECONDS) -> None:
        self.engine = engine
        self.url = display_url(engine.url)
        self.read_only = read_only  # why writes are refused (e.g. "read-only file"), None if they are not
        self.retry_seconds = retry_seconds
        self.reconnects = 0  # lost connections replaced (by our retries, or by the pool's pre-ping)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})
        event.listen(engine, "invalidate", self._invalidated)

    def _invalidated(self, *_args: object) -> None:
        # A PostgreSQL restart is often noticed only by the pool's pre-ping, which reconnects silently;
        # counting it lets a crawl re-check its site lock, which the restart dropped.
        self.reconnects += 1

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run work in one write transaction, retried whole after a lost connection or a unique-key race."""
        if self.read_only:
            raise ArchiveReadOnly(f"archive {self.url} is read-only ({self.read_only}): nothing can be written")
        races, retry = 0, _Retry(self)
        while True:
            try:
                with self._writer.begin() as conn:
                    return work(conn)
            except IntegrityError as exc:
                # Usually another process inserted the same article or URL first: the retry sees it.
                races += 1
                if races == WRITE_ATTEMPTS:
                    raise StorageError(f"archive write rejected: {first_line(exc)}") from None
            except DBAPIError as exc:
                retry.after(exc, "write")

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run work in one read transaction, retried whole after a lost connection."""
        retry = _Retry(self)
        while True:
            try:
                with self.engine.connect() as conn:
                    return work(conn)
            except DBAPIError as exc:
                retry.after(exc, "read")

    def close(self) -> None:
        """Release all connections."""
        self.engine.dispose()


class _Retry:
    """Backoff within the retry period after connection-level errors; everything else raised at once."""

    def __init__(self, database: Database) -> None:
        self.database, self.deadline, self.delay = database, 0.0, 0.2

    def after(self, exc: DBAPIError, action: str) -> None:
        """Sleep and return if the transaction is worth another try; raise the StorageError otherwise."""
        if not is_disconnect(exc, self.database.engine.dialect.name):
            raise translate(exc, action, self.database.url) from None
        now = time.monotonic()
        self.deadline = self.deadline or now + self.database.retry_seconds
        if now >= self.deadline:
            raise ArchiveUnavailable(f"archive {self.database.url} unreachable for {self.database.retry_seconds:g} s"
                                     f" ({action} given up): {first_line(exc)}") from None
        if self.delay == 0.2:
            logger.info("archive connection lost (%s); reconnecting for up to %g s",
                           first_line(exc), self.database.retry_seconds)
        self.database.engine.dispose()  # every pooled connection died with the server: start afresh
        self.database.reconnects += 1
        time.sleep(min(self.delay, max(0.0, self.deadline - now)))
        self.delay = min(self.delay * 2, 5.0)


def is_disconnect(exc: DBAPIError, dialect: str) -> bool:
    """A lost or refused connection (PostgreSQL restart, network), as opposed to an error of the statement."""
    if exc.connection_invalidated:
        return True
    if dialect != "postgresql" or not isinstance(exc, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in TRANSIENT_SQLSTATES


def translate(exc: DBAPIError, action: str, url: str) -> StorageError:
    """The StorageError kind that names the cause of a database error."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if code == SQLITE_FULL or sqlstate == "53100" or "No space left on device" in str(exc.orig):
        return ArchiveFull(f"archive {url} is full ({action} not stored): {first_line(exc)}")
    if code == SQLITE_READONLY:
        return ArchiveReadOnly(f"archive {url} is read-only ({action} refused): {first_line(exc)}")
    return StorageError(f"archive {action} failed ({url}): {first_line(exc)}")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (of the driver's error when wrapped)."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__
