"""Upgrading an archive's schema in place with Alembic (scripts in storage/migrations/versions)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from storage.engine import WRITE_OPTION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
PG_MIGRATION_LOCK = 0x686C6A6E  # pg_advisory_xact_lock key ("hljn"): one migrating process at a time


def alembic_config() -> Config:
    """Alembic configured in code: no alembic.ini to ship or find."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "storage/migrations/versions has no migrations"
    return head


def is_known_revision(revision: str) -> bool:
    """Whether this version's migrations include ``revision`` (an archive a newer hljnews wrote has one they don't)."""
    return revision in _known_revisions()


@cache
def _known_revisions() -> frozenset[str]:
    # Exact ids: alembic's get_revision would also take a prefix ("00") and fails oddly on "".
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The revision an archive is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` in one transaction, serialised against other processes."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    config = alembic_config()
    with engine.execution_options(**{WRITE_OPTION: True}).connect() as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        # env.py runs inside this transaction: a process killed mid-migration leaves the old schema.
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
