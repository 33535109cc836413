"""Crawl health's numbers: per run, the coverage of each field among its new articles, the median body length,
failed pages and whether a hot list was captured; a site's recent runs to compare them with; and the record
of what was judged (run_health) with its alerts, in one transaction.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.alerts import add_alert
from storage.runs import get_run
from storage.schema import article_revisions, articles, crawl_runs, hot_list_snapshots, run_health

FIELDS = ("title", "body", "published_at", "source", "authors")
GOOD_STATUSES = ("ok", "partial", "truncated")  # runs that crawled: a baseline, and a "last good run"
FAILED_STATUSES = ("failed", "timeout")  # runs that crawled nothing useful
UNCOUNTED_STATUSES = ("running", "skipped", "missed")  # firings that say nothing about the site


def run_numbers(conn: Connection, run_id: int) -> dict[str, Any]:
    """A run's health numbers: new_articles, coverage (share per field), median_body, pages, failed_pages, hot_list."""
    new = conn.execute(
        select(articles.c.title, func.length(articles.c.body).label("body_length"), articles.c.published_at,
               articles.c.source, articles.c.authors)
        .join(article_revisions, article_revisions.c.article_id == articles.c.id)
        .where(article_revisions.c.run_id == run_id, article_revisions.c.revision == 1)).all()
    run = conn.execute(select(crawl_runs).where(crawl_runs.c.id == run_id)).one()
    pages = run.pages_new + run.pages_updated + run.pages_unchanged + run.pages_failed
    has = {"title": lambda r: bool(r.title), "body": lambda r: bool(r.body_length),
           "published_at": lambda r: r.published_at is not None, "source": lambda r: bool(r.source),
           "authors": lambda r: bool(r.authors)}
    coverage = {field: round(sum(1 for row in new if has[field](row)) / len(new), 4) for field in FIELDS} if new else {}
    return {"new_articles": len(new), "coverage": coverage,
            "median_body": int(statistics.median(row.body_length or 0 for row in new)) if new else None,
            "pages": pages, "failed_pages": run.pages_failed,
            "hot_list": bool(conn.scalar(select(exists().where(hot_list_snapshots.c.run_id == run_id))))}


def health_context(conn: Connection, run_id: int, *, baseline_runs: int, min_new_articles: int, recent_runs: int
                   ) -> dict[str, Any] | None:
    """Everything a run is judged on: the run and its numbers, its site's baseline (the last good runs with
    enough new articles, not themselves judged failing), its recent statuses and new-article history, and
    the condition states after the site's previous judged run. None for an unknown run."""
    run = get_run(conn, run_id)
    if run is None:
        return None
    site, earlier = run["site"], crawl_runs.c.id < run_id
    good = (select(crawl_runs.c.id).outerjoin(run_health, run_health.c.run_id == crawl_runs.c.id)
            .where(crawl_runs.c.site == site, earlier, crawl_runs.c.status.in_(GOOD_STATUSES),
                   crawl_runs.c.pages_new >= min_new_articles,
                   or_(run_health.c.level.is_(None), run_health.c.level != "fail"))
            .order_by(crawl_runs.c.id.desc()).limit(baseline_runs))
    recent = (select(crawl_runs.c.status).where(crawl_runs.c.site == site, crawl_runs.c.id <= run_id,
                                                crawl_runs.c.status.not_in(UNCOUNTED_STATUSES))
              .order_by(crawl_runs.c.id.desc()).limit(recent_runs))
    productive = (select(crawl_runs.c.started_at).where(crawl_runs.c.site == site, crawl_runs.c.id <= run_id,
                                                        crawl_runs.c.pages_new > 0)
                  .order_by(crawl_runs.c.id.desc()).limit(baseline_runs + 1))
    previous = conn.scalar(select(run_health.c.states).where(run_health.c.site == site, run_health.c.run_id < run_id)
                           .order_by(run_health.c.run_id.desc()).limit(1))
    return {"run": run, "numbers": run_numbers(conn, run_id),
            "baseline": [run_numbers(conn, good_id) for good_id in conn.scalars(good)],
            "recent_statuses": list(conn.scalars(recent)),
            "productive_runs": sorted(conn.scalars(productive)),
            "last_new_at": conn.scalar(select(func.max(articles.c.first_seen_at)).where(articles.c.site == site)),
            "previous_states": previous or {}}


def record_health(conn: Connection, run_id: int, site: str, level: str, numbers: dict[str, Any],
                  states: dict[str, Any], raised: Sequence[tuple[str, dict[str, Any]]], targets: Sequence[str],
                  now: datetime) -> int:
    """Store a run's judgement and the alerts it raised ((event, payload) pairs); how many alerts are new."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(make(run_health).values(run_id=run_id, site=site, level=level, numbers=numbers, states=states,
                                         evaluated_at=now).on_conflict_do_nothing(index_elements=[run_health.c.run_id]))
    return sum(add_alert(conn, event, "health", payload, targets, now, site=site, run_id=run_id) is not None
               for event, payload in raised)


def unjudged_runs(conn: Connection, since: datetime) -> list[int]:
    """Closed runs started since `since` that health has not judged yet, oldest first."""
    judged = select(run_health.c.run_id)
    return list(conn.scalars(select(crawl_runs.c.id).where(
        crawl_runs.c.started_at >= since, crawl_runs.c.status.not_in(("running",)), crawl_runs.c.id.not_in(judged))
        .order_by(crawl_runs.c.id)))


def site_health(conn: Connection) -> list[dict[str, Any]]:
    """Per site with runs: the latest judgement, its run, the last new article and the last good run."""
    sites = list(conn.scalars(select(crawl_runs.c.site).distinct().order_by(crawl_runs.c.site)))
    rows = []
    for site in sites:
        latest = conn.execute(select(run_health).where(run_health.c.site == site)
                              .order_by(run_health.c.run_id.desc()).limit(1)).first()
        judged = conn.execute(select(run_health.c.numbers, run_health.c.run_id).where(
            run_health.c.site == site, run_health.c.numbers["new_articles"].as_integer() > 0)
            .order_by(run_health.c.run_id.desc()).limit(1)).first()
        last_good = conn.scalar(select(func.max(crawl_runs.c.finished_at)).where(
            crawl_runs.c.site == site, crawl_runs.c.status.in_(GOOD_STATUSES)))
        rows.append({"site": site, "level": latest.level if latest else None,
                     "run_id": latest.run_id if latest else None, "states": latest.states if latest else {},
                     "numbers": judged.numbers if judged else None, "numbers_run_id": judged.run_id if judged else None,
                     "last_new_at": conn.scalar(select(func.max(articles.c.first_seen_at))
                                                .where(articles.c.site == site)),
                     "last_good_run_at": last_good})
    return rows
