"""The daemon's TOML configuration: scheduler settings and, per site, its three kinds of job."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

KINDS = ("full", "hot", "recent")
DEFAULT_CONFIG = Path(str(files("jobs") / "default_config.toml"))


class ConfigError(ValueError):
    """The configuration file is missing, malformed or names something unknown."""


@dataclass(frozen=True)
class JobSpec:
    site: str
    kind: str
    cron: str | None = None
    interval_seconds: float | None = None
    days: int = 7

    @property
    def id(self) -> str:
        return f"{self.site}:{self.kind}"

    def trigger(self, timezone: str) -> BaseTrigger:
        if self.cron:
            return CronTrigger.from_crontab(self.cron, timezone=timezone)
        return IntervalTrigger(seconds=self.interval_seconds, timezone=timezone)


@dataclass(frozen=True)
class SchedulerConfig:
    timezone: str = "Asia/Shanghai"
    misfire_grace_seconds: int = 600
    coalesce: bool = True
    crawl_timeout_seconds: float = 1800
    shutdown_grace_seconds: float = 30
    log_file: str = "data/logs/hljnews.log"
    # A full-crawl job the daemon has never run before fires at start instead of waiting for its schedule.
    first_full_crawl_at_start: bool = True
    # The command a crawl child runs, before its arguments; tests put a stand-in crawler here.
    crawl_command: tuple[str, ...] = ()
    jobs: tuple[JobSpec, ...] = field(default_factory=tuple)
    path: Path = DEFAULT_CONFIG


def load_config(path: Path | None = None) -> SchedulerConfig:
    """Read and check a config file (the bundled default when ``path`` is None)."""
    path = path or DEFAULT_CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config {path} is not valid TOML: {error}") from None
    settings = dict(data.get("scheduler", {}))
    unknown = set(settings) - set(SchedulerConfig.__dataclass_fields__) - {"jobs", "path"}
    if unknown:
        raise ConfigError(f"config {path}: unknown [scheduler] setting(s) {', '.join(sorted(unknown))}")
    settings["crawl_command"] = tuple(settings.get("crawl_command", ()))
    jobs = tuple(spec for site in data.get("sites", []) for spec in _site_jobs(site, path))
    return SchedulerConfig(**settings, jobs=jobs, path=path)


def _site_jobs(site: dict[str, Any], path: Path) -> list[JobSpec]:
    key = site.get("key")
    if not key:
        raise ConfigError(f"config {path}: a [[sites]] entry has no key")
    specs = []
    for kind in KINDS:
        if kind in site:
            specs.append(_job_spec(key, kind, site[kind], path))
    unknown = set(site) - {"key", *KINDS}
    if unknown:
        raise ConfigError(f"config {path}: site {key}: unknown job kind(s) {', '.join(sorted(unknown))}")
    return specs


def _job_spec(site: str, kind: str, table: dict[str, Any], path: Path) -> JobSpec:
    where = f"config {path}: site {site}, {kind}"
    seconds = table.get("interval_seconds") or (table.get("interval_minutes") or 0) * 60 or None
    if bool(table.get("cron")) == bool(seconds):
        raise ConfigError(f"{where}: give either cron or interval_minutes/interval_seconds")
    spec = JobSpec(site, kind, cron=table.get("cron"), interval_seconds=seconds, days=int(table.get("days", 7)))
    try:
        spec.trigger("UTC")
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    return spec
