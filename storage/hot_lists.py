"""Hot-list snapshots: saving them (one per change within a run) and their history (as it stood, ranks)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select

from storage.schema import hot_list_entries, hot_list_snapshots

SNAPSHOT_ORDER = (hot_list_snapshots.c.captured_at, hot_list_snapshots.c.id)


class HotSave(NamedTuple):
    """One hot-list snapshot to save: its entries as rows (rows.hot_list_rows) and their hash."""

    site: str
    captured: datetime
    page_url: str
    rows: list[dict[str, Any]]
    digest: str
    run_id: int | None


def save_hot_list(conn: Connection, site: str, captured: datetime, page_url: str, rows: list[dict[str, Any]],
                  digest: str, run_id: int | None) -> int | None:
    """Insert a snapshot; None when it equals the site's latest snapshot of the same run (any page)."""
    return save_hot_lists(conn, [HotSave(site, captured, page_url, rows, digest, run_id)])[0]


def save_hot_lists(conn: Connection, saves: list[HotSave]) -> list[int | None]:
    """save_hot_list for many snapshots in order, in three statements; their ids (None: not stored)."""
    latest: dict[tuple[str, int], str | None] = {}
    kept: list[HotSave] = []
    for save in saves:
        if save.run_id is not None:
            # Every article page of a run repeats the same sidebar: one snapshot per change is the history.
            key = (save.site, save.run_id)
            if key not in latest:
                latest[key] = _latest_digest(conn, *key)
            if latest[key] == save.digest:
                kept.append(save._replace(rows=[]))  # a place holder: not stored
                continue
            latest[key] = save.digest
        kept.append(save)
    stored = [save for save in kept if save.rows]
    if not stored:
        return [None] * len(saves)
    ids = list(conn.scalars(insert(hot_list_snapshots).returning(hot_list_snapshots.c.id, sort_by_parameter_order=True),
                            [{"site": save.site, "page_url": save.page_url, "captured_at": save.captured,
                              "run_id": save.run_id, "entries_hash": save.digest} for save in stored]))
    entries = [{"snapshot_id": snapshot_id, **row} for snapshot_id, save in zip(ids, stored, strict=True)
               for row in save.rows]
    conn.execute(insert(hot_list_entries), entries)
    found = iter(ids)
    return [next(found) if save.rows else None for save in kept]


def _latest_digest(conn: Connection, site: str, run_id: int) -> str | None:
    return conn.scalar(select(hot_list_snapshots.c.entries_hash)
                       .where(hot_list_snapshots.c.site == site, hot_list_snapshots.c.run_id == run_id)
                       .order_by(hot_list_snapshots.c.id.desc()).limit(1))


def hot_list_at(conn: Connection, site: str, when: datetime | None, page_url: str | None) -> dict[str, Any] | None:
    """The latest snapshot of a site (or one page) captured at `when` or before (None: ever); None if none."""
    query = select(hot_list_snapshots.c.id).where(hot_list_snapshots.c.site == site)
    if when is not None:
        query = query.where(hot_list_snapshots.c.captured_at <= when)
    if page_url is not None:
        query = query.where(hot_list_snapshots.c.page_url == page_url)
    snapshot_id = conn.scalar(query.order_by(*(c.desc() for c in SNAPSHOT_ORDER)).limit(1))
    return _snapshot(conn, snapshot_id) if snapshot_id is not None else None


def story_history(conn: Connection, url: str) -> dict[str, Any] | None:
    """A story's ranks over time: first/last seen, best rank, time on the list, and every sighting."""
    sightings = conn.execute(
        select(hot_list_snapshots.c.site, hot_list_snapshots.c.page_url, hot_list_snapshots.c.captured_at,
               hot_list_entries.c.rank, hot_list_entries.c.title)
        .join(hot_list_entries).where(hot_list_entries.c.url == url).order_by(*SNAPSHOT_ORDER)).all()
    if not sightings:
        return None
    pages = {(s.site, s.page_url) for s in sightings}
    on_list = sum((_time_until_next(conn, s.site, s.page_url, s.captured_at) for s in sightings), timedelta())
    return {"url": url, "title": sightings[-1].title, "sites": sorted({site for site, _ in pages}),
            "first_seen_at": sightings[0].captured_at, "last_seen_at": sightings[-1].captured_at,
            "best_rank": min(s.rank for s in sightings), "snapshots": len(sightings),
            "time_on_list_seconds": int(on_list.total_seconds()),
            "ranks": [{"captured_at": s.captured_at, "rank": s.rank, "site": s.site} for s in sightings]}


def rank_history(conn: Connection, site: str | None, since: datetime | None,
                 until: datetime | None) -> list[dict[str, Any]]:
    """Every hot-list entry captured in [since, until): captured_at, rank, title, url, site."""
    query = (select(hot_list_snapshots.c.site, hot_list_snapshots.c.captured_at, hot_list_entries.c.rank,
                    hot_list_entries.c.title, hot_list_entries.c.url)
             .join(hot_list_entries).order_by(*SNAPSHOT_ORDER, hot_list_entries.c.position))
    if site is not None:
        query = query.where(hot_list_snapshots.c.site == site)
    if since is not None:
        query = query.where(hot_list_snapshots.c.captured_at >= since)
    if until is not None:
        query = query.where(hot_list_snapshots.c.captured_at < until)
    return [dict(row._mapping) for row in conn.execute(query)]


def _time_until_next(conn: Connection, site: str, page_url: str, captured_at: datetime) -> timedelta:
    following = conn.scalar(select(func.min(hot_list_snapshots.c.captured_at)).where(
        hot_list_snapshots.c.site == site, hot_list_snapshots.c.page_url == page_url,
        hot_list_snapshots.c.captured_at > captured_at))
    return following - captured_at if following is not None else timedelta()


def _snapshot(conn: Connection, snapshot_id: int) -> dict[str, Any]:
    row = conn.execute(select(hot_list_snapshots).where(hot_list_snapshots.c.id == snapshot_id)).one()
    entries = conn.execute(select(hot_list_entries.c.rank, hot_list_entries.c.title, hot_list_entries.c.url)
                           .where(hot_list_entries.c.snapshot_id == snapshot_id)
                           .order_by(hot_list_entries.c.position))
    return {"id": row.id, "site": row.site, "page_url": row.page_url, "captured_at": row.captured_at,
            "run_id": row.run_id, "entries": [dict(e._mapping) for e in entries]}
