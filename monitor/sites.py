"""Per-site state for `hljnews sites` and the web page /sites: last run, article count, field shares.

The site descriptions (key, kind, name, start URLs) come from the caller, who knows the configuration's
sites (jobs reads them from crawler's registry); this module reads the archive only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from storage import Archive

FIELDS = ("title", "body", "published_at", "source", "authors")


def site_rows(archive: Archive, described: Mapping[str, dict[str, Any]], *, recent: int = 50
              ) -> list[dict[str, Any]]:
    """One dict per site: its description, last run, article count and field shares of its newest articles.

    described: {key: {"site", "kind", "name", "start_urls"}} of the configured sites; a site found only in
    the archive gets kind "archive only".
    """
    counts = {row["site"]: row["articles"] for row in archive.stats(days=1, runs=0)["sites"]}
    known = dict(described)
    for key in counts.keys() - known.keys():  # e.g. an outlet since removed from the config
        known[key] = {"site": key, "kind": "archive only", "name": "", "start_urls": []}
    rows = []
    for key in sorted(known):
        runs = archive.runs(site=key, limit=1)
        last = runs[0] if runs else {}
        shares = field_shares(archive, key, recent) if counts.get(key) else dict.fromkeys(FIELDS)
        rows.append({**known[key], "last_run_at": last.get("started_at"), "last_run_status": last.get("status"),
                     "articles": counts.get(key, 0), **shares})
    return rows


def field_shares(archive: Archive, site: str, recent: int) -> dict[str, float | None]:
    """Share of the site's `recent` newest stored articles that have each field."""
    # export_rows streams in id order with constant memory; the deque keeps the newest ones.
    newest = deque(archive.export_rows(None, site=site), maxlen=recent)
    if not newest:
        return dict.fromkeys(FIELDS)
    return {name: round(sum(1 for article in newest if article.get(name)) / len(newest), 3) for name in FIELDS}
