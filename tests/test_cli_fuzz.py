"""Hundreds of odd command lines: never a traceback, exit 0, 1 or 2 as the README says, the archive untouched."""

from __future__ import annotations

import hashlib
import itertools
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from jobs.cli import main
from storage import open_archive
from tests.support.archive_writer import SITE, sample_article

ODD_TEXT = ["", " ", '"', '""', '"unterminated', "-", "--", "-养老", "养老 -养老", "OR", "NOT", "(*", "NEAR(",
            "*", "%", "_", "'", "\\", "'; DROP TABLE articles; --", "\x1b[31m红\x1b[0m", "\u202e养老", "²", "٣",
            "ＡＢＣ", "養老", "冰雪", "a" * 10_001, "🙂", "\t", "\x7f", "../../etc/passwd", "http://", "0", "-1"]
ODD_NUMBERS = ["0", "-1", "1e3", "9223372036854775808", "99999999999999999999", "²", "", " 3", "0x10", "NaN"]
ODD_TIMES = ["0001-01-01", "9999-12-31T23:59-12:00", "yesterday", "", "2026-13-01", "2026-02-30",
             "2026-11-28T25:00", "1899-12-31", "2201-01-01", "2026-11-28T09:30+25:00", "²"]
FORMATS = ["table", "json", "jsonl", "csv", "xml", ""]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def odd_command_lines(db: str, tmp: Path) -> list[list[str]]:
    """Command lines of every command, with odd values where a user could mistype one."""
    lines: list[list[str]] = []
    lines += [["search", text, "--db", db] for text in ODD_TEXT]
    lines += [["search", "冰雪", "--db", db, option, value] for option, value in itertools.product(
        ["--limit", "--offset"], ODD_NUMBERS)]
    lines += [["search", "冰雪", "--db", db, option, value] for option, value in itertools.product(
        ["--since", "--until"], ODD_TIMES)]
    lines += [["search", "冰雪", "--db", db, "--site", site] for site in ("", "nope", "HLJ_PEOPLE", SITE)]
    lines += [["search", "冰雪", "--db", db, "--format", fmt] for fmt in FORMATS]
    lines += [["search", "冰雪", "--db", db, "--sort", sort] for sort in ("date", "random", "")]
    lines += [["show", key, "--db", db] for key in [*ODD_NUMBERS, "http://nowhere.example/x.html", "1"]]
    lines += [["show", "1", "--db", db, *extra] for extra in (["--json"], ["--diff"], ["--format", "json"],
                                                               ["--format", "csv"])]
    lines += [["raw", key, "--db", db] for key in [*ODD_NUMBERS, "http://nowhere.example/x.html"]]
    lines += [["raw", "1", "--db", db, "-o", str(tmp / "missing-dir" / "page.html")]]
    lines += [["stats", "--db", db, "--days", days] for days in ODD_NUMBERS]
    lines += [["stats", "--db", db, "--format", fmt] for fmt in FORMATS]
    lines += [["runs", "--db", db, "--limit", limit] for limit in ODD_NUMBERS]
    lines += [["runs", "--db", db, "--site", site, "--format", fmt] for site, fmt in itertools.product(
        ("", "nope", SITE), ("table", "json", "csv"))]
    lines += [["hot", site, "--db", db] for site in ("", "nope", SITE, "²")]
    lines += [["hot", SITE, "--db", db, "--at", at] for at in ODD_TIMES]
    lines += [["hot", SITE, "--db", db, "--story", story] for story in ("", "http://nowhere.example/x.html")]
    lines += [["hot", SITE, "--db", db, "--chart", str(tmp / "missing-dir" / "chart.png")]]
    lines += [["export", "--db", db, *extra] for extra in (
        ["--format", "xml"], ["--query", "("], ["--query", ""], ["--since", "0001-01-01"],
        ["--until", "9999-12-31T23:59-12:00"], ["-o", str(tmp / "missing-dir" / "out.csv")], ["--bom"],
        ["--site", "nope"], ["-q"], ["--query", "冰雪", "--format", "csv", "--bom"])]
    lines += [["sites", "--db", db, *extra] for extra in (["--recent", "0"], ["--recent", "-5"], ["--format", "xml"],
                                                          ["--format", "csv"], ["--recent", "99999999999999999999"])]
    lines += [["extract", path, "--url", "http://hlj.people.com.cn/n2/2021/0716/c220027-1.html"]
              for path in ("/nonexistent", str(tmp), "/dev/null", "/dev/zero")]
    lines += [["extract", str(tmp / "page.html"), "--url", url] for url in ("", "not a url", "ftp://x/y", "http://")]
    lines += [["extract", str(tmp / "page.html"), "--url", "http://x.cn/a.html", "--header", header]
              for header in ("bad", ":", "Content-Type: text/html; charset=no-such-codec")]
    lines += [["schedule", "--check", path] for path in ("/nonexistent.toml", str(tmp / "garbage.toml"),
                                                         str(tmp / "empty.toml"))]
    lines += [["crawl", *args, "--db", db] for args in (
        ["nosuchsite"], [], ["--all", "--run-id", "1"], ["hlj_people", "--mode", "weird"],
        ["hlj_people", "--recent-days", "99999999999"], ["hlj_people", "-s", "noequals"],
        ["hlj_people", "-s", "HLJNEWS_PARSE_TIMEOUT=soon"], ["hlj_people", "-s", "HLJNEWS_PARSE_PROCESSES=-1"],
        ["hlj_people", "-s", "HLJNEWS_BATCH_SIZE=many"], ["hlj_people", "-s", "HLJNEWS_REFRESH=maybe"],
        ["hlj_people", "-s", "HLJNEWS_NO_SUCH_SETTING=1"], ["hlj_people", "-s", "HLJNEWS_PARSE_TIMEOUT=nan"],
        ["hlj_people", "--max-list-pages", "0"], ["hlj_people", "--run-id", "999999"],
        ["hlj_people", "--run-id", "9223372036854775808"])]
    lines += [["reparse", "--db", db, "--site", "nope"], ["check", "nosuchsite"], ["demo", "--nonsense"],
              ["run", "--config", "/nonexistent.toml"], ["nosuchcommand"], ["--nonsense"]]
    # serve: each of these is refused before it listens (a line that started a server would hang the test)
    lines += [["serve", "--db", db, "--token", "", *extra] for extra in (
        ["--port", "99999"], ["--host", "0.0.0.0"], ["--host", "::"], ["--token", "short"], ["--port", "x"])]
    lines += [["serve", "--db", str(tmp / name)] for name in ("nope.sqlite3", "garbage.toml")]
    port = closed_port()
    lines += [[command, "--db", other] for command, other in itertools.product(
        ("runs", "stats", "sites"), (str(tmp / "nope.sqlite3"), str(tmp / "garbage.toml"), "mysql://x/y",
                                     f"postgresql://postgres@127.0.0.1:{port}/x", ""))]
    return lines


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fuzz_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("fuzz")
    db = tmp / "archive.sqlite3"
    fetched = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    with open_archive(str(db), create=True) as archive:
        run_id = archive.start_run("fuzz", SITE)
        for i in range(5):
            article = sample_article(i, body=f"冰雪第一段 {i}。\n第二段。")
            article["published_at"] = datetime(2026, 11, 20 + i, 1, 0, tzinfo=UTC)
            archive.save_article(article, fetched_at=fetched, run_id=run_id)
        archive.save_hot_list(SITE, fetched, "https://news.example.cn/hot", [
            {"rank": 1, "title": "冰雪", "url": "https://news.example.cn/a/1.html"}], run_id=run_id)
        archive.save_raw_page("https://news.example.cn/a/1.html", b"<html>1</html>", {}, fetched, run_id=run_id)
        archive.finish_run(run_id, "ok")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (tmp / "garbage.toml").write_text("[[sites]\nkey = 5\n", encoding="utf-8")
    (tmp / "empty.toml").write_text("", encoding="utf-8")
    (tmp / "page.html").write_bytes("<html><body><h1>标题</h1><p>正文。</p></body></html>".encode())
    return str(db), tmp


def test_odd_command_lines_end_cleanly_and_leave_the_archive_as_it_was(fuzz_archive: tuple[str, Path]) -> None:
    db, tmp = fuzz_archive
    lines = odd_command_lines(db, tmp)
    assert len(lines) >= 200
    before = digest(Path(db))
    runner = CliRunner()
    problems = []
    for args in lines:
        result = runner.invoke(main, args)
        output = result.output + (result.stderr or "")
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        if crashed or result.exit_code not in (0, 1, 2) or "Traceback" in output:
            problems.append((args[:4], result.exit_code, repr(result.exception), output[-300:]))
    assert problems == []
    assert digest(Path(db)) == before
    assert not Path(db + "-wal").exists() or Path(db + "-wal").stat().st_size == 0


def test_an_error_is_one_line_on_stderr_with_exit_2(fuzz_archive: tuple[str, Path]) -> None:
    db, _ = fuzz_archive
    runner = CliRunner()
    for args in (["show", "9223372036854775808", "--db", db], ["search", "冰雪", "--since", "0001-01-01", "--db", db],
                 ["hot", SITE, "--at", "0001-01-01", "--db", db], ["runs", "--limit", "99999999999999999999"],
                 ["stats", "--days", "99999999999999999999"], ["show", "²", "--db", db],
                 ["search", "冰雪", "--site", "nope", "--db", db]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3, result.stderr
