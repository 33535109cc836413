"""Indexes on each article's date (published_at, else first_seen_at): newest-first search pages."""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expression indexes, so schema.py lists their names among the structures built outside the MetaData.
    # The first is read in date order; the second gives a match's date by id without reading the row
    # (on SQLite the date sits behind the body, in overflow pages).
    op.execute("CREATE INDEX ix_articles_when ON articles (coalesce(published_at, first_seen_at), id)")
    op.execute("CREATE INDEX ix_articles_when_by_id ON articles (id, coalesce(published_at, first_seen_at))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_articles_when_by_id")
    op.execute("DROP INDEX ix_articles_when")
