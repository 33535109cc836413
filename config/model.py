"""The configuration file's shape, declared once: every table, type, range and cross-check (pydantic).

Models are strict (``"5"`` is not a number, ``5`` is not a cron string) and refuse unknown keys, so a
typo is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from lxml import html
from parsel import Selector
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from config.monitoring import Alerts, Watch

__all__ = ["KINDS", "SELECTOR_FIELDS", "Config", "Job", "Outlet", "ScheduledJob", "Scheduler", "SiteSchedule",
           "check_queue_url"]

KINDS = ("full", "hot", "recent")
SELECTOR_FIELDS = ("title", "body", "published_at", "source", "authors")
RESERVED_KEYS = frozenset({"outlet"})
MAX_INTERVAL_SECONDS = 366 * 86400  # a job firing less than yearly is a mistake, and 1e300 overflows timers
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_EMPTY_DOCUMENT = html.fromstring("<html><body></body></html>")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Job(_Table):
    """One kind of crawl of one site: a cron expression or an interval, and recent mode's age limit."""

    cron: str | None = None
    interval_minutes: float | None = Field(None, gt=0, le=MAX_INTERVAL_SECONDS / 60)
    interval_seconds: float | None = Field(None, gt=0, le=MAX_INTERVAL_SECONDS)
    days: int = Field(7, ge=1, le=3650)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            trigger = CronTrigger.from_crontab(value, timezone="UTC")  # its ValueError names the bad field
            # "0 0 31 2 *" parses, yet no day matches it: a job that would never run is a mistake, not a schedule.
            if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
                raise ValueError(f"{value!r} never fires: no date matches it")
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> Job:
        given = [name for name in ("cron", "interval_minutes", "interval_seconds") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of cron, interval_minutes or interval_seconds")
        return self

    @property
    def seconds(self) -> float | None:
        """The interval in seconds, None for a cron job."""
        if self.interval_minutes is not None:
            return self.interval_minutes * 60
        return self.interval_seconds

    def trigger(self, timezone: str) -> BaseTrigger:
        """The APScheduler trigger firing this job in ``timezone``."""
        if self.cron is not None:
            return CronTrigger.from_crontab(self.cron, timezone=timezone)
        return IntervalTrigger(seconds=self.seconds, timezone=timezone)

    def describe(self) -> str:
        return self.cron if self.cron is not None else f"every {self.seconds:g} s"


class _RobotsPolicy(_Table):
    """Whether a site's crawl obeys its robots.txt; turning that off must say why (kept in the config)."""

    obey_robots: bool = True
    robots_reason: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _reason_given(self) -> _RobotsPolicy:
        if not self.obey_robots and not (self.robots_reason or "").strip():
            raise ValueError("obey_robots = false needs robots_reason: why this site's robots.txt is not obeyed")
        return self


class SiteSchedule(_RobotsPolicy):
    """A [[sites]] entry: when one site's full, hot and recent crawls run (and whether they obey robots.txt)."""

    key: str
    full: Job | None = None
    hot: Job | None = None
    recent: Job | None = None

    @field_validator("key")
    @classmethod
    def _known(cls, key: str, info: ValidationInfo) -> str:
        if info.context is None:  # built in code, not read from a file: nothing to check the key against
            return key
        known = {*info.context.get("builtin_sites", ()), *info.context.get("outlet_keys", ())}
        if key not in known:
            raise ValueError(f"unknown site {key!r} (known: {', '.join(sorted(known))})")
        return key

    def jobs(self) -> list[tuple[str, Job]]:
        """(kind, job) for each kind this site schedules."""
        return [(kind, job) for kind in KINDS if (job := getattr(self, kind)) is not None]


@dataclass(frozen=True)
class ScheduledJob:
    """One job of the daemon: a kind of crawl of a site, on its schedule."""

    site: str
    kind: str
    job: Job

    @property
    def id(self) -> str:
        return f"{self.site}:{self.kind}"

    @property
    def days(self) -> int:
        return self.job.days

    def trigger(self, timezone: str) -> BaseTrigger:
        return self.job.trigger(timezone)


class Scheduler(_Table):
    """The [scheduler] table: the daemon's settings."""

    timezone: str = "Asia/Shanghai"
    misfire_grace_seconds: int = Field(600, ge=0, le=7 * 86400)
    coalesce: bool = True
    crawl_timeout_seconds: float = Field(1800, gt=0, le=7 * 86400)
    shutdown_grace_seconds: float = Field(30, ge=0, le=3600)
    log_file: str = Field("data/logs/hljnews.log", min_length=1)
    first_full_crawl_at_start: bool = True
    crawl_command: list[str] = []  # the command a crawl child runs; tests put a stand-in crawler here
    # The fleet's broker (redis://host:6379/0, amqp://…): `hljnews run` queues crawl jobs there instead of
    # running them, and `hljnews worker` takes them. --queue on the command line overrides it.
    queue: str | None = Field(None, min_length=1)

    @field_validator("queue")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value is not None:
            check_queue_url(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, LookupError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value


class Outlet(_RobotsPolicy):
    """An [[outlets]] table: a site crawled by configuration alone (patterns and optional selectors)."""

    key: str
    name: str | None = None
    start_urls: list[str] = Field(min_length=1)
    article_url_pattern: str
    list_url_pattern: str | None = None
    allowed_domains: list[str] | None = Field(None, min_length=1)
    max_list_pages: int | None = Field(None, ge=1, le=1000)
    selectors: dict[str, str] = {}
    # An intranet or a local test site: its hosts may be (or resolve to) loopback and private addresses.
    allow_private_addresses: bool = False
    # A list page and an article page of the outlet, for `hljnews check` (its contracts) against saved pages.
    sample_urls: list[str] | None = Field(None, min_length=2, max_length=2)

    @field_validator("key")
    @classmethod
    def _new_key(cls, key: str, info: ValidationInfo) -> str:
        if not _KEY.match(key):
            raise ValueError(f"{key!r} is not a site key (lower-case letters, digits, _)")
        if key in (info.context or {}).get("builtin_sites", ()) or key in RESERVED_KEYS:
            raise ValueError(f"{key!r} is already a built-in site or spider")
        return key

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
                raise ValueError(f"{url!r} is not an http(s) URL")
        return urls

    @field_validator("article_url_pattern", "list_url_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            if not value:
                raise ValueError("expected a regular expression matched against absolute URLs")
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"bad regular expression ({error})") from None
        return value

    @field_validator("selectors")
    @classmethod
    def _selectors(cls, selectors: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(selectors) - set(SELECTOR_FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(SELECTOR_FIELDS)})")
        for field, query in selectors.items():
            _check_selector(field, query)
        return selectors

    @property
    def start_hosts(self) -> list[str]:
        return list(dict.fromkeys((urlsplit(url).hostname or "").lower() for url in self.start_urls))

    @property
    def domains(self) -> tuple[str, ...]:
        """allowed_domains, else the hosts of the start URLs (the site checks that they cover the start URLs)."""
        if self.allowed_domains:
            return tuple(domain.strip().lower() for domain in self.allowed_domains)
        return tuple(self.start_hosts)

    @cached_property
    def article_regex(self) -> re.Pattern[str]:
        return re.compile(self.article_url_pattern)

    @cached_property
    def list_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.list_url_pattern) if self.list_url_pattern is not None else None


class Config(_Table):
    """The whole file. ``sites`` None means the file schedules nothing of its own (the defaults apply)."""

    scheduler: Scheduler = Scheduler()
    outlets: list[Outlet] = []
    sites: list[SiteSchedule] | None = None
    watches: list[Watch] = []
    alerts: Alerts = Alerts()

    @property
    def jobs(self) -> tuple[ScheduledJob, ...]:
        """Every scheduled job, site by site."""
        return tuple(ScheduledJob(site.key, kind, job) for site in self.sites or [] for kind, job in site.jobs())

    @field_validator("outlets")
    @classmethod
    def _outlets_once(cls, outlets: list[Outlet]) -> list[Outlet]:
        twice = _repeated(outlet.key for outlet in outlets)
        if twice:
            raise ValueError(f"key(s) {', '.join(twice)} defined twice")
        return outlets

    @field_validator("sites")
    @classmethod
    def _sites_once(cls, sites: list[SiteSchedule] | None) -> list[SiteSchedule] | None:
        twice = _repeated(site.key for site in sites or [])
        if twice:
            raise ValueError(f"site(s) {', '.join(twice)} scheduled twice: one [[sites]] entry per site")
        return sites

    @field_validator("watches")
    @classmethod
    def _watches_once(cls, watches: list[Watch]) -> list[Watch]:
        twice = _repeated(watch.name for watch in watches)
        if twice:
            raise ValueError(f"watch(es) {', '.join(twice)} defined twice: one [[watches]] entry per name")
        return watches


QUEUE_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")


def check_queue_url(url: str) -> str:
    """A broker URL Celery can use (Redis or RabbitMQ), else ValueError naming the schemes it takes."""
    scheme = urlsplit(url).scheme
    if scheme not in QUEUE_SCHEMES or not urlsplit(url).hostname:
        raise ValueError(f"{url!r} is not a queue URL: expected redis://host:6379/0 or amqp://user@host// "
                         f"(schemes: {', '.join(QUEUE_SCHEMES)})")
    return url


def _check_selector(field: str, query: str) -> None:
    if not query.strip():
        raise ValueError(f"{field}: expected a CSS or XPath selector")
    selector = Selector(root=_EMPTY_DOCUMENT, type="html")
    try:
        selector.xpath(query) if query.lstrip().startswith(("/", "(")) else selector.css(query)
    except Exception as error:  # parsel raises cssselect's and lxml's own error types, not one base class
        raise ValueError(f"{field}: not a valid CSS selector or XPath (XPath starts with / or '('): {error}") from None


def _repeated(values: Any) -> list[str]:
    seen: set[str] = set()
    return list(dict.fromkeys(value for value in values if value in seen or seen.add(value)))
