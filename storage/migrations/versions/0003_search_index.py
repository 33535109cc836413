"""Search index: normalised title/body per article, plus FTS5 (SQLite) or a gram array under GIN (PostgreSQL)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from storage.search.textnorm import all_grams, normalize, short_grams

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Spelled out as this migration made them (0005 replaces search_trigram by articles_fts).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_trigram USING fts5(title, body, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE search_short USING fts5(title, body, content='', "
    "tokenize='unicode61 remove_diacritics 0', prefix='1')",
)
POSTGRESQL_DDL = (
    "ALTER TABLE search_text ADD COLUMN grams text[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX ix_search_text_grams ON search_text USING gin (grams)",
)
BATCH = 500


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
    for statement in SQLITE_DDL if conn.dialect.name == "sqlite" else POSTGRESQL_DDL:
        conn.exec_driver_sql(statement)
    _backfill(conn)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("search_trigram", "search_short"):
            op.execute(f"DROP TABLE {table}")
    op.drop_table("search_text")


def _backfill(conn: sa.Connection) -> None:
    # The index is built with today's normaliser: migrations import it rather than freeze a copy,
    # because an index normalised differently from the queries would silently miss matches.
    after = 0
    query = sa.text("SELECT id, title, pretitle, subtitle, body FROM articles WHERE id > :after ORDER BY id LIMIT :n")
    while rows := conn.execute(query, {"after": after, "n": BATCH}).mappings().all():
        for row in rows:
            title = normalize(" ".join(part for part in (row["pretitle"], row["title"], row["subtitle"]) if part))
            _index(conn, row["id"], title, normalize(row["body"] or ""))
        after = rows[-1]["id"]


def _index(conn: sa.Connection, article_id: int, title: str, body: str) -> None:
    values = {"id": article_id, "title": title, "body": body}
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("INSERT INTO search_trigram (rowid, title, body) VALUES (:id, :title, :body)"), values)
        conn.execute(sa.text("INSERT INTO search_short (rowid, title, body) VALUES (:id, :t, :b)"),
                     {"id": article_id, "t": short_grams(title), "b": short_grams(body)})
        conn.execute(sa.text("INSERT INTO search_text (article_id, title, body) VALUES (:id, :title, :body)"), values)
        return
    grams = sa.bindparam("grams", type_=ARRAY(sa.Text))
    conn.execute(sa.text("INSERT INTO search_text (article_id, title, body, grams) VALUES (:id, :title, :body, :grams)")
                 .bindparams(grams), {**values, "grams": sorted(all_grams(title) | all_grams(body))})
