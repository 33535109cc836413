"""The hljnews command as a user meets it: JSON from `extract`, one-line errors, usage errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from jobs.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
PEOPLE_CASES = sorted(
    path.stem for path in (FIXTURES / "hlj_people").glob("*.json")
    if json.loads(path.read_text(encoding="utf-8")).get("title")
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", PEOPLE_CASES)
def test_extract_prints_the_parsed_article_as_json(case: str) -> None:
    expected = json.loads((FIXTURES / "hlj_people" / f"{case}.json").read_text(encoding="utf-8"))
    code, out, err = run("extract", str(FIXTURES / "hlj_people" / f"{case}.html"), "--url", expected["url"])
    assert code == 0, err
    data = json.loads(out)
    assert data["title"] == expected["title"]
    assert data["published_at"] == expected["published_at"]
    assert data["source"] == expected["source"]
    assert data["body"].startswith(expected["body_first"])
    assert data["body"].rstrip().endswith(expected["body_last"])
    assert [entry["title"] for entry in data["hot_list"]] == [entry["title"] for entry in expected["hot_list"]]
    assert data["site"] == "hlj_people"


def test_extract_uses_the_generic_extractor_for_unknown_sites() -> None:
    pages = sorted((FIXTURES / "generic").glob("*.html"))
    assert pages, "generic fixtures missing"
    code, out, err = run("extract", str(pages[0]), "--url", "http://www.example.gov.cn/art/2024/5/10/art_1_1.html")
    assert code == 0, err
    data = json.loads(out)
    assert data["site"] == "generic" and data["title"] and data["body"]


def test_extract_of_a_page_that_is_not_html_is_one_line_error(tmp_path: Path) -> None:
    page = tmp_path / "image.html"
    page.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    code, _, err = run("extract", str(page), "--url", "http://hlj.people.com.cn/n2/2021/0716/c220027-1.html")
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_bad_header_option_is_a_usage_error(tmp_path: Path) -> None:
    page = FIXTURES / "hlj_people" / "seed_article.html"
    code, _, err = run("extract", str(page), "--url", "http://hlj.people.com.cn/", "--header", "no colon")
    assert code == 2 and "Name: value" in err


def test_crawl_needs_a_site_or_all() -> None:
    code, _, err = run("crawl")
    assert code == 2 and "--all" in err


def test_crawl_refuses_an_unknown_site() -> None:
    code, _, err = run("crawl", "nosuchsite")
    assert code == 2 and "unknown site nosuchsite" in err


def test_unreachable_archive_is_one_line_error() -> None:
    code, _, err = run("runs", "--db", "postgresql://postgres@127.0.0.1:1/nothing")
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_extract_refuses_a_fifo_and_a_device_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        code, _, err = run("extract", path, "--url", "http://hlj.people.com.cn/n2/2021/0716/c220027-1.html")
        assert code == 2 and "not a regular file" in err


def test_extract_refuses_a_page_over_the_crawls_size_limit(tmp_path: Path) -> None:
    page = tmp_path / "huge.html"
    with page.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024 + 1)  # sparse: no 16 MB written
    code, _, err = run("extract", str(page), "--url", "http://hlj.people.com.cn/n2/2021/0716/c220027-1.html")
    assert code == 2 and "are refused" in err


def test_schedule_check_reports_every_problem_with_its_key_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scheduler]\ntimezone = "Mars/Olympus"\nmisfire_grace_seconds = -1\n'
                   '[[sites]]\nkey = "hlj_people"\nhot = { interval_seconds = -5 }\nfull = "hourly"\n'
                   '[[sites]]\nkey = "no_such_site"\nfull = { cron = 5 }\n', encoding="utf-8")
    code, out, err = run("schedule", "--check", str(bad))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert all(line.startswith(f"error: config {bad}: ") for line in lines)
    for path in ("scheduler.timezone", "scheduler.misfire_grace_seconds", "sites.hlj_people.hot.interval_seconds",
                 "sites.hlj_people.full", "sites.no_such_site.key", "sites.no_such_site.full.cron"):
        assert sum(f": {path}: " in line for line in lines) == 1, path
    assert "Traceback" not in err


def test_schedule_check_accepts_the_example_config() -> None:
    code, out, _ = run("schedule", "--check", str(Path(__file__).resolve().parents[1] / "hljnews.example.toml"))
    assert code == 0 and "ok" in out and "jobs" in out
