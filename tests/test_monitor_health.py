"""Crawl health: a changed template raises an alarm (a normal crawl does not); failed runs and silence too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from config import Alerts
from monitor import judge_and_record
from storage import Archive, open_archive
from tests.support.archive_writer import sample_article
from tests.support.mirror_variants import renamed_mirror
from tests.support.receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def crawl(root: Path, db: Path, config: Path) -> None:
    """Crawl a mirror folder (hlj_people) in a fresh process; the crawl judges its run with `config`."""
    command = [sys.executable, "-m", "tests.support.crawl_mirror", str(root), str(db), "{}", "{}", "0"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "HLJNEWS_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr[-3000:]


def hljnews(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_a_changed_template_raises_a_health_alarm_and_a_normal_crawl_does_not(tmp_path: Path) -> None:
    from mirror import BUNDLED_PAGES

    db, config = tmp_path / "h.sqlite3", tmp_path / "hljnews.toml"
    with Receiver() as receiver:
        config.write_text(f'[alerts]\nbaseline_min_runs = 1\nhealth_notify = ["{receiver.url}"]\n', encoding="utf-8")
        crawl(BUNDLED_PAGES, db, config)  # the baseline
        crawl(renamed_mirror(tmp_path / "normal", "5"), db, config)  # new articles, same template
        with open_archive(str(db)) as archive:
            assert archive.alert_ledger() == []
            assert {row["site"]: row["level"] for row in archive.site_health()} == {"hlj_people": "ok"}
        crawl(renamed_mirror(tmp_path / "changed", "9", without_datelines=True), db, config)
        delivered = hljnews("alerts", "deliver", "--db", str(db), "--config", str(config))
        assert delivered.returncode == 0, delivered.stderr
    [post] = receiver.posts
    assert (post["trigger"], post["site"], post["condition"], post["level"]) == (
        "health", "hlj_people", "coverage:published_at", "fail")
    assert "发布时间覆盖率 0%（基线 100%）" in post["title"]
    shown = json.loads(hljnews("health", "--db", str(db), "--config", str(config), "--format", "json").stdout)
    [site] = [row for row in shown if row["site"] == "hlj_people"]
    assert site["status"] == "fail" and site["coverage"]["published_at"] == {"now": 0.0, "baseline": 1.0}
    assert site["last_new_at"] and site["last_good_run_at"]
    table = hljnews("health", "--db", str(db), "--config", str(config)).stdout
    assert "fail" in table and "发布时间覆盖率" in table


def _run(archive: Archive, status: str, at: datetime, new: int = 0, **article: object) -> int:
    run_id = archive.start_run("s", "killer_site", started_at=at)
    for i in range(new):
        archive.save_article(sample_article(int(at.timestamp()) + i, **article), fetched_at=at, run_id=run_id)
    archive.finish_run(run_id, status, finished_at=at + timedelta(minutes=5))
    return run_id


def test_three_failed_runs_in_a_row_fail_once_per_episode(archive: Archive) -> None:
    settings = Alerts(health_notify=["https://ops.example.cn/hook"])
    levels, times = [], [T0 + timedelta(hours=h) for h in range(7)]
    for at, status in zip(times, ["ok", "failed", "failed", "failed", "timeout", "ok", "failed"], strict=True):
        judgement = judge_and_record(archive, _run(archive, status, at, new=3 if status == "ok" else 0), settings)
        levels.append(judgement.level)
    assert levels == ["ok", "ok", "ok", "fail", "fail", "ok", "ok"]
    [site] = archive.site_health()
    assert (site["level"], site["numbers"]["new_articles"], site["last_good_run_at"]) == (
        "ok", 3, times[5] + timedelta(minutes=5))
    [alert] = archive.alert_ledger()
    assert alert["trigger"] == "health" and "连续 3 次运行失败" in alert["payload"]["message"]
    assert alert["target"] == "https://ops.example.cn/hook"


def test_silence_and_shrunken_bodies_are_noticed(archive: Archive) -> None:
    settings = Alerts(baseline_min_runs=3, health_level="warn")
    for hour in range(0, 8, 2):  # a new article every two hours, bodies of 400 characters
        judge_and_record(archive, _run(archive, "ok", T0 + timedelta(hours=hour), new=3, body="养" * 400), settings)
    short = judge_and_record(archive, _run(archive, "ok", T0 + timedelta(hours=8), new=3, body="养" * 150), settings)
    assert short.states["body_length"]["level"] == "fail"
    quiet = judge_and_record(archive, _run(archive, "ok", T0 + timedelta(hours=16)), settings)
    assert quiet.states["silence"]["level"] == "fail" and "无新文章" in quiet.states["silence"]["message"]
    assert quiet.states["body_length"] == short.states["body_length"]  # carried: this run could not judge it
    events = sorted(row["payload"]["condition"] for row in archive.alert_ledger())
    assert events == ["body_length", "silence"]
