"""The daemon: APScheduler 3 firing crawl jobs on schedule, with its job state kept in the archive.

Job state (next fire times) lives in the archive database, so a restarted daemon knows which firings it
missed: the latest missed firing of a job still runs if it is within the grace period (older ones are
coalesced into it) and is recorded as "missed" otherwise. Every firing leaves a row in the run ledger.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING

from config import LoadedConfig, ScheduledJob
from jobs import tasks
from monitor import MonitorService
from storage import open_archive

logger = logging.getLogger(__name__)
JOB_FUNCTION = "jobs.tasks:crawl_job"
JOBS_TABLE = "scheduler_jobs"


class LedgerExecutor(ThreadPoolExecutor):
    """Hands each run its planned fire time, so the ledger can show scheduled vs actual start."""

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        super()._do_submit_job(_with_kwargs(job, scheduled_at=run_times[-1]), run_times)


def _with_kwargs(job: Job, **extra: Any) -> Job:
    clone = Job.__new__(Job)
    for slot in Job.__slots__:
        if slot != "__weakref__" and hasattr(job, slot):
            object.__setattr__(clone, slot, getattr(job, slot))
    object.__setattr__(clone, "kwargs", {**job.kwargs, **extra})
    return clone


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


class Daemon:
    """Owns the APScheduler instance, the job definitions and an orderly shutdown."""

    def __init__(self, config: LoadedConfig, db: str | None = None, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.runtime = tasks.Runtime(config=config, db=db, env=env)
        self.archive = open_archive(db, create=True)
        self.delays: list[float] = []  # seconds between planned and actual start, per firing
        self.scheduler = LedgerScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.archive.engine, tablename=JOBS_TABLE)},
            executors={"default": LedgerExecutor(max_workers=max(4, len(config.jobs)))},
            job_defaults={"coalesce": config.scheduler.coalesce, "max_instances": 1,
                          "misfire_grace_time": config.scheduler.misfire_grace_seconds},
            timezone=config.scheduler.timezone,
        )
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self.scheduler.add_listener(self._on_overlap, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self._stop = threading.Event()
        self.monitor: MonitorService | None = None

    def start(self) -> None:
        tasks.RUNTIME = self.runtime
        self.monitor = MonitorService(self.config, self.runtime.db)  # config watches checked and synced here
        self.scheduler.start(paused=True)  # load the stored jobs before deciding what changed
        self._sync_jobs()
        self.monitor.start()  # health and alert delivery, once the job store's table exists
        self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            logger.info("job %s next at %s", job.id, job.next_run_time)

    def run_forever(self) -> None:
        """Start, then block until SIGTERM/SIGINT, then stop cleanly."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stop.set())
        self.start()
        while not self._stop.wait(0.5):
            pass
        logger.info("stopping: no new jobs; running crawls get %s s", self.config.scheduler.shutdown_grace_seconds)
        self.stop()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        """No new firings; running crawls get the grace period, then are stopped and recorded."""
        self.scheduler.pause()
        self.runtime.stopping.set()
        deadline = time.monotonic() + self.config.scheduler.shutdown_grace_seconds
        while self._children() and time.monotonic() < deadline:
            time.sleep(0.2)
        for child in self._children():
            tasks.stop_child(child)
        self.scheduler.shutdown(wait=True)
        if self.monitor is not None:
            self.monitor.stop()
        self.archive.close()

    def _children(self) -> list[Any]:
        with self.runtime.lock:
            return [child for child in self.runtime.children if child.poll() is None]

    def _sync_jobs(self) -> None:
        """Add new jobs, replace changed ones, drop removed ones; unchanged jobs keep their stored state."""
        wanted = {spec.id: spec for spec in self.config.jobs}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        for spec in wanted.values():
            trigger = spec.trigger(self.config.scheduler.timezone)
            kwargs = {"site": spec.site, "kind": spec.kind, "days": spec.days}
            existing = self.scheduler.get_job(spec.id)
            if existing and str(existing.trigger) == str(trigger) and existing.kwargs == kwargs:
                continue
            at_start = existing is None and spec.kind == "full" and self.config.scheduler.first_full_crawl_at_start
            first = datetime.now(trigger.timezone) if at_start else None
            self.scheduler.add_job(JOB_FUNCTION, trigger, id=spec.id, name=spec.id, kwargs=kwargs,
                                   replace_existing=True, **({"next_run_time": first} if first else {}))

    def _on_missed(self, event: JobExecutionEvent) -> None:
        site, kind = _site_kind(event.job_id)
        tasks.record_without_crawl(site, kind, "missed", event.scheduled_run_time,
                                   f"missed: more than {self.config.scheduler.misfire_grace_seconds} s late")

    def _on_overlap(self, event: JobSubmissionEvent) -> None:
        site, kind = _site_kind(event.job_id)
        tasks.record_without_crawl(site, kind, "skipped", event.scheduled_run_times[-1],
                                   "skipped: the previous run of this job is still running")

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        planned = event.scheduled_run_times[-1]
        self.delays.append((datetime.now(planned.tzinfo) - planned).total_seconds())


def _site_kind(job_id: str) -> tuple[str, str]:
    site, _, kind = job_id.partition(":")
    return site, kind


def next_fire_times(config: LoadedConfig, db: str | None = None) -> list[dict[str, Any]]:
    """Each configured job with its trigger and next fire time (the stored one if the daemon ran before)."""
    daemon = Daemon(config, db)
    daemon.scheduler.start(paused=True)
    try:
        stored = {job.id: job for job in daemon.scheduler.get_jobs()}
    finally:
        daemon.scheduler.shutdown(wait=False)
        daemon.archive.close()
    return [_describe(spec, stored.get(spec.id), config) for spec in config.jobs]


def _describe(spec: ScheduledJob, job: Job | None, config: LoadedConfig) -> dict[str, Any]:
    trigger = spec.trigger(config.scheduler.timezone)
    upcoming = job.next_run_time if job is not None and str(job.trigger) == str(trigger) else None
    if upcoming is None:
        upcoming = trigger.get_next_fire_time(None, datetime.now(trigger.timezone))
    schedule = spec.job.describe()
    return {"job": spec.id, "site": spec.site, "kind": spec.kind, "schedule": schedule,
            "next_run_at": upcoming.replace(microsecond=0).isoformat()}
