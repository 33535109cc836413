"""The scheduler's job state: jobs rebuilt from the config at every start, next fire times kept in the archive.

APScheduler's own persistent store pickles whole jobs, which no SQL tool can read. Here the config is the
source of every job's definition, and the archive's plain `scheduler_jobs` table keeps only what the config
cannot say: when each job fires next. A job whose schedule is unchanged keeps its stored next fire time, so
a restarted scheduler, or a standby taking over, runs or records the firings that passed meanwhile.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore

from config import LoadedConfig, ScheduledJob
from storage import Archive, StorageError

logger = logging.getLogger(__name__)
MIGRATED = ""  # the schedule of a row carried over from APScheduler's store: unknown, so taken as unchanged


def job_row(spec: ScheduledJob, timezone: str) -> dict[str, Any]:
    """A job's definition as scheduler_jobs stores it (without its next fire time)."""
    return {"job": spec.id, "site": spec.site, "kind": spec.kind, "schedule": spec.job.describe(),
            "timezone": timezone, "days": spec.days}


def first_fire_times(config: LoadedConfig, stored: dict[str, dict[str, Any]], now: datetime
                     ) -> dict[str, datetime | None]:
    """When each configured job fires first: its stored time if unchanged, now for a new full crawl, else next."""
    timezone = config.scheduler.timezone
    firsts: dict[str, datetime | None] = {}
    for spec in config.jobs:
        old, row = stored.get(spec.id), job_row(spec, timezone)
        unchanged = old is not None and (old["schedule"] == MIGRATED or all(old[k] == row[k] for k in row))
        if unchanged and old is not None and old["next_run_at"] is not None:
            firsts[spec.id] = old["next_run_at"]
        elif old is None and spec.kind == "full" and config.scheduler.first_full_crawl_at_start:
            firsts[spec.id] = now
        else:
            firsts[spec.id] = spec.trigger(timezone).get_next_fire_time(None, now)
    return firsts


class ArchiveJobStore(MemoryJobStore):
    """APScheduler's in-memory job store, writing each job's next fire time to the archive as it changes."""

    def __init__(self, archive: Archive, rows: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.archive, self.rows = archive, rows

    def add_job(self, job: Job) -> None:
        super().add_job(job)
        self._save(job)

    def update_job(self, job: Job) -> None:
        super().update_job(job)
        self._save(job)

    def _save(self, job: Job) -> None:
        try:
            self.archive.save_scheduler_job({**self.rows[job.id], "next_run_at": job.next_run_time})
        except StorageError as error:
            # The fire time in memory is still right and is written with the job's next change; the firing
            # itself was claimed in the ledger already, so a takeover meanwhile cannot record it twice.
            logger.error("next fire time of %s not stored: %s", job.id, error)
