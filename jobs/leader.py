"""One active scheduler per archive: the one holding the archive's scheduler lock leads, the others stand by.

On PostgreSQL the lock is a session advisory lock on a connection of its own (with TCP keepalives, so a
leader whose machine vanishes loses it within about half a minute); on SQLite a lock file beside the
archive. The lock dies with its holder, SIGKILL included, so a standby's next try takes over.
"""

from __future__ import annotations

import logging

from storage import AlreadyRunning, Archive, CrawlLock, StorageError

logger = logging.getLogger(__name__)
STANDBY_POLL_SECONDS = 5.0  # how often a standby tries to take the lead
LEADER_CHECK_SECONDS = 5.0  # how often the leader checks that it still holds the lock


class Leadership:
    """This process's claim to be the archive's active scheduler."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._lock: CrawlLock | None = None

    @property
    def leading(self) -> bool:
        return self._lock is not None

    def try_acquire(self) -> bool:
        """Take the lead if no other scheduler holds it; True if this process leads now."""
        if self._lock is not None:
            return True
        lock = self.archive.scheduler_lock()
        try:
            lock.__enter__()
        except AlreadyRunning:
            lock.release()
            return False
        except StorageError as error:
            lock.release()
            logger.error("cannot contend for the lead: %s", error)
            return False
        self._lock = lock
        return True

    def still_held(self) -> bool:
        """Whether the lead is still ours (a lost connection is re-taken if nobody else took the lock meanwhile)."""
        if self._lock is None:
            return False
        if self._lock.verify():
            return True
        self.release()
        return False

    def release(self) -> None:
        """Give up the lead (a standby takes it on its next try)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None
