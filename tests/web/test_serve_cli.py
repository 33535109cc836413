"""`hljnews serve`: refusals are one line; it serves and stops on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from jobs.cli import main

BIN = Path(sys.executable).parent


def test_a_public_address_without_a_token_is_refused(seeded: tuple[Path, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--db", str(seeded[0])],
                                env={"HLJNEWS_WEB_TOKEN": ""})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: serving on 0.0.0.0 (not loopback) needs a token: --token or $HLJNEWS_WEB_TOKEN"]


def test_a_short_token_is_refused(seeded: tuple[Path, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--token", "short", "--db", str(seeded[0])])
    assert result.exit_code == 2 and "at least 16 characters" in result.output


def test_a_missing_archive_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [f"error: no archive at {tmp_path / 'none.sqlite3'}"]


def test_a_port_in_use_is_one_line(seeded: tuple[Path, Any]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port), "--db", str(seeded[0])])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_a_host_that_is_no_address_is_one_line(seeded: tuple[Path, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "not a host", "--token", "t" * 20, "--db", str(seeded[0])])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot listen on not a host: "), lines


def test_serve_answers_then_stops_on_sigterm(seeded: tuple[Path, Any]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([BIN / "hljnews", "serve", "--port", str(port), "--db", str(seeded[0])],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, page = time.monotonic() + 60, None
        while page is None and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=%E5%85%BB%E8%80%81") as answer:
                    page = answer.read().decode()
            except OSError:
                time.sleep(0.3)
        assert page is not None and "2 篇文章" in page
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM), output  # uvicorn re-raises the signal once it has stopped
    assert "Application shutdown complete" in output
    assert "Traceback" not in output
