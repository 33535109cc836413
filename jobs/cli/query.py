"""Commands that read the archive: search, show, stats, hot, export, runs and raw. None of them creates one."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape

from jobs.cli.charts import draw_chart
from jobs.cli.options import DB_OPTION, FORMAT_OPTION
from jobs.cli.output import emit, machine_time, table_time, to_json

MARKS = ("\x02", "\x03")  # highlight marks no archived text contains (control characters are folded away)
EXPORT_COLUMNS = ("id", "site", "url", "canonical_url", "title", "pretitle", "subtitle", "published_at", "source",
                  "authors", "editors", "channel", "body", "revision", "first_seen_at", "last_fetched_at",
                  "removed_at")


def _filters(func: Any) -> Any:
    for option in reversed([
        click.option("--site", default=None, help="Only this site key."),
        click.option("--since", default=None, metavar="TIME", help="Published at or after (ISO date/time, +08:00)."),
        click.option("--until", default=None, metavar="TIME", help="Published before (ISO date/time, +08:00)."),
        click.option("--source", default=None, help="Source contains this text."),
        click.option("--author", default=None, help="One of the authors is exactly this."),
        click.option("--channel", default=None, help="Channel name or id."),
    ]):
        func = option(func)
    return func


def _instant(value: str | None) -> datetime | None:
    """A CLI time: ISO 8601, naive ones read as Shanghai time (dates as their midnight)."""
    if not value:
        return None
    from crawler.text.dates import SHANGHAI

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date/time: {value!r} (e.g. 2026-11-28 or 2026-11-28T09:30)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def _filter_values(site: str | None, since: str | None, until: str | None, source: str | None,
                   author: str | None, channel: str | None) -> dict[str, Any]:
    return {"site": site, "since": _instant(since), "until": _instant(until), "source": source,
            "author": author, "channel": channel}


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True, type=click.UNPROCESSED)
@DB_OPTION
@_filters
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(0, 10_000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@FORMAT_OPTION
def search(query: tuple[str, ...], db: str | None, site: str | None, since: str | None, until: str | None,
           source: str | None, author: str | None, channel: str | None, sort: str, limit: int, offset: int,
           fmt: str) -> None:
    """Find articles whose title or body contains every term of QUERY.

    Terms are exact substrings (any length, Chinese included), matched regardless of simplified or
    traditional characters, full or half width and case. "Quoted phrases" keep their spaces (so does one
    shell argument with spaces); -term excludes, and needs no `--` before it.

    Example: hljnews search '冰雪 "哈尔滨 旅游" -广告' --since 2026-01-01 --format json
    """
    from storage import open_archive

    text = " ".join(f'"{word}"' if " " in word and '"' not in word else word for word in query)
    with open_archive(db) as archive:
        found = archive.search(text, limit=limit, offset=offset, sort=sort, highlight=MARKS,
                               **_filter_values(site, since, until, source, author, channel))
    rows = found["results"]
    if fmt == "table":
        for row in rows:
            row["snippet"] = escape(row["snippet"]).replace(MARKS[0], "[bold red]").replace(MARKS[1], "[/]")
        title = f"{found['total']} articles match; {offset + 1 if rows else 0}–{offset + len(rows)}"
        _print_markup_table(rows, ("id", "published_at", "site", "title", "snippet"), title)
        return
    for row in rows:
        row["snippet"] = row["snippet"].replace(MARKS[0], "[").replace(MARKS[1], "]")
    if fmt == "json":
        click.echo(to_json({**found, "results": rows}, indent=2))
    else:
        emit(rows, ("id", "published_at", "site", "url", "title", "source", "score", "snippet"), fmt)


def _print_markup_table(rows: list[dict[str, Any]], columns: tuple[str, ...], title: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(row[c] if c == "snippet" else escape(_table_text(row.get(c))) for c in columns))
    Console().print(table)


def _table_text(value: Any) -> str:
    if isinstance(value, datetime):
        return table_time(value)
    return str(value or "")


@click.command()
@click.argument("article")
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the stored record as JSON.")
@click.option("--diff", is_flag=True, help="Show what changed between revisions (unified diff by paragraph).")
def show(article: str, db: str | None, as_json: bool, diff: bool) -> None:
    """Show one stored article (by id or URL) with its metadata and revisions.

    Example: hljnews show 1 --diff
    """
    from jobs.summary import print_article
    from storage import open_archive

    key: int | str = int(article) if article.isdigit() else article
    with open_archive(db) as archive:
        record = archive.get_article(key)
        if record is None:
            raise click.ClickException(f"no article {article!r} in the archive")
        diffs = [archive.revision_diff(key, r - 1, r) for r in range(2, record["revision"] + 1)] if diff else []
    if as_json:
        click.echo(to_json({**record, **({"diffs": diffs} if diff else {})}, indent=2))
        return
    print_article(record)
    if diff:
        for lines in diffs:
            click.echo("\n".join(lines))
        if not diffs:
            click.echo("only one revision: nothing to compare")


@click.command()
@DB_OPTION
@click.option("--days", type=click.IntRange(1), default=14, show_default=True, help="Days of per-day counts.")
@FORMAT_OPTION
def stats(db: str | None, days: int, fmt: str) -> None:
    """Articles per site and per day (Shanghai dates), row counts and the last runs.

    Example: hljnews stats --days 7
    """
    from storage import open_archive

    with open_archive(db) as archive:
        numbers = archive.stats(days=days)
    if fmt != "table":
        click.echo(to_json(numbers, indent=None if fmt == "jsonl" else 2))
        return
    click.echo("  ".join(f"{name} {count}" for name, count in numbers["counts"].items()))
    emit(numbers["sites"], ("site", "articles", "latest_published_at"), fmt, title="articles per site")
    emit(numbers["days"], ("day", "site", "articles"), fmt, title="articles per day")
    emit(numbers["runs"], ("id", "site", "started_at", "status", "pages_new", "pages_updated", "pages_failed"),
         fmt, title="last runs")


@click.command()
@click.argument("site", default="hlj_people")
@DB_OPTION
@click.option("--at", default=None, metavar="TIME", help="The list as it stood at TIME.")
@click.option("--story", default=None, metavar="URL", help="One story's rank over time.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE.png|FILE.svg",
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
                raise click.ClickException(f"{story} was never on a captured hot list")
            _print_story(history, fmt)
            return
        if chart:
            entries = archive.rank_history(site, _instant(since), _instant(until))
            if not entries:
                raise click.ClickException(f"no hot list of {site} captured in that period")
            click.echo(draw_chart(entries, chart, site))
            return
        snapshot = archive.hot_list_at(site, _instant(at))
    if snapshot is None:
        raise click.ClickException(f"no hot list captured for {site}" + (f" by {at}" if at else " yet"))
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


@click.command()
@DB_OPTION
@click.option("--query", "-q", default=None, help="Only articles matching this search query.")
@_filters
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here instead of stdout.")
def export(db: str | None, query: str | None, site: str | None, since: str | None, until: str | None,
           source: str | None, author: str | None, channel: str | None, fmt: str, output: Path | None) -> None:
    """Stream matching articles (all by default) as JSONL or CSV, in constant memory.

    Example: hljnews export --query 冰雪 --site hlj_people --since 2026-01-01 --format csv -o snow.csv
    """
    from storage import open_archive

    filters = _filter_values(site, since, until, source, author, channel)
    with open_archive(db) as archive:
        rows = archive.export_rows(query, **filters)
        stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            if sys.stderr.isatty():
                rows = _with_progress(rows, archive.count_matches(query, **filters))
            written = _write_rows(rows, fmt, stream)
        finally:
            if output:
                stream.close()
    if output:
        click.echo(f"wrote {written} articles to {output}", err=True)


def _with_progress(rows: Iterator[dict[str, Any]], total: int) -> Iterator[dict[str, Any]]:
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("exporting", total=total)
        for row in rows:
            yield row
            progress.advance(task)


def _write_rows(rows: Iterator[dict[str, Any]], fmt: str, stream: IO[str]) -> int:
    count = 0
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, extrasaction="ignore") if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows:
        if writer:
            writer.writerow({k: _export_cell(v) for k, v in row.items()})
        else:
            stream.write(to_json(row) + "\n")
        count += 1
    return count


def _export_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return machine_time(value)
    return to_json(value) if isinstance(value, list | dict) else value


@click.command()
@DB_OPTION
@click.option("--site", default=None, help="Only runs of this site.")
@click.option("--failed", is_flag=True, help="Only runs that did not end ok.")
@click.option("--limit", type=int, default=20, show_default=True)
@FORMAT_OPTION
def runs(db: str | None, site: str | None, failed: bool, limit: int, fmt: str) -> None:
    """List recorded crawl runs, newest first.

    Example: hljnews runs --site hlj_people --failed
    """
    from storage import open_archive

    with open_archive(db) as archive:
        rows = archive.runs(site=site, limit=limit, failed_only=failed)
    if fmt == "table":  # short headers so the table fits a terminal; json/csv keep the full records
        rows = [{"id": r["id"], "site": r["site"], "trigger": r["trigger"], "started": r["started_at"],
                 "status": r["status"], "new": r["pages_new"], "upd": r["pages_updated"],
                 "same": r["pages_unchanged"], "failed": r["pages_failed"]} for r in rows]
        columns: tuple[str, ...] = ("id", "site", "trigger", "started", "status", "new", "upd", "same", "failed")
    else:
        columns = ("id", "spider", "site", "trigger", "scheduled_at", "started_at", "finished_at", "status",
                   "pages_new", "pages_updated", "pages_unchanged", "pages_failed", "errors")
    emit(rows, columns, fmt, title="crawl runs")


@click.command()
@click.argument("page")
@DB_OPTION
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the bytes here instead of stdout.")
def raw(page: str, db: str | None, output: Path | None) -> None:
    """Write the stored bytes of a page (raw_pages id, or URL: its newest copy), exactly as fetched.

    The archive keeps them zlib-compressed; this hands them back decompressed, in the page's own charset.

    Example: hljnews raw http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html > page.html
    """
    from storage import open_archive

    key: int | str = int(page) if page.isdigit() else page
    with open_archive(db) as archive:
        stored = archive.raw_page(key)
    if stored is None:
        raise click.ClickException(f"no raw page {page!r} in the archive")
    if output:
        output.write_bytes(stored["body"])
        click.echo(f"wrote {len(stored['body'])} bytes of {stored['url']} to {output}", err=True)
    else:
        sys.stdout.buffer.write(stored["body"])
        sys.stdout.flush()
