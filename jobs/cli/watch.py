"""`hljnews watch …` (standing searches that alert) and `hljnews new` (articles first seen since last time)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, FORMAT_OPTION, CliError, known_site, parse_time
from jobs.cli.output import emit, table_time, to_json

if TYPE_CHECKING:
    from config import LoadedConfig
    from storage import Archive

WATCH_COLUMNS = ("name", "origin", "query", "sites", "triggers", "hot_rank", "digest", "targets", "alerts",
                 "last_alert_at")
TABLE_COLUMNS = ("name", "origin", "query", "on", "sites", "digest", "targets", "alerts")
MATCH_COLUMNS = ("id", "published_at", "site", "title", "url")
NEW_COLUMNS = ("id", "first_seen_at", "published_at", "site", "title", "url")


@click.group()
def watch() -> None:
    """Standing searches that alert: add, list, show, remove, test, feed.

    Example: hljnews watch add yanglao 养老 --on new,hot --notify https://example.cn/hook
    """


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--site", "sites", multiple=True, metavar="KEY", help="Only this site (repeatable); default all.")
@click.option("--on", "on", default="new", show_default=True, metavar="new,revised,hot",
              help="Triggers: a new article, a stored article's new revision, a hot-list entry.")
@click.option("--hot-rank", type=int, default=None, metavar="N", help="hot: alert when a story reaches rank N.")
@click.option("--notify", multiple=True, metavar="TARGET",
              help="An https:// webhook or an Apprise URL (dingtalk://, wecombot://, mailto://, …). Repeatable.")
@click.option("--digest", default=None, metavar="hourly|daily[@HH:MM]", help="Batch alerts into one message.")
@DB_OPTION
@CONFIG_OPTION
def add(name: str, query: str, sites: tuple[str, ...], on: str, hot_rank: int | None, notify: tuple[str, ...],
        digest: str | None, db: str | None, config_path: Path | None) -> None:
    """Add a watch NAME on QUERY (the `hljnews search` language): it alerts on what that search shows.

    Example: hljnews watch add 双鸭山 '双鸭山 -广告' --on new,revised --notify dingtalk://TOKEN/ --digest daily@08:00
    """
    from monitor import watch_record, watch_spec
    from storage import open_archive

    config, known_sites = _config(config_path)
    if any(configured.name == name for configured in config.watches):
        raise CliError(f"watch {name!r} is defined in the config file {config.path}: change it there")
    spec = watch_spec({"name": name, "query": query, "sites": list(sites), "on": _split(on), "hot_rank": hot_rank,
                       "notify": list(notify), "digest": digest}, sites=known_sites, settings=config.alerts)
    with open_archive(db, create=True) as archive:
        archive.add_watch(watch_record(spec))
    click.echo(f"watch {name} added: {', '.join(spec.on)} of {query!r}"
               + (f", {len(spec.notify)} target(s)" if spec.notify else ", feed only (no --notify)"))


@watch.command("list")
@DB_OPTION
@CONFIG_OPTION
@FORMAT_OPTION
def list_(db: str | None, config_path: Path | None, fmt: str) -> None:
    """List every watch, added here or declared in the config ([[watches]]), with its alert count.

    Example: hljnews watch list --format json
    """
    from monitor import shown_watch

    config, _ = _config(config_path)
    with _synced_archive(db, config) as archive:
        rows = [shown_watch(row) for row in archive.watches()]
    if fmt == "table":
        emit([_watch_cells(row) for row in rows], TABLE_COLUMNS, fmt, title="watches")
    else:
        emit(rows, WATCH_COLUMNS, fmt)


@watch.command("show")
@click.argument("name")
@DB_OPTION
@CONFIG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the watch and its latest alerts as JSON.")
def show(name: str, db: str | None, config_path: Path | None, as_json: bool) -> None:
    """Show one watch and its latest alerts.

    Example: hljnews watch show yanglao
    """
    from config import mask_target
    from monitor import shown_watch

    config, _ = _config(config_path)
    with _synced_archive(db, config) as archive:
        stored = _watch(archive, name)
        recent = archive.alert_ledger(watch=name, limit=20)
    for row in recent:
        row["target"] = mask_target(row["target"]) if row["target"] else None
    if as_json:
        click.echo(to_json({**shown_watch(stored), "alerts": recent}, indent=2))
        return
    for key in WATCH_COLUMNS:
        value = shown_watch(stored)[key]
        click.echo(f"{key:>14}  {table_time(value) if isinstance(value, datetime) else _text(value)}")
    from jobs.cli.alerts import ledger_rows

    emit(ledger_rows(recent), ("alert", "created", "trigger", "title", "target", "status"), "table",
         title="latest alerts")


@watch.command("remove")
@click.argument("name")
@DB_OPTION
@CONFIG_OPTION
def remove(name: str, db: str | None, config_path: Path | None) -> None:
    """Remove a watch added with `watch add` (its alerts stay in the ledger; unsent ones are cancelled).

    Example: hljnews watch remove yanglao
    """
    from storage import open_archive

    config, _ = _config(config_path)
    if any(configured.name == name for configured in config.watches):
        raise CliError(f"watch {name!r} is defined in the config file {config.path}: remove it there")
    with open_archive(db) as archive:
        cancelled = archive.remove_watch(name)
    click.echo(f"watch {name} removed" + (f"; {cancelled} unsent alert(s) cancelled" if cancelled else ""))


@watch.command("test")
@click.argument("name")
@click.option("--days", type=click.IntRange(1, 3650), default=7, show_default=True, help="How far back to look.")
@click.option("--send", is_flag=True, help="Send the newest match to the watch's targets, marked as a test.")
@DB_OPTION
@CONFIG_OPTION
@FORMAT_OPTION
def test(name: str, days: int, send: bool, db: str | None, config_path: Path | None, fmt: str) -> None:
    """What the watch would have matched over the last --days days; sends only with --send (nothing recorded).

    Example: hljnews watch test yanglao --days 30 --send
    """
    from monitor import would_match

    config, _ = _config(config_path)
    with _synced_archive(db, config) as archive:
        stored = _watch(archive, name)
        matches = would_match(archive, stored, days=days, now=datetime.now(UTC))
    emit([{**m["payload"]["article"], "published_at": _parsed(m["payload"]["article"]["published_at"])}
          for m in matches], MATCH_COLUMNS, fmt, title=f"{len(matches)} articles of the last {days} days match")
    if send:
        _send_test(stored, matches)


@watch.command("feed")
@click.argument("name")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the feed here (default stdout).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Entries in the feed.")
@DB_OPTION
@CONFIG_OPTION
def feed(name: str, output: Path | None, limit: int, db: str | None, config_path: Path | None) -> None:
    """Write the watch's Atom feed (its alerts, newest first) for a feed reader.

    Example: hljnews watch feed yanglao -o /var/www/feeds/yanglao.xml
    """
    from monitor import watch_feed

    config, _ = _config(config_path)
    with _synced_archive(db, config) as archive:
        stored = _watch(archive, name)
        xml = watch_feed(stored, archive.watch_alerts(name, limit), now=datetime.now(UTC))
    if output is None:
        sys.stdout.buffer.write(xml)
        return
    output.write_bytes(xml)
    click.echo(f"wrote the feed of {name} to {output}", err=True)


@click.command()
@click.option("--since-last", is_flag=True, help="Since the last `new --since-last` (the archive keeps a cursor).")
@click.option("--since", default=None, metavar="TIME", help="First seen at or after TIME (ISO; +08:00 if none).")
@click.option("--site", default=None, help="Only this site key (it has a cursor of its own).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@DB_OPTION
@FORMAT_OPTION
def new(since_last: bool, since: str | None, site: str | None, limit: int, db: str | None, fmt: str) -> None:
    """List articles first seen since the last `new --since-last`, or --since a time.

    Example: hljnews new --since-last --site hlj_people --format jsonl
    """
    from storage import open_archive

    if not since_last and not since:
        raise click.UsageError("say since when: --since-last or --since TIME")
    with open_archive(db) as archive:
        site = known_site(archive, site)
        found = archive.new_articles(site=site, since=parse_time(since, "--since"),
                                     cursor=(site or "*") if since_last else None, limit=limit)
    if since_last and found.get("since_id") is None:
        click.echo("no cursor yet: the last day's articles; the next --since-last starts after these", err=True)
    emit(found["articles"], NEW_COLUMNS, fmt, title=f"{len(found['articles'])} new articles")


def _send_test(stored: dict[str, Any], matches: list[dict[str, Any]]) -> None:
    from config import mask_target
    from monitor import SendError, alert_message, send_message

    if not stored["targets"]:
        raise CliError(f"watch {stored['name']} has no --notify targets to send to")
    if not matches:
        click.echo("nothing matched: nothing sent", err=True)
        return
    # The newest match as one alert marked 测试, a digest watch's too: a digest of every match, unmarked, read
    # as the real thing at the receiver.
    message = alert_message(matches[0], test=True)
    failed = 0
    for target in stored["targets"]:
        try:
            send_message(target, message)
            click.echo(f"sent to {mask_target(target)}", err=True)
        except SendError as error:
            failed += 1
            click.echo(f"error: {mask_target(target)}: {error}", err=True)
    if failed:
        sys.exit(1)


def _config(config_path: Path | None) -> tuple[LoadedConfig, list[str]]:
    from crawler.sites.registry import load_sites

    config, registry = load_sites(config_path)
    return config, registry.keys()


def _synced_archive(db: str | None, config: LoadedConfig) -> Archive:
    """The archive, its config watches brought up to date with the file (when it can be written)."""
    from monitor import sync_config_watches
    from storage import open_archive

    archive = open_archive(db)
    if not archive.read_only:
        sync_config_watches(archive, config)
    return archive


def _watch(archive: Archive, name: str) -> dict[str, Any]:
    stored = archive.get_watch(name)
    if stored is None:
        raise CliError(f"no watch named {name!r} (hljnews watch list shows them)")
    return stored


def _watch_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A watch as table cells: triggers with the hot rank, targets one a line."""
    on = [f"hot≤{row['hot_rank']}" if t == "hot" and row["hot_rank"] else t for t in row["triggers"]]
    return {**row, "on": ",".join(on), "sites": ",".join(row["sites"]) or "all", "digest": row["digest"] or "",
            "targets": "\n".join(row["targets"]) or "(feed only)"}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _parsed(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value is None else str(value)
