"""`hljnews run` (the scheduler), `hljnews worker` (a fleet's worker) and `hljnews schedule` (jobs, next fire times)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, FORMAT_OPTION
from jobs.cli.output import emit

if TYPE_CHECKING:
    from config import LoadedConfig


def _queue_url(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from config import check_queue_url

    try:
        return check_queue_url(value) if value is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


QUEUE_OPTION = click.option(
    "--queue", metavar="URL", default=None, callback=_queue_url,
    help="The fleet's broker, redis://host:6379/0 or amqp://…  (default: [scheduler] queue of the config).")


@click.command()
@CONFIG_OPTION
@DB_OPTION
@QUEUE_OPTION
def run(config_path: Path | None, db: str | None, queue: str | None) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C.

    Each firing crawls in a child process and is recorded in the run ledger (`hljnews runs`); with --queue
    it is queued for `hljnews worker` processes instead. Of several schedulers on one archive one leads and
    the others wait as hot standbys.

    Example: hljnews run --config hljnews.toml --db postgresql://hljnews@db/hljnews --queue redis://queue:6379/0
    """
    from jobs.scheduler import Daemon
    from monitor import MonitorService

    config = _daemon_config(config_path)
    queue = queue or config.scheduler.queue
    if queue:
        from jobs.fleet import require_postgresql

        require_postgresql(db)
    daemon = Daemon(config, db, queue=queue)
    # Watches from the config are checked and synced here; health and alert delivery run beside the scheduler.
    daemon.add_companion(MonitorService(config, db))
    where = f"; jobs go to the queue {_safe(queue)}" if queue else ""
    click.echo(f"hljnews scheduler: {len(config.jobs)} jobs from {config.path}{where}; Ctrl-C stops", err=True)
    daemon.run_forever()
    click.echo("hljnews scheduler stopped", err=True)


@click.command()
@CONFIG_OPTION
@DB_OPTION
@QUEUE_OPTION
@click.option("--concurrency", type=click.IntRange(1, 256), default=None, metavar="N",
              help="Crawls run at once by this worker (default: the number of CPUs).")
def worker(config_path: Path | None, db: str | None, queue: str | None, concurrency: int | None) -> None:
    """Run queued crawl jobs of the fleet until SIGTERM (which lets running crawls finish).

    Each job crawls in a child process with the site lock, the crawl timeout and the run ledger, as the
    scheduler does alone. Start as many workers, on as many machines, as the load needs.

    Example: hljnews worker --db postgresql://hljnews@db/hljnews --queue redis://queue:6379/0 --concurrency 4
    """
    from jobs.fleet import require_postgresql, run_worker, worker_app
    from storage import open_archive

    config = _daemon_config(config_path)
    queue = queue or config.scheduler.queue
    if queue is None:
        raise click.UsageError("name the fleet's queue: --queue redis://host:6379/0 (or [scheduler] queue)")
    require_postgresql(db)
    with open_archive(db, create=True) as archive:
        app = worker_app(queue, config, db, archive)
        click.echo(f"hljnews worker: jobs from {_safe(queue)} into {archive.url}; Ctrl-C stops", err=True)
        run_worker(app, concurrency)
    click.echo("hljnews worker stopped", err=True)


def _daemon_config(config_path: Path | None) -> LoadedConfig:
    """The config, with logging to the terminal and the rotating log file it names."""
    from crawler.sites.registry import load_site_config
    from jobs.logs import setup_file_logging

    config = load_site_config(config_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    setup_file_logging(config.scheduler.log_file)
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return config


def _safe(url: str | None) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


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
    from crawler.sites.registry import load_site_config, load_sites
    from jobs.scheduler import next_fire_times

    if check_path is not None:
        config, registry = load_sites(check_path)  # ConfigError lists every problem and exits 2
        click.echo(f"{check_path}: ok — {len(config.jobs)} jobs, {len(registry)} sites")
        return
    rows = next_fire_times(load_site_config(config_path), db)
    emit(rows, ("job", "site", "kind", "schedule", "next_run_at"), fmt, title="schedule")
