"""Crawl health: after each run, small named checks compare the run with its site's own recent good runs.

Checks (spidermon-style monitors, results are data): the coverage of each field among the run's new
articles, the median body length, failed pages and the hot list — judged when the run has enough new
articles and the site a baseline — and, after every run, failed runs in a row and silence (no new article
for several of the site's usual gaps). Each condition keeps the run that started its episode, carried
through runs that cannot judge it, so one episode alerts once (once more if it gets worse).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from config import Alerts
from storage import Archive

FIELDS = ("title", "body", "published_at", "source", "authors")
FIELD_WORDS = {"title": "标题", "body": "正文", "published_at": "发布时间", "source": "来源", "authors": "作者"}
LEVELS = ("ok", "warn", "fail")
FAILED_STATUSES = ("failed", "timeout")
HOT_LIST_USUAL = 0.8  # a site whose baseline runs had a hot list this often is expected to have one
JUDGE_WINDOW = timedelta(days=2)  # runs older than this are not judged late (an old archive's history)

Finding = tuple[str, str]  # (level, message)


@dataclass(frozen=True)
class Judgement:
    """A run's health: overall level, its numbers, every condition's state, and the alerts to raise."""

    run_id: int
    site: str
    level: str
    numbers: dict[str, Any]
    states: dict[str, dict[str, Any]]
    raised: list[tuple[str, dict[str, Any]]]


def judge_run(archive: Archive, run_id: int, settings: Alerts) -> Judgement | None:
    """Judge one closed run against its site's baseline (None for an unknown run)."""
    context = archive.health_context(run_id, baseline_runs=settings.baseline_runs,
                                     min_new_articles=settings.min_new_articles, recent_runs=settings.failed_runs)
    if context is None:
        return None
    run, numbers = context["run"], context["numbers"]
    findings: dict[str, Finding | None] = {}
    if numbers["new_articles"] >= settings.min_new_articles and len(context["baseline"]) >= settings.baseline_min_runs:
        findings.update(article_checks(numbers, context["baseline"], settings))
    findings["failed_runs"] = failed_runs(context["recent_statuses"], settings)
    findings["silence"] = silence(context["productive_runs"], context["last_new_at"],
                                  run["finished_at"] or run["started_at"], settings)
    states = _states(findings, context["previous_states"], run_id)
    level = max((state["level"] for state in states.values()), key=LEVELS.index, default="ok")
    raised = [(f"health:{run['site']}:{condition}:{state['since_run']}:{state['level']}",
               {"condition": condition, "level": state["level"], "message": state["message"]})
              for condition, state in states.items()
              if LEVELS.index(state["level"]) >= LEVELS.index(settings.health_level)]
    return Judgement(run_id, run["site"], level, numbers, states, raised)


def judge_and_record(archive: Archive, run_id: int, settings: Alerts) -> Judgement | None:
    """Judge a run and store the judgement with its alerts (to [alerts] health_notify), in one transaction."""
    judgement = judge_run(archive, run_id, settings)
    if judgement is not None:
        archive.record_health(run_id, judgement.site, judgement.level, judgement.numbers, judgement.states,
                              judgement.raised, settings.health_notify)
    return judgement


def judge_pending_runs(archive: Archive, settings: Alerts, now: datetime | None = None) -> list[Judgement]:
    """Judge every recent closed run not judged yet, oldest first (the daemon's and cron's catch-up)."""
    since = (now or datetime.now(UTC)) - JUDGE_WINDOW
    return [judgement for run_id in archive.unjudged_runs(since)
            if (judgement := judge_and_record(archive, run_id, settings)) is not None]


def article_checks(numbers: dict[str, Any], baseline: list[dict[str, Any]], settings: Alerts
                   ) -> dict[str, Finding | None]:
    """Field coverage, body length, failed pages and hot list of a run with enough new articles."""
    found: dict[str, Finding | None] = {}
    for field in FIELDS:
        usual = statistics.mean(b["coverage"][field] for b in baseline)
        share = numbers["coverage"][field]
        found[f"coverage:{field}"] = _graded(usual - share, settings.coverage_warn, settings.coverage_fail,
                                             f"{FIELD_WORDS[field]}覆盖率 {share:.0%}（基线 {usual:.0%}）")
    usual_body = statistics.median(b["median_body"] for b in baseline)
    ratio = numbers["median_body"] / usual_body if usual_body else 1.0
    found["body_length"] = _graded(-ratio, -settings.body_length_warn, -settings.body_length_fail,
                                   f"正文长度中位数 {numbers['median_body']} 字（基线 {usual_body:.0f} 字）")
    usual_failed = statistics.mean(_failed_share(b) for b in baseline)
    found["failed_pages"] = _graded(_failed_share(numbers) - usual_failed, settings.failed_pages_warn, 2.0,
                                    f"失败页面占 {_failed_share(numbers):.0%}（基线 {usual_failed:.0%}）")
    usual_hot = statistics.mean(1.0 if b["hot_list"] else 0.0 for b in baseline)
    missing = usual_hot >= HOT_LIST_USUAL and not numbers["hot_list"]
    found["hot_list"] = ("fail", f"未采到热门排行（基线 {usual_hot:.0%} 的运行有）") if missing else None
    return found


def failed_runs(statuses: list[str], settings: Alerts) -> Finding | None:
    """The site's last runs (newest first) all failed, as many as [alerts] failed_runs."""
    if len(statuses) >= settings.failed_runs and all(s in FAILED_STATUSES for s in statuses[:settings.failed_runs]):
        return "fail", f"连续 {settings.failed_runs} 次运行失败（{'、'.join(statuses[:settings.failed_runs])}）"
    return None


def silence(productive: list[datetime], last_new_at: datetime | None, now: datetime, settings: Alerts
            ) -> Finding | None:
    """No new article for silence_factor times the usual gap between runs that found new ones."""
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(productive)]
    if last_new_at is None or len(gaps) < settings.baseline_min_runs:
        return None
    usual = statistics.median(gaps)
    quiet = (now - last_new_at).total_seconds()
    if usual > 0 and quiet > settings.silence_factor * usual:
        return "fail", f"{quiet / 3600:.1f} 小时无新文章（通常每 {usual / 3600:.1f} 小时就有）"
    return None


def _graded(amount: float, warn: float, fail: float, message: str) -> Finding | None:
    if amount >= fail:
        return "fail", message
    return ("warn", message) if amount >= warn else None


def _failed_share(numbers: dict[str, Any]) -> float:
    return numbers["failed_pages"] / numbers["pages"] if numbers["pages"] else 0.0


def _states(findings: dict[str, Finding | None], previous: dict[str, Any], run_id: int) -> dict[str, dict[str, Any]]:
    """Conditions after this run: judged ones as found (keeping their episode's first run), others carried."""
    states = {condition: state for condition, state in previous.items() if condition not in findings}
    for condition, finding in findings.items():
        if finding is not None:
            since = previous.get(condition, {}).get("since_run", run_id)
            states[condition] = {"level": finding[0], "message": finding[1], "since_run": since}
    return states
