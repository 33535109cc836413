"""storage's public surface: a pinned __all__, every read an Archive method, no reach into its modules."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import storage
from storage import Archive

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ["AlreadyRunning", "Archive", "ArchiveFull", "ArchiveNotFound", "ArchiveReadOnly", "ArchiveUnavailable",
          "CompiledWatch", "CrawlLock", "PackedBody", "SearchQuery", "StorageError", "WatchMatcher", "WriteBatch",
          "check_query", "normalize", "open_archive", "pack_body", "parse_query"]
ARCHIVE_METHODS = {
    # writes
    "start_run", "save_raw_page", "save_article", "save_articles", "batch", "load_new_articles",
    "save_hot_list", "record_failure",
    "record_failures", "record_blocked", "finish_run", "mark_removed", "crawl_lock", "held_lock", "scheduler_lock",
    # the scheduler's ledger and state
    "claim_firing", "take_run", "close_queued_run", "retry_run", "close_dead_runs", "queued_runs",
    "latest_attempt",
    "save_scheduler_job", "keep_scheduler_jobs", "scheduler_jobs",
    # reads
    "known_urls", "articles_due_for_refresh", "get_article", "latest_articles", "iter_articles", "revision_diff",
    "search",
    "export_rows", "count_matches", "latest_hot_list", "hot_list_at", "story_history", "rank_history", "runs",
    "get_run", "iter_raw_pages", "raw_page", "counts", "stats",
    # monitoring (storage/monitoring.py)
    "add_watch", "remove_watch", "sync_watches", "watches", "get_watch", "claim_deliveries", "record_delivery",
    "release_deliveries", "alert_ledger", "watch_alerts", "health_context", "record_health", "unjudged_runs",
    "site_health", "new_articles",
    # the archive itself
    "close", "engine", "read_only", "reconnects", "url",
}


def test_all_is_pinned() -> None:
    assert storage.__all__ == PUBLIC
    assert all(hasattr(storage, name) for name in PUBLIC)


def test_every_read_is_an_archive_method() -> None:
    public = {name for name in dir(Archive) if not name.startswith("_")}
    public |= {"url"}  # an instance attribute
    assert public == ARCHIVE_METHODS
    for name in public - {"url", "engine", "read_only", "reconnects"}:
        assert inspect.getdoc(getattr(Archive, name)), f"Archive.{name} has no docstring"


def test_errors_are_storage_errors() -> None:
    for name in PUBLIC:
        value = getattr(storage, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, storage.StorageError), name


def test_no_module_outside_storage_imports_its_submodules() -> None:
    offenders = []
    for folder in ("crawler", "jobs", "mirror", "benchmarks", "monitor", "web"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                    alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.startswith("storage.")]
    assert offenders == []
