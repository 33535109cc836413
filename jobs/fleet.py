"""The fleet: crawl jobs go through Celery (Redis or RabbitMQ as broker) to workers on any number of machines.

The leading scheduler claims each firing's run in the ledger (`queued`, owned by no process) and sends its
id to the queue; a worker (`hljnews worker`) runs it exactly as the daemon does, in a child process with the
site lock, the crawl timeout and the ledger. Messages are acknowledged late and rejected when their worker
process is lost, so a job whose worker dies is delivered again; `jobs.tasks:run_queued` is safe to receive
twice and turns a redelivered, interrupted run into its next attempt.
"""

from __future__ import annotations

import logging
import os
import socket

from celery import Celery, Task
from kombu.utils.url import maybe_sanitize_url

from config import LoadedConfig, Scheduler
from jobs import tasks
from jobs.firing import Firing
from storage import Archive, StorageError

logger = logging.getLogger(__name__)
QUEUE_NAME = "hljnews"
TASK_NAME = "jobs.tasks:run_queued"
CONNECT_TIMEOUT_SECONDS = 5
SEND_RETRIES = 3


class FleetError(ValueError):
    """A fleet that cannot work as asked (SQLite archive, unreachable broker): one line for the user."""


def celery_app(broker: str, scheduler: Scheduler) -> Celery:
    """The Celery app of the fleet: late acknowledgement, one job prefetched per process, no results kept."""
    app = Celery("hljnews", broker=broker, set_as_current=False)
    # Redis hands an unacknowledged job to another worker after the visibility timeout: it must outlast a crawl.
    visibility = scheduler.crawl_timeout_seconds + tasks.KILL_WAIT_SECONDS + 10
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_ignore_result=True, task_serializer="json", accept_content=["json"],
        task_default_queue=QUEUE_NAME, broker_connection_retry_on_startup=True,
        broker_connection_timeout=CONNECT_TIMEOUT_SECONDS,
        # kombu sweeps for such jobs every 10 s only on every 10th tick by default (100 s), and a worker killed
        # during a sweep holds its lock for 300 s: a SIGKILLed worker's job could wait 8 minutes or more.
        broker_transport_options={"visibility_timeout": visibility, "unacked_restore_interval": 10,
                                  "unacked_restore_throttle": 1, "unacked_mutex_expire": 30},
        # a hard stop for a job that hangs outside its crawl (the crawl has its own timeout)
        task_time_limit=scheduler.crawl_timeout_seconds + tasks.SETTLE_SECONDS + 3 * tasks.KILL_WAIT_SECONDS,
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
    )
    app.task(name=TASK_NAME, bind=True)(run_queued)
    return app


def run_queued(task: Task, run_id: int, site: str, kind: str, days: int = 7) -> str:
    """The Celery task: jobs.tasks.run_queued, told whether this delivery is a redelivery."""
    redelivered = bool((task.request.delivery_info or {}).get("redelivered"))
    return tasks.run_queued(run_id, site, kind, days, redelivered=redelivered)


def check_archive(archive: Archive) -> None:
    """A fleet shares its archive between machines: PostgreSQL only."""
    if archive.engine.dialect.name != "postgresql":
        raise FleetError(f"--queue needs a PostgreSQL archive shared by the fleet; {archive.url} is SQLite "
                         "(use --db postgresql://…, or run without --queue)")


def check_broker(app: Celery, broker: str) -> None:
    """Connect once, so an unreachable or mistyped broker is one line at start, not retries for ever."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=CONNECT_TIMEOUT_SECONDS)
    except Exception as error:  # kombu raises the transport's own errors (redis, amqp, socket), no common base
        raise FleetError(f"cannot reach the queue {maybe_sanitize_url(broker)}: {_first_line(error)}") from None


class Fleet:
    """The scheduler's side: sends claimed firings to the queue."""

    def __init__(self, app: Celery, config: LoadedConfig) -> None:
        self.app, self.config = app, config

    @classmethod
    def connect(cls, broker: str, config: LoadedConfig, archive: Archive) -> Fleet:
        """The fleet of a PostgreSQL archive and a reachable broker (FleetError otherwise)."""
        check_archive(archive)
        app = celery_app(broker, config.scheduler)
        check_broker(app, broker)
        return cls(app, config)

    def enqueue(self, firing: Firing, archive: Archive) -> None:
        """Send the firing's run to the queue; a queue that stays unreachable closes the run as failed."""
        try:
            self._send(firing.run_id, firing.site, firing.kind, firing.days)
        except Exception as error:  # as in check_broker: any transport's error
            reason = f"failed: could not queue the job: {_first_line(error)}"
            logger.error("%s:%s run %s %s", firing.site, firing.kind, firing.run_id, reason)
            try:
                archive.close_queued_run(firing.run_id, "failed", reason)
            except StorageError as storage_error:
                logger.error("run %s stays queued: %s", firing.run_id, storage_error)

    def requeue(self, archive: Archive) -> None:
        """Send every run still queued once more: a previous leader may have died between claim and send.

        A run already sent is then in the queue twice; the second delivery finds it taken and does nothing.
        """
        days = {spec.id: spec.days for spec in self.config.jobs}
        for run in archive.queued_runs():
            kind = run["trigger"].removeprefix("schedule:")
            try:
                self._send(run["id"], run["site"], kind, days.get(f"{run['site']}:{kind}", 7))
            except Exception as error:  # as in check_broker: any transport's error
                logger.error("run %s not queued again: %s", run["id"], _first_line(error))

    def _send(self, run_id: int, site: str, kind: str, days: int) -> None:
        self.app.send_task(TASK_NAME, args=(run_id, site, kind, days), queue=QUEUE_NAME, retry=True,
                           retry_policy={"max_retries": SEND_RETRIES, "interval_start": 1, "interval_step": 2})


def worker_app(broker: str, config: LoadedConfig, db: str | None, archive: Archive) -> Celery:
    """The Celery app of a worker, after checking the archive and the broker (FleetError otherwise)."""
    check_archive(archive)
    app = celery_app(broker, config.scheduler)
    check_broker(app, broker)
    tasks.RUNTIME = tasks.Runtime(config=config, db=db)  # the prefork pool inherits it
    return app


def run_worker(app: Celery, concurrency: int | None) -> None:
    """Run a Celery worker of the fleet in this process until it is stopped (SIGTERM waits for running jobs)."""
    argv = ["worker", "--pool=prefork", f"--queues={QUEUE_NAME}", "--loglevel=INFO", "--without-gossip",
            "--without-mingle", f"--hostname=hljnews-{os.getpid()}@{socket.gethostname()}"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv)


def require_postgresql(db: str | None) -> None:
    """Refuse a SQLite archive for a fleet before anything is opened (or created)."""
    url = db or os.environ.get("HLJNEWS_DB") or ""
    if not url.startswith(("postgresql:", "postgresql+", "postgres:")):
        raise FleetError(f"--queue needs a PostgreSQL archive shared by the fleet; {url or 'the default archive'} "
                         "is SQLite (use --db postgresql://…, or run without --queue)")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__

