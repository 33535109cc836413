"""Monitoring: watches, the alert outbox (alerts + alert_deliveries), run_health, monitor_state.

Also an index on article_revisions.run_id: a run's new articles (revision 1 of that run) for its health
numbers. Existing archives gain empty tables; crawl health builds its baseline from the runs that follow.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Spelled out here rather than imported from storage.schema: a migration must not change when the schema does.
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_index("ix_article_revisions_run_id", "article_revisions", ["run_id"])
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("sites", JSON, nullable=False),
        sa.Column("triggers", JSON, nullable=False),
        sa.Column("hot_rank", sa.Integer),
        sa.Column("targets", JSON, nullable=False),
        sa.Column("digest", sa.String(20)),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_watches"),
        sa.UniqueConstraint("name", name="uq_watches_name"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("watch_id", sa.Integer),
        sa.Column("watch_name", sa.String(64)),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("site", sa.String(100)),
        sa.Column("article_id", sa.Integer),
        sa.Column("revision", sa.Integer),
        sa.Column("run_id", sa.Integer),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("uid", name="uq_alerts_uid"),
        sa.UniqueConstraint("event", name="uq_alerts_event"),
        sa.ForeignKeyConstraint(["watch_id"], ["watches.id"], ondelete="SET NULL", name="fk_alerts_watch_id_watches"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL",
                                name="fk_alerts_article_id_articles"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="SET NULL", name="fk_alerts_run_id_crawl_runs"),
    )
    op.create_index("ix_alerts_watch_name_id", "alerts", ["watch_name", "id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("digest", sa.String(20)),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_attempt_at", TIMESTAMP),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", TIMESTAMP),
        sa.Column("claimed_by", sa.String(300)),
        sa.Column("claimed_until", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name="pk_alert_deliveries"),
        sa.UniqueConstraint("alert_id", "target", name="uq_alert_deliveries_alert_id_target"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE",
                                name="fk_alert_deliveries_alert_id_alerts"),
    )
    op.create_index("ix_alert_deliveries_status_due_at", "alert_deliveries", ["status", "due_at"])
    op.create_table(
        "run_health",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("numbers", JSON, nullable=False),
        sa.Column("states", JSON, nullable=False),
        sa.Column("evaluated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_run_health"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="CASCADE",
                                name="fk_run_health_run_id_crawl_runs"),
    )
    op.create_index("ix_run_health_site_run_id", "run_health", ["site", "run_id"])
    op.create_table(
        "monitor_state",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_monitor_state"),
    )


def downgrade() -> None:
    for table in ("monitor_state", "run_health", "alert_deliveries", "alerts", "watches"):
        op.drop_table(table)
    op.drop_index("ix_article_revisions_run_id", "article_revisions")
