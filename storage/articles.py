"""Articles and their revisions: saving (new / updated / unchanged), removal, and reading them back."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from storage.errors import StorageError
from storage.rows import REVISION_FIELDS, distinct_rounds
from storage.schema import article_revisions, article_urls, articles, run_pages
from storage.search import backend_for, index_article, normalize, searchable_title
from storage.search.filters import ARTICLE_DATE
from storage.times import utc_now


def save_article(conn: Connection, row: dict[str, Any], fetched: datetime, run_id: int | None,
                 urls: list[str]) -> str:
    """Insert or update by canonical URL; returns "new", "updated" (a new revision) or "unchanged"."""
    return save_articles(conn, [ArticleSave(row, fetched, urls)], run_id)[0]


class ArticleSave(NamedTuple):
    """One article to save: its row (rows.article_row), when it was fetched, the URLs that led to it."""

    row: dict[str, Any]
    fetched: datetime
    urls: list[str]


class _Current(NamedTuple):
    id: int
    revision: int
    content_hash: str
    last_fetched_at: datetime


class _Saved(NamedTuple):
    save: ArticleSave
    article_id: int
    outcome: str
    revision: int


def save_articles(conn: Connection, saves: Sequence[ArticleSave], run_id: int | None,
                  after_round: Callable[[list[tuple[str, str]]], object] | None = None) -> list[str]:
    """save_article for many at once, a few statements per round; outcomes in order.

    Same result as saving them one by one: an article whose canonical URL comes again later in the batch
    starts a new round, so the later copy sees the earlier one. after_round gets each round's
    (canonical URL, outcome) pairs before the next round is written (alerts read the articles as saved).
    """
    outcomes: list[str] = []
    for round_ in distinct_rounds(saves, key=lambda save: save.row["canonical_url"]):
        done = _save_round(conn, round_, run_id)
        if after_round is not None:
            after_round([(save.row["canonical_url"], outcome) for save, outcome in zip(round_, done, strict=True)])
        outcomes += done
    return outcomes


def _save_round(conn: Connection, saves: list[ArticleSave], run_id: int | None) -> list[str]:
    """Saves with distinct canonical URLs: a few statements for all of them, not a few for each."""
    current = _current(conn, [save.row["canonical_url"] for save in saves])
    new_ids = _insert_new(conn, [save for save in saves if save.row["canonical_url"] not in current])
    saved = [_saved(save, current.get(save.row["canonical_url"]), new_ids) for save in saves]
    _refresh(conn, [(item, current[item.save.row["canonical_url"]]) for item in saved if item.outcome != "new"])
    changed = [item for item in saved if item.outcome != "unchanged"]
    _index(conn, changed)
    _add_revisions(conn, changed, run_id)
    _add_urls(conn, saved)
    _add_outcomes(conn, saved, run_id)
    return [item.outcome for item in saved]


def _current(conn: Connection, keys: list[str]) -> dict[str, _Current]:
    """The stored articles of these canonical URLs (locked for this transaction on PostgreSQL)."""
    query = (select(articles.c.canonical_url, articles.c.id, articles.c.revision, articles.c.content_hash,
                    articles.c.last_fetched_at).where(articles.c.canonical_url.in_(keys)).with_for_update())
    return {row.canonical_url: _Current(row.id, row.revision, row.content_hash, row.last_fetched_at)
            for row in conn.execute(query)}


def _saved(save: ArticleSave, found: _Current | None, new_ids: dict[str, int]) -> _Saved:
    """A save's article id, outcome and revision number."""
    if found is None:
        return _Saved(save, new_ids[save.row["canonical_url"]], "new", 1)
    if found.content_hash == save.row["content_hash"]:
        return _Saved(save, found.id, "unchanged", found.revision)
    return _Saved(save, found.id, "updated", found.revision + 1)


def _refresh(conn: Connection, stored: list[tuple[_Saved, _Current]]) -> None:
    """Update articles saved again: metadata (bylines, channel, images...) in place; `url` stays the first seen."""
    changes = [{**{key: value for key, value in item.save.row.items() if key != "url"}, "b_id": item.article_id,
                "revision": item.revision, "removed_at": None,
                "last_fetched_at": max(item.save.fetched, found.last_fetched_at)} for item, found in stored]
    if changes:
        conn.execute(update(articles).where(articles.c.id == bindparam("b_id")), changes)
        backend_for(conn).write_filters(conn, [item.article_id for item, _ in stored])


def _index(conn: Connection, changed: list[_Saved]) -> None:
    """Index new and changed articles; a new one has no search_text row yet, so nothing is read first."""
    new = [(item.article_id, normalize(searchable_title(item.save.row)), normalize(item.save.row["body"]))
           for item in changed if item.outcome == "new"]
    if new:  # one executemany per index table for the whole batch
        backend_for(conn).write_new(conn, new)
    for item in changed:
        if item.outcome != "new":
            index_article(conn, item.article_id, item.save.row)


def _add_revisions(conn: Connection, changed: list[_Saved], run_id: int | None) -> None:
    if changed:
        conn.execute(insert(article_revisions), [
            {**{key: item.save.row[key] for key in (*REVISION_FIELDS, "content_hash")}, "article_id": item.article_id,
             "revision": item.revision, "fetched_at": item.save.fetched, "run_id": run_id} for item in changed])


def _add_outcomes(conn: Connection, saved: list[_Saved], run_id: int | None) -> None:
    """Each page's outcome in the run's ledger, in the transaction of the page."""
    if run_id is None:
        return
    now = utc_now()
    conn.execute(insert(run_pages), [
        {"run_id": run_id, "url": item.save.row["url"], "outcome": item.outcome, "at": now,
         "extractor": item.save.row["extractor"] if item.save.row["extractor"] != "site" else None}
        for item in saved])


def _insert_new(conn: Connection, saves: list[ArticleSave]) -> dict[str, int]:
    """Insert articles not stored yet; their ids by canonical URL."""
    if not saves:
        return {}
    rows = [{**save.row, "revision": 1, "first_seen_at": save.fetched, "last_fetched_at": save.fetched}
            for save in saves]
    # A plain executemany, then the ids by canonical URL (unique): with RETURNING, SQLAlchemy sends the rows as
    # one multi-row statement each time, which psycopg cannot cache and parses anew (12 % of a batched ingest).
    conn.execute(insert(articles), rows)
    keys = [save.row["canonical_url"] for save in saves]
    query = select(articles.c.canonical_url, articles.c.id).where(articles.c.canonical_url.in_(keys))
    return {url: article_id for url, article_id in conn.execute(query)}


def _add_urls(conn: Connection, saved: list[_Saved]) -> None:
    """Remember every URL that led to each article (the first article naming a URL keeps it)."""
    wanted = {url for item in saved for url in item.save.urls}
    seen = set(conn.scalars(select(article_urls.c.url).where(article_urls.c.url.in_(wanted))))
    rows = []
    for item in saved:
        for url in item.save.urls:
            if url not in seen:
                seen.add(url)
                rows.append({"url": url, "article_id": item.article_id, "first_seen_at": item.save.fetched})
    if rows:
        conn.execute(insert(article_urls), rows)


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
