"""The hljnews archive: plain dicts in, plain dicts out; SQLite by default, PostgreSQL by URL.

Everything goes through an Archive (`open_archive(...)`): writes are `save_*`/`record_*`/`*_run`
methods, reads are methods too. Times cross this boundary as aware datetimes.
"""

from storage.archive import Archive, open_archive
from storage.batch import WriteBatch
from storage.errors import (
    AlreadyRunning,
    ArchiveFull,
    ArchiveNotFound,
    ArchiveReadOnly,
    ArchiveUnavailable,
    StorageError,
)
from storage.locks import CrawlLock
from storage.matching import CompiledWatch, WatchMatcher
from storage.raw_pages import PackedBody, pack_body
from storage.search.query import SearchQuery, check_query, parse_query
from storage.search.textnorm import normalize

__all__ = [
    "AlreadyRunning",
    "Archive",
    "ArchiveFull",
    "ArchiveNotFound",
    "ArchiveReadOnly",
    "ArchiveUnavailable",
    "CompiledWatch",
    "CrawlLock",
    "PackedBody",
    "SearchQuery",
    "StorageError",
    "WatchMatcher",
    "WriteBatch",
    "check_query",
    "normalize",
    "open_archive",
    "pack_body",
    "parse_query",
]
