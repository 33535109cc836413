"""Per-page run outcomes, run owner (pid/hostname), article URL aliases, removed_at."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "run_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_pages"),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], ondelete="CASCADE",
                                name="fk_run_pages_run_id_crawl_runs"),
    )
    op.create_index("ix_run_pages_run_id_outcome", "run_pages", ["run_id", "outcome"])
    op.create_table(
        "article_urls",
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("url", name="pk_article_urls"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name="fk_article_urls_article_id_articles"),
    )
    op.create_index("ix_article_urls_article_id", "article_urls", ["article_id"])
    # Existing articles were fetched under their `url`: record it so known_urls keeps skipping them.
    op.execute("INSERT INTO article_urls (url, article_id, first_seen_at) "
               "SELECT url, id, first_seen_at FROM articles")
    op.add_column("articles", sa.Column("removed_at", TIMESTAMP))
    op.add_column("crawl_runs", sa.Column("pid", sa.Integer))
    op.add_column("crawl_runs", sa.Column("hostname", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("hostname")
        batch.drop_column("pid")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("removed_at")
    op.drop_table("article_urls")
    op.drop_table("run_pages")
