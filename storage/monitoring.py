"""The Archive's monitoring methods: watches, the alert outbox, crawl health and the `new` cursor.

A mixin of Archive (kept apart so archive.py stays the crawl's archive); alerts themselves are written by
save_article and save_hot_list through `_article_alerts` and `_hot_alerts`, inside their transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from storage import alerts, health, outbox, watches
from storage.articles import articles_by_ids
from storage.database import Database
from storage.errors import StorageError
from storage.schema import articles
from storage.times import optional_instant, require_instant, utc_now

CLAIM_LEASE = timedelta(minutes=2)  # longer than any send (webhook and apprise time out sooner)
NEW_WINDOW = timedelta(days=1)  # `new --since-last` without a cursor yet: the last day


class MonitoringMethods:
    """Watches, alerts, deliveries, health and cursors, each method one transaction."""

    _db: Database
    _watch_cache: watches.WatchCache

    # -- watches ------------------------------------------------------------------------------------------

    def add_watch(self, watch: Mapping[str, Any]) -> int:
        """Store a new watch (name, query, sites, triggers, hot_rank, targets, digest); StorageError if named."""
        row = watches.watch_row(watch)
        return self._db.write(lambda conn: watches.add_watch(conn, row, "cli", utc_now()))

    def remove_watch(self, name: str) -> int:
        """Delete a watch added by the CLI (not one of the config); returns how many unsent alerts it cancelled."""
        return self._db.write(lambda conn: watches.remove_watch(conn, name, utc_now()))

    def sync_watches(self, config_watches: Iterable[Mapping[str, Any]]) -> dict[str, int]:
        """Make the config's [[watches]] the archive's config watches; counts of added, updated, removed."""
        rows = [watches.watch_row(watch) for watch in config_watches]
        return self._db.write(lambda conn: watches.sync_config_watches(conn, rows, utc_now()))

    def watches(self) -> list[dict[str, Any]]:
        """Every watch by name, with origin (cli | config), alert count and last alert time."""
        return self._db.read(watches.list_watches)

    def get_watch(self, name: str) -> dict[str, Any] | None:
        """One watch by name, or None."""
        return self._db.read(lambda conn: watches.get_watch(conn, name))

    # -- the outbox ---------------------------------------------------------------------------------------

    def claim_deliveries(self, limit: int = 50, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Lease due, unsent deliveries to this process (with their alerts), for a deliverer to send."""
        moment = optional_instant(now, "now") or utc_now()
        if not self._db.read(lambda conn: outbox.any_due(conn, moment)):
            return []  # an idle deliverer only reads: SQLite writers (crawls, the job store) never wait for it
        worker = outbox.worker_name()
        return self._db.write(lambda conn: outbox.claim(conn, worker, moment, moment + CLAIM_LEASE, limit))

    def record_delivery(self, delivery_id: int, *, error: str | None = None, retry_at: datetime | None = None,
                        now: datetime | None = None) -> None:
        """Record one attempt: delivered (no error), or failed with its error, to be tried again at retry_at."""
        moment = optional_instant(now, "now") or utc_now()
        if error is not None:
            retry_at = require_instant(retry_at, "retry_at")
        self._db.write(lambda conn: outbox.record_attempt(conn, delivery_id, moment, error, retry_at))

    def release_deliveries(self) -> int:
        """Give back this process's unsent claims (a deliverer stopping)."""
        worker = outbox.worker_name()
        return self._db.write(lambda conn: outbox.release(conn, worker))

    def alert_ledger(self, *, watch: str | None = None, state: str | None = None, limit: int = 100
                     ) -> list[dict[str, Any]]:
        """Alerts newest first, a row per delivery; state: pending, failed (tried, unsent), delivered, cancelled."""
        if state is not None and state not in outbox.STATES:
            raise StorageError(f"unknown delivery state {state!r} (known: {', '.join(outbox.STATES)})")
        return self._db.read(lambda conn: outbox.ledger(conn, watch, state, limit))

    def watch_alerts(self, name: str, limit: int = 50) -> list[dict[str, Any]]:
        """A watch's alerts, newest first, with their payloads (its feed)."""
        return self._db.read(lambda conn: outbox.watch_alerts(conn, name, limit))

    # -- crawl health -------------------------------------------------------------------------------------

    def health_context(self, run_id: int, *, baseline_runs: int = 10, min_new_articles: int = 3,
                       recent_runs: int = 10) -> dict[str, Any] | None:
        """A run's health numbers with its site's baseline, recent statuses and previous condition states."""
        return self._db.read(lambda conn: health.health_context(
            conn, run_id, baseline_runs=baseline_runs, min_new_articles=min_new_articles, recent_runs=recent_runs))

    def record_health(self, run_id: int, site: str, level: str, numbers: dict[str, Any], states: dict[str, Any],
                      raised: Sequence[tuple[str, dict[str, Any]]], targets: Sequence[str]) -> int:
        """Store a run's health and the alerts it raised ((event key, payload)); how many alerts are new."""
        return self._db.write(lambda conn: health.record_health(conn, run_id, site, level, numbers, states,
                                                                raised, targets, utc_now()))

    def unjudged_runs(self, since: datetime) -> list[int]:
        """Closed runs started since `since` whose health was not judged yet, oldest first."""
        start = require_instant(since, "since")
        return self._db.read(lambda conn: health.unjudged_runs(conn, start))

    def site_health(self) -> list[dict[str, Any]]:
        """Per site: latest health level and states, latest judged numbers, last new article, last good run."""
        return self._db.read(health.site_health)

    # -- what's new ---------------------------------------------------------------------------------------

    def new_articles(self, *, site: str | None = None, since: datetime | None = None, cursor: str | None = None,
                     limit: int = 1000) -> dict[str, Any]:
        """Articles first seen since `since`, or since the named cursor (which then moves past them).

        Returns {"articles", "since_id" (the cursor's old position) or "since"}. Without a cursor position yet,
        the last day's articles.
        """
        start = optional_instant(since, "since")
        if cursor is None:
            return self._db.read(lambda conn: {"since": start, "articles": _first_seen(conn, site, start, 0, limit)})
        name = f"new:{cursor}"

        def read_and_move(conn: Connection) -> dict[str, Any]:
            after = watches.state(conn, name)
            window = start or (utc_now() - NEW_WINDOW if after is None else None)
            found = _first_seen(conn, site, window, after or 0, limit)
            if found:
                watches.bump_state(conn, name, utc_now(), found[-1]["id"])
            return {"since_id": after, "since": window, "articles": found}

        return self._db.write(read_and_move)

    # -- inside save_article / save_hot_list --------------------------------------------------------------

    def _article_alerts(self, conn: Connection, canonical_url: str, outcome: str, run_id: int | None) -> None:
        alerts.article_alerts(conn, self._watch_cache.current(conn), canonical_url, outcome, run_id, utc_now())

    def _hot_alerts(self, conn: Connection, site: str, entries: list[dict[str, Any]], captured: datetime,
                    run_id: int | None) -> None:
        alerts.hot_alerts(conn, self._watch_cache.current(conn), site, entries, captured, run_id, utc_now())


def _first_seen(conn: Connection, site: str | None, since: datetime | None, after: int, limit: int
                ) -> list[dict[str, Any]]:
    """Articles with an id above `after` (ids grow as articles are first stored) first seen since `since`."""
    query = select(articles.c.id).where(articles.c.id > after).order_by(articles.c.id).limit(limit)
    if site is not None:
        query = query.where(articles.c.site == site)
    if since is not None:
        query = query.where(articles.c.first_seen_at >= since)
    ids = list(conn.scalars(query))
    return articles_by_ids(conn, ids) if ids else []
