"""Every example of the README's command table runs as printed: offline (the mirror stands in for the sites),
on a demo archive, in a fresh working directory holding the files the examples name."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mirror import MirrorServer

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Commands that run until stopped: the daemon, a fleet worker, the mirror server and the web app.
LONG_RUNNING = {"run", "worker", "mirror", "serve"}
# A fleet example names a deployment's hosts; it runs against this machine's PostgreSQL and Redis instead.
DEPLOYMENT_URL = re.compile(r"(?P<scheme>postgresql|redis)://\S+")


def readme_examples() -> list[str]:
    """The third column of the README's command table: one runnable example per row."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Commands"):text.index("## Using it as a Scrapy project")]
    examples = []
    for row in table.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]
        if len(cells) == 3 and cells[2].startswith("`hljnews"):
            examples.append(cells[2].strip("`").replace("\\|", "|"))
    return examples


@pytest.fixture(scope="module")
def workplace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A working directory with a demo archive, the example config as hljnews.toml and a saved page."""
    place = tmp_path_factory.mktemp("readme")
    shutil.copy(ROOT / "hljnews.example.toml", place / "hljnews.toml")
    shutil.copy(ROOT / "tests" / "fixtures" / "hlj_people" / "seed_article.html", place / "page.html")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "HLJNEWS_CONFIG"}
    env.update(HLJNEWS_DB=str(place / "data" / "hljnews.sqlite3"), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    demo = subprocess.run(["hljnews", "demo", "--quiet"], cwd=place, env=env, capture_output=True, text=True,
                          timeout=600)
    assert demo.returncode == 0, demo.stderr[-2000:]
    return place, env


def test_the_readme_lists_an_example_for_every_command() -> None:
    from jobs.cli import main

    listed = {example.split()[1] for example in readme_examples()}
    assert set(main.commands) <= listed


def long_running(example: str) -> bool:
    return example.split()[1] in LONG_RUNNING


@pytest.mark.parametrize("example", [e for e in readme_examples() if not long_running(e)])
def test_a_readme_example_runs_as_printed(workplace: tuple[Path, dict[str, str]], example: str) -> None:
    place, env = workplace
    with MirrorServer() as server:
        result = subprocess.run(["bash", "-c", example], cwd=place, env={**env, "http_proxy": server.proxy_url},
                                capture_output=True, text=True, timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 0, f"{example}\n{result.stdout[-1000:]}\n{result.stderr[-2000:]}"


@pytest.mark.parametrize("example", [e for e in readme_examples() if long_running(e)])
def test_a_long_running_readme_example_starts_and_stops_on_sigterm(workplace: tuple[Path, dict[str, str]],
                                                                   example: str, request: pytest.FixtureRequest,
                                                                   ) -> None:
    import signal
    import time

    place, env = workplace
    if DEPLOYMENT_URL.search(example):
        local = {"postgresql": request.getfixturevalue("pg_url"), "redis": request.getfixturevalue("broker")}
        example = DEPLOYMENT_URL.sub(lambda url: local[url["scheme"]], example)
    process = subprocess.Popen(["bash", "-c", f"exec {example}"], cwd=place, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(1)
        if time.monotonic() > deadline - 110:  # it has been up for ten seconds: it started
            break
    assert process.poll() is None, process.communicate()[1][-2000:]
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr[-2000:]
