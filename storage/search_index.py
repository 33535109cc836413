"""Keeping the search index in step with articles, inside the writing transaction.

Both backends keep `search_text`: the normalised title (pretitle, title, subtitle) and body of each article.
SQLite adds two contentless FTS5 tables over it: `search_trigram` (every substring of 3+ characters) and
`search_short` (word characters as overlapping pairs, prefix index of 1, for 1- and 2-character terms).
PostgreSQL adds `search_text.grams`, every character and character pair, under a GIN index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from storage.errors import StorageError
from storage.textnorm import all_grams, normalize, short_grams

SQLITE_FTS_TABLES = ("search_trigram", "search_short")
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_trigram USING fts5(title, body, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE search_short USING fts5(title, body, content='', "
    "tokenize='unicode61 remove_diacritics 0', prefix='1')",
)
POSTGRESQL_DDL = (
    "ALTER TABLE search_text ADD COLUMN grams text[] NOT NULL DEFAULT '{}'",
    "CREATE INDEX ix_search_text_grams ON search_text USING gin (grams)",
)
BACKFILL_BATCH = 500
_GRAMS = bindparam("grams", type_=ARRAY(Text))


def searchable_title(article: Mapping[str, Any]) -> str:
    """The text a "title hit" is looked for in: pretitle, title and subtitle."""
    return " ".join(part for part in (article.get("pretitle"), article.get("title"), article.get("subtitle")) if part)


def create_index_tables(conn: Connection) -> None:
    """The backend's index structures beside search_text (run by the migration)."""
    if conn.dialect.name == "sqlite":
        if sqlite3.sqlite_version_info < (3, 34):
            raise StorageError(f"SQLite {sqlite3.sqlite_version} lacks the FTS5 trigram tokenizer (need 3.34+)")
        statements = SQLITE_DDL
    else:
        statements = POSTGRESQL_DDL
    for statement in statements:
        conn.exec_driver_sql(statement)


def index_article(conn: Connection, article_id: int, article: Mapping[str, Any]) -> None:
    """Insert or refresh one article's index rows (a no-op when its normalised text is unchanged)."""
    title, body = normalize(searchable_title(article)), normalize(article.get("body") or "")
    old = conn.execute(text("SELECT title, body FROM search_text WHERE article_id = :id"), {"id": article_id}).first()
    if old is not None and tuple(old) == (title, body):
        return
    values = {"id": article_id, "title": title, "body": body}
    if conn.dialect.name == "sqlite":
        if old is not None:
            _fts_write(conn, article_id, old.title, old.body, delete=True)
        _fts_write(conn, article_id, title, body)
        upsert = ("INSERT INTO search_text (article_id, title, body) VALUES (:id, :title, :body) "
                  "ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, body = excluded.body")
        conn.execute(text(upsert), values)
        return
    upsert = ("INSERT INTO search_text (article_id, title, body, grams) VALUES (:id, :title, :body, :grams) "
              "ON CONFLICT (article_id) DO UPDATE SET title = excluded.title, body = excluded.body, "
              "grams = excluded.grams")
    grams = sorted(all_grams(title) | all_grams(body))
    conn.execute(text(upsert).bindparams(_GRAMS), {**values, "grams": grams})


def backfill(conn: Connection) -> int:
    """Index every article not yet in search_text, in id order and batches; returns how many."""
    done, after = 0, 0
    query = text("SELECT a.id, a.title, a.pretitle, a.subtitle, a.body FROM articles a "
                 "LEFT JOIN search_text s ON s.article_id = a.id "
                 "WHERE s.article_id IS NULL AND a.id > :after ORDER BY a.id LIMIT :n")
    while rows := conn.execute(query, {"after": after, "n": BACKFILL_BATCH}).mappings().all():
        for row in rows:
            index_article(conn, row["id"], row)
        done += len(rows)
        after = rows[-1]["id"]
    return done


def _fts_write(conn: Connection, article_id: int, title: str, body: str, *, delete: bool = False) -> None:
    # Contentless FTS5 tables forget the text: a delete must hand back exactly the values once inserted.
    for table, (t, b) in (("search_trigram", (title, body)),
                          ("search_short", (short_grams(title), short_grams(body)))):
        if delete:
            sql = f"INSERT INTO {table} ({table}, rowid, title, body) VALUES ('delete', :id, :t, :b)"
        else:
            sql = f"INSERT INTO {table} (rowid, title, body) VALUES (:id, :t, :b)"
        conn.execute(text(sql), {"id": article_id, "t": t, "b": b})
