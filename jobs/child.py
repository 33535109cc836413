"""The crawl child's side of a scheduled run: it takes the site lock and its pre-created run, and dies with its parent.

The scheduler (or a fleet worker) creates the run `queued` and starts `hljnews crawl SITE --run-id N`. The
child takes the site's lock itself, so the lock lives exactly as long as the crawl: a child that outlives a
SIGKILLed daemon still holds it, and a restarted daemon's firing of that site is `skipped`, never a second
crawl. It also watches its parent and stops (as on SIGTERM: Scrapy closes the run `interrupted`) once the
parent is gone, so it does not crawl on unsupervised.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from contextlib import ExitStack

from storage import AlreadyRunning, Archive

logger = logging.getLogger(__name__)
PARENT_ENV = "HLJNEWS_PARENT_PID"  # set by the process that starts a crawl child and supervises it
WATCH_SECONDS = 1.0
FORCE_AFTER_SECONDS = 60.0  # a crawl that has not closed this long after its parent died is ended hard


def parent_env() -> dict[str, str]:
    """Environment entries that make a crawl child started by this process stop when this process dies."""
    return {PARENT_ENV: str(os.getpid())}


def watch_parent() -> None:
    """If started by a supervising process ($HLJNEWS_PARENT_PID), stop when it dies; else do nothing."""
    expected = os.environ.get(PARENT_ENV, "")
    if not expected.isdigit():
        return
    # getppid() changes when the parent dies and the child is re-parented (to init or a subreaper); unlike
    # PR_SET_PDEATHSIG it is not tied to the thread that spawned the child. The supervisor's pid is watched
    # too, for a crawl started through a wrapper process.
    threading.Thread(target=_watch, args=(int(expected),), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    first = os.getppid()  # the supervisor itself, or a wrapper it started the crawl through (nice, a shell)
    while os.getppid() == first and _exists(parent):
        time.sleep(WATCH_SECONDS)
    logger.error("the process that started this crawl (pid %d) is gone; stopping the crawl", parent)
    os.kill(os.getpid(), signal.SIGTERM)  # Scrapy's graceful stop: the run is closed as interrupted
    time.sleep(FORCE_AFTER_SECONDS)
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def take_run(locks: ExitStack, archive: Archive, site: str, run_id: int) -> bool:
    """Take the site lock and the queued run; False (the run closed `skipped` if still queued) when not to crawl.

    The lock stays held in `locks` for the crawl. A run that is no longer queued was taken by another
    delivery of the same job: this one does nothing.
    """
    try:
        locks.enter_context(archive.crawl_lock(site))
    except AlreadyRunning as error:
        if archive.close_queued_run(run_id, "skipped", f"skipped: {error}"):
            logger.warning("%s: run %s skipped: %s", site, run_id, error)
        return False
    if not archive.take_run(run_id):
        logger.warning("%s: run %s is no longer queued (taken by another process); not crawling", site, run_id)
        return False
    return True
