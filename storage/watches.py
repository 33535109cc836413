"""Watches (standing searches): adding, removing, syncing those of the config, and a matcher cached per Archive.

Every change bumps a counter in monitor_state inside its transaction; a writer reads that counter in each
save and recompiles its watches only when it moved, so a watch added by another process counts from its
next save on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.errors import StorageError
from storage.matching import WatchMatcher
from storage.schema import alert_deliveries, alerts, monitor_state, watches
from storage.search.query import check_query

VERSION = "watches"  # the monitor_state counter of watch changes
FIELDS = ("query", "sites", "triggers", "hot_rank", "targets", "digest")


def watch_row(watch: Mapping[str, Any]) -> dict[str, Any]:
    """The watches-table values of a watch mapping (name, query, sites, triggers, hot_rank, targets, digest)."""
    name = watch.get("name")
    if not isinstance(name, str) or not name:
        raise StorageError("a watch needs a name")
    check_query(watch.get("query"))
    return {"name": name, "query": watch["query"], "sites": list(watch.get("sites") or []),
            "triggers": list(watch.get("triggers") or ["new"]), "hot_rank": watch.get("hot_rank"),
            "targets": list(watch.get("targets") or []), "digest": watch.get("digest")}


def add_watch(conn: Connection, row: dict[str, Any], origin: str, now: datetime) -> int:
    """Insert a new watch; StorageError if the name is taken."""
    if conn.scalar(select(watches.c.origin).where(watches.c.name == row["name"])) is not None:
        raise StorageError(f"a watch named {row['name']!r} already exists (hljnews watch show {row['name']})")
    watch_id = conn.execute(insert(watches).values(**row, origin=origin, created_at=now, updated_at=now)
                            .returning(watches.c.id)).scalar_one()
    bump_version(conn, now)
    return watch_id


def remove_watch(conn: Connection, name: str, now: datetime) -> int:
    """Delete a watch added by the CLI; its alerts stay in the ledger, their unsent deliveries are cancelled."""
    found = conn.execute(select(watches.c.id, watches.c.origin).where(watches.c.name == name)).first()
    if found is None:
        raise StorageError(f"no watch named {name!r} (hljnews watch list shows them)")
    if found.origin == "config":
        raise StorageError(f"watch {name!r} is defined in the config file ([[watches]]): remove it there")
    cancelled = _cancel_unsent(conn, found.id)
    _drop_watch(conn, found.id)
    bump_version(conn, now)
    return cancelled


def _drop_watch(conn: Connection, watch_id: int) -> None:
    """Delete a watch, keeping its alerts in the ledger under a retired event key: SQLite gives the next watch
    the freed id, and keys such as watch:1:hot:… would otherwise stop that new watch alerting on the same story."""
    conn.execute(update(alerts).where(alerts.c.watch_id == watch_id)
                 .values(watch_id=None, event="retired:" + alerts.c.uid + ":" + alerts.c.event))
    conn.execute(delete(watches).where(watches.c.id == watch_id))


def sync_config_watches(conn: Connection, rows: Iterable[dict[str, Any]], now: datetime) -> dict[str, int]:
    """Make the config's watches the table's config watches: add, update, drop; counts of each change.

    A name the CLI added earlier and the config now defines becomes the config's (the file wins).
    """
    wanted = {row["name"]: row for row in rows}
    stored = {row.name: row for row in conn.execute(select(watches))}
    counts = {"added": 0, "updated": 0, "removed": 0}
    for name, row in wanted.items():
        old = stored.get(name)
        if old is None:
            conn.execute(insert(watches).values(**row, origin="config", created_at=now, updated_at=now))
            counts["added"] += 1
        elif old.origin != "config" or any(getattr(old, key) != row[key] for key in FIELDS):
            conn.execute(update(watches).where(watches.c.id == old.id).values(**row, origin="config", updated_at=now))
            counts["updated"] += 1
    for name, old in stored.items():
        if old.origin == "config" and name not in wanted:
            _cancel_unsent(conn, old.id)
            _drop_watch(conn, old.id)
            counts["removed"] += 1
    if any(counts.values()):
        bump_version(conn, now)
    return counts


def list_watches(conn: Connection) -> list[dict[str, Any]]:
    """Every watch, by name, with its alert count and latest alert time."""
    stats = (select(alerts.c.watch_id, func.count().label("alerts"), func.max(alerts.c.created_at).label("last"))
             .group_by(alerts.c.watch_id).subquery())
    query = (select(watches, stats.c.alerts, stats.c.last).outerjoin(stats, stats.c.watch_id == watches.c.id)
             .order_by(watches.c.name))
    return [{**dict(row._mapping), "alerts": row.alerts or 0, "last_alert_at": row.last}
            for row in conn.execute(query)]


def get_watch(conn: Connection, name: str) -> dict[str, Any] | None:
    """One watch by name, None if there is none."""
    return next((watch for watch in list_watches(conn) if watch["name"] == name), None)


def bump_version(conn: Connection, now: datetime) -> None:
    """Count a change of the watches (writers recompile their matcher when it moves)."""
    bump_state(conn, VERSION, now)


def bump_state(conn: Connection, name: str, now: datetime, value: int | None = None) -> None:
    """Set a monitor_state integer (or add one to it when value is None)."""
    make = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = make(monitor_state).values(name=name, value=1 if value is None else value, updated_at=now)
    new_value = monitor_state.c.value + 1 if value is None else stmt.excluded.value
    conn.execute(stmt.on_conflict_do_update(index_elements=[monitor_state.c.name],
                                            set_={"value": new_value, "updated_at": now}))


def state(conn: Connection, name: str) -> int | None:
    """A monitor_state integer, None if never set."""
    return conn.scalar(select(monitor_state.c.value).where(monitor_state.c.name == name))


class WatchCache:
    """An Archive's compiled watches, recompiled when the change counter moved since they were read."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._matcher = WatchMatcher(())
        self._lock = threading.Lock()

    def current(self, conn: Connection) -> WatchMatcher:
        """The matcher for the watches as this transaction sees them."""
        version = state(conn, VERSION)
        if version is None:
            return WatchMatcher(())  # never a watch in this archive
        with self._lock:
            if version != self._version:
                self._matcher = WatchMatcher.from_rows(row._mapping for row in conn.execute(select(watches)))
                self._version = version
            return self._matcher


def _cancel_unsent(conn: Connection, watch_id: int) -> int:
    unsent = select(alerts.c.id).where(alerts.c.watch_id == watch_id)
    result = conn.execute(update(alert_deliveries)
                          .where(alert_deliveries.c.alert_id.in_(unsent), alert_deliveries.c.status == "pending")
                          .values(status="cancelled", claimed_by=None, claimed_until=None))
    return result.rowcount
