"""How a crawl run ended: its status from Scrapy's close reason and page counts, and the line saying why."""

from __future__ import annotations

from typing import Any

UNAVAILABLE_LIMIT = 3  # consecutive items lost to an unreachable archive before the crawl gives up
LOST_LOCK, ARCHIVE_GONE = "lost_site_lock", "archive_unavailable"  # close reasons of the archive pipeline


def run_status(reason: str, *, ok: int, failed: int) -> str:
    """How a run ended, from Scrapy's close reason and its page counts.

    ok: nothing failed; partial: some pages failed; failed: nothing worked, or the archive stayed
    unreachable; truncated: stopped by a CLOSESPIDER_* limit; interrupted: stopped early otherwise
    (shutdown, a lost site lock).
    """
    if reason.startswith("closespider_"):
        return "truncated"
    if reason == ARCHIVE_GONE:
        return "failed"
    if reason != "finished":
        return "interrupted"
    if failed and not ok:
        return "failed"
    return "partial" if failed else "ok"


def close_explanation(reason: str, settings: Any) -> str:
    """The error line a run gets when it did not simply finish ("" when it did)."""
    if reason.startswith("closespider_"):
        setting = reason.upper()
        return f"truncated: {setting} = {settings.get(setting)} reached; pages beyond it were not crawled"
    if reason == LOST_LOCK:
        return "interrupted: lost the site's crawl lock (archive connection lost) and could not take it again"
    if reason == ARCHIVE_GONE:
        return f"failed: the archive stayed unreachable for {UNAVAILABLE_LIMIT} items in a row; crawl stopped"
    return "" if reason == "finished" else f"interrupted: {reason}"
