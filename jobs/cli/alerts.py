"""`hljnews alerts` (the alert ledger), `hljnews alerts deliver` (one delivery pass, for cron), `hljnews health`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, FORMAT_OPTION
from jobs.cli.output import emit

LEDGER_COLUMNS = ("alert", "created", "watch", "trigger", "title", "target", "status", "attempts", "last_error",
                  "delivered")
MACHINE_COLUMNS = ("alert_id", "uid", "created_at", "watch_name", "trigger", "site", "article_id", "revision",
                   "target", "status", "attempts", "due_at", "last_attempt_at", "last_error", "delivered_at")
HEALTH_COLUMNS = ("site", "status", "coverage", "new", "body", "last new", "last good run")


@click.group(invoke_without_command=True)
@click.option("--watch", default=None, metavar="NAME", help="Only this watch's alerts.")
@click.option("--pending", "state", flag_value="pending", help="Only deliveries not sent yet.")
@click.option("--failed", "state", flag_value="failed", help="Only deliveries that failed and wait for a retry.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@DB_OPTION
@FORMAT_OPTION
@click.pass_context
def alerts(ctx: click.Context, watch: str | None, state: str | None, limit: int, db: str | None, fmt: str) -> None:
    """The alert ledger, newest first: one row per alert and target, with its delivery state.

    Example: hljnews alerts --failed --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from storage import open_archive

    with open_archive(db) as archive:
        rows = [_masked(row) for row in archive.alert_ledger(watch=watch, state=state, limit=limit)]
    if fmt == "table":
        emit(ledger_rows(rows), LEDGER_COLUMNS, fmt, title="alerts")
    else:
        emit([{**row, "status": _status(row)} for row in rows], (*MACHINE_COLUMNS, "payload"), fmt)


@alerts.command("deliver")
@DB_OPTION
@CONFIG_OPTION
def deliver(db: str | None, config_path: Path | None) -> None:
    """Judge the health of runs not judged yet, then send every due alert; exit 1 if a delivery failed (cron).

    Example (crontab): */5 * * * *  cd /srv/hljnews && .venv/bin/hljnews alerts deliver
    """
    from crawler.sites.registry import load_site_config
    from monitor import monitor_pass, sync_config_watches
    from storage import open_archive

    config = load_site_config(config_path)
    with open_archive(db) as archive:
        sync_config_watches(archive, config)
        report = monitor_pass(archive, config.alerts)
    for judgement in report.judged:
        if judgement.level != "ok":
            click.echo(f"run {judgement.run_id} ({judgement.site}) health {judgement.level}", err=True)
    for line in report.delivery.errors:
        click.echo(f"error: {line}", err=True)
    click.echo(f"{report.delivery.sent} sent, {report.delivery.failed} failed (retried later)", err=True)
    sys.exit(1 if report.delivery.failed else 0)


@click.command()
@DB_OPTION
@CONFIG_OPTION
@FORMAT_OPTION
def health(db: str | None, config_path: Path | None, fmt: str) -> None:
    """Crawl health per site: ok / warn / fail, field coverage now against baseline, last new article and good run.

    Example: hljnews health --format json
    """
    from crawler.sites.registry import load_sites
    from monitor import health_rows
    from storage import open_archive

    config, registry = load_sites(config_path)
    with open_archive(db) as archive:
        rows = health_rows(archive, config.alerts, registry.keys())
    if fmt == "table":
        emit([_health_cells(row) for row in rows], HEALTH_COLUMNS, fmt, title="crawl health (coverage now/baseline)")
        for row in rows:  # one line each, below the table, so a long message is never folded into a cell
            for problem in row["problems"]:
                click.echo(f"{row['site']}: {problem}")
    else:
        emit(rows, ("site", "status", "problems", "coverage", "new_articles", "median_body", "baseline_median_body",
                    "last_new_at", "last_good_run_at"), fmt)


def ledger_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ledger rows (targets already masked) as table cells."""
    return [{"alert": row["alert_id"], "created": row["created_at"], "watch": row["watch_name"] or row["site"],
             "trigger": row["trigger"], "title": _title(row), "target": row["target"] or "(feed only)",
             "status": _status(row), "attempts": row["attempts"], "last_error": row["last_error"],
             "delivered": row["delivered_at"]} for row in rows]


def _masked(row: dict[str, Any]) -> dict[str, Any]:
    from config import mask_secrets, mask_target

    target = row["target"]
    if target is None:
        return row
    error = mask_secrets(row["last_error"], [target]) if row["last_error"] else None
    return {**row, "target": mask_target(target), "last_error": error}


def _status(row: dict[str, Any]) -> str:
    if row["target"] is None:
        return "feed only"
    if row["status"] == "pending" and row["attempts"]:
        return "failed"
    return row["status"]


def _title(row: dict[str, Any]) -> str:
    payload = row["payload"] or {}
    return (payload.get("article") or {}).get("title") or payload.get("message") or ""


def _health_cells(row: dict[str, Any]) -> dict[str, Any]:
    from monitor import coverage_cell

    body = "" if row["median_body"] is None else str(row["median_body"])
    if row.get("baseline_median_body") is not None:
        body += f"/{row['baseline_median_body']:.0f}"
    return {"site": row["site"], "status": row["status"], "coverage": coverage_cell(row["coverage"]),
            "new": row["new_articles"], "body": body, "last new": row["last_new_at"],
            "last good run": row["last_good_run_at"]}
