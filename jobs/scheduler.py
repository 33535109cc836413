"""The daemon: APScheduler 3 firing crawl jobs on schedule, one active scheduler per archive.

Jobs are rebuilt from the config at every start and only their next fire times are kept in the archive
(jobs/jobstate.py), so a restarted daemon knows which firings it missed: the latest missed firing of a job
still runs if it is within the grace period (older ones are coalesced into it) and is recorded as "missed"
otherwise. Every firing is claimed in the run ledger before the job moves on (jobs/firing.py), then crawled
in a child process here or, with a queue, handed to the fleet's workers (jobs/fleet.py). Of several
daemons on one archive, the one holding its scheduler lock leads and the others stand by (jobs/leader.py).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from config import LoadedConfig
from jobs import tasks
from jobs.firing import Firing, FiringExecutor
from jobs.jobstate import ArchiveJobStore, first_fire_times, job_row
from jobs.leader import LEADER_CHECK_SECONDS, STANDBY_POLL_SECONDS, Leadership
from storage import AlreadyRunning, Archive, ArchiveNotFound, open_archive

logger = logging.getLogger(__name__)
JOB_FUNCTION = "jobs.tasks:crawl_job"


class Companion(Protocol):
    """A service that runs beside the scheduler (a notification deliverer, say): started and stopped with it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class LedgerScheduler(BackgroundScheduler):
    """APScheduler's background scheduler, minus one last pass over due jobs while it shuts down.

    APScheduler 3 processes due jobs once more when ``shutdown`` wakes its thread: their submission fails
    ("cannot schedule new futures after shutdown") and their next fire time moves past them unrecorded.
    Left due instead, a restarted daemon runs them or records them as missed, so every firing gets a row.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()


class Term:
    """One period of leadership: an APScheduler instance firing the configured jobs."""

    def __init__(self, config: LoadedConfig, archive: Archive, handover: Any, *, queued: bool) -> None:
        self.config, self.archive = config, archive
        timezone = config.scheduler.timezone
        self.executor = FiringExecutor(archive, handover, grace=config.scheduler.misfire_grace_seconds,
                                       queued=queued, max_workers=max(4, len(config.jobs)))
        rows = {spec.id: job_row(spec, timezone) for spec in config.jobs}
        self.scheduler = LedgerScheduler(
            jobstores={"default": ArchiveJobStore(archive, rows)}, executors={"default": self.executor},
            # misfires are judged by the executor when it claims a firing, so each gets its row
            job_defaults={"coalesce": config.scheduler.coalesce, "max_instances": 1, "misfire_grace_time": None},
            timezone=timezone)
        self.scheduler.add_listener(self._on_overlap, EVENT_JOB_MAX_INSTANCES)

    def start(self) -> None:
        """Add every configured job at its first fire time (stored, or new), forget removed ones, start firing."""
        timezone = self.config.scheduler.timezone
        firsts = first_fire_times(self.config, self.archive.scheduler_jobs(), datetime.now(ZoneInfo(timezone)))
        self.scheduler.start(paused=True)
        for spec in self.config.jobs:
            if firsts[spec.id] is not None:
                self.scheduler.add_job(JOB_FUNCTION, spec.trigger(timezone), id=spec.id, name=spec.id,
                                       kwargs={"site": spec.site, "kind": spec.kind, "days": spec.days},
                                       next_run_time=firsts[spec.id], replace_existing=True)
        self.archive.keep_scheduler_jobs([spec.id for spec in self.config.jobs])
        self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            logger.info("job %s next at %s", job.id, job.next_run_time)

    def _on_overlap(self, event: JobSubmissionEvent) -> None:
        site, _, kind = event.job_id.partition(":")
        self.archive.claim_firing(site, f"schedule:{kind}", event.scheduled_run_times[-1], status="skipped",
                                  reason="skipped: the previous run of this job is still running")
        logger.warning("%s skipped: the previous run of this job is still running", event.job_id)


class Daemon:
    """Leads (or stands by for) the archive's scheduling, owns the current term and an orderly shutdown."""

    def __init__(self, config: LoadedConfig, db: str | None = None, env: dict[str, str] | None = None,
                 queue: str | None = None) -> None:
        self.config = config
        self.runtime = tasks.Runtime(config=config, db=db, env=env)
        self.archive = open_archive(db, create=True)
        self.fleet = _fleet(queue, config, self.archive) if queue else None
        self.leadership = Leadership(self.archive)
        self.companions: list[Companion] = []
        self._running_companions: list[Companion] = []
        self.delays: list[float] = []  # seconds between planned and actual start, per firing, over all terms
        self.term: Term | None = None
        self._stop = threading.Event()

    def add_companion(self, companion: Companion) -> None:
        """Run `companion` beside the scheduler: started by run_forever, stopped with the daemon."""
        self.companions.append(companion)

    def start(self) -> None:
        """Lead now and start firing (AlreadyRunning if another scheduler leads this archive)."""
        tasks.RUNTIME = self.runtime
        if not self.leadership.try_acquire():
            raise AlreadyRunning(f"another scheduler leads {self.archive.url}")
        self._begin_term()

    def run_forever(self) -> None:
        """Lead or stand by until SIGTERM/SIGINT, then stop cleanly."""
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: self._stop.set())
        tasks.RUNTIME = self.runtime
        for companion in self.companions:
            companion.start()
            self._running_companions.append(companion)
        try:
            while not self._stop.is_set():
                if self._wait_for_lead():
                    self._lead()
        finally:
            self.stop()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        """No new firings; running crawls get the grace period, then are stopped and recorded."""
        self._end_term()
        while self._running_companions:
            self._running_companions.pop().stop()
        self.leadership.release()
        self.archive.close()

    def _wait_for_lead(self) -> bool:
        """Take the lead, or wait as a hot standby until it is free or the daemon is stopped."""
        announced = False
        while not self.leadership.try_acquire():
            if not announced:
                logger.info("standby: another scheduler leads %s; trying every %g s", self.archive.url,
                            STANDBY_POLL_SECONDS)
                announced = True
            if self._stop.wait(STANDBY_POLL_SECONDS):
                return False
        logger.info("leading: this scheduler fires the jobs of %s", self.archive.url)
        return True

    def _lead(self) -> None:
        """Fire jobs for as long as this process holds the lead and is not stopped."""
        self._begin_term()
        while not self._stop.wait(LEADER_CHECK_SECONDS):
            if not self.leadership.still_held():
                logger.error("lost the scheduler lock of %s (another scheduler took it); standing by",
                             self.archive.url)
                break
        self._end_term()

    def _begin_term(self) -> None:
        self.runtime.stopping.clear()
        self.term = Term(self.config, self.archive, self._hand_over, queued=self.fleet is not None)
        self.term.executor.delays = self.delays
        if self.fleet is not None:
            self.fleet.requeue(self.archive)  # runs a previous leader claimed but may not have queued
        self.term.start()

    def _end_term(self) -> None:
        if self.term is None:
            return
        term, self.term = self.term, None
        term.scheduler.pause()
        self.runtime.stopping.set()
        logger.info("stopping: no new jobs; running crawls get %s s", self.config.scheduler.shutdown_grace_seconds)
        deadline = time.monotonic() + self.config.scheduler.shutdown_grace_seconds
        while self._children() and time.monotonic() < deadline:
            time.sleep(0.2)
        for child in self._children():
            tasks.stop_child(child)
        term.scheduler.shutdown(wait=True)

    def _hand_over(self, job: Job, firing: Firing) -> None:
        if self.fleet is not None:
            self.fleet.enqueue(firing, self.archive)
        else:
            job.func(**job.kwargs, run_id=firing.run_id)

    def _children(self) -> list[Any]:
        with self.runtime.lock:
            return [child for child in self.runtime.children if child.poll() is None]


def _fleet(queue: str, config: LoadedConfig, archive: Archive) -> Any:
    from jobs.fleet import Fleet  # Celery is imported only by a daemon with a queue

    return Fleet.connect(queue, config, archive)


def next_fire_times(config: LoadedConfig, db: str | None = None) -> list[dict[str, Any]]:
    """Each configured job with its schedule and next fire time (the stored one if the daemon ran before)."""
    try:
        with open_archive(db) as archive:
            stored = archive.scheduler_jobs()
    except ArchiveNotFound:
        stored = {}
    now = datetime.now(ZoneInfo(config.scheduler.timezone))
    firsts = first_fire_times(config, stored, now)
    return [{"job": spec.id, "site": spec.site, "kind": spec.kind, "schedule": spec.job.describe(),
             "next_run_at": upcoming.replace(microsecond=0).isoformat() if (upcoming := firsts[spec.id]) else ""}
            for spec in config.jobs]
