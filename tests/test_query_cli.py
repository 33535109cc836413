"""The query commands through click's CliRunner: output formats, one-line errors, export, hot, show --diff."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from jobs.cli import OneLineErrors
from jobs.cli.hot import hot
from jobs.cli.ledger import runs, stats
from jobs.cli.query import export, search, show
from storage import open_archive
from tests.support.archive_writer import SHANGHAI, SITE, sample_article

T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
CLI = OneLineErrors(commands={c.name: c for c in (search, show, stats, hot, export, runs)})


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    with open_archive(url, create=True) as archive:
        for i in range(1, 6):
            archive.save_article(sample_article(i, title=f"冰雪旅游 {i}" if i % 2 else f"新闻 {i}",
                                                published_at=datetime(2026, 11, 20 + i, 8, tzinfo=SHANGHAI)),
                                 fetched_at=T0)
        archive.save_article(sample_article(1, version=2, title="冰雪旅游 1"), fetched_at=T0 + timedelta(hours=1))
        for hour in range(3):
            archive.save_hot_list(SITE, T0 + timedelta(hours=hour), "https://news.example.cn/", [
                {"rank": r, "title": f"热点{r + hour}", "url": f"https://news.example.cn/a/{r + hour}.html"}
                for r in range(1, 4)])
    return url


def run(*args: str) -> object:
    return CliRunner().invoke(CLI, list(args))


def test_search_formats(db: str) -> None:
    table = run("search", "冰雪", "--db", db)
    assert table.exit_code == 0 and "3 articles match" in table.output
    data = json.loads(run("search", "冰雪", "--db", db, "--format", "json").output)
    assert data["total"] == 3 and "[冰雪]" in data["results"][0]["snippet"]
    lines = run("search", "冰雪", "--db", db, "--format", "jsonl", "--limit", "2").output.splitlines()
    assert len(lines) == 2
    rows = list(csv.DictReader(io.StringIO(run("search", "旅游", "--db", db, "--format", "csv").output)))
    assert len(rows) == 3 and rows[0]["title"].startswith("冰雪旅游")


@pytest.mark.parametrize("query", ['"', "NEAR(", "*", "-", "😀", "x" * 10_000, "-冰雪"])
def test_search_odd_input_is_a_result_or_one_line(db: str, query: str) -> None:
    result = run("search", query, "--db", db, "--format", "json")
    if result.exit_code == 0:
        assert "total" in json.loads(result.output)
    else:
        assert result.exit_code == 2 and result.output.count("\n") == 1 and "Traceback" not in result.output


def test_bad_time_is_a_usage_error(db: str) -> None:
    result = run("search", "冰雪", "--db", db, "--since", "yesterday")
    assert result.exit_code == 2 and "not an ISO date" in result.output


def test_show_diff(db: str) -> None:
    result = run("show", "1", "--db", db, "--diff")
    assert result.exit_code == 0 and "+第二段，版本 2。" in result.output
    assert run("show", "999", "--db", db).exit_code == 2  # every error exits 2 (README)


def test_stats(db: str) -> None:
    data = json.loads(run("stats", "--db", db, "--format", "json").output)
    assert data["sites"] == [{"site": SITE, "articles": 5, "latest_published_at": "2026-11-28T09:30:00+08:00"}]


def test_hot_at_and_story(db: str) -> None:
    at = json.loads(run("hot", SITE, "--db", db, "--at", "2026-11-28T09:30", "--format", "json").output)
    assert [e["title"] for e in at] == ["热点2", "热点3", "热点4"]
    story = json.loads(run("hot", "--db", db, "--story", "https://news.example.cn/a/3.html",
                           "--format", "json").output)
    assert story["best_rank"] == 1 and story["snapshots"] == 3
    assert run("hot", "nosite", "--db", db).exit_code == 2


def test_hot_chart(db: str, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    result = run("hot", SITE, "--db", db, "--chart", str(tmp_path / "ranks.svg"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ranks.svg").read_text().startswith("<?xml")


@pytest.mark.parametrize("name", ["noext", "", "ranks.gif", "ranks.pdf"])
def test_a_chart_file_must_say_png_or_svg(db: str, tmp_path, name: str) -> None:
    result = run("hot", SITE, "--db", db, "--chart", str(tmp_path / name) if name else "")
    assert result.exit_code == 2 and "must end in .png or .svg" in result.output
    assert [f.name for f in tmp_path.iterdir() if not f.name.startswith("cli.sqlite3")] == []  # nothing written


def test_a_png_chart_is_written_as_named(db: str, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    result = run("hot", SITE, "--db", db, "--chart", str(tmp_path / "Ranks.PNG"))
    assert result.exit_code == 0 and f"wrote {tmp_path / 'Ranks.PNG'}" in result.output
    assert (tmp_path / "Ranks.PNG").read_bytes().startswith(b"\x89PNG")


def test_export_jsonl_and_csv(db: str, tmp_path) -> None:
    lines = run("export", "--db", db, "--query", "冰雪").output.splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == [1, 3, 5]
    out = tmp_path / "all.csv"
    assert run("export", "--db", db, "--format", "csv", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,")  # a UTF-8 BOM: Excel on Chinese Windows reads UTF-8
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 5 and json.loads(rows[0]["authors"]) == ["张三"]
    assert run("export", "--db", db, "--format", "csv").output.startswith("id,")  # stdout: no BOM unless asked
    assert run("export", "--db", db, "--format", "csv", "--bom").output.startswith("\ufeffid,")


def test_times_are_iso_with_offset_for_machines_and_to_the_minute_for_people(db: str) -> None:
    from jobs.cli.output import cell, machine_time, table_time

    moment = datetime(2026, 11, 28, 1, 30, 15, tzinfo=UTC)
    assert machine_time(moment) == "2026-11-28T09:30:15+08:00"
    assert table_time(moment) == cell(moment, machine=False) == "2026-11-28 09:30"
    lines = run("export", "--db", db, "--query", "冰雪").output.splitlines()
    assert [json.loads(line)["published_at"] for line in lines] == [
        "2026-11-28T09:30:00+08:00", "2026-11-23T08:00:00+08:00", "2026-11-25T08:00:00+08:00"]
    with open_archive(db) as archive:
        archive.finish_run(archive.start_run("killer", SITE, started_at=T0), "ok", finished_at=T0)
    [row] = list(csv.DictReader(io.StringIO(run("runs", "--db", db, "--format", "csv").output)))
    assert row["started_at"] == row["finished_at"] == "2026-11-28T08:00:00+08:00"
    exported = list(csv.DictReader(io.StringIO(run("export", "--db", db, "--format", "csv").output)))
    assert all(row["first_seen_at"] == "2026-11-28T08:00:00+08:00" for row in exported) and len(exported) == 5


# Text from crawled pages that rich would read as markup: a closing tag with nothing open (MarkupError), a
# style name (silently dropped), a bold pair.
BRACKETED = ["[/] 收尾", "[video]冰雪节开幕", "[b]粗体[/b]"]


def test_tables_print_bracketed_titles_as_they_are(db: str) -> None:
    with open_archive(db) as archive:
        archive.save_hot_list(SITE, T0 + timedelta(hours=5), "https://news.example.cn/", [
            {"rank": r, "title": title, "url": f"https://news.example.cn/b/{r}.html"}
            for r, title in enumerate(BRACKETED, start=1)])
    result = run("hot", SITE, "--db", db)
    assert result.exit_code == 0, result.output
    for title in BRACKETED:
        assert title in result.output


def test_show_prints_bracketed_text_and_whole_paragraphs_when_piped(db: str) -> None:
    paragraph = "哈尔滨冰雪大世界今日开园，" * 20  # 260 characters: far past rich's 80 columns off a terminal
    with open_archive(db) as archive:
        archive.save_article(sample_article(9, title=BRACKETED[0], body=f"{paragraph}\n{BRACKETED[1]}"),
                             fetched_at=T0)
    result = run("show", "https://news.example.cn/a/9.html", "--db", db)
    assert result.exit_code == 0, result.output
    assert BRACKETED[0] in result.output and BRACKETED[1] in result.output
    assert paragraph in result.output.splitlines()  # one line, as stored: a file or a pipe gets it unbroken


def test_demo_summary_prints_errors_and_hot_titles_as_they_are(db: str, capsys: pytest.CaptureFixture) -> None:
    from jobs.crawl import CrawlResult
    from jobs.summary import print_demo_summary

    error = "http://news.example.cn/n1/2019/0615/c1013-31153719-3.html: HTTP 404 [/] after [video] redirect"
    with open_archive(db) as archive:
        run_id = archive.start_run(SITE, SITE)
        archive.finish_run(run_id, "partial", errors=[error])
        archive.save_hot_list(SITE, T0 + timedelta(hours=6), "https://news.example.cn/", [
            {"rank": r, "title": title, "url": f"https://news.example.cn/c/{r}.html"}
            for r, title in enumerate(BRACKETED, start=1)])
    print_demo_summary(db, [CrawlResult(SITE, run_id, "partial")])
    lines = capsys.readouterr().out.splitlines()
    assert f"  failed page {error}" in lines  # whole, on one line, brackets and all
    for rank, title in enumerate(BRACKETED, start=1):
        assert f"  {rank:>2}. {title}" in lines


def test_csv_cells_holding_lists_are_json_that_splits_back(db: str) -> None:
    errors = ["http://news.example.cn/a/1.html: HTTP 404", "作者、编辑, \"引号\" 与 、顿号"]
    with open_archive(db) as archive:
        run_id = archive.start_run(SITE, SITE)
        archive.finish_run(run_id, "partial", errors=errors)
    rows = list(csv.DictReader(io.StringIO(run("runs", "--db", db, "--format", "csv").output)))
    [row] = [row for row in rows if row["id"] == str(run_id)]
    assert json.loads(row["errors"]) == errors  # joined with 、 it could not be split again


FORMULAS = ['=HYPERLINK("http://evil.example/")', "+SUM(1,2)", "-2+3", "@SUM(A1)"]


def test_a_spreadsheet_csv_quotes_cells_that_would_run_as_formulas(db: str, tmp_path) -> None:
    with open_archive(db) as archive:
        for n, title in enumerate(FORMULAS, start=20):
            archive.save_article(sample_article(n, title=title, authors=[title]), fetched_at=T0)
    out = tmp_path / "x.csv"
    assert run("export", "--db", db, "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    titles = {row["title"] for row in rows}
    assert {"'" + title for title in FORMULAS} <= titles and not titles & set(FORMULAS)
    plain = list(csv.DictReader(io.StringIO(run("export", "--db", db, "--format", "csv").output)))
    assert set(FORMULAS) <= {row["title"] for row in plain}  # CSV for programs keeps the text as stored
