"""`hljnews health`: per site, ok / warn / fail, coverage now against baseline, last new article, last good run."""

from __future__ import annotations

import statistics
from collections.abc import Collection
from typing import Any

from config import Alerts
from monitor.health import FIELDS
from storage import Archive

SHORT_FIELDS = {"published_at": "time"}  # as `hljnews sites` heads it


def health_rows(archive: Archive, settings: Alerts, sites: Collection[str]) -> list[dict[str, Any]]:
    """One row per known site (configured or in the archive): its latest judged health and numbers."""
    stored = {row["site"]: row for row in archive.site_health()}
    rows = []
    for site in sorted(set(sites) | stored.keys()):
        row = stored.get(site)
        if row is None:
            rows.append({"site": site, "status": "unknown", "problems": ["no run judged yet"], "coverage": {},
                         "new_articles": None, "median_body": None, "last_new_at": None, "last_good_run_at": None})
            continue
        rows.append(_row(archive, settings, row))
    return rows


def _row(archive: Archive, settings: Alerts, row: dict[str, Any]) -> dict[str, Any]:
    numbers = row["numbers"] or {}
    baseline = _baseline(archive, settings, row["numbers_run_id"]) if row["numbers_run_id"] else []
    coverage = {field: {"now": numbers.get("coverage", {}).get(field),
                        "baseline": round(statistics.mean(b["coverage"][field] for b in baseline), 4)
                        if baseline else None} for field in FIELDS}
    states = row["states"] or {}
    problems = [f"{state['level']}: {state['message']}" for _, state in sorted(states.items())]
    return {"site": row["site"], "status": row["level"] or "unknown", "problems": problems, "coverage": coverage,
            "new_articles": numbers.get("new_articles"), "median_body": numbers.get("median_body"),
            "baseline_median_body": statistics.median(b["median_body"] for b in baseline) if baseline else None,
            "run_id": row["run_id"], "last_new_at": row["last_new_at"], "last_good_run_at": row["last_good_run_at"]}


def _baseline(archive: Archive, settings: Alerts, run_id: int) -> list[dict[str, Any]]:
    context = archive.health_context(run_id, baseline_runs=settings.baseline_runs,
                                     min_new_articles=settings.min_new_articles, recent_runs=1)
    return context["baseline"] if context else []


def coverage_cell(coverage: dict[str, dict[str, Any]]) -> str:
    """Coverage for a table: "published_at 0%/95%" per field (now/baseline), problems first."""
    parts = []
    for field, shares in coverage.items():
        now, usual = shares.get("now"), shares.get("baseline")
        if now is None:
            continue
        parts.append(f"{SHORT_FIELDS.get(field, field)} {now:.0%}" + (f"/{usual:.0%}" if usual is not None else ""))
    return "\n".join(parts)
