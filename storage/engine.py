"""Where an archive is (a URL or a plain path) and the configured SQLAlchemy engine that opens it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry

from storage.columns import json_text
from storage.errors import StorageError

DEFAULT_DB_URL = "sqlite:///data/hljnews.sqlite3"
BUSY_TIMEOUT_MS = 30_000  # a scheduler and a cron crawl may write at once; writes are short
WRITE_OPTION = "hljnews_write"  # execution option: this transaction will write
READ_MODES = ("rw", "ro", "immutable")  # SQLite: read-write; read-only; read-only without the -shm file


def resolve_url(db_url: str | os.PathLike[str] | None) -> URL:
    """None -> $HLJNEWS_DB -> the default; a plain path means SQLite. Creates nothing."""
    raw = os.fspath(db_url) if db_url is not None else os.environ.get("HLJNEWS_DB") or DEFAULT_DB_URL
    if "://" not in raw:
        raw = f"sqlite:///{Path(raw).expanduser().resolve()}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise StorageError(f"not a database URL: {raw!r}") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StorageError(f"unsupported database {url.get_backend_name()!r} (use sqlite or postgresql)")
    return url


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite archive; None for PostgreSQL and in-memory databases."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def writable(path: Path) -> bool:
    """Whether SQLite can write beside path: the file, and the directory for its -wal and -shm files."""
    # os.access answers for the effective user and reports a read-only mount (EROFS), root included.
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def create_archive_engine(url: URL, mode: str = "rw") -> Engine:
    """An engine with the per-backend settings the archive relies on; mode is one of READ_MODES (SQLite)."""
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url, mode)
        return create_engine(url, pool_pre_ping=True, json_serializer=json_text,
                             connect_args={"connect_timeout": 10})
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"cannot use {display_url(url)}: {exc}") from None


def display_url(url: URL) -> str:
    """The URL as it can be shown in messages: no password."""
    return url.render_as_string(hide_password=True)


def _sqlite_engine(url: URL, mode: str) -> Engine:
    path, timeout = sqlite_path(url), BUSY_TIMEOUT_MS / 1000
    if mode != "rw" and path is not None:
        # Our own connect: SQLAlchemy would quote the path of a URI filename a second time.
        uri = f"file:{quote(str(path))}?{'mode=ro' if mode == 'ro' else 'immutable=1'}"
        engine = create_engine(url, json_serializer=json_text, creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=timeout, check_same_thread=False))
    else:
        engine = create_engine(url, json_serializer=json_text, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (below): pysqlite's implicit transactions skip DDL.
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        if mode == "rw":
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
        else:
            cursor.execute("PRAGMA query_only=1")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing committed
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: object) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting for
        # busy_timeout (stale WAL snapshot); taking the write lock up front makes writers queue instead.
        immediate = conn.get_execution_options().get(WRITE_OPTION)  # type: ignore[attr-defined]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[attr-defined]

    return engine
