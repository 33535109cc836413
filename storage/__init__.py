"""The hljnews archive: plain dicts in, plain dicts out; SQLite by default, PostgreSQL by URL."""

from storage.archive import Archive, open_archive
from storage.errors import StorageError
from storage.history import hot_list_at, rank_history, revision_diff, stats, story_history
from storage.querytext import SearchQuery, parse_query
from storage.search import count_matches, export_rows, search, snippet
from storage.textnorm import normalize

__all__ = [
    "Archive",
    "SearchQuery",
    "StorageError",
    "count_matches",
    "export_rows",
    "hot_list_at",
    "normalize",
    "open_archive",
    "parse_query",
    "rank_history",
    "revision_diff",
    "search",
    "snippet",
    "stats",
    "story_history",
]
