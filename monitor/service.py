"""Monitoring as the daemon and cron run it: judge closed runs, then deliver what is due.

`MonitorService` is the daemon's thread (config watches synced at start, then a pass every
deliver_interval_seconds); `monitor_pass` is one pass, what `hljnews alerts deliver` runs from cron;
`judge_runs` is the hook a crawl calls on its own runs when it ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from config import Alerts, LoadedConfig
from monitor.deliver import Deliverer, DeliveryReport, Sender
from monitor.health import Judgement, judge_and_record, judge_pending_runs
from monitor.send import send_message
from monitor.watches import sync_config_watches
from storage import Archive, StorageError, open_archive

logger = logging.getLogger(__name__)


@dataclass
class PassReport:
    """One monitoring pass: the runs judged and what delivery did."""

    judged: list[Judgement] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def monitor_pass(archive: Archive, settings: Alerts, *, send: Sender = send_message,
                 stopping: Callable[[], bool] = lambda: False) -> PassReport:
    """Judge every recent run not judged yet, then send every due delivery."""
    judged = judge_pending_runs(archive, settings)
    return PassReport(judged, Deliverer(archive, settings, send=send, stopping=stopping).deliver_once())


def judge_runs(db: str | None, settings: Alerts, run_ids: Iterable[int | None]) -> list[Judgement]:
    """Judge the health of runs that just closed (a crawl's last step); problems are logged, never raised."""
    judged = []
    try:
        with open_archive(db) as archive:
            for run_id in run_ids:
                if run_id is not None and (judgement := judge_and_record(archive, run_id, settings)):
                    judged.append(judgement)
                    logger.info("run %s health %s", run_id, judgement.level)
    except StorageError as error:
        logger.error("crawl health not judged: %s", error)
    return judged


class MonitorService:
    """The daemon's monitoring thread."""

    def __init__(self, config: LoadedConfig, db: str | None = None, *, send: Sender = send_message) -> None:
        self.config = config
        self.archive = open_archive(db, create=True)
        self.send = send
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hljnews-monitor", daemon=True)

    def start(self) -> None:
        """Sync the config's watches, then start the thread."""
        changes = sync_config_watches(self.archive, self.config)
        if any(changes.values()):
            logger.info("config watches: %s", ", ".join(f"{k} {v}" for k, v in changes.items()))
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the pass under way (sends time out), give back unsent claims, close the archive."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        try:
            self.archive.release_deliveries()
        except StorageError as error:
            logger.warning("unsent claims not released (they expire by themselves): %s", error)
        self.archive.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = monitor_pass(self.archive, self.config.alerts, send=self.send, stopping=self._stop.is_set)
            except Exception:  # the daemon's crawls must go on whatever monitoring meets; the log has it
                logger.exception("monitoring pass failed; trying again")
            else:
                if report.delivery.sent or report.delivery.failed:
                    logger.info("alerts: %d sent, %d failed", report.delivery.sent, report.delivery.failed)
            self._stop.wait(self.config.alerts.deliver_interval_seconds)
