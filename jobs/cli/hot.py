"""`hljnews hot`: the 热门排行 hot lists as they stood, one story's ranks over time, a chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from jobs.cli.charts import CHART_FORMATS, draw_chart
from jobs.cli.options import DB_OPTION, FORMAT_OPTION, CliError, known_site, parse_time
from jobs.cli.output import emit, table_time, to_json


def _chart_path(path: Path | None) -> Path | None:
    """The chart's file, whose suffix says its format: matplotlib would write 'rank' as rank.png and '' as .png,
    while the command reported the name it was given."""
    if path is not None and path.suffix.lower() not in CHART_FORMATS:
        raise click.BadParameter(f"{str(path)!r} must end in .png or .svg (the chart's format)")
    return path


@click.command()
@click.argument("site", default="hlj_people")
@DB_OPTION
@click.option("--at", default=None, metavar="TIME", help="The list as it stood at TIME.")
@click.option("--story", default=None, metavar="URL", help="One story's rank over time.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE.png|FILE.svg",
              callback=lambda _ctx, _param, path: _chart_path(path),
              help="Plot rank over time for the stories of --since/--until.")
@click.option("--since", default=None, metavar="TIME", help="Start of the --chart period.")
@click.option("--until", default=None, metavar="TIME", help="End of the --chart period.")
@FORMAT_OPTION
def hot(site: str, db: str | None, at: str | None, story: str | None, chart: Path | None, since: str | None,
        until: str | None, fmt: str) -> None:
    """Show the 热门排行 hot list of SITE: the latest, as it stood --at a time, one --story, or a --chart.

    Example: hljnews hot hlj_people --at 2026-11-28T09:00 --format json
    """
    from storage import open_archive

    with open_archive(db) as archive:
        if story:
            history = archive.story_history(story)
            if history is None:
                raise CliError(f"{story} was never on a captured hot list")
            _print_story(history, fmt)
            return
        if chart:
            entries = archive.rank_history(site, parse_time(since, "--since"), parse_time(until, "--until"))
            if not entries:
                known_site(archive, site)  # checked only now: a site whose lists were captured is known
                raise CliError(f"no hot list of {site} captured in that period")
            click.echo(draw_chart(entries, chart, site))
            return
        snapshot = archive.hot_list_at(site, parse_time(at, "--at"))
        if snapshot is None:
            known_site(archive, site)
    if snapshot is None:
        raise CliError(f"no hot list captured for {site}" + (f" by {at}" if at else " yet"))
    title = f"{site} hot list at {table_time(snapshot['captured_at'])}"
    emit(snapshot["entries"], ("rank", "title", "url"), fmt, title=title)


def _print_story(history: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(to_json(history, indent=2))
        return
    if fmt == "table":
        hours = history["time_on_list_seconds"] / 3600
        click.echo(f"{history['title']}\n{history['url']}\nfirst seen {table_time(history['first_seen_at'])}, "
                   f"last seen {table_time(history['last_seen_at'])}, best rank {history['best_rank']}, "
                   f"on the list {hours:.1f} h ({history['snapshots']} snapshots)")
    emit(history["ranks"], ("captured_at", "rank", "site"), fmt, title="rank over time")
