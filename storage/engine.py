"""Turning a database URL (or a plain path) into a configured SQLAlchemy engine."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry

from storage.errors import StorageError

DEFAULT_DB_URL = "sqlite:///data/hljnews.sqlite3"
BUSY_TIMEOUT_MS = 30_000  # a scheduler and a cron crawl may write at once; writes are short
WRITE_OPTION = "hljnews_write"  # execution option: this transaction will write


def resolve_url(db_url: str | os.PathLike[str] | None) -> URL:
    """None -> $HLJNEWS_DB -> the default; a plain path means SQLite; SQLite parent dirs are created."""
    raw = os.fspath(db_url) if db_url is not None else os.environ.get("HLJNEWS_DB") or DEFAULT_DB_URL
    if "://" not in raw:
        raw = f"sqlite:///{Path(raw).expanduser().resolve()}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise StorageError(f"not a database URL: {raw!r}") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StorageError(f"unsupported database {url.get_backend_name()!r} (use sqlite or postgresql)")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        try:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the archive's directory {exc.filename}: {exc.strerror}") from None
    return url


def create_archive_engine(url: URL) -> Engine:
    """An engine with the per-backend settings the archive relies on."""
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"cannot use {display_url(url)}: {exc}") from None


def display_url(url: URL) -> str:
    """The URL as it can be shown in messages: no password."""
    return url.render_as_string(hide_password=True)


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (below): pysqlite's implicit transactions skip DDL.
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
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
