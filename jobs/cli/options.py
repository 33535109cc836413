"""Options every `hljnews` command spells the same way (same flag, same meaning, everywhere)."""

from __future__ import annotations

from pathlib import Path

import click

from jobs.cli.output import FORMATS

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
