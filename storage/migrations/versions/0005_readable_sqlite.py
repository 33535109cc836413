"""SQLite archives any SQL tool can read: times as ISO 8601 with +08:00, JSON as UTF-8, articles_fts.

Times were naive UTC text ("2021-07-16 01:30:00.000000"), so a user's date filter was off by 8 hours;
they become Shanghai time with its offset ("2021-07-16T09:30:00+08:00"): text order stays time order and
`published_at >= '2021-07-16'` means Shanghai's date. JSON columns held \\u escapes; they become readable
UTF-8. The trigram index becomes `articles_fts`, an FTS5 table whose content is declared as `articles`,
so sqlite-utils and Datasette find it for that table. PostgreSQL (timestamptz, JSONB) needs nothing.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Spelled out here rather than imported: a migration must not change when the code does.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
TIMES = {
    "crawl_runs": ("scheduled_at", "started_at", "finished_at"),
    "run_pages": ("at",),
    "articles": ("published_at", "first_seen_at", "last_fetched_at", "removed_at"),
    "article_urls": ("first_seen_at",),
    "article_revisions": ("fetched_at",),
    "raw_pages": ("fetched_at", "last_fetched_at"),
    "hot_list_snapshots": ("captured_at",),
}
JSON_COLUMNS = {
    "crawl_runs": ("errors",),
    "articles": ("authors", "editors", "images", "page_urls"),
    "raw_pages": ("headers",),
}
ARTICLES_FTS = ("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content=\"articles\", "
                "content_rowid=\"id\", tokenize='trigram')")
SEARCH_TRIGRAM = "CREATE VIRTUAL TABLE search_trigram USING fts5(title, body, content='', tokenize='trigram')"
BATCH = 1000


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table in TIMES.keys() | JSON_COLUMNS.keys():
        _rewrite(conn, table, TIMES.get(table, ()), JSON_COLUMNS.get(table, ()), _shanghai_text, _readable_json)
    conn.exec_driver_sql("DROP TABLE search_trigram")
    conn.exec_driver_sql(ARTICLES_FTS)
    conn.exec_driver_sql("INSERT INTO articles_fts (rowid, title, body) "
                         "SELECT article_id, title, body FROM search_text")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table in TIMES:
        _rewrite(conn, table, TIMES[table], (), _utc_text, lambda value: value)
    conn.exec_driver_sql("DROP TABLE articles_fts")
    conn.exec_driver_sql(SEARCH_TRIGRAM)
    conn.exec_driver_sql("INSERT INTO search_trigram (rowid, title, body) "
                         "SELECT article_id, title, body FROM search_text")


def _rewrite(conn: sa.Connection, table: str, times: tuple[str, ...], jsons: tuple[str, ...],
             time_text: Callable[[str], str], json_text: Callable[[str], str]) -> None:
    columns = (*times, *jsons)
    select = sa.text(f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid > :after ORDER BY rowid LIMIT :n")
    update = sa.text(f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE rowid = :row")
    after = 0
    while rows := conn.execute(select, {"after": after, "n": BATCH}).all():
        changes = []
        for row in rows:
            values = dict(zip(columns, row[1:], strict=True))
            changes.append({"row": row[0],
                            **{c: time_text(values[c]) if values[c] is not None else None for c in times},
                            **{c: json_text(values[c]) if values[c] is not None else None for c in jsons}})
        conn.execute(update, changes)
        after = rows[-1][0]


def _shanghai_text(value: str) -> str:
    """Naive UTC text (SQLAlchemy's SQLite DATETIME format) -> ISO 8601 on Shanghai's clock with +08:00."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).isoformat()


def _utc_text(value: str) -> str:
    """The reverse: ISO 8601 with an offset -> naive UTC text as schema 0004 stored it."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _readable_json(value: str) -> str:
    return json.dumps(json.loads(value), ensure_ascii=False)
