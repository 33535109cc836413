"""`hljnews sites`: every site, built-in or configured, with its last run and how complete its articles are."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, FORMAT_OPTION
from jobs.cli.output import emit, table_time

if TYPE_CHECKING:
    from crawler.sites.registry import SiteRegistry

# The field-share columns are monitor.sites.FIELDS (imported when the command runs: monitor is slow to import).
COLUMNS = ("site", "kind", "name", "start_urls", "last_run_at", "last_run_status", "articles")
# The table is narrower: short headers, and the start URLs last, where folding them hurts least.
TABLE_HEADERS = {"published_at": "time", "last_run": "last run", "start_urls": "start URLs"}
TABLE_COLUMNS = ("site", "kind", "name", "last run", "articles", "title", "body", "time", "source", "authors",
                 "start URLs")


@click.command()
@DB_OPTION
@click.option("--recent", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="How many of each site's newest articles the field shares are computed over.")
@FORMAT_OPTION
@CONFIG_OPTION
def sites(db: str | None, recent: int, fmt: str, config_path: Path | None) -> None:
    """List every site: built-in parsers, outlets configured in [[outlets]], and sites only in the archive.

    Each row has the site's kind, name, start URLs, last run, article count and, for its newest articles,
    the share that has each field (title, body, published_at, source, authors). Outlets come from the
    configuration in use (--config, $HLJNEWS_CONFIG, else ./hljnews.toml).

    Example: hljnews sites --format json
    """
    from crawler.sites.registry import load_sites
    from monitor.sites import FIELDS, site_rows
    from storage import open_archive

    _, registry = load_sites(config_path)
    with open_archive(db) as archive:
        rows = site_rows(archive, site_descriptions(registry), recent=recent)
    if fmt == "table":
        title = f"sites (fields: share of the newest {recent} articles)"
        emit([_as_cells(row) for row in rows], TABLE_COLUMNS, fmt, title=title)
    else:
        emit(rows, (*COLUMNS, *FIELDS), fmt)


def site_descriptions(registry: SiteRegistry) -> dict[str, dict[str, Any]]:
    """Each configured site (built-in or outlet) as plain data: site, kind, name, start_urls."""
    from crawler.sites.outlet import OutletSite

    return {site.key: {"site": site.key, "kind": "configured" if isinstance(site, OutletSite) else "built-in",
                       "name": site.name, "start_urls": list(site.start_urls)} for site in registry}


def _as_cells(row: dict[str, Any]) -> dict[str, Any]:
    from monitor.sites import FIELDS

    shares = {name: "" if row[name] is None else f"{row[name]:.0%}" for name in FIELDS}
    when = table_time(row["last_run_at"]) if row["last_run_at"] else ""  # JSON keeps the full time
    more = len(row["start_urls"]) - 1
    urls = row["start_urls"][:1] + ([f"(+{more} more)"] if more > 0 else [])
    last_run = f"{when} {row['last_run_status'] or ''}".strip()
    cells = {**row, **shares, "start_urls": "\n".join(urls), "last_run": last_run}
    return {TABLE_HEADERS.get(key, key): value for key, value in cells.items()}
