"""Opening an archive: never creating one for a read, read-only when the file cannot be written, upgrading."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from storage.database import RETRY_SECONDS, Database, first_line
from storage.engine import create_archive_engine, display_url, resolve_url, sqlite_path, writable
from storage.errors import ArchiveNotFound, StorageError
from storage.migrate import current_revision, head_revision, is_known_revision, upgrade

LOCKED_RETRY_SECONDS = 60  # how long a new archive's creation by another process is waited for


def open_database(db_url: str | os.PathLike[str] | None, *, create: bool, retry_seconds: float = RETRY_SECONDS
                  ) -> Database:
    """The archive's Database, at the head schema; see storage.open_archive."""
    url = resolve_url(db_url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        if not create:
            raise ArchiveNotFound(f"no archive at {path}")
        _make_parent(path)
    elif path is not None and not writable(path):
        return _read_only(url, path, retry_seconds)
    engine = create_archive_engine(url)
    try:
        _bring_to_head(engine, url, create)
    except DBAPIError as exc:
        engine.dispose()
        raise StorageError(f"cannot open archive {display_url(url)}: {first_line(exc)}") from None
    except StorageError:
        engine.dispose()
        raise
    return Database(engine, retry_seconds=retry_seconds)


def _bring_to_head(engine: Engine, url: URL, create: bool) -> None:
    """Check the archive exists (or may be made) and upgrade it to the head schema.

    Two processes opening a new SQLite file at once (a scheduler and a cron crawl) race on switching it to WAL
    and creating the schema; SQLite answers the loser "database is locked" at once rather than waiting, so
    that answer is retried for a while. Any other error, or a lock that outlasts the wait, is raised.
    """
    give_up = time.monotonic() + LOCKED_RETRY_SECONDS
    while True:
        try:
            revision = current_revision(engine)
            if revision is None and not create:
                raise ArchiveNotFound(f"no archive at {display_url(url)} (the database has no hljnews tables)")
            _check_known(revision, display_url(url))
            upgrade(engine)
            return
        except OperationalError as exc:
            if "database is locked" not in str(exc) or time.monotonic() > give_up:
                raise
            engine.dispose()
            time.sleep(0.2)


def _read_only(url: URL, path: Path, retry_seconds: float) -> Database:
    """A read-only SQLite archive: mode=ro, else immutable=1 when the -shm file cannot be created."""
    problem = ""
    for mode in ("ro", "immutable"):
        engine = create_archive_engine(url, mode)
        try:
            _check_schema(engine, path)
        except DBAPIError as exc:
            engine.dispose()
            problem = first_line(exc)
            continue
        except StorageError:
            engine.dispose()
            raise
        return Database(engine, read_only="its file or directory cannot be written", retry_seconds=retry_seconds)
    raise StorageError(f"cannot open archive {path} read-only: {problem}")


def _check_schema(engine: Engine, path: Path) -> None:
    """A read-only archive cannot be upgraded: it must already be at this version's schema."""
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
    revision = current_revision(engine)
    if revision is None:
        raise ArchiveNotFound(f"no archive at {path} (the database has no hljnews tables)")
    _check_known(revision, str(path))
    if revision != head_revision():
        raise StorageError(f"archive {path} is read-only and at schema {revision}; this version needs "
                           f"{head_revision()}: open it once where it can be written to upgrade it")


def _check_known(revision: str | None, where: str) -> None:
    """Refuse an archive at a schema this version has no migration for: a newer hljnews wrote it."""
    if revision is not None and not is_known_revision(revision):
        raise StorageError(f"archive {where} is at schema {revision}, newer than this hljnews knows (its newest is "
                           f"{head_revision()}): upgrade hljnews to open it")


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the archive's directory {exc.filename}: {exc.strerror}") from None
