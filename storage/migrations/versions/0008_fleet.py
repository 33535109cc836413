"""Fleet: a firing is claimed once in the ledger (attempts numbered), and readable scheduler state.

`crawl_runs.attempt` numbers the runs of one scheduled firing (a retry after a worker died is attempt 2),
and a unique index over (site, trigger, scheduled_at, attempt) lets exactly one scheduler record a firing.
Older ledgers may hold two rows of one firing; they are numbered in id order so the index can be built.

`scheduler_jobs` was APScheduler's pickled job store (id, next_run_time as Unix seconds, job_state blob),
unreadable without Python. It becomes a plain table of each job's schedule and next fire time; the jobs
themselves are rebuilt from the config at every start. Stored next fire times are carried over.
"""

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Spelled out here rather than imported: a migration must not change when the code does.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("crawl_runs", sa.Column("attempt", sa.Integer, nullable=False, server_default="1"))
    conn.execute(sa.text(
        "UPDATE crawl_runs SET attempt = (SELECT count(*) FROM crawl_runs AS earlier "
        "WHERE earlier.site = crawl_runs.site AND earlier.trigger = crawl_runs.trigger "
        "AND earlier.scheduled_at = crawl_runs.scheduled_at AND earlier.id <= crawl_runs.id) "
        "WHERE scheduled_at IS NOT NULL"))
    op.create_index("ux_crawl_runs_firing", "crawl_runs", ["site", "trigger", "scheduled_at", "attempt"],
                    unique=True)
    stored = _apscheduler_next_runs(conn)
    op.create_table(
        "scheduler_jobs",
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("schedule", sa.Text, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("next_run_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("job", name="pk_scheduler_jobs"),
    )
    now = datetime.now(UTC)
    for job, next_run in stored:
        site, _, kind = job.partition(":")
        # schedule "" is no config's schedule: the next start compares it, sees a change and recomputes,
        # except that a pending fire time in the past is still honoured (see jobs/jobstate.py).
        conn.execute(sa.text(
            "INSERT INTO scheduler_jobs (job, site, kind, schedule, timezone, days, next_run_at, updated_at) "
            "VALUES (:job, :site, :kind, '', '', 7, :next, :now)"),
            {"job": job, "site": site, "kind": kind, "next": _instant(conn, next_run), "now": _instant(conn, now)})


def downgrade() -> None:
    op.drop_table("scheduler_jobs")  # `hljnews run` of the older version recreates its own job store
    op.drop_index("ux_crawl_runs_firing", "crawl_runs")
    # Not a batch (copy-and-drop) on SQLite: dropping crawl_runs would cascade to run_pages.
    op.execute("ALTER TABLE crawl_runs DROP COLUMN attempt")


def _apscheduler_next_runs(conn: sa.Connection) -> list[tuple[str, datetime | None]]:
    """(job id, next fire time) from APScheduler's table, which is then dropped; [] if there was none."""
    if "scheduler_jobs" not in sa.inspect(conn).get_table_names():
        return []
    rows = conn.execute(sa.text("SELECT id, next_run_time FROM scheduler_jobs")).all()
    op.drop_table("scheduler_jobs")
    return [(job, None if seconds is None else datetime.fromtimestamp(seconds, UTC)) for job, seconds in rows]


def _instant(conn: sa.Connection, value: datetime | None) -> object:
    """A time as the archive stores it: ISO 8601 +08:00 text on SQLite, timestamptz on PostgreSQL."""
    if value is None or conn.dialect.name != "sqlite":
        return value
    return value.astimezone(SHANGHAI).isoformat()
