"""The read side: plain-dict views of archive rows. Every function takes an open Connection."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select

from storage.errors import StorageError
from storage.schema import (
    article_revisions,
    article_urls,
    articles,
    crawl_runs,
    hot_list_entries,
    hot_list_snapshots,
    raw_pages,
    run_pages,
)
from storage.values import iso_shanghai

OUTCOMES = ("new", "updated", "unchanged", "failed")
OK_STATUSES = ("ok", "running")  # anything else (partial, failed, interrupted) is a failed run


def article_dict(row: Row[Any]) -> dict[str, Any]:
    """An articles row shaped like Article.to_dict(), plus the archive's own fields."""
    data = dict(row._mapping)
    channel_id, channel_name = data.pop("channel_id"), data.pop("channel_name")
    data["channel"] = {"id": channel_id, "name": channel_name or ""} if channel_id else None
    for key in ("published_at", "first_seen_at", "last_fetched_at", "removed_at"):
        data[key] = iso_shanghai(data[key])
    return data


def get_article(conn: Connection, id_or_url: int | str) -> dict[str, Any] | None:
    """One article with its revisions (oldest first), by id, canonical URL or any URL it was fetched under."""
    if isinstance(id_or_url, int):
        condition = articles.c.id == id_or_url
    else:
        alias = select(article_urls.c.article_id).where(article_urls.c.url == id_or_url)
        condition = (articles.c.canonical_url == id_or_url) | articles.c.id.in_(alias)
    row = conn.execute(select(articles).where(condition).limit(1)).first()
    if row is None:
        return None
    article = article_dict(row)
    query = (select(article_revisions).where(article_revisions.c.article_id == row.id)
             .order_by(article_revisions.c.revision))
    article["revisions"] = [_revision_dict(r) for r in conn.execute(query)]
    return article


def article_ids(conn: Connection, site: str | None) -> list[int]:
    """Ids of all articles (of one site), oldest first."""
    query = select(articles.c.id).order_by(articles.c.id)
    if site is not None:
        query = query.where(articles.c.site == site)
    return list(conn.scalars(query))


def articles_by_ids(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """Articles (without revisions) for a batch of ids, in id order."""
    query = select(articles).where(articles.c.id.in_(ids)).order_by(articles.c.id)
    return [article_dict(row) for row in conn.execute(query)]


def known_urls(conn: Connection, site: str) -> set[str]:
    """Every URL that leads to a stored article of the site: fetched URLs, canonical URLs, later pages."""
    urls = set(conn.scalars(select(article_urls.c.url).join(articles).where(articles.c.site == site)))
    for canonical_url, page_urls in conn.execute(
        select(articles.c.canonical_url, articles.c.page_urls).where(articles.c.site == site)
    ):
        urls.add(canonical_url)
        urls.update(page_urls or [])
    return urls


def recent_article_urls(conn: Connection, site: str, since: datetime, now: datetime | None = None) -> list[str]:
    """Fetched URLs of a site's articles published (or, undated, first seen) since `since`, newest first.

    With `now`, thinned: an article is due again only once a quarter of its age (at least an hour) has
    passed since it was last fetched, so fresh stories are re-checked often and week-old ones about daily.
    """
    when = func.coalesce(articles.c.published_at, articles.c.first_seen_at)
    query = (select(articles.c.url, when.label("when"), articles.c.last_fetched_at)
             .where(articles.c.site == site, articles.c.removed_at.is_(None), when >= since)
             .order_by(when.desc(), articles.c.id.desc()))
    rows = conn.execute(query).all()
    if now is None:
        return [row.url for row in rows]
    return [row.url for row in rows if _due(_aware(row.when), _aware(row.last_fetched_at), now)]


def _due(published: datetime, last_fetched: datetime, now: datetime) -> bool:
    wait = max(timedelta(hours=1), (now - published) / 4)
    return now - last_fetched >= wait


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def latest_hot_list(conn: Connection, site: str, page_url: str | None = None) -> dict[str, Any] | None:
    """The most recent hot-list snapshot of a site (or of one page), with its entries."""
    query = select(hot_list_snapshots).where(hot_list_snapshots.c.site == site)
    if page_url is not None:
        query = query.where(hot_list_snapshots.c.page_url == page_url)
    row = conn.execute(query.order_by(hot_list_snapshots.c.captured_at.desc(),
                                      hot_list_snapshots.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    entries = conn.execute(select(hot_list_entries.c.rank, hot_list_entries.c.title, hot_list_entries.c.url)
                           .where(hot_list_entries.c.snapshot_id == row.id)
                           .order_by(hot_list_entries.c.position))
    return {"id": row.id, "site": row.site, "page_url": row.page_url,
            "captured_at": iso_shanghai(row.captured_at), "run_id": row.run_id,
            "entries": [dict(entry._mapping) for entry in entries]}


def run_counts(conn: Connection, run_id: int) -> dict[str, int]:
    """pages_<outcome> of a run, counted from run_pages."""
    counts = dict.fromkeys((f"pages_{outcome}" for outcome in OUTCOMES), 0)
    query = (select(run_pages.c.outcome, func.count()).where(run_pages.c.run_id == run_id)
             .group_by(run_pages.c.outcome))
    for outcome, count in conn.execute(query):
        counts[f"pages_{outcome}"] = count
    return counts


def run_dict(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    """A crawl_runs row; a run still going reports live counts."""
    data = dict(row._mapping)
    if data["status"] == "running":
        data.update(run_counts(conn, data["id"]))
    for key in ("scheduled_at", "started_at", "finished_at"):
        data[key] = iso_shanghai(data[key])
    return data


def get_run(conn: Connection, run_id: int) -> dict[str, Any] | None:
    """One run by id."""
    row = conn.execute(select(crawl_runs).where(crawl_runs.c.id == run_id)).first()
    return run_dict(conn, row) if row is not None else None


def runs(conn: Connection, site: str | None, limit: int, failed_only: bool) -> list[dict[str, Any]]:
    """The latest runs, newest first."""
    query = select(crawl_runs).order_by(crawl_runs.c.started_at.desc(), crawl_runs.c.id.desc()).limit(limit)
    if site is not None:
        query = query.where(crawl_runs.c.site == site)
    if failed_only:
        query = query.where(crawl_runs.c.status.not_in(OK_STATUSES))
    return [run_dict(conn, row) for row in conn.execute(query).all()]


def latest_raw_page_ids(conn: Connection, site: str | None, url: str | None = None) -> list[int]:
    """Id of the newest raw_pages row of each URL (of one site, or one URL), in URL order."""
    query = select(func.max(raw_pages.c.id)).group_by(raw_pages.c.url).order_by(raw_pages.c.url)
    if site is not None:
        query = query.where(raw_pages.c.site == site)
    if url is not None:
        query = query.where(raw_pages.c.url == url)
    return list(conn.scalars(query))


def raw_pages_by_ids(conn: Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """Raw pages with their bodies decompressed, in the order of ids."""
    rows = {row.id: row for row in conn.execute(select(raw_pages).where(raw_pages.c.id.in_(list(ids))))}
    return [_raw_page_dict(rows[page_id]) for page_id in ids if page_id in rows]


def counts(conn: Connection) -> dict[str, int]:
    """Row counts of the main tables."""
    tables = {"articles": articles, "revisions": article_revisions, "hot_list_snapshots": hot_list_snapshots,
              "runs": crawl_runs, "raw_pages": raw_pages}
    return {name: conn.scalar(select(func.count()).select_from(table)) or 0 for name, table in tables.items()}


def _revision_dict(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    del data["id"], data["article_id"]
    data["fetched_at"] = iso_shanghai(data["fetched_at"])
    return data


def _raw_page_dict(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    if data.pop("compression") != "zlib":
        raise StorageError(f"raw page {row.id}: unknown compression")
    data["body"] = zlib.decompress(row.body)
    data["fetched_at"] = iso_shanghai(data["fetched_at"])
    data["last_fetched_at"] = iso_shanghai(data["last_fetched_at"])
    return data
