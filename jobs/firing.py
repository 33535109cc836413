"""Each due firing becomes exactly one ledger row before anything else happens, then is handed over.

APScheduler stores a job's next fire time right after submitting the due one. Claiming the firing's run
(status `queued`, unique per job and time) inside the submission means a scheduler that dies in between
leaves the firing recorded, and a standby taking over finds it claimed: never lost, never recorded twice.
The hand-over (a crawl child, or a message to the fleet's queue) then runs in a pool thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job

from storage import Archive

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Firing:
    """A claimed firing: its queued run and what to crawl."""

    run_id: int
    site: str
    kind: str
    days: int
    scheduled_at: datetime


class FiringExecutor(ThreadPoolExecutor):
    """Claims each firing's run in the scheduler's thread, then hands the firing over in a pool thread.

    grace: seconds a firing may be late and still run (later ones are recorded `missed`); queued: runs wait
    in a queue for any worker (owned by no process) rather than being started by this one.
    """

    def __init__(self, archive: Archive, handover: Callable[[Job, Firing], object], *, grace: float | None,
                 queued: bool, max_workers: int) -> None:
        super().__init__(max_workers=max_workers)
        self.archive, self.handover, self.grace, self.queued = archive, handover, grace, queued
        self.delays: list[float] = []  # seconds between planned and actual claim, per firing

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        firings = [firing for run_time in run_times if (firing := self._claim(job, run_time)) is not None]
        future = self._pool.submit(self._hand_over, job, firings)
        future.add_done_callback(lambda done: self._finished(job.id, done))

    def _claim(self, job: Job, run_time: datetime) -> Firing | None:
        site, kind, days = job.kwargs["site"], job.kwargs["kind"], job.kwargs.get("days", 7)
        late = (datetime.now(run_time.tzinfo) - run_time).total_seconds()
        trigger = f"schedule:{kind}"
        if self.grace is not None and late > self.grace:
            reason = f"missed: more than {self.grace:g} s late"
            if self.archive.claim_firing(site, trigger, run_time, status="missed", reason=reason) is not None:
                logger.warning("%s missed its firing of %s: %.0f s late", job.id, run_time.isoformat(), late)
            return None
        run_id = self.archive.claim_firing(site, trigger, run_time, owned=not self.queued)
        if run_id is None:
            logger.info("%s firing of %s was recorded already (by another scheduler)", job.id, run_time.isoformat())
            return None
        self.delays.append(late)
        return Firing(run_id, site, kind, days, run_time)

    def _hand_over(self, job: Job, firings: list[Firing]) -> None:
        for firing in firings:
            self.handover(job, firing)

    def _finished(self, job_id: str, done: Future[None]) -> None:
        error = done.exception()
        if error is None:
            self._run_job_success(job_id, [])
        else:
            self._run_job_error(job_id, error, error.__traceback__)
