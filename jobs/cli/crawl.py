"""Commands that fill the archive: crawl, demo, reparse, and the tools around them: extract, mirror."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from jobs.cli.options import CONFIG_OPTION, DB_OPTION, QUIET_OPTION, CliError
from jobs.logs import log_to_file


@click.command()
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path, allow_dash=False))
@click.option("--url", required=True, help="The URL the page was fetched from.")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'",
              help="A response header, e.g. 'Content-Type: text/html; charset=GBK'. Repeatable.")
@CONFIG_OPTION
def extract(page: Path, url: str, headers: tuple[str, ...], config_path: Path | None) -> None:
    """Print what hljnews parses from a saved PAGE as JSON.

    Example: hljnews extract saved.html --url http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html
    """
    from crawler.sites.registry import load_sites
    from jobs.extract import extract_page

    _, registry = load_sites(config_path)
    header_map = dict(_split_header(h) for h in headers)
    parsed = extract_page(registry, _read_page(page), url, header_map)
    click.echo(json.dumps(parsed, ensure_ascii=False, indent=2))


@click.command()
@click.argument("sites", nargs=-1)
@click.option("--all", "all_sites", is_flag=True, help="Crawl every site.")
@DB_OPTION
@click.option("--max-list-pages", type=click.IntRange(1, 1000), default=None,
              help="Channel list pages to read per channel.")
@click.option("--refresh", is_flag=True, help="Download articles already in the archive again.")
@click.option("--mode", type=click.Choice(["full", "hot", "recent"]), default="full", show_default=True,
              help="full: channel lists and new articles; hot: only a page with the hot list; "
                   "recent: re-fetch recent articles to catch edits and removals.")
@click.option("--recent-days", type=click.IntRange(1, 3650), default=None,
              help="Age limit for --mode recent (default 7).")
@click.option("-s", "--set", "scrapy_settings", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy or hljnews setting for this crawl, as `scrapy crawl -s`. Repeatable.")
@QUIET_OPTION
@click.option("-v", "--verbose", is_flag=True, help="Log to the terminal too (the log file always gets it).")
@click.option("--trigger", default="manual", hidden=True)
@click.option("--run-id", type=click.IntRange(1, 2**63 - 1), default=None, hidden=True,
              help="Take this queued run (a scheduler's) under the site lock and fill it in.")
@click.option("--lock-held", is_flag=True, hidden=True, help="The caller holds the site lock itself.")
@CONFIG_OPTION
def crawl(sites: tuple[str, ...], all_sites: bool, db: str | None, max_list_pages: int | None,
          refresh: bool, mode: str, recent_days: int | None, scrapy_settings: tuple[str, ...], quiet: bool,
          verbose: bool, trigger: str, run_id: int | None, lock_held: bool, config_path: Path | None) -> None:
    """Crawl SITES once into the archive; exits 1 if a run failed.

    On a terminal one progress line per site shows pages, new, updated and failed articles and the rate; the
    log goes to the log file ([scheduler] log_file), and to the terminal too with -v. With -q nothing is
    printed unless a run failed, so cron mails only then.

    Example: hljnews crawl hlj_people --max-list-pages 2 -s DOWNLOAD_DELAY=1
    """
    from crawler.sites.registry import load_sites
    from jobs.child import watch_parent
    from jobs.crawl import run_crawls

    watch_parent()  # a scheduler's crawl child stops when the scheduler dies
    config, registry = load_sites(config_path)
    chosen = _chosen_sites(list(sites), all_sites, registry.keys())
    if run_id is not None:
        _check_run(db, run_id, chosen)
    _check_environment()
    overrides: dict[str, Any] = {"HLJNEWS_PROGRESS": not (quiet or verbose), "HLJNEWS_REFRESH": refresh,
                                 "HLJNEWS_TRIGGER": trigger, "HLJNEWS_RUN_ID": run_id,
                                 **dict(_setting(text) for text in scrapy_settings)}
    if max_list_pages:
        overrides["HLJNEWS_MAX_LIST_PAGES"] = max_list_pages
    if recent_days:
        overrides["HLJNEWS_RECENT_DAYS"] = recent_days
    log_to_file(config.scheduler.log_file)
    with ExitStack() as locks:
        if run_id is not None and not lock_held:
            chosen = _take_run(locks, chosen, db, run_id)
        elif not lock_held:
            chosen = _lock_sites(locks, chosen, db, trigger, quiet)
        results = run_crawls(chosen, db=db, config=config_path, overrides=overrides, log_to_terminal=verbose,
                             spider_args={"mode": mode}) if chosen else []
    for result in results:
        if result.failed or not quiet:  # quiet (cron) prints only failed runs, so cron mails only those
            click.echo(f"{result.site}: run {result.run_id} {result.status}", err=result.failed)
    sys.exit(1 if any(result.failed for result in results) else 0)


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected NAME=VALUE, got {text!r}", param_hint="-s")
    problem = _own_setting_problem(name.strip(), value)
    if problem:
        raise click.BadParameter(problem, param_hint="-s")
    problem = _scrapy_setting_problem(name.strip(), value)
    if problem:
        raise CliError(f"-s {problem}")
    return name.strip(), value


def _check_environment() -> None:
    """Settings taken from the environment (crawler/settings.py reads $HLJNEWS_PARSE_PROCESSES) are checked as
    -s values are, so a bad one in a worker's unit file is one line in the run's log, not a traceback."""
    value = os.environ.get("HLJNEWS_PARSE_PROCESSES")
    problem = _own_setting_problem("HLJNEWS_PARSE_PROCESSES", value) if value else None
    if problem:
        raise click.UsageError(f"${problem}")


def _own_setting_problem(name: str, value: str) -> str | None:
    """What is wrong with a value of one of hljnews' own settings, checked before the crawl so it is one line,
    not a crawl's traceback; None if nothing is. Scrapy's own settings are Scrapy's to read."""
    if not name.startswith("HLJNEWS_"):
        return None
    from scrapy.settings import Settings

    from crawler import settings as defaults
    from crawler.middlewares.parse_offload import SETTING_CHECKS

    if not hasattr(defaults, name):
        return f"no setting {name} (hljnews' own are listed in crawler/settings.py)"
    default = getattr(defaults, name)
    read_as = {bool: ("getbool", "true or false"), int: ("getint", "a whole number"),
               float: ("getfloat", "a number")}.get(type(default))
    try:
        if name in SETTING_CHECKS:
            SETTING_CHECKS[name](name, value)
        elif read_as is not None:  # read as the crawl will read it
            getattr(Settings({name: value}), read_as[0])(name)
    except ValueError as error:
        return str(error) if name in SETTING_CHECKS else f"{name} must be {read_as[1]}, not {value!r}"
    return None


# Scrapy settings whose default's type is not how Scrapy reads them: whole-number defaults read with getfloat
# (so -s DOWNLOAD_DELAY=0.5 is right), and a 1 read with getbool.
SCRAPY_READ_AS = {"DNS_TIMEOUT": float, "DOWNLOAD_DELAY": float, "DOWNLOAD_TIMEOUT": float,
                  "TELNETCONSOLE_ENABLED": bool}
READERS = {bool: ("getbool", "true or false (1 or 0)"), int: ("getint", "a whole number"),
           float: ("getfloat", "a number")}


def _scrapy_setting_problem(name: str, value: str) -> str | None:
    """What is wrong with a value of one of Scrapy's own numeric or boolean settings, read as Scrapy reads it;
    None if nothing is. Checked here because a bad one fails inside the crawl, as a traceback from the reactor."""
    from scrapy.settings import Settings, default_settings

    default = getattr(default_settings, name, None) if name.isupper() else None
    kind = SCRAPY_READ_AS.get(name, type(default))
    if kind not in READERS:
        return None  # a string, a dict, a class path, or not a Scrapy setting: Scrapy's to judge
    reader, expected = READERS[kind]
    try:
        getattr(Settings({name: value}), reader)(name)
    except ValueError:
        return f"{name} must be {expected}, not {value!r}"
    return None


def _check_run(db: str | None, run_id: int, chosen: list[str]) -> None:
    """--run-id names an open run of the one site crawled (a scheduler's, recorded queued before the crawl)."""
    from storage import open_archive

    if len(chosen) != 1:
        raise click.UsageError("--run-id names the run of exactly one site")
    with open_archive(db) as archive:
        run = archive.get_run(run_id)
    if run is None or run["site"] != chosen[0] or run["status"] not in ("queued", "running"):
        raise CliError(f"no open run {run_id} of {chosen[0]} in the archive")


@click.command()
@DB_OPTION
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def demo(db: str | None, quiet: bool) -> None:
    """Crawl the bundled offline mirror of hlj.people.com.cn with the real spider, then summarise.

    Example: hljnews demo --db data/demo.sqlite3
    """
    from jobs.demo import run_demo
    from jobs.summary import print_demo_summary

    results = run_demo(db, quiet=quiet)
    print_demo_summary(db, results)
    sys.exit(1 if any(r.run_id is None for r in results) else 0)


@click.command()
@DB_OPTION
@click.option("--site", default=None, help="Only this site key.")
@CONFIG_OPTION
def reparse(db: str | None, site: str | None, config_path: Path | None) -> None:
    """Re-parse stored raw pages with the current parsers; changed articles get a new revision.

    Example: hljnews reparse --site hlj_people
    """
    from crawler.sites.registry import load_sites
    from jobs.cli.options import known_site
    from jobs.reparse import reparse_archive
    from storage import open_archive

    _, registry = load_sites(config_path)
    with open_archive(db) as archive:
        outcomes = reparse_archive(archive, registry, known_site(archive, site, config_path))
    click.echo(", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())) or "nothing to re-parse")


@click.command()
@click.argument("sites", nargs=-1)
@CONFIG_OPTION
@click.option("--mirror", "pages", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Saved pages as <host>/<path> (with ROUTES.toml) instead of the bundled mirror.")
def check(sites: tuple[str, ...], config_path: Path | None, pages: Path | None) -> None:
    """Run the spiders' contracts (`scrapy check`) offline, against the bundled mirror; exits 1 if one fails.

    Each site with sample pages (built-in sites; outlets with sample_urls) has contracts on its callbacks:
    a list page yields article requests, an article page yields one article with title, body, time and source.

    Example: hljnews check hlj_people dbw
    """
    from crawler.sites.registry import load_sites
    from jobs.demo import contract_check

    _, registry = load_sites(config_path)
    unknown = [site for site in sites if site not in registry]
    if unknown:
        raise click.BadParameter(f"unknown site {', '.join(unknown)}; known: {', '.join(registry.keys())}")
    result = contract_check(list(sites), config_path, pages=pages)
    click.echo(result.stderr.strip(), err=True)
    sys.exit(0 if result.returncode == 0 else 1)


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8800, show_default=True,
              help="The port to listen on (0: any free one).")
def mirror(port: int) -> None:
    """Serve the bundled offline mirror as an HTTP proxy, for `scrapy crawl` by hand.

    Example: hljnews mirror --port 8800 & http_proxy=http://127.0.0.1:8800 scrapy crawl hlj_people
    """
    from mirror import MirrorServer

    with MirrorServer(port=port) as server:
        click.echo(f"mirror serving on {server.proxy_url}; use http_proxy={server.proxy_url}. Ctrl-C stops.")
        with contextlib.suppress(KeyboardInterrupt):
            server._thread.join()


def _lock_sites(locks: ExitStack, sites: list[str], db: str | None, trigger: str, quiet: bool) -> list[str]:
    """Take each site's crawl lock; a site another process is crawling gets a "skipped" run record.

    The archive stays open with the locks: the crawl's pipeline, in this process, finds them and re-checks them.
    """
    from jobs.tasks import record_run_without_crawl
    from storage import AlreadyRunning, open_archive

    archive = locks.enter_context(open_archive(db, create=True))
    free = []
    for site in sites:
        try:
            locks.enter_context(archive.crawl_lock(site))
            free.append(site)
        except AlreadyRunning as error:
            run_id = record_run_without_crawl(db, site, trigger, "skipped", f"skipped: {error}")
            if not quiet:  # another crawl of the site is under way: nothing failed
                click.echo(f"{site}: run {run_id} skipped: already running", err=True)
    return free


def _take_run(locks: ExitStack, sites: list[str], db: str | None, run_id: int) -> list[str]:
    """A scheduler's run: the site lock and the queued run taken here, else nothing to crawl (see jobs.child)."""
    from jobs.child import take_run
    from storage import open_archive

    archive = locks.enter_context(open_archive(db, create=True))
    return sites if take_run(locks, archive, sites[0], run_id) else []


MAX_PAGE_BYTES = 16 * 1024 * 1024  # the crawl's own download limit (DOWNLOAD_MAXSIZE)


def _read_page(path: Path) -> bytes:
    """A saved page: a regular file within the crawl's size limit (not a FIFO that never ends, not /dev/zero)."""
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise click.BadParameter(f"{path} is not a regular file", param_hint="PAGE")
    if status.st_size > MAX_PAGE_BYTES:
        raise click.BadParameter(f"{path} is {status.st_size:,} bytes; pages over {MAX_PAGE_BYTES:,} are refused",
                                 param_hint="PAGE")
    with path.open("rb") as handle:
        return handle.read(MAX_PAGE_BYTES + 1)[:MAX_PAGE_BYTES]


def _split_header(header: str) -> tuple[str, str]:
    name, sep, value = header.partition(":")
    if not sep:
        raise click.BadParameter(f"expected 'Name: value', got {header!r}", param_hint="--header")
    return name.strip().lower(), value.strip()


def _chosen_sites(sites: list[str], all_sites: bool, known: list[str]) -> list[str]:
    if all_sites:
        return known
    if not sites:
        raise click.UsageError(f"name a site or use --all; sites: {', '.join(known)}")
    unknown = [site for site in sites if site not in known]
    if unknown:
        raise click.BadParameter(f"unknown site {', '.join(unknown)}; known: {', '.join(known)}")
    # A site named twice is crawled once: its second crawl would find the first's lock and record a false "skipped".
    return list(dict.fromkeys(sites))
