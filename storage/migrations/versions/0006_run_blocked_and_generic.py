"""Runs count pages robots.txt blocked and articles the generic extractor read; articles say who read them."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Plain ALTER TABLE on both backends (SQLite 3.35+ drops columns in place): a batch copy of `articles` would
# drop the old table, and its ON DELETE CASCADE would take the revisions with it.
COLUMNS = (
    ("crawl_runs", sa.Column("pages_blocked", sa.Integer(), nullable=False, server_default="0")),
    ("crawl_runs", sa.Column("pages_generic", sa.Integer(), nullable=False, server_default="0")),
    ("run_pages", sa.Column("extractor", sa.String(20))),
    ("articles", sa.Column("extractor", sa.String(20), nullable=False, server_default="site")),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, column)


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column.name)
