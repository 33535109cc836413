"""Raw page bytes: kept compressed (zlib) once per distinct content of a URL, handed back decompressed."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, text, update

from storage.errors import StorageError
from storage.runs import run_site
from storage.schema import raw_pages


def save_raw_page(conn: Connection, url: str, body: bytes, headers: Mapping[str, str], fetched: datetime,
                  run_id: int | None, status: int, site: str | None) -> None:
    """Insert the bytes unless the URL's latest copy has the same sha256 (then only last_fetched_at moves)."""
    digest = hashlib.sha256(body).hexdigest()
    _serialise_on(conn, f"raw_pages:{url}")
    latest = conn.execute(select(raw_pages.c.id, raw_pages.c.sha256, raw_pages.c.last_fetched_at)
                          .where(raw_pages.c.url == url).order_by(raw_pages.c.id.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == digest:
        if fetched > latest.last_fetched_at:
            conn.execute(update(raw_pages).where(raw_pages.c.id == latest.id).values(last_fetched_at=fetched))
        return
    conn.execute(insert(raw_pages).values(
        url=url, site=site or run_site(conn, run_id), status=status, headers=dict(headers),
        body=zlib.compress(body, 6), compression="zlib", size=len(body), sha256=digest,
        fetched_at=fetched, last_fetched_at=fetched, run_id=run_id))


def latest_ids(conn: Connection, site: str | None, url: str | None = None) -> list[int]:
    """Id of the newest raw_pages row of each URL (of one site, or one URL), in URL order."""
    query = select(func.max(raw_pages.c.id)).group_by(raw_pages.c.url).order_by(raw_pages.c.url)
    if site is not None:
        query = query.where(raw_pages.c.site == site)
    if url is not None:
        query = query.where(raw_pages.c.url == url)
    return list(conn.scalars(query))


def by_ids(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Raw pages with their bodies decompressed, in the order of ids."""
    rows = {row.id: row for row in conn.execute(select(raw_pages).where(raw_pages.c.id.in_(list(ids))))}
    return [_raw_page_dict(rows[page_id]) for page_id in ids if page_id in rows]


def _raw_page_dict(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    if data.pop("compression") != "zlib":
        raise StorageError(f"raw page {row.id}: unknown compression")
    data["body"] = zlib.decompress(row.body)
    return data


def _serialise_on(conn: Connection, key: str) -> None:
    # PostgreSQL writers run concurrently under READ COMMITTED; a transaction-scoped lock keeps two of them
    # from both seeing "no copy yet". SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
    if conn.dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
