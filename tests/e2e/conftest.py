"""End-to-end fixtures: a demo archive, `hljnews serve` on a free port, and headless Debian chromium via Selenium.

Without chromium and chromedriver (`make e2e-deps` installs them) these tests skip with the reason; under
CI=true they fail instead, so a CI machine without the browser cannot pass silently.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHOTS = ROOT / "build" / "e2e"
SCRIPT_TITLE = "<script>alert(1)</script>"
START_DEADLINE = 60  # seconds for the server to answer (generous: the machine is shared)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the end-to-end tests must run; `make e2e-deps` installs the browser)")
    pytest.skip(reason)


def _program(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo archive (the bundled mirror crawled) plus one article whose title is a script."""
    db = tmp_path_factory.mktemp("e2e") / "demo.sqlite3"
    subprocess.run([BIN / "hljnews", "demo", "--db", str(db), "-q"], check=True, capture_output=True, timeout=600)
    from storage import open_archive

    with open_archive(db) as archive:
        archive.save_article(_script_article(), fetched_at=datetime(2026, 11, 28, 2, tzinfo=UTC))
    return db


def _script_article() -> dict[str, Any]:
    return {"url": "https://news.example.cn/xss.html", "canonical_url": "https://news.example.cn/xss.html",
            "site": "hlj_people", "title": SCRIPT_TITLE, "pretitle": "", "subtitle": "",
            "body": f"养老 {SCRIPT_TITLE}\n<img src=x onerror=alert(2)>", "published_at": None,
            "source": "<b>来源</b>", "authors": ["<i>记者</i>"], "editors": [], "channel": None, "content_id": "xss",
            "images": [{"url": "javascript:alert(3)", "caption": "<svg onload=alert(4)>"}], "page_urls": []}


@pytest.fixture(scope="session")
def server(demo_db: Path) -> Iterator[str]:
    """`hljnews serve` on a free loopback port; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = demo_db.with_suffix(".log").open("w")
    process = subprocess.Popen([BIN / "hljnews", "serve", "--port", str(port), "--db", str(demo_db)],
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hljnews serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"hljnews serve did not answer within {START_DEADLINE} s")


@pytest.fixture(scope="session")
def driver() -> Iterator[Any]:
    """Headless chromium, 1280 px wide."""
    browser, chromedriver = _program("chromium", "chromium-browser"), _program("chromedriver")
    if browser is None or chromedriver is None:
        _unavailable("no chromium/chromedriver installed (`make e2e-deps` installs Debian's)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (it is in the dev extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(chromedriver))
    chrome.set_page_load_timeout(60)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def shots(request: pytest.FixtureRequest, driver: Any) -> Any:
    """shots("step") saves a screenshot as build/e2e/<test name>/NN-step.png."""
    folder = SHOTS / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = []

    def shot(step: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{step}.png"
        driver.save_screenshot(str(path))
        taken.append(path)
        return path

    return shot
