"""Alerts, written in the transaction of what caused them: a new or revised article, a hot-list snapshot, a
run's health. Each event has a key that exists at most once (ON CONFLICT DO NOTHING), so a re-crawl, a
reparse or a retried transaction never makes a second alert; each new alert gets one outbox row per target.
"""

from __future__ import annotations

import difflib
import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.matching import CompiledWatch, WatchMatcher
from storage.schema import alert_deliveries, alerts, article_revisions, article_urls, articles, search_text
from storage.search.results import snippet
from storage.search.textnorm import normalize
from storage.times import SHANGHAI

ARTICLE_COLUMNS = (articles.c.id, articles.c.site, articles.c.url, articles.c.title, articles.c.published_at,
                   articles.c.source, articles.c.revision, articles.c.body)


def article_alerts(conn: Connection, matcher: WatchMatcher, canonical_url: str, outcome: str, run_id: int | None,
                   now: datetime) -> int:
    """Alerts for the watches a just-saved new ("new") or changed ("updated") article matches; how many."""
    return articles_alerts(conn, matcher, [(canonical_url, outcome)], run_id, now)


def articles_alerts(conn: Connection, matcher: WatchMatcher, saved: Sequence[tuple[str, str]], run_id: int | None,
                    now: datetime) -> int:
    """article_alerts for just-saved articles of distinct canonical URLs ((url, outcome)), read in one query."""
    outcomes = {url: outcome for url, outcome in saved if outcome in ("new", "updated")}
    if not outcomes or not len(matcher):
        return 0
    query = (select(*ARTICLE_COLUMNS, articles.c.canonical_url, search_text.c.title.label("text_title"),
                    search_text.c.body.label("text_body"))
             .join(search_text, search_text.c.article_id == articles.c.id)
             .where(articles.c.canonical_url.in_(list(outcomes))))
    return sum(_alerts_of(conn, matcher, article, outcomes[article.canonical_url], run_id, now)
               for article in conn.execute(query).all())


def _alerts_of(conn: Connection, matcher: WatchMatcher, article: Any, outcome: str, run_id: int | None,
               now: datetime) -> int:
    trigger = "new" if outcome == "new" else "revised"
    matched = matcher.matches(article.text_title, article.text_body, site=article.site, trigger=trigger)
    changes = _changes(conn, article.id, article.revision) if matched and trigger == "revised" else None
    made = 0
    for watch in matched:
        event = f"watch:{watch.id}:{trigger}:{article.id}" + (f":{article.revision}" if changes is not None else "")
        payload = {"article": _article_payload(article, watch), "query": watch.text}
        if changes is not None:
            payload["changes"] = changes
        made += add_alert(conn, event, trigger, payload, watch.targets, now, watch=watch, site=article.site,
                          article_id=article.id, revision=article.revision, run_id=run_id) is not None
    return made


def hot_alerts(conn: Connection, matcher: WatchMatcher, site: str, entries: Sequence[dict[str, Any]],
               captured: datetime, run_id: int | None, now: datetime) -> int:
    """Alerts for hot-list entries whose title a hot watch matches (on the list, or at rank <= hot_rank).

    One alert per watch, story and threshold, ever: a story moving up and down around the rank says nothing
    new, so only the first time it crosses is an event.
    """
    made = 0
    for entry in entries if len(matcher) else ():
        for watch in matcher.matches(normalize(entry["title"]), "", site=site, trigger="hot"):
            if watch.hot_rank is not None and entry["rank"] > watch.hot_rank:
                continue
            threshold = f"rank{watch.hot_rank}" if watch.hot_rank is not None else "listed"
            event = f"watch:{watch.id}:hot:{site}:{_digest(entry['url'])}:{threshold}"
            payload = {"article": _hot_article(conn, site, entry, watch), "query": watch.text,
                       "hot": {"rank": entry["rank"], "threshold": watch.hot_rank, "captured_at": _iso(captured)}}
            made += add_alert(conn, event, "hot", payload, watch.targets, now, watch=watch, site=site,
                              run_id=run_id) is not None
    return made


def add_alert(conn: Connection, event: str, trigger: str, payload: dict[str, Any], targets: Sequence[str],
              now: datetime, *, watch: CompiledWatch | None = None, site: str | None = None,
              article_id: int | None = None, revision: int | None = None, run_id: int | None = None) -> int | None:
    """Insert the alert of `event` and its deliveries; None (and nothing written) if it exists already."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = make(alerts).values(
        uid=uuid.uuid4().hex, event=event, watch_id=watch.id if watch else None,
        watch_name=watch.name if watch else None, trigger=trigger, site=site, article_id=article_id,
        revision=revision, run_id=run_id, payload=payload, created_at=now,
    ).on_conflict_do_nothing(index_elements=[alerts.c.event]).returning(alerts.c.id)
    alert_id = conn.execute(stmt).scalar()
    if alert_id is None or not targets:
        return alert_id
    digest = watch.digest if watch else None
    due = next_digest_at(digest, now) if digest else now
    conn.execute(insert(alert_deliveries), [
        {"alert_id": alert_id, "target": target, "status": "pending", "digest": digest, "due_at": due,
         "attempts": 0} for target in dict.fromkeys(targets)])
    return alert_id


def next_digest_at(digest: str, now: datetime) -> datetime:
    """When a digest collecting an alert made at `now` goes out: the next full hour, or the next HH:MM."""
    local = now.astimezone(SHANGHAI)
    if digest == "hourly":
        return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hour, minute = (int(part) for part in digest.partition("@")[2].split(":"))
    slot = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return slot if slot > local else slot + timedelta(days=1)


def _article_payload(article: Any, watch: CompiledWatch) -> dict[str, Any]:
    return {"id": article.id, "url": article.url, "title": article.title, "published_at": _iso(article.published_at),
            "site": article.site, "source": article.source,
            "snippet": snippet(article.body, watch.query.terms, ("", "")) or article.title}


def _hot_article(conn: Connection, site: str, entry: dict[str, Any], watch: CompiledWatch) -> dict[str, Any]:
    """The entry as an article payload, with the stored article's details when the archive has it."""
    alias = select(article_urls.c.article_id).where(article_urls.c.url == entry["url"])
    stored = conn.execute(select(*ARTICLE_COLUMNS).where(
        (articles.c.canonical_url == entry["url"]) | articles.c.id.in_(alias)).limit(1)).first()
    if stored is not None:
        return {**_article_payload(stored, watch), "title": entry["title"], "url": entry["url"]}
    return {"id": None, "url": entry["url"], "title": entry["title"], "published_at": None, "site": site,
            "source": "", "snippet": entry["title"]}


def _changes(conn: Connection, article_id: int, revision: int) -> dict[str, Any]:
    """What the new revision changed against the one before: title parts, paragraphs added and removed."""
    rows = {row.revision: row for row in conn.execute(
        select(article_revisions).where(article_revisions.c.article_id == article_id,
                                        article_revisions.c.revision.in_([revision - 1, revision])))}
    old, new = rows.get(revision - 1), rows.get(revision)
    if old is None or new is None:
        return {"revision": revision}
    changed = {key: {"old": getattr(old, key), "new": getattr(new, key)}
               for key in ("title", "pretitle", "subtitle") if getattr(old, key) != getattr(new, key)}
    before = [p for p in old.body.split("\n") if p.strip()]
    after = [p for p in new.body.split("\n") if p.strip()]
    lines = list(difflib.unified_diff(before, after, lineterm="", n=0))[2:]
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    return {"revision": revision, **changed, "paragraphs_added": added, "paragraphs_removed": removed}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:20]
