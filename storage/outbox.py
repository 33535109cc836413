"""The alert outbox: deliverers claim due deliveries in short transactions, then record each attempt.

A claim is a lease (claimed_by host:pid, claimed_until). PostgreSQL skips rows another deliverer has
locked (FOR UPDATE SKIP LOCKED); SQLite serialises writers, so the lease alone keeps two deliverers
apart. A claim whose process on this host has died (SIGKILL) is free at once; any other when its
lease runs out. So nothing claimed is lost, and only what was in flight can be sent twice.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, or_, select, update

from storage.schema import alert_deliveries, alerts

DELIVERY_COLUMNS = (alert_deliveries.c.id, alert_deliveries.c.target, alert_deliveries.c.digest,
                    alert_deliveries.c.due_at, alert_deliveries.c.attempts, alert_deliveries.c.status,
                    alert_deliveries.c.last_attempt_at, alert_deliveries.c.last_error,
                    alert_deliveries.c.delivered_at)
ALERT_COLUMNS = (alerts.c.id.label("alert_id"), alerts.c.uid, alerts.c.watch_name, alerts.c.trigger, alerts.c.site,
                 alerts.c.article_id, alerts.c.revision, alerts.c.run_id, alerts.c.payload, alerts.c.created_at)
STATES = ("pending", "failed", "delivered", "cancelled")


def worker_name() -> str:
    """This process as a claimant: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(conn: Connection, worker: str, now: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
    """Lease up to `limit` due, unsent deliveries to `worker`; each with its alert's fields."""
    due = (alert_deliveries.c.status == "pending") & (alert_deliveries.c.due_at <= now)
    free = select(alert_deliveries.c.id).where(
        due, or_(alert_deliveries.c.claimed_until.is_(None), alert_deliveries.c.claimed_until < now))
    held = select(alert_deliveries.c.id, alert_deliveries.c.claimed_by).where(
        due, alert_deliveries.c.claimed_until >= now)
    ids = list(conn.scalars(_locked(conn, free.order_by(alert_deliveries.c.due_at, alert_deliveries.c.id)
                                    .limit(limit))))
    if len(ids) < limit:
        orphans = [row.id for row in conn.execute(_locked(conn, held)) if _dead(row.claimed_by)]
        ids += orphans[:limit - len(ids)]
    if not ids:
        return []
    conn.execute(update(alert_deliveries).where(alert_deliveries.c.id.in_(ids))
                 .values(claimed_by=worker, claimed_until=until))
    rows = conn.execute(select(*DELIVERY_COLUMNS, *ALERT_COLUMNS).join(alerts)
                        .where(alert_deliveries.c.id.in_(ids))
                        .order_by(alert_deliveries.c.due_at, alert_deliveries.c.id))
    return [dict(row._mapping) for row in rows]


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether some unsent delivery is due (claimed or not): a cheap read before a claiming write."""
    due = select(alert_deliveries.c.id).where(alert_deliveries.c.status == "pending",
                                              alert_deliveries.c.due_at <= now).limit(1)
    return conn.scalar(due) is not None


def record_attempt(conn: Connection, delivery_id: int, now: datetime, error: str | None,
                   retry_at: datetime | None) -> None:
    """One attempt: delivered (error None), or failed with its error and the time of the next try."""
    values: dict[str, Any] = {"attempts": alert_deliveries.c.attempts + 1, "last_attempt_at": now,
                              "claimed_by": None, "claimed_until": None}
    if error is None:
        values.update(status="delivered", delivered_at=now)
    else:
        values.update(last_error=error, due_at=retry_at)
    conn.execute(update(alert_deliveries).where(alert_deliveries.c.id == delivery_id,
                                                alert_deliveries.c.status == "pending").values(values))


def release(conn: Connection, worker: str) -> int:
    """Give back every claim of `worker` unsent (a deliverer stopping between claim and send)."""
    return conn.execute(update(alert_deliveries).where(alert_deliveries.c.claimed_by == worker,
                                                       alert_deliveries.c.status == "pending")
                        .values(claimed_by=None, claimed_until=None)).rowcount


def ledger(conn: Connection, watch: str | None, state: str | None, limit: int) -> list[dict[str, Any]]:
    """Alerts newest first, one row per delivery (an alert without targets: one row, target None)."""
    query: Select[Any] = (select(*ALERT_COLUMNS, *DELIVERY_COLUMNS)
                          .select_from(alerts.outerjoin(alert_deliveries))
                          .order_by(alerts.c.id.desc(), alert_deliveries.c.id).limit(limit))
    if watch is not None:
        query = query.where(alerts.c.watch_name == watch)
    if state == "failed":
        query = query.where(alert_deliveries.c.status == "pending", alert_deliveries.c.attempts > 0)
    elif state is not None:
        query = query.where(alert_deliveries.c.status == state)
    return [{**dict(row._mapping), "delivery_id": row.id} for row in conn.execute(query)]


def watch_alerts(conn: Connection, watch: str, limit: int) -> list[dict[str, Any]]:
    """A watch's alerts, newest first (its feed)."""
    query = (select(*ALERT_COLUMNS).where(alerts.c.watch_name == watch).order_by(alerts.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in conn.execute(query)]


def pending_count(conn: Connection) -> int:
    """Deliveries not yet sent (due or not)."""
    return conn.scalar(select(func.count()).where(alert_deliveries.c.status == "pending")) or 0


def _locked(conn: Connection, query: Select[Any]) -> Select[Any]:
    return query.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else query


def _dead(claimant: str | None) -> bool:
    """A claim by a process of this host that no longer exists."""
    host, _, pid = (claimant or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
