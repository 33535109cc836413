"""Shared fixtures: an `archive` (and an empty `db_url`) for every storage backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from storage import Archive, open_archive

BACKENDS = ["sqlite", "postgresql"]
REDIS_URL = os.environ.get("HLJNEWS_TEST_REDIS", "redis://127.0.0.1:6379/13")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that restart PostgreSQL run last, so the restart disturbs no other test; tests marked network reach
    the live sites and run only when HLJNEWS_TEST_NETWORK=1."""
    items.sort(key=lambda item: item.get_closest_marker("pg_restart") is not None)
    if os.environ.get("HLJNEWS_TEST_NETWORK") == "1":
        return
    skip = pytest.mark.skip(reason="reaches the live sites; set HLJNEWS_TEST_NETWORK=1 to run")
    for item in items:
        if item.get_closest_marker("network"):
            item.add_marker(skip)


PG_ADMIN_URL = os.environ.get("HLJNEWS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def unavailable(reason: str) -> NoReturn:
    """A service a test needs is missing: skip with the reason, or fail under CI=true, where it must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the server's `postgres` database; skips (fails when CI=true) if unreachable."""
    # pool_pre_ping: the PostgreSQL restart test restarts the server under this session-long engine.
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True,
                           connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except Exception as exc:
        unavailable(f"PostgreSQL unreachable at {engine.url.render_as_string()}: {str(exc).splitlines()[0]}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_databases(pg_admin: Engine) -> Iterator[list[str]]:
    """Creates throwaway databases named hljnews_test_<pid>_<n>; drops them all at the end of the session."""
    created: list[str] = []
    yield created
    with pg_admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def new_pg_database(pg_admin: Engine, created: list[str]) -> str:
    """A fresh, empty database; returns its URL."""
    name = f"hljnews_test_{os.getpid()}_{len(created)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    created.append(name)
    return pg_admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_session_url(pg_admin: Engine, pg_databases: list[str]) -> str:
    """One PostgreSQL database shared by the session's `archive` tests (tables emptied per test)."""
    return new_pg_database(pg_admin, pg_databases)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database, no schema yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    return new_pg_database(request.getfixturevalue("pg_admin"), request.getfixturevalue("pg_databases"))


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path) -> Iterator[Archive]:
    """An open archive with no rows."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_session_url")
    archive = open_archive(url, create=True)
    if request.param == "postgresql":
        _empty_tables(url)
    yield archive
    archive.close()


def _empty_tables(url: str) -> None:
    from storage.schema import metadata

    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def broker() -> Iterator[str]:
    """An empty Redis database for the test's queue; skips (fails when CI=true) if Redis is unreachable."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as error:
        unavailable(f"Redis unreachable at {REDIS_URL}: {str(error).splitlines()[0]}")
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def pg_url(pg_admin: Engine, pg_databases: list[str]) -> str:
    """A new, empty PostgreSQL database of its own for one test."""
    return new_pg_database(pg_admin, pg_databases)
