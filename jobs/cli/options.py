"""Options every `hljnews` command spells the same way (same flag, same meaning, everywhere)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crawler.text.dates import SHANGHAI
from jobs.cli.output import FORMATS

if TYPE_CHECKING:
    from storage import Archive

DB_OPTION = click.option(
    "--db", envvar="HLJNEWS_DB", default=None, metavar="URL|PATH",
    help="Archive: a SQLite path or a postgresql:// URL (default $HLJNEWS_DB, else data/hljnews.sqlite3).",
)
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                             help="table for people; json, jsonl or csv for programs.")
CONFIG_OPTION = click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    envvar="HLJNEWS_CONFIG", metavar="FILE",
    help="Configuration (TOML; default $HLJNEWS_CONFIG, else ./hljnews.toml, else the bundled defaults).",
)
QUIET_OPTION = click.option("-q", "--quiet", is_flag=True,
                            help="Print nothing but errors (for cron: output only when something failed).")
SITE_FILTER_HELP = "Only this site key (a site of the configuration or of the archive)."
EARLIEST, LATEST = 1900, 2200  # years a CLI time may name: earlier or later ones overflow datetime arithmetic


class CliError(click.ClickException):
    """A failure the user can act on: one line on stderr, exit status 2 (as every hljnews error)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def parse_time(value: str | None, name: str) -> datetime | None:
    """A CLI time: ISO 8601 (a date alone is its midnight), naive ones on Shanghai's clock."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"not an ISO date/time: {value!r} (e.g. 2026-11-28 or 2026-11-28T09:30)",
                                 param_hint=name) from None
    if not EARLIEST <= parsed.year <= LATEST:
        raise click.BadParameter(f"{value!r} is outside the years {EARLIEST}–{LATEST}", param_hint=name)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def filter_options(func: Any) -> Any:
    """The filters search, export and `new` share: --site --since --until --source --author --channel."""
    for option in reversed([
        click.option("--site", default=None, help=SITE_FILTER_HELP),
        click.option("--since", default=None, metavar="TIME", help="Published at or after (ISO date/time, +08:00)."),
        click.option("--until", default=None, metavar="TIME", help="Published before (ISO date/time, +08:00)."),
        click.option("--source", default=None, help="Source contains this text."),
        click.option("--author", default=None, help="One of the authors is exactly this."),
        click.option("--channel", default=None, help="Channel name or id."),
    ]):
        func = option(func)
    return func


def filter_values(archive: Archive, site: str | None, since: str | None, until: str | None, source: str | None,
                  author: str | None, channel: str | None) -> dict[str, Any]:
    """The filters as the archive takes them, the site checked against the known ones."""
    return {"site": known_site(archive, site), "since": parse_time(since, "--since"),
            "until": parse_time(until, "--until"), "source": source, "author": author, "channel": channel}


def known_site(archive: Archive, site: str | None, config_path: Path | None = None) -> str | None:
    """The site key if the configuration (``config_path``, else the default one) or the archive knows it; a
    CliError listing the known ones if not. A site removed from the configuration stays known while the archive
    holds its articles or its runs (a failed outlet may have runs and no article)."""
    if site is None:
        return None
    from config import ConfigError
    from crawler.sites.registry import BUILTIN_KEYS, load_sites

    try:
        configured = load_sites(config_path)[1].keys()
    except ConfigError:  # a broken config must not stop a read of the archive
        configured = list(BUILTIN_KEYS)
    known = sorted({*configured, *(row["site"] for row in archive.stats(days=1, runs=0)["sites"])})
    if site not in known and not archive.runs(site=site, limit=1):
        raise CliError(f"unknown site {site!r}; known: {', '.join(known)}")
    return site


def record_key(value: str) -> int | str | None:
    """An id (ASCII digits, within SQL's integer range) or a URL; None for an id no row can have."""
    if value.isascii() and value.isdigit():
        number = int(value)
        return number if number < 2**63 else None
    return value
