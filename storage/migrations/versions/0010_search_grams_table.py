"""PostgreSQL search: the gram arrays move from search_text to a narrow table of their own, `search_grams`.

Counting a common gram's matches read every matching search_text page (title, body and grams: 123 MB at
100,000 articles) although only the GIN index and row visibility matter; the narrow table, its arrays
stored out of line, reads a quarter as many. It also keeps each article's site and date, so search's site
and date filters need no join, and the title's grams again (marked), so title hits come from the index.
SQLite is untouched.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Spelled out as this migration made them (storage/search/postgresql.py keeps the current ones).
CREATE_TABLE = (
    "CREATE TABLE search_grams (article_id integer NOT NULL, site varchar(100) NOT NULL, "
    "dated_at timestamptz NOT NULL, grams text[] NOT NULL, CONSTRAINT pk_search_grams PRIMARY KEY (article_id), "
    "CONSTRAINT fk_search_grams_article_id_articles FOREIGN KEY (article_id) REFERENCES articles (id) "
    "ON DELETE CASCADE) WITH (toast_tuple_target = 128)"
)
# The title's grams again, marked with textnorm.TITLE_MARK (chr(1)), as textnorm.index_grams makes them: every
# character but the space, and every pair. Appending them also gives each row a fresh datum: one copied as
# stored would stay compressed inside the row (TOAST only moves values out of rows over ~2 KB).
TITLE_GRAMS = (
    "ARRAY(SELECT DISTINCT chr(1) || g FROM (SELECT substr(s.title, i, 1) FROM generate_series(1, length(s.title)) i "
    "UNION ALL SELECT substr(s.title, i, 2) FROM generate_series(1, length(s.title) - 1) i) AS t (g) WHERE g <> ' ')"
)
MOVE_GRAMS = (
    "INSERT INTO search_grams (article_id, site, dated_at, grams) "
    f"SELECT s.article_id, a.site, coalesce(a.published_at, a.first_seen_at), s.grams || {TITLE_GRAMS} "
    "FROM search_text s JOIN articles a ON a.id = s.article_id"
)
GIN_INDEX = "CREATE INDEX ix_search_grams_grams ON search_grams USING gin (grams)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_TABLE)
    op.execute(MOVE_GRAMS)
    # One GIN build over all rows, with the memory benchmarks/search.py gives it (the default 64 MB is slow).
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(GIN_INDEX)
    op.execute("DROP INDEX ix_search_text_grams")
    op.execute("ALTER TABLE search_text DROP COLUMN grams")
    # A dropped column's values stay in every row until the table is rewritten: CLUSTER rewrites it (VACUUM
    # FULL cannot run inside the migration's transaction), and search still reads search_text to confirm terms.
    op.execute("CLUSTER search_text USING pk_search_text")
    op.execute("ANALYZE search_grams")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_text ADD COLUMN grams text[] NOT NULL DEFAULT '{}'")
    op.execute("UPDATE search_text s SET grams = ARRAY(SELECT x FROM unnest(g.grams) x WHERE left(x, 1) <> chr(1)) "
               "FROM search_grams g WHERE g.article_id = s.article_id")
    op.execute("CREATE INDEX ix_search_text_grams ON search_text USING gin (grams)")
    op.execute("DROP TABLE search_grams")
