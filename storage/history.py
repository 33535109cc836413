"""Reading history: hot lists as they stood, a story's ranks over time, revision diffs, archive stats."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Date, cast, func, select

from storage import queries
from storage.errors import StorageError
from storage.schema import articles, hot_list_entries, hot_list_snapshots
from storage.values import SHANGHAI, iso_shanghai, parse_instant, utc_now

if TYPE_CHECKING:
    from storage.archive import Archive

_SNAPSHOT_ORDER = (hot_list_snapshots.c.captured_at, hot_list_snapshots.c.id)


def hot_list_at(archive: Archive, site: str, at: datetime | str | None = None,
                page_url: str | None = None) -> dict[str, Any] | None:
    """The site's hot list as it stood at `at` (the latest snapshot captured then or before); None if none."""
    when = parse_instant(at, "at") or utc_now()

    def read(conn: Connection) -> dict[str, Any] | None:
        query = select(hot_list_snapshots.c.id).where(hot_list_snapshots.c.site == site,
                                                      hot_list_snapshots.c.captured_at <= when)
        if page_url is not None:
            query = query.where(hot_list_snapshots.c.page_url == page_url)
        snapshot_id = conn.scalar(query.order_by(*(c.desc() for c in _SNAPSHOT_ORDER)).limit(1))
        return _snapshot(conn, snapshot_id) if snapshot_id is not None else None

    return archive._read(read)


def story_history(archive: Archive, url: str) -> dict[str, Any] | None:
    """A story's ranks over time: first/last seen, best rank, time on the list, and every sighting."""
    def read(conn: Connection) -> dict[str, Any] | None:
        sightings = conn.execute(
            select(hot_list_snapshots.c.site, hot_list_snapshots.c.page_url, hot_list_snapshots.c.captured_at,
                   hot_list_entries.c.rank, hot_list_entries.c.title)
            .join(hot_list_entries).where(hot_list_entries.c.url == url).order_by(*_SNAPSHOT_ORDER)).all()
        if not sightings:
            return None
        pages = {(s.site, s.page_url) for s in sightings}
        on_list = sum((_time_until_next(conn, s.site, s.page_url, s.captured_at) for s in sightings), timedelta())
        return {"url": url, "title": sightings[-1].title, "sites": sorted({site for site, _ in pages}),
                "first_seen_at": iso_shanghai(sightings[0].captured_at),
                "last_seen_at": iso_shanghai(sightings[-1].captured_at),
                "best_rank": min(s.rank for s in sightings), "snapshots": len(sightings),
                "time_on_list_seconds": int(on_list.total_seconds()),
                "ranks": [{"captured_at": iso_shanghai(s.captured_at), "rank": s.rank, "site": s.site}
                          for s in sightings]}

    return archive._read(read)


def rank_history(archive: Archive, site: str | None = None, since: Any = None,
                 until: Any = None) -> list[dict[str, Any]]:
    """Every hot-list entry captured in [since, until): captured_at (datetime), rank, title, url, site."""
    query = (select(hot_list_snapshots.c.site, hot_list_snapshots.c.captured_at, hot_list_entries.c.rank,
                    hot_list_entries.c.title, hot_list_entries.c.url)
             .join(hot_list_entries).order_by(*_SNAPSHOT_ORDER, hot_list_entries.c.position))
    if site is not None:
        query = query.where(hot_list_snapshots.c.site == site)
    if since is not None:
        query = query.where(hot_list_snapshots.c.captured_at >= parse_instant(since, "since"))
    if until is not None:
        query = query.where(hot_list_snapshots.c.captured_at < parse_instant(until, "until"))
    return archive._read(lambda conn: [
        {**row._mapping, "captured_at": row.captured_at.astimezone(SHANGHAI)} for row in conn.execute(query)])


def revision_diff(archive: Archive, id_or_url: int | str, old: int | None = None,
                  new: int | None = None) -> list[str]:
    """Unified diff, paragraph by paragraph, between two revisions (default: the last two)."""
    article = archive.get_article(id_or_url)
    if article is None:
        raise StorageError(f"no article {id_or_url!r} in the archive")
    revisions = {r["revision"]: r for r in article["revisions"]}
    new = new if new is not None else max(revisions)
    old = old if old is not None else new - 1
    if old not in revisions or new not in revisions:
        return []
    before, after = _paragraphs(revisions[old]), _paragraphs(revisions[new])
    return list(difflib.unified_diff(before, after, f"revision {old} ({revisions[old]['fetched_at']})",
                                     f"revision {new} ({revisions[new]['fetched_at']})", lineterm=""))


def stats(archive: Archive, days: int = 30, runs: int = 10) -> dict[str, Any]:
    """Articles per site, per day (Shanghai dates, last `days` days with articles) and the last runs."""
    def read(conn: Connection) -> dict[str, Any]:
        per_site = conn.execute(select(articles.c.site, func.count(), func.max(articles.c.published_at))
                                .group_by(articles.c.site).order_by(articles.c.site)).all()
        day = _shanghai_day(conn)
        per_day = conn.execute(select(day.label("day"), articles.c.site, func.count())
                               .where(articles.c.published_at.is_not(None)).group_by(day, articles.c.site)
                               .order_by(day.desc(), articles.c.site).limit(days * max(1, len(per_site)))).all()
        return {"counts": queries.counts(conn),
                "sites": [{"site": s, "articles": n, "latest_published_at": iso_shanghai(latest)}
                          for s, n, latest in per_site],
                "days": [{"day": str(d), "site": s, "articles": n} for d, s, n in per_day],
                "runs": queries.runs(conn, None, runs, False)}

    return archive._read(read)


def _shanghai_day(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", articles.c.published_at), Date)
    return func.date(articles.c.published_at, "+8 hours")  # stored as UTC text on SQLite


def _paragraphs(revision: dict[str, Any]) -> list[str]:
    heads = [f"{key}: {revision[key]}" for key in ("pretitle", "title", "subtitle") if revision[key]]
    return heads + [p for p in revision["body"].split("\n") if p.strip()]


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
    return {"id": row.id, "site": row.site, "page_url": row.page_url, "captured_at": iso_shanghai(row.captured_at),
            "run_id": row.run_id, "entries": [dict(e._mapping) for e in entries]}
