"""Search index: normalised title/body per article, plus FTS5 (SQLite) or a gram array under GIN (PostgreSQL)."""

import sqlalchemy as sa
from alembic import op

from storage.search_index import SQLITE_FTS_TABLES, backfill, create_index_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_text",
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name="pk_search_text"),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name="fk_search_text_article_id_articles"),
    )
    conn = op.get_bind()
    create_index_tables(conn)
    # The index is built with today's normaliser: migrations import it rather than freeze a copy,
    # because an index normalised differently from the queries would silently miss matches.
    backfill(conn)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in SQLITE_FTS_TABLES:
            op.execute(f"DROP TABLE {table}")
    op.drop_table("search_text")
