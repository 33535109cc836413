"""Test helper: real `python -m jobs …` processes (schedulers, workers), their logs, and waiting on the ledger."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from storage import ArchiveNotFound, open_archive

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 240  # seconds a test waits for an outcome before failing; generous, so a loaded machine cannot flake
FAKE_CRAWL = [sys.executable, "-m", "tests.support.fake_crawl"]


class Processes:
    """Started `python -m jobs …` processes, each logging to a file; all stopped when the test ends."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.started = folder, []

    def start(self, name: str, *args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "jobs", *args], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def processes(folder: Path) -> Iterator[Processes]:
    started = Processes(folder)
    try:
        yield started
    finally:
        started.stop_all()


def proc_env(**extra: str) -> dict[str, str]:
    """The environment of processes under test: this checkout importable (tests.support.fake_crawl)."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def ledger(db: str, site: str | None = None) -> list[dict]:
    """Every run (oldest first); [] while the archive is still being created."""
    try:
        with open_archive(db) as archive:
            return list(reversed(archive.runs(site=site, limit=5000)))
    except ArchiveNotFound:
        return []


def wait_for(condition: Callable[[], object], what: str, deadline: float = DEADLINE) -> None:
    """Poll until ``condition`` holds; fail naming ``what`` after ``deadline`` seconds."""
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"still waiting after {deadline:g} s for {what}")
        time.sleep(0.5)


def alive(pid: int) -> bool:
    """Whether a process exists (and is not a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def ancestors(pid: int) -> list[int]:
    """pid's parent, its parent, … up to init."""
    chain = []
    while pid > 1:
        pid = parent_of(pid)
        chain.append(pid)
    return chain


def gaps(times: list[datetime], every: float) -> list[tuple[datetime, datetime]]:
    """Consecutive fire times further apart than one interval: firings with no row between them."""
    ordered = sorted(times)
    return [(a, b) for a, b in itertools.pairwise(ordered) if (b - a).total_seconds() > every + 0.01]


def write_config(path: Path, scheduler: str, sites: str) -> Path:
    path.write_text(f"[scheduler]\n{scheduler}\n{sites}", encoding="utf-8")
    return path
