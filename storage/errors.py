"""What storage raises: StorageError and its kinds, each message a single line the CLI can print."""


class StorageError(Exception):
    """The archive could not be opened, read or written."""


class ArchiveNotFound(StorageError):
    """A read was asked of an archive that does not exist (read commands never create one)."""


class ArchiveReadOnly(StorageError):
    """A write was asked of an archive opened read-only (a read-only file, directory or filesystem)."""


class ArchiveUnavailable(StorageError):
    """The database stayed unreachable (server down, connection lost) for longer than the retry period."""


class ArchiveFull(StorageError):
    """The disk (or SQLite's page limit) is full: the write was not stored."""


class AlreadyRunning(StorageError):
    """Another process holds this site's crawl lock."""
