"""The scheduler's readable state: each configured job's schedule and next fire time (scheduler_jobs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.schema import scheduler_jobs
from storage.times import utc_now

COLUMNS = ("job", "site", "kind", "schedule", "timezone", "days", "next_run_at")


def jobs(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every stored job by id."""
    return {row.job: dict(row._mapping) for row in conn.execute(select(scheduler_jobs).order_by(scheduler_jobs.c.job))}


def save_job(conn: Connection, job: Mapping[str, Any]) -> None:
    """Insert or replace one job's row."""
    row = {name: job[name] for name in COLUMNS} | {"updated_at": utc_now()}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(scheduler_jobs).values(row)
    conn.execute(statement.on_conflict_do_update(index_elements=["job"],
                                                 set_={name: statement.excluded[name] for name in row}))


def keep_jobs(conn: Connection, job_ids: list[str]) -> None:
    """Delete the rows of jobs no longer configured."""
    conn.execute(delete(scheduler_jobs).where(scheduler_jobs.c.job.not_in(job_ids)))
