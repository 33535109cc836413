"""The one exception storage raises; its message is a single line the CLI can print."""


class StorageError(Exception):
    """The archive could not be opened, read or written."""
