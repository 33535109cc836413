"""Opening an archive: reads never create one, and a read-only archive can still be read by every command."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine

from jobs.cli import main
from storage import ArchiveNotFound, ArchiveReadOnly, StorageError, open_archive
from storage.migrate import head_revision
from tests.conftest import new_pg_database
from tests.support.archive_writer import SITE, hot_entries, sample_article

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
PAGE = sample_article(1)["url"]
READ_COMMANDS = [["search", "黑龙江", "--format", "json"], ["show", "1", "--json"], ["stats", "--format", "json"],
                 ["hot", SITE, "--format", "json"], ["export"], ["runs", "--format", "json"],
                 ["sites", "--format", "json"], ["raw", PAGE]]


def test_reading_a_missing_sqlite_archive_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "archive.sqlite3"
    with pytest.raises(ArchiveNotFound) as caught:
        open_archive(missing)
    assert str(caught.value) == f"no archive at {missing}"
    assert not (tmp_path / "typo").exists()


def test_an_empty_postgresql_database_is_not_an_archive(pg_admin: Engine, pg_databases: list[str]) -> None:
    url = new_pg_database(pg_admin, pg_databases)
    with pytest.raises(ArchiveNotFound, match="no archive at postgresql"):
        open_archive(url)
    engine = create_engine(url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_read_commands_on_a_mistyped_path_say_no_archive(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo" / "archive.sqlite3"
    result = CliRunner().invoke(main, [*command, "--db", str(missing)])
    assert (result.exit_code, result.stderr) == (2, f"error: no archive at {missing}\n")
    assert not (tmp_path / "typo").exists()


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A folder holding a small archive: one run, an article, its raw page and a hot list."""
    folder = tmp_path / "ro"
    with open_archive(folder / "archive.sqlite3", create=True) as archive:
        run_id = archive.start_run("killer", SITE)
        archive.save_raw_page(PAGE, "<html>黑龙江新闻 1</html>".encode("gbk"), {"content-type": "text/html"}, T0,
                              run_id=run_id)
        archive.save_article(sample_article(1), fetched_at=T0, run_id=run_id)
        archive.save_hot_list(SITE, T0, PAGE, hot_entries(1), run_id=run_id)
        archive.finish_run(run_id, "ok")
    # A run left "running" by a process that is gone (killed, say) when the read-only test reads it.
    code = f"import sys\nfrom storage import open_archive\nopen_archive(sys.argv[1]).start_run('killer', '{SITE}')"
    subprocess.run([sys.executable, "-c", code, str(folder / "archive.sqlite3")], cwd=ROOT, check=True)
    return folder


def on_read_only(folder: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run argv with `folder` read-only: a read-only bind mount (root), else permissions without write bits."""
    if os.geteuid() != 0:
        for path in [*folder.iterdir(), folder]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 97; shift; exec "$@"'
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(folder), *argv], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    if result.returncode == 97 or "unshare: " in result.stderr:
        reason = f"cannot mount read-only here: {result.stderr.strip()[:200]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return result


@pytest.mark.skipif(shutil.which("unshare") is None and os.geteuid() == 0, reason="needs unshare(1) as root")
def test_every_read_command_works_on_a_read_only_archive(filled: Path) -> None:
    hljnews = [sys.executable, "-m", "jobs"]
    db = filled / "archive.sqlite3"
    script = "; ".join(f"{shlex.join([*hljnews, *command, '--db', str(db)])} > {i}.out 2>&1 "
                       f"|| echo failed {command[0]} >&2" for i, command in enumerate(READ_COMMANDS))
    # One read-only mount for all the commands; their output goes to a writable folder beside it.
    outputs = filled.parent / "out"
    outputs.mkdir()
    result = on_read_only(filled, ["sh", "-c", f"cd {outputs} && {script}"])
    assert result.returncode == 0 and "failed" not in result.stderr, result.stderr
    assert json.loads((outputs / "0.out").read_text())["total"] == 1
    assert json.loads((outputs / "1.out").read_text())["title"] == sample_article(1)["title"]
    assert [run["status"] for run in json.loads((outputs / "5.out").read_text())] == ["interrupted", "ok"]
    assert (outputs / "7.out").read_bytes() == "<html>黑龙江新闻 1</html>".encode("gbk")
    assert sorted(path.name for path in filled.iterdir()) == ["archive.sqlite3"]  # no -wal, -shm or lock left


def test_a_write_to_a_read_only_archive_fails_in_one_line(filled: Path) -> None:
    code = ("import sys\nfrom storage import StorageError, open_archive\n"
            "archive = open_archive(sys.argv[1])\nprint(archive.read_only)\n"
            "try:\n    archive.start_run('killer', 'killer_site')\n"
            "except StorageError as error:\n    print(type(error).__name__, error)\n")
    result = on_read_only(filled, [sys.executable, "-c", code, str(filled / "archive.sqlite3")])
    assert result.returncode == 0, result.stderr
    read_only, error = result.stdout.splitlines()
    assert read_only == "True"
    assert error.startswith(f"{ArchiveReadOnly.__name__} archive sqlite:///") and "read-only" in error


def test_raw_writes_the_stored_bytes_to_a_file(filled: Path, tmp_path: Path) -> None:
    db = str(filled / "archive.sqlite3")
    out = tmp_path / "page.html"
    result = CliRunner().invoke(main, ["raw", "1", "--db", db, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == "<html>黑龙江新闻 1</html>".encode("gbk")
    by_url = CliRunner().invoke(main, ["raw", PAGE, "--db", db])
    assert by_url.stdout_bytes == out.read_bytes()
    missing = CliRunner().invoke(main, ["raw", "99", "--db", db])
    assert missing.exit_code == 2 and "no raw page '99'" in missing.output


def _to_newer_schema(url: str) -> None:
    """The archive as a newer hljnews would leave it: at a schema revision this version has no migration for."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    engine.dispose()


@pytest.mark.parametrize("command", [*READ_COMMANDS, ["crawl", "hlj_people"]], ids=lambda c: c[0])
def test_an_archive_of_a_newer_schema_is_one_line_on_every_command(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "newer.sqlite3"
    open_archive(db, create=True).close()
    _to_newer_schema(f"sqlite:///{db}")
    result = CliRunner().invoke(main, [*command, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: archive sqlite:///{db} is at schema 0999, newer than this hljnews knows "
                             f"(its newest is {head_revision()}): upgrade hljnews to open it\n")


def test_a_postgresql_archive_of_a_newer_schema_is_refused(pg_admin: Engine, pg_databases: list[str]) -> None:
    url = new_pg_database(pg_admin, pg_databases)
    open_archive(url, create=True).close()
    _to_newer_schema(url)
    newer = rf"is at schema 0999, newer than this hljnews knows \(its newest is {head_revision()}\)"
    with pytest.raises(StorageError, match=newer):
        open_archive(url)
