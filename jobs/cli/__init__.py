"""The `hljnews` command: one click group; each module of this package holds a family of its commands."""

from __future__ import annotations

import os
import sys
from typing import Any

import click


class OneLineErrors(click.Group):
    """Known failures (bad archive URL, unreadable page, parse error) end as one line, not a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Bytes that are not UTF-8 reach argv as lone surrogates: a search would drop them in silence, a lookup
        # fail with a codec's message. One line naming the argument instead.
        for arg in args:
            if any("\udc80" <= ch <= "\udcff" for ch in arg):
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                click.echo(f"error: the argument '{shown}' is not valid UTF-8 text", err=True)
                ctx.exit(2)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from crawler.sites import ParseError
        from storage import StorageError

        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, so a reader that stopped early (`| head`) is met below, not at exit
            return result
        except BrokenPipeError:
            # The reader took what it wanted; say nothing more and leave quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (StorageError, ParseError, OSError, ValueError) as error:
            for line in str(error).splitlines() or [type(error).__name__]:  # a config error: a line a problem
                click.echo(f"error: {line}", err=True)
            sys.exit(2)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hljnews")
def main() -> None:
    """hljnews: archive Heilongjiang news and the hot lists readers push up."""


def _register_commands() -> None:
    from jobs.cli.alerts import alerts, health
    from jobs.cli.crawl import check, crawl, demo, extract, mirror, reparse
    from jobs.cli.hot import hot
    from jobs.cli.ledger import runs, stats
    from jobs.cli.query import export, raw, search, show
    from jobs.cli.schedule import run, schedule, worker
    from jobs.cli.serve import serve
    from jobs.cli.sites import sites
    from jobs.cli.watch import new, watch

    for command in (crawl, demo, check, extract, reparse, mirror, search, show, stats, hot, export, runs, raw, run,
                    worker, schedule, sites, serve):
        main.add_command(command)
    for command in (watch, new, alerts, health):  # monitoring (jobs/cli/watch.py, jobs/cli/alerts.py)
        main.add_command(command)


_register_commands()
