"""Raw page bytes: kept compressed (storage/packing.py) once per distinct content of a URL, handed back as fetched."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, bindparam, func, insert, select, text, update

from storage.errors import StorageError
from storage.packing import CODEC, PackedBody, body_sha256, compress_body, unpack_body
from storage.rows import distinct_rounds
from storage.runs import run_site
from storage.schema import raw_pages


class RawSave(NamedTuple):
    """One fetched page to keep: its bytes and what the archive records beside them."""

    url: str
    body: bytes
    headers: Mapping[str, str]
    fetched: datetime
    run_id: int | None
    status: int
    site: str | None
    packed: PackedBody | None = None  # pack_body(body), when the caller made it already


def save_raw_page(conn: Connection, url: str, body: bytes, headers: Mapping[str, str], fetched: datetime,
                  run_id: int | None, status: int, site: str | None) -> None:
    """Insert the bytes unless the URL's latest copy has the same sha256 (then only last_fetched_at moves)."""
    save_raw_pages(conn, [RawSave(url, body, headers, fetched, run_id, status, site)])


def save_raw_pages(conn: Connection, pages: Sequence[RawSave]) -> None:
    """save_raw_page for many pages in a few statements; a URL coming again in the batch sees its first copy."""
    for round_ in distinct_rounds(pages, key=lambda page: page.url):
        _save_round(conn, round_)


def _save_round(conn: Connection, pages: list[RawSave]) -> None:
    """Pages of distinct URLs: one lock statement, one select, one update and one insert for all of them."""
    _serialise_on(conn, [f"raw_pages:{page.url}" for page in pages])
    newest = select(func.max(raw_pages.c.id)).where(raw_pages.c.url.in_([page.url for page in pages]))
    latest = {row.url: row for row in conn.execute(
        select(raw_pages.c.id, raw_pages.c.url, raw_pages.c.sha256, raw_pages.c.last_fetched_at)
        .where(raw_pages.c.id.in_(newest.group_by(raw_pages.c.url))))}
    moved, rows, sites = [], [], {}
    for page in pages:
        digest = page.packed.sha256 if page.packed else body_sha256(page.body)
        found = latest.get(page.url)
        if found is not None and found.sha256 == digest:
            if page.fetched > found.last_fetched_at:
                moved.append({"b_id": found.id, "last_fetched_at": page.fetched})
            continue
        if page.site is None and page.run_id not in sites:
            sites[page.run_id] = run_site(conn, page.run_id)
        body, codec = _compressed(page)
        rows.append({"url": page.url, "site": page.site or sites[page.run_id], "status": page.status,
                     "headers": dict(page.headers), "body": body, "compression": codec,
                     "size": len(page.body), "sha256": digest, "fetched_at": page.fetched,
                     "last_fetched_at": page.fetched, "run_id": page.run_id})
    if moved:
        conn.execute(update(raw_pages).where(raw_pages.c.id == bindparam("b_id")), moved)
    if rows:
        conn.execute(insert(raw_pages), rows)


def _compressed(page: RawSave) -> tuple[bytes, str]:
    """The body as stored and the codec that packed it."""
    return (page.packed.compressed, page.packed.codec) if page.packed else (compress_body(page.body), CODEC)


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
    try:
        data["body"] = unpack_body(data.pop("compression"), row.body, row.size, row.sha256)
    except ValueError as error:
        raise StorageError(f"raw page {row.id} cannot be read: {error}") from None
    return data


def _serialise_on(conn: Connection, keys: list[str]) -> None:
    # PostgreSQL writers run concurrently under READ COMMITTED; transaction-scoped locks keep two of them
    # from both seeing "no copy yet", taken in one order so two batches cannot deadlock. SQLite needs
    # nothing: BEGIN IMMEDIATE already serialises writers.
    if conn.dialect.name == "postgresql":
        ids = sorted({int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True) for key in keys})
        conn.execute(text("SELECT pg_advisory_xact_lock(id) FROM unnest(CAST(:ids AS bigint[])) AS id"),
                     {"ids": ids})  # unnest hands the ids over in the array's (sorted) order
