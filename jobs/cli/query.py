"""Commands that read articles: search, show, export and raw. None of them creates an archive."""

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

from jobs.cli.options import (
    DB_OPTION,
    FORMAT_OPTION,
    QUIET_OPTION,
    CliError,
    filter_options,
    filter_values,
    record_key,
)
from jobs.cli.output import emit, machine_time, table_time, to_json

MARKS = ("\x02", "\x03")  # highlight marks no archived text contains (control characters are folded away)
EXPORT_COLUMNS = ("id", "site", "url", "canonical_url", "title", "pretitle", "subtitle", "published_at", "source",
                  "authors", "editors", "channel", "body", "revision", "first_seen_at", "last_fetched_at",
                  "removed_at")
MAX_OFFSET = 1_000_000_000


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True, type=click.UNPROCESSED)
@DB_OPTION
@filter_options
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(0, 10_000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0, MAX_OFFSET), default=0, show_default=True)
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
        filters = filter_values(archive, site, since, until, source, author, channel)
        found = archive.search(text, limit=limit, offset=offset, sort=sort, highlight=MARKS, **filters)
    rows = found["results"]
    if fmt == "table":
        for row in rows:
            row["snippet"] = escape(row["snippet"]).replace(MARKS[0], "[bold red]").replace(MARKS[1], "[/]")
        title = _range_title(found["total"], offset, len(rows))
        _print_markup_table(rows, ("id", "published_at", "site", "title", "snippet"), title)
        return
    for row in rows:
        row["snippet"] = row["snippet"].replace(MARKS[0], "[").replace(MARKS[1], "]")
    if fmt == "json":
        click.echo(to_json({**found, "results": rows}, indent=2))
    else:
        emit(rows, ("id", "published_at", "site", "url", "title", "source", "score", "snippet"), fmt)


def _range_title(total: int, offset: int, shown: int) -> str:
    """How many match and which of them the table shows, 1-based; an --offset past the end says so rather than
    showing a range such as 0–1000000000 that names rows which are not there."""
    if total == 0:
        return "0 articles match"
    if shown:
        return f"{total} articles match; {offset + 1}–{offset + shown}"
    if offset < total:  # --limit 0
        return f"{total} articles match; none shown (--limit 0)"
    return f"{total} articles match; none from {offset + 1}"


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
@click.option("--json", "as_json", is_flag=True, help="Print the stored record as JSON (same as --format json).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people; json for programs.")
@click.option("--diff", is_flag=True, help="Show what changed between revisions (unified diff by paragraph).")
def show(article: str, db: str | None, as_json: bool, fmt: str, diff: bool) -> None:
    """Show one stored article (by id or URL) with its metadata and revisions.

    Example: hljnews show 1 --diff
    """
    from jobs.summary import print_article
    from storage import open_archive

    key = record_key(article)
    with open_archive(db) as archive:
        record = archive.get_article(key) if key is not None else None
        if record is None:
            raise CliError(f"no article {article!r} in the archive")
        diffs = [archive.revision_diff(key, r - 1, r) for r in range(2, record["revision"] + 1)] if diff else []
    if as_json or fmt == "json":
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
@click.option("--query", default=None, metavar="QUERY", help="Only articles matching this search query.")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here instead of stdout (a CSV file is for spreadsheets: a UTF-8 BOM, and a ' before a "
                   "cell that would run as a formula).")
@click.option("--bom", is_flag=True, help="CSV on stdout for spreadsheets too (BOM, formulas quoted).")
@QUIET_OPTION
def export(db: str | None, query: str | None, site: str | None, since: str | None, until: str | None,
           source: str | None, author: str | None, channel: str | None, fmt: str, output: Path | None, bom: bool,
           quiet: bool) -> None:
    """Stream matching articles (all by default) as JSONL or CSV, in constant memory.

    Example: hljnews export --query 冰雪 --site hlj_people --since 2026-01-01 --format csv -o snow.csv
    """
    from storage import open_archive

    with open_archive(db) as archive:
        filters = filter_values(archive, site, since, until, source, author, channel)
        rows = archive.export_rows(query, **filters)
        # Excel on Chinese Windows reads BOM-less CSV as GBK: a file gets the BOM, stdout only when asked.
        encoding = "utf-8-sig" if fmt == "csv" and output else "utf-8"
        stream = output.open("w", encoding=encoding, newline="") if output else sys.stdout
        try:
            if fmt == "csv" and bom and not output:
                stream.write("\ufeff")
            if sys.stderr.isatty() and not quiet:
                rows = _with_progress(rows, archive.count_matches(query, **filters))
            written = _write_rows(rows, fmt, stream, spreadsheet=encoding == "utf-8-sig" or bom)
        finally:
            if output:
                stream.close()
    if output and not quiet:
        click.echo(f"wrote {written} articles to {output}", err=True)


def _with_progress(rows: Iterator[dict[str, Any]], total: int) -> Iterator[dict[str, Any]]:
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("exporting", total=total)
        for row in rows:
            yield row
            progress.advance(task)


def _write_rows(rows: Iterator[dict[str, Any]], fmt: str, stream: IO[str], *, spreadsheet: bool = False) -> int:
    count = 0
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, extrasaction="ignore") if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in rows:
        if writer:
            writer.writerow({k: _export_cell(v, spreadsheet=spreadsheet) for k, v in row.items()})
        else:
            stream.write(to_json(row) + "\n")
        count += 1
    return count


# A cell a spreadsheet would run as a formula: a crawled title such as '=HYPERLINK("http://evil")'.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _export_cell(value: Any, *, spreadsheet: bool = False) -> Any:
    if isinstance(value, datetime):
        return machine_time(value)
    if isinstance(value, list | dict):
        value = to_json(value)
    if spreadsheet and isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text by Excel and LibreOffice (OWASP's advice for CSV injection)
    return value


@click.command()
@click.argument("page")
@DB_OPTION
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the bytes here instead of stdout.")
def raw(page: str, db: str | None, output: Path | None) -> None:
    """Write the stored bytes of a page (raw_pages id, or URL: its newest copy), exactly as fetched.

    The archive keeps them compressed; this hands them back decompressed, in the page's own charset.

    Example: hljnews raw http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html > page.html
    """
    from storage import open_archive

    key = record_key(page)
    with open_archive(db) as archive:
        stored = archive.raw_page(key) if key is not None else None
    if stored is None:
        raise CliError(f"no raw page {page!r} in the archive")
    if output:
        output.write_bytes(stored["body"])
        click.echo(f"wrote {len(stored['body'])} bytes of {stored['url']} to {output}", err=True)
    else:
        sys.stdout.buffer.write(stored["body"])
        sys.stdout.flush()
