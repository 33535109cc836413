"""The hljnews archive: plain dicts in, plain dicts out; SQLite by default, PostgreSQL by URL."""

from storage.archive import Archive, open_archive
from storage.errors import StorageError

__all__ = ["Archive", "StorageError", "open_archive"]
