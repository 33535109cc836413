"""The hljnews archive: plain dicts in, plain dicts out; SQLite by default, PostgreSQL by URL.

Everything goes through an Archive (`open_archive(...)`): writes are `save_*`/`record_*`/`*_run`
methods, reads are methods too. Times cross this boundary as aware datetimes.

Each name is imported from its module on first use (PEP 562): a crawl's parse process needs `pack_body`
alone, and importing the archive with it (SQLAlchemy, Alembic) would cost it ~0.7 s of CPU at every start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from storage.packing import PackedBody, pack_body
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

# Where each name of __all__ lives (the imports above say the same, for type checkers).
_HOMES = {name: module for module, names in {
    "storage.archive": ("Archive", "open_archive"),
    "storage.batch": ("WriteBatch",),
    "storage.errors": ("AlreadyRunning", "ArchiveFull", "ArchiveNotFound", "ArchiveReadOnly", "ArchiveUnavailable",
                       "StorageError"),
    "storage.locks": ("CrawlLock",),
    "storage.matching": ("CompiledWatch", "WatchMatcher"),
    "storage.packing": ("PackedBody", "pack_body"),
    "storage.search.query": ("SearchQuery", "check_query", "parse_query"),
    "storage.search.textnorm": ("normalize",),
}.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # found here directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
