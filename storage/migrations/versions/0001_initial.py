"""Initial archive: runs, articles with revisions, raw pages, hot-list snapshots."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Spelled out here rather than imported from storage.schema: a migration must not change when the schema does.
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("spider", sa.String(100), nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(50), nullable=False),
        sa.Column("scheduled_at", TIMESTAMP),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("pages_new", sa.Integer, nullable=False),
        sa.Column("pages_updated", sa.Integer, nullable=False),
        sa.Column("pages_unchanged", sa.Integer, nullable=False),
        sa.Column("pages_failed", sa.Integer, nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crawl_runs"),
    )
    op.create_index("ix_crawl_runs_site_started_at", "crawl_runs", ["site", "started_at"])
    op.create_index("ix_crawl_runs_status", "crawl_runs", ["status"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("canonical_url", sa.Text, nullable=False),
        sa.Column("content_id", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("pretitle", sa.Text, nullable=False),
        sa.Column("subtitle", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("published_at", TIMESTAMP),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("authors", JSON, nullable=False),
        sa.Column("editors", JSON, nullable=False),
        sa.Column("channel_id", sa.String(200)),
        sa.Column("channel_name", sa.Text),
        sa.Column("images", JSON, nullable=False),
        sa.Column("page_urls", JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_fetched_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
    )
    op.create_index("ix_articles_site_published_at", "articles", ["site", "published_at"])
    op.create_table(
        "article_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("pretitle", sa.Text, nullable=False),
        sa.Column("subtitle", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_article_revisions"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name="fk_article_revisions_article_id_articles"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="SET NULL",
                                name="fk_article_revisions_run_id_crawl_runs"),
        sa.UniqueConstraint("article_id", "revision", name="uq_article_revisions_article_id_revision"),
    )
    op.create_table(
        "raw_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("site", sa.String(100)),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("compression", sa.String(10), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.Column("last_fetched_at", TIMESTAMP, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_raw_pages"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="SET NULL",
                                name="fk_raw_pages_run_id_crawl_runs"),
    )
    op.create_index("ix_raw_pages_url_id", "raw_pages", ["url", "id"])
    op.create_index("ix_raw_pages_site", "raw_pages", ["site"])
    op.create_table(
        "hot_list_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("page_url", sa.Text, nullable=False),
        sa.Column("captured_at", TIMESTAMP, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("entries_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hot_list_snapshots"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="SET NULL",
                                name="fk_hot_list_snapshots_run_id_crawl_runs"),
    )
    op.create_index("ix_hot_list_snapshots_site_captured_at", "hot_list_snapshots", ["site", "captured_at"])
    op.create_index("ix_hot_list_snapshots_page_url_captured_at", "hot_list_snapshots",
                    ["page_url", "captured_at"])
    op.create_table(
        "hot_list_entries",
        sa.Column("snapshot_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("snapshot_id", "position", name="pk_hot_list_entries"),
        sa.ForeignKeyConstraint(["snapshot_id"], ["hot_list_snapshots.id"], ondelete="CASCADE",
                                name="fk_hot_list_entries_snapshot_id_hot_list_snapshots"),
    )


def downgrade() -> None:
    for table in ("hot_list_entries", "hot_list_snapshots", "raw_pages", "article_revisions", "articles",
                  "crawl_runs"):
        op.drop_table(table)
