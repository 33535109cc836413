"""Counting the archive: rows per table, articles per site and per Shanghai day."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Date, cast, func, select

from storage.schema import article_revisions, articles, crawl_runs, hot_list_snapshots, raw_pages


def counts(conn: Connection) -> dict[str, int]:
    """Row counts of the main tables."""
    tables = {"articles": articles, "revisions": article_revisions, "hot_list_snapshots": hot_list_snapshots,
              "runs": crawl_runs, "raw_pages": raw_pages}
    return {name: conn.scalar(select(func.count()).select_from(table)) or 0 for name, table in tables.items()}


def per_site(conn: Connection) -> list[dict[str, Any]]:
    """Articles per site with the newest publication time."""
    rows = conn.execute(select(articles.c.site, func.count(), func.max(articles.c.published_at))
                        .group_by(articles.c.site).order_by(articles.c.site)).all()
    return [{"site": site, "articles": n, "latest_published_at": latest} for site, n, latest in rows]


def per_day(conn: Connection, days: int) -> list[dict[str, Any]]:
    """Articles per Shanghai publication date and site, over the newest `days` dates that have articles."""
    day = _shanghai_day(conn)
    dated = articles.c.published_at.is_not(None)
    newest = select(day.label("day")).where(dated).group_by(day).order_by(day.desc()).limit(days).subquery()
    rows = conn.execute(select(day.label("day"), articles.c.site, func.count())
                        .where(dated, day.in_(select(newest.c.day))).group_by(day, articles.c.site)
                        .order_by(day.desc(), articles.c.site)).all()
    return [{"day": str(d), "site": s, "articles": n} for d, s, n in rows]


def _shanghai_day(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", articles.c.published_at), Date)
    return func.substr(articles.c.published_at, 1, 10)  # stored as Shanghai time: the date is the prefix
