"""The deliverer: claims due deliveries from the outbox, sends them, records every attempt.

A failure is retried with exponential backoff up to a cap and never dropped, so a receiver that is down
gets its alerts once it is back. A digest watch's deliveries due at the same time go out to a target as
one message. Sends happen outside any transaction; claims are leases (see storage/outbox.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from config import Alerts, mask_target
from monitor.messages import Message, alert_message, digest_message
from monitor.send import SendError, send_message
from storage import Archive

logger = logging.getLogger(__name__)
CLAIM_BATCH = 50
MAX_ROUNDS = 1000  # claims per pass: a bound, so one pass ends even if alerts keep arriving

Sender = Callable[[str, Message], None]


@dataclass
class DeliveryReport:
    """What one pass did: messages sent and failed, and each failure's line."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Deliverer:
    """Sends what the archive's outbox holds, with the retry policy of [alerts]."""

    def __init__(self, archive: Archive, settings: Alerts, *, send: Sender = send_message,
                 stopping: Callable[[], bool] = lambda: False) -> None:
        self.archive = archive
        self.settings = settings
        self.send = send
        self.stopping = stopping  # checked between messages: a stopping daemon gives back the rest

    def deliver_once(self, now: datetime | None = None) -> DeliveryReport:
        """Send everything due now (in batches), then return what happened."""
        report = DeliveryReport()
        for _ in range(MAX_ROUNDS):
            if self.stopping():
                break
            moment = now or datetime.now(UTC)
            claimed = self.archive.claim_deliveries(CLAIM_BATCH, now=moment)
            if not claimed:
                break
            for group in _groups(claimed):
                if not self.stopping():
                    self._send_group(group, moment, report)
        return report

    def backoff(self, attempts: int) -> timedelta:
        """How long after its attempt number `attempts` (0 = first) a failed delivery is tried again."""
        seconds = self.settings.retry_first_seconds * 2 ** min(attempts, 32)
        return timedelta(seconds=min(seconds, self.settings.retry_max_seconds))

    def _send_group(self, group: list[dict[str, Any]], now: datetime, report: DeliveryReport) -> None:
        first = group[0]
        message = (digest_message(first["watch_name"], first["digest"], group) if first["digest"]
                   else alert_message(first))
        try:
            self.send(first["target"], message)
        except SendError as error:
            report.failed += 1
            line = f"{mask_target(first['target'])}: {error}"
            report.errors.append(line)
            logger.warning("alert %s not delivered to %s", message.id, line)
            for delivery in group:
                self.archive.record_delivery(delivery["id"], error=str(error), now=now,
                                             retry_at=now + self.backoff(delivery["attempts"]))
            return
        report.sent += 1
        logger.info("alert %s delivered to %s", message.id, mask_target(first["target"]))
        for delivery in group:
            self.archive.record_delivery(delivery["id"], now=now)


def _groups(claimed: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Deliveries as messages: each alone, except a digest's, which share target, watch and due time."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for delivery in claimed:
        key = ((delivery["target"], delivery["watch_name"], delivery["digest"], delivery["due_at"])
               if delivery["digest"] else delivery["id"])
        groups.setdefault(key, []).append(delivery)
    return list(groups.values())
