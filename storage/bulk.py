"""Loading many new articles at once: their rows, revision 1, URLs and search index in a few statements.

save_article decides new/updated/unchanged per article and matches watches (~160 articles/s on
PostgreSQL); a corpus known to be new (a benchmark's, an import into an empty archive) needs none of that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from storage.rows import REVISION_FIELDS
from storage.schema import article_revisions, article_urls, articles
from storage.search import backend_for, searchable_title
from storage.search.textnorm import normalize

BATCH = 2000


def load_new_articles(conn: Connection, rows: list[dict[str, Any]], fetched: datetime) -> int:
    """Insert rows (article_row values) as new articles, batch by batch; returns how many. A canonical URL
    already stored fails the whole transaction (the unique index)."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        stored = conn.execute(insert(articles).returning(articles.c.id, sort_by_parameter_order=True),
                              [{**row, "revision": 1, "first_seen_at": fetched, "last_fetched_at": fetched}
                               for row in batch]).scalars().all()
        conn.execute(insert(article_revisions), [
            {**{key: row[key] for key in (*REVISION_FIELDS, "content_hash")}, "article_id": id_, "revision": 1,
             "fetched_at": fetched, "run_id": None} for id_, row in zip(stored, batch, strict=True)])
        conn.execute(insert(article_urls), [{"url": row["url"], "article_id": id_, "first_seen_at": fetched}
                                            for id_, row in zip(stored, batch, strict=True)])
        backend_for(conn).write_new(conn, [(id_, normalize(searchable_title(row)), normalize(row["body"] or ""))
                                           for id_, row in zip(stored, batch, strict=True)])
    return len(rows)
