"""`hljnews run` (the daemon) and `hljnews schedule` (its jobs and their next fire times)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, FORMAT_OPTION
from jobs.cli.output import emit


@click.command()
@CONFIG_OPTION
@DB_OPTION
def run(config_path: Path | None, db: str | None) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C.

    Each firing crawls in a child process and is recorded in the run ledger (`hljnews runs`).

    Example: hljnews run --config hljnews.toml
    """
    from crawler.sites import load_site_config
    from jobs.logs import setup_file_logging
    from jobs.scheduler import Daemon

    config = load_site_config(config_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    setup_file_logging(config.scheduler.log_file)
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    click.echo(f"hljnews scheduler: {len(config.jobs)} jobs from {config.path}; Ctrl-C stops", err=True)
    Daemon(config, db).run_forever()
    click.echo("hljnews scheduler stopped", err=True)


@click.command()
@CONFIG_OPTION
@DB_OPTION
@FORMAT_OPTION
@click.option("--check", "check_path", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Only check FILE (every problem, with its key path) and say whether the daemon would start.")
def schedule(config_path: Path | None, db: str | None, fmt: str, check_path: Path | None) -> None:
    """List the scheduled jobs and their next fire times, or --check a configuration file.

    Example: hljnews schedule --check hljnews.toml
    """
    from crawler.sites import load_site_config, load_sites
    from jobs.scheduler import next_fire_times

    if check_path is not None:
        config, registry = load_sites(check_path)  # ConfigError lists every problem and exits 2
        click.echo(f"{check_path}: ok — {len(config.jobs)} jobs, {len(registry)} sites")
        return
    rows = next_fire_times(load_site_config(config_path), db)
    emit(rows, ("job", "site", "kind", "schedule", "next_run_at"), fmt, title="schedule")
