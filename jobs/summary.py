"""Human-readable summaries printed by `hljnews demo` and `hljnews show`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from jobs.cli.output import cell
from jobs.crawl import CrawlResult
from storage import open_archive

# soft_wrap: a line is printed whole and the terminal wraps it; piped to a file or a mail, rich would otherwise
# break every line at 80 columns, splitting an error from its URL and an article's paragraphs.
console = Console(soft_wrap=True)


def print_demo_summary(db: str | None, results: list[CrawlResult]) -> None:
    with open_archive(db) as archive:
        articles = list(archive.iter_articles())
        complete = [a for a in articles if a["title"] and a["body"] and a["published_at"]]
        runs = {run["id"]: run for run in archive.runs(limit=50)}
        hot = {r.site: archive.latest_hot_list(r.site) for r in results}
        counts = archive.counts()
    console.rule("hljnews demo")
    for result in results:
        run = runs.get(result.run_id or -1, {})
        console.print(
            f"[bold]{escape(result.site)}[/]: run {result.run_id} [bold]{escape(result.status)}[/] — "
            f"new {run.get('pages_new', 0)}, updated {run.get('pages_updated', 0)}, "
            f"unchanged {run.get('pages_unchanged', 0)}, failed {run.get('pages_failed', 0)}"
        )
        for error in run.get("errors") or []:
            console.print(f"  [yellow]failed page[/] {escape(error)}")
    console.print(f"archive: {len(articles)} articles ({len(complete)} with title, body and time), "
                  f"{counts.get('hot_list_snapshots', 0)} hot-list snapshots, {counts.get('runs', 0)} runs")
    for site, snapshot in hot.items():
        if snapshot:
            console.print(f"latest {escape(site)} hot list ({len(snapshot['entries'])} entries):")
            for entry in snapshot["entries"][:10]:
                console.print(f"  {entry['rank']:>2}. {escape(entry['title'])}")
    _print_next_steps(db, articles)


def _print_next_steps(db: str | None, articles: list[dict[str, Any]]) -> None:
    db_flag = f" --db {db}" if db else ""
    example = articles[0]["canonical_url"] if articles else "URL"
    console.print("\nQuery what was stored:")
    commands = (f"hljnews runs{db_flag}", f"hljnews hot hlj_people{db_flag}", f"hljnews show {example}{db_flag}",
                f"hljnews search 养老{db_flag}", f"hljnews search 黑龙江 --site dbw{db_flag}",
                f"hljnews sites{db_flag}")
    for command in commands:
        console.print(f"  {escape(command)}")
    # Last, so it is the line left on screen: the web app over the same archive.
    console.print("\nBrowse it at http://127.0.0.1:8000/ (Ctrl-C stops the server):")
    console.print(f"  hljnews serve{escape(db_flag)}")


def print_article(record: dict[str, Any]) -> None:
    """An article for people: its metadata a line each, its body, then its revisions."""
    console.rule(escape(record.get("title", "")))
    for key in ("id", "site", "canonical_url", "published_at", "source", "authors", "editors", "channel",
                "extractor", "first_seen_at", "last_fetched_at", "removed_at"):
        value = _shown(key, record.get(key))
        if value:
            console.print(f"[bold]{key}[/]: {escape(value)}")
    images = record.get("images") or []
    for image in images:
        console.print(f"[bold]image[/]: {escape(image['url'])} {escape(image.get('caption') or '')}".rstrip())
    console.print()
    console.print(escape(record.get("body", "")))
    revisions = record.get("revisions") or []
    if len(revisions) > 1:
        console.print(f"\n[bold]{len(revisions)} revisions[/]:")
        for revision in revisions:
            console.print(f"  #{revision.get('revision')} fetched {cell(revision.get('fetched_at'), machine=False)}: "
                          f"{escape(revision.get('title') or '')}")


def _shown(key: str, value: Any) -> str:
    """A field as people read it: a channel as "name (id)", lists joined with 、, times to the minute."""
    if key == "channel" and isinstance(value, dict):
        return f"{value.get('name') or ''} ({value.get('id')})".strip()
    if key == "extractor" and value == "site":
        return ""  # only the exception is worth a line
    return cell(value, machine=False)
