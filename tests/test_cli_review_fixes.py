"""Fixes from a review of the CLI: each test reproduces one reported bug."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from jobs.cli import main
from mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
HOST = "www.example-city.gov.cn"
OUTLET = f"""[[outlets]]
key = "example_city"
start_urls = ["http://{HOST}/xwzx/zwyw/index.html"]
list_url_pattern = '^http://www\\.example-city\\.gov\\.cn/xwzx/zwyw/index(_\\d+)?\\.html$'
article_url_pattern = '^http://www\\.example-city\\.gov\\.cn/xwzx/zwyw/\\d{{6}}/t\\d{{8}}_\\d+\\.html$'
"""


def hljnews(*args: str, proxy: str | None = None) -> subprocess.CompletedProcess[str]:
    """`hljnews ARGS` in a child process, as cron runs it: no terminal, no proxy unless given one."""
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    env.pop("PYTHONWARNINGS", None)
    if proxy:
        env["http_proxy"] = proxy
    return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_quiet_crawl_that_succeeds_prints_nothing_at_all(tmp_path: Path) -> None:
    # cron mails whatever a job prints: a warning on every run would mail after every crawl
    db = tmp_path / "quiet.sqlite3"
    with MirrorServer() as server:
        result = hljnews("crawl", "hlj_xinhua", "-q", "--db", str(db), proxy=server.proxy_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == "" and result.stdout == ""


@pytest.mark.parametrize("kind", ["not a database", "a directory"])
def test_demo_into_a_bad_archive_is_one_line_as_crawl_gives(tmp_path: Path, kind: str) -> None:
    db = tmp_path / "notdb.txt"
    if kind == "a directory":
        db.mkdir()
    else:
        db.write_text("hello\n", encoding="utf-8")
    crawl = CliRunner().invoke(main, ["crawl", "hlj_people", "-q", "--db", str(db)])
    demo = CliRunner().invoke(main, ["demo", "-q", "--db", str(db)])
    assert crawl.exit_code == 2 and crawl.stderr.startswith("error: cannot open archive")
    assert (demo.exit_code, demo.stdout, demo.stderr) == (2, "", crawl.stderr)


@pytest.mark.parametrize(("setting", "message"), [
    ("DOWNLOAD_DELAY=abc", "error: -s DOWNLOAD_DELAY must be a number, not 'abc'\n"),
    ("CLOSESPIDER_PAGECOUNT=x", "error: -s CLOSESPIDER_PAGECOUNT must be a whole number, not 'x'\n"),
    ("CLOSESPIDER_PAGECOUNT=1.5", "error: -s CLOSESPIDER_PAGECOUNT must be a whole number, not '1.5'\n"),
    ("AUTOTHROTTLE_ENABLED=maybe", "error: -s AUTOTHROTTLE_ENABLED must be true or false (1 or 0), not 'maybe'\n"),
])
def test_a_badly_typed_scrapy_setting_is_one_line_before_the_crawl(tmp_path: Path, setting: str,
                                                                    message: str) -> None:
    db = tmp_path / "never.sqlite3"
    result = CliRunner().invoke(main, ["crawl", "hlj_people", "-s", setting, "--db", str(db)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)
    assert not db.exists()  # refused before anything was opened


@pytest.mark.parametrize("setting", ["DOWNLOAD_DELAY=0.25", "DOWNLOAD_TIMEOUT=7.5", "CLOSESPIDER_PAGECOUNT=3",
                                     "AUTOTHROTTLE_ENABLED=true", "TELNETCONSOLE_ENABLED=True",
                                     "TELNETCONSOLE_ENABLED=0", "LOG_LEVEL=INFO", "NO_SUCH_SCRAPY_SETTING=x"])
def test_a_well_typed_scrapy_setting_passes_the_check(setting: str) -> None:
    from jobs.cli.crawl import _setting

    name, _, value = setting.partition("=")
    assert _setting(setting) == (name, value)


def test_a_site_named_twice_is_crawled_once_with_no_false_skipped_run(tmp_path: Path) -> None:
    from storage import open_archive

    db = tmp_path / "twice.sqlite3"
    with MirrorServer() as server:
        result = hljnews("crawl", "hlj_xinhua", "hlj_people", "hlj_xinhua", "-q", "--db", str(db),
                         "--max-list-pages", "1", proxy=server.proxy_url)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    with open_archive(str(db)) as archive:
        runs = archive.runs(limit=10)
    assert sorted(run["site"] for run in runs) == ["hlj_people", "hlj_xinhua"]
    assert all(run["status"] in ("ok", "partial") for run in runs), runs


@pytest.fixture
def archive_db(tmp_path: Path) -> str:
    """An archive with articles and hot lists of SITE (in no configuration) and only a failed run of gone_site,
    an outlet since removed from the configuration."""
    from storage import open_archive
    from tests.support.archive_writer import SITE, sample_article

    db = str(tmp_path / "archive.sqlite3")
    with open_archive(db, create=True) as archive:
        archive.save_article(sample_article(1), fetched_at=T0)
        archive.save_hot_list(SITE, T0, "https://news.example.cn/", [
            {"rank": 1, "title": "热点", "url": "https://news.example.cn/a/1.html"}])
        archive.finish_run(archive.start_run("gone_site", "gone_site"), "failed")
    return db


@pytest.mark.parametrize("args", [["runs", "--site", "nosuch"], ["reparse", "--site", "nosuch"], ["hot", "nosuch"],
                                  ["hot", "nosuch", "--at", "2026-11-28"], ["hot", "nosuch", "--chart", "x.png"]])
def test_an_unknown_site_is_refused_with_the_known_ones(archive_db: str, args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--db", archive_db])
    assert result.exit_code == 2 and result.stdout == "", result.output
    assert result.stderr.startswith("error: unknown site 'nosuch'; known: ") and "hlj_people" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_site_only_the_archive_knows_is_still_read(archive_db: str) -> None:
    from tests.support.archive_writer import SITE

    gone = CliRunner().invoke(main, ["runs", "--site", "gone_site", "--format", "json", "--db", archive_db])
    assert gone.exit_code == 0 and [run["site"] for run in json.loads(gone.stdout)] == ["gone_site"]
    assert CliRunner().invoke(main, ["runs", "--site", SITE, "--db", archive_db]).exit_code == 0
    assert "热点" in CliRunner().invoke(main, ["hot", SITE, "--db", archive_db]).stdout
    assert CliRunner().invoke(main, ["reparse", "--site", SITE, "--db", archive_db]).exit_code == 0
    configured = CliRunner().invoke(main, ["hot", "dbw", "--db", archive_db])  # known, nothing captured yet
    assert configured.exit_code == 2 and configured.stderr == "error: no hot list captured for dbw yet\n"


def test_reparse_knows_the_sites_of_its_config(archive_db: str, tmp_path: Path) -> None:
    config = tmp_path / "hljnews.toml"
    config.write_text(OUTLET, encoding="utf-8")
    result = CliRunner().invoke(main, ["reparse", "--site", "example_city", "--config", str(config),
                                       "--db", archive_db])
    assert (result.exit_code, result.stdout) == (0, "nothing to re-parse\n"), result.output


@pytest.mark.parametrize(("extra", "title"), [
    ([], "1 articles match; 1–1"),
    (["--offset", "1000000000"], "1 articles match; none from 1000000001"),
    (["--offset", "1"], "1 articles match; none from 2"),
    (["--limit", "0"], "1 articles match; none shown (--limit 0)"),
])
def test_the_search_title_says_honestly_which_results_are_shown(archive_db: str, extra: list[str],
                                                                 title: str) -> None:
    result = CliRunner().invoke(main, ["search", "第一段", "--db", archive_db, *extra], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].strip() == title


def test_the_search_title_when_nothing_matches(archive_db: str) -> None:
    result = CliRunner().invoke(main, ["search", "没有这个词", "--db", archive_db], terminal_width=200)
    assert result.exit_code == 0 and result.stdout.splitlines()[0].strip() == "0 articles match"


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_mirror_refuses_a_port_out_of_range_in_one_line(port: str) -> None:
    result = CliRunner().invoke(main, ["mirror", "--port", port])
    assert result.exit_code == 2 and not isinstance(result.exception, OverflowError), result.exception
    assert "Invalid value for '--port'" in result.stderr and "0<=x<=65535" in result.stderr


def test_a_config_saved_with_a_utf8_bom_is_read(tmp_path: Path) -> None:
    # Notepad on Chinese Windows saves UTF-8 with a byte order mark
    from crawler.sites.registry import load_site_config

    path = tmp_path / "hljnews.toml"
    path.write_bytes(b"\xef\xbb\xbf" + "# 配置\n[scheduler]\nshutdown_grace_seconds = 5\n".encode())
    assert load_site_config(path).scheduler.shutdown_grace_seconds == 5
    checked = CliRunner().invoke(main, ["schedule", "--check", str(path)])
    assert checked.exit_code == 0, checked.output


def querying_doc_examples() -> list[str]:
    """The example column of docs/querying.md's command table."""
    text = (ROOT / "docs" / "querying.md").read_text(encoding="utf-8")
    examples = []
    for row in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        if len(cells) == 3 and cells[2].startswith("`hljnews"):
            examples.append(cells[2].strip("`").replace("\\|", "|"))
    return examples


@pytest.mark.parametrize("example", querying_doc_examples())
def test_a_querying_doc_example_is_a_valid_command_line(example: str) -> None:
    # parsed, not run: an option misread (-q is --quiet, not --query) leaves a stray argument click refuses
    words = shlex.split(example.split(" > ")[0])[1:]
    command = main.commands[words[0]]
    with command.make_context(words[0], words[1:]) as context:
        assert context.command is command
