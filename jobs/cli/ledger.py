"""Commands that read the run ledger and the archive's counts: runs and stats."""

from __future__ import annotations

import click

from jobs.cli.options import DB_OPTION, FORMAT_OPTION, known_site
from jobs.cli.output import emit, to_json

RUN_COLUMNS = ("id", "spider", "site", "trigger", "scheduled_at", "started_at", "finished_at", "status", "pages_new",
               "pages_updated", "pages_unchanged", "pages_failed", "pages_blocked", "pages_generic", "errors")


@click.command()
@DB_OPTION
@click.option("--site", default=None, help="Only runs of this site.")
@click.option("--failed", is_flag=True, help="Only runs that did not end ok.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True)
@FORMAT_OPTION
def runs(db: str | None, site: str | None, failed: bool, limit: int, fmt: str) -> None:
    """List recorded crawl runs, newest first (a run whose process is gone shows as interrupted).

    Example: hljnews runs --site hlj_people --failed
    """
    from storage import open_archive

    with open_archive(db) as archive:
        rows = archive.runs(site=known_site(archive, site), limit=limit, failed_only=failed)
    if fmt == "table":  # short headers so the table fits a terminal; json/csv keep the full records
        rows = [{"id": r["id"], "site": r["site"], "trigger": r["trigger"], "started": r["started_at"],
                 "status": r["status"], "new": r["pages_new"], "upd": r["pages_updated"],
                 "same": r["pages_unchanged"], "failed": r["pages_failed"], "blocked": r["pages_blocked"]}
                for r in rows]
        emit(rows, ("id", "site", "trigger", "started", "status", "new", "upd", "same", "failed", "blocked"), fmt,
             title="crawl runs")
        return
    emit(rows, RUN_COLUMNS, fmt)


@click.command()
@DB_OPTION
@click.option("--days", type=click.IntRange(1, 36_500), default=14, show_default=True,
              help="How many of the newest publication dates to count per day.")
@FORMAT_OPTION
def stats(db: str | None, days: int, fmt: str) -> None:
    """Articles per site and per day (Shanghai dates), row counts and the last runs.

    json is the whole picture; jsonl and csv are the per-day table (day, site, articles).

    Example: hljnews stats --days 7
    """
    from storage import open_archive

    with open_archive(db) as archive:
        numbers = archive.stats(days=days)
    if fmt == "json":
        click.echo(to_json(numbers, indent=2))
    elif fmt in ("jsonl", "csv"):
        emit(numbers["days"], ("day", "site", "articles"), fmt)
    else:
        click.echo("  ".join(f"{name} {count}" for name, count in numbers["counts"].items()))
        emit(numbers["sites"], ("site", "articles", "latest_published_at"), fmt, title="articles per site")
        emit(numbers["days"], ("day", "site", "articles"), fmt, title="articles per day")
        emit(numbers["runs"], ("id", "site", "started_at", "status", "pages_new", "pages_updated", "pages_failed"),
             fmt, title="last runs")
