"""Index on each article's date (published_at, else first_seen_at) and id: newest-first search pages."""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An expression index, so schema.py lists its name among the structures built outside the MetaData.
    op.execute("CREATE INDEX ix_articles_when ON articles (coalesce(published_at, first_seen_at), id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_articles_when")
