"""PostgreSQL search by site: an index over articles (site, id), so the ids of a site are read from the index.

Search counts its matches on search_text and applies the filters as an IN list of article ids; for a site
that list came from the heap of `articles` (20,000 scattered rows at 100,000 articles, half the time of the
count). SQLite needs nothing: its (site, published_at) index already carries the rowid.
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_articles_site_id ON articles (site, id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_articles_site_id")
