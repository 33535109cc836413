"""Articles and their revisions: saving (new / updated / unchanged), removal, and reading them back."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from storage.errors import StorageError
from storage.rows import REVISION_FIELDS
from storage.schema import article_revisions, article_urls, articles, run_pages
from storage.search import index_article
from storage.search.filters import ARTICLE_DATE
from storage.times import utc_now


def save_article(conn: Connection, row: dict[str, Any], fetched: datetime, run_id: int | None,
                 urls: list[str]) -> str:
    """Insert or update by canonical URL; returns "new", "updated" (a new revision) or "unchanged"."""
    current = conn.execute(select(articles.c.id, articles.c.revision, articles.c.content_hash,
                                  articles.c.last_fetched_at)
                           .where(articles.c.canonical_url == row["canonical_url"]).with_for_update()).first()
    if current is None:
        article_id = conn.execute(insert(articles).values(
            {**row, "revision": 1, "first_seen_at": fetched, "last_fetched_at": fetched},
        ).returning(articles.c.id)).scalar_one()
        outcome, revision = "new", 1
    else:
        article_id, revision = current.id, current.revision
        outcome = "unchanged" if current.content_hash == row["content_hash"] else "updated"
        if outcome == "updated":
            revision += 1
        # Metadata (bylines, channel, images...) is refreshed in place; `url` stays the first one seen.
        changes = {key: value for key, value in row.items() if key != "url"}
        conn.execute(update(articles).where(articles.c.id == article_id).values(
            {**changes, "revision": revision, "removed_at": None,
             "last_fetched_at": max(fetched, current.last_fetched_at)}))
    if outcome != "unchanged":
        index_article(conn, article_id, row)
        conn.execute(insert(article_revisions).values(
            **{key: row[key] for key in (*REVISION_FIELDS, "content_hash")},
            article_id=article_id, revision=revision, fetched_at=fetched, run_id=run_id))
    seen = set(conn.scalars(select(article_urls.c.url).where(article_urls.c.url.in_(urls))))
    new_urls = [{"url": url, "article_id": article_id, "first_seen_at": fetched} for url in urls if url not in seen]
    if new_urls:
        conn.execute(insert(article_urls), new_urls)
    if run_id is not None:
        extractor = row["extractor"] if row["extractor"] != "site" else None
        conn.execute(insert(run_pages).values(run_id=run_id, url=row["url"], outcome=outcome, extractor=extractor,
                                              at=utc_now()))
    return outcome


def mark_removed(conn: Connection, url: str, when: datetime) -> bool:
    """Set removed_at on the article behind url (canonical or fetched); False if unknown or already so."""
    alias = select(article_urls.c.article_id).where(article_urls.c.url == url)
    result = conn.execute(update(articles).where(
        (articles.c.canonical_url == url) | articles.c.id.in_(alias), articles.c.removed_at.is_(None),
    ).values(removed_at=when))
    return result.rowcount > 0


def article_dict(row: Row[Any]) -> dict[str, Any]:
    """An articles row shaped like dataclasses.asdict(Article), plus the archive's own fields."""
    data = dict(row._mapping)
    channel_id, channel_name = data.pop("channel_id"), data.pop("channel_name")
    data["channel"] = {"id": channel_id, "name": channel_name or ""} if channel_id else None
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


def latest_articles(conn: Connection, site: str, limit: int) -> list[dict[str, Any]]:
    """The site's newest articles by date (published, else first seen), without revisions."""
    # published_at rather than ARTICLE_DATE in the ORDER BY so the (site, published_at) index serves it.
    query = (select(articles).where(articles.c.site == site)
             .order_by(articles.c.published_at.desc().nulls_last(), articles.c.id.desc()).limit(limit))
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


def due_for_refresh(conn: Connection, site: str, since: datetime, now: datetime) -> list[str]:
    """Fetched URLs of a site's articles published (or, undated, first seen) since `since`, newest first.

    Thinned: an article is due again only once a quarter of its age (at least an hour) has passed since
    it was last fetched, so fresh stories are re-checked often and week-old ones about daily.
    """
    query = (select(articles.c.url, ARTICLE_DATE.label("dated"), articles.c.last_fetched_at)
             .where(articles.c.site == site, articles.c.removed_at.is_(None), since <= ARTICLE_DATE)
             .order_by(ARTICLE_DATE.desc(), articles.c.id.desc()))
    return [row.url for row in conn.execute(query) if _due(row.dated, row.last_fetched_at, now)]


def revision_diff(article: dict[str, Any] | None, id_or_url: int | str, old: int | None,
                  new: int | None) -> list[str]:
    """Unified diff, paragraph by paragraph, between two revisions of an article (default: the last two)."""
    if article is None:
        raise StorageError(f"no article {id_or_url!r} in the archive")
    revisions = {r["revision"]: r for r in article["revisions"]}
    new = new if new is not None else max(revisions)
    old = old if old is not None else new - 1
    if old not in revisions or new not in revisions:
        return []
    before, after = _paragraphs(revisions[old]), _paragraphs(revisions[new])
    return list(difflib.unified_diff(before, after, f"revision {old} ({revisions[old]['fetched_at'].isoformat()})",
                                     f"revision {new} ({revisions[new]['fetched_at'].isoformat()})", lineterm=""))


def _due(published: datetime, last_fetched: datetime, now: datetime) -> bool:
    wait = max(timedelta(hours=1), (now - published) / 4)
    return now - last_fetched >= wait


def _paragraphs(revision: dict[str, Any]) -> list[str]:
    heads = [f"{key}: {revision[key]}" for key in ("pretitle", "title", "subtitle") if revision[key]]
    return heads + [p for p in revision["body"].split("\n") if p.strip()]


def _revision_dict(row: Row[Any]) -> dict[str, Any]:
    data = dict(row._mapping)
    del data["id"], data["article_id"]
    return data
