"""The monitoring tables of the configuration: [[watches]] (standing searches) and [alerts] (delivery, health).

A watch built by `hljnews watch add` is checked by the same model, so the command line and the file accept
exactly the same watches. The query is checked by the search language itself, handed in by the loader
(``check_query`` in the validation context), because config imports nothing of the project.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from config.targets import check_target

__all__ = ["TRIGGERS", "Alerts", "Watch", "check_digest", "check_watch_name"]

TRIGGERS = ("new", "revised", "hot")
_NAME = re.compile(r"^[\w.-]{1,64}$")  # \w takes Chinese letters too: a watch may be named 养老
_DIGEST = re.compile(r"^(hourly|daily@([01]\d|2[0-3]):[0-5]\d)$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def check_watch_name(name: str) -> str:
    """name, or ValueError: letters (Chinese too), digits, _ . - and at most 64 of them."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a watch name (letters, digits, _ . -; at most 64 characters)")
    return name


def check_digest(value: str) -> str:
    """"hourly" or "daily@HH:MM" (Shanghai time), or ValueError."""
    if not _DIGEST.match(value):
        raise ValueError(f"{value!r} is not a digest schedule (hourly, or daily@HH:MM such as daily@08:00)")
    return value


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Watch(_Table):
    """A [[watches]] entry: a standing `hljnews search` query, what triggers it, and where alerts go."""

    name: str
    query: str = Field(min_length=1)
    sites: list[str] = []
    on: list[Literal["new", "revised", "hot"]] = Field(["new"], min_length=1)
    hot_rank: int | None = Field(None, ge=1, le=1000)
    notify: list[str] = []
    digest: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return check_watch_name(name)

    @field_validator("query")
    @classmethod
    def _query(cls, query: str, info: ValidationInfo) -> str:
        # Kept as written in the archive, where PostgreSQL refuses a NUL; no text to find holds a control character.
        if any((ord(ch) < 32 and ch not in "\t\n\r") or 127 <= ord(ch) < 160 for ch in query):
            raise ValueError(f"the query {query!r} holds a control character")
        check = (info.context or {}).get("check_query")
        if check is not None:
            try:
                check(query)
            except Exception as error:  # the search language's own error type is storage's: keep its words
                raise ValueError(str(error)) from None
        return query

    @field_validator("sites")
    @classmethod
    def _known_sites(cls, sites: list[str], info: ValidationInfo) -> list[str]:
        if info.context is None:
            return sites
        known = {*info.context.get("builtin_sites", ()), *info.context.get("outlet_keys", ())}
        unknown = [site for site in sites if site not in known]
        if unknown:
            raise ValueError(f"unknown site {', '.join(map(repr, unknown))} (known: {', '.join(sorted(known))})")
        return list(dict.fromkeys(sites))

    @field_validator("on")
    @classmethod
    def _once_each(cls, on: list[str]) -> list[str]:
        return list(dict.fromkeys(on))

    @field_validator("notify")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        return list(dict.fromkeys(check_target(target) for target in targets))

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        return None if value is None else check_digest(value)

    @model_validator(mode="after")
    def _hot_rank_needs_hot(self) -> Watch:
        if self.hot_rank is not None and "hot" not in self.on:
            raise ValueError("hot_rank applies to the hot trigger: add hot to on")
        return self


class Alerts(_Table):
    """The [alerts] table: crawl-health thresholds and targets, digest default, delivery retries."""

    health_notify: list[str] = []
    health_level: Literal["warn", "fail"] = "fail"  # the level that raises a health alert
    baseline_runs: int = Field(10, ge=1, le=1000)  # a site's recent good runs its health is compared with
    baseline_min_runs: int = Field(3, ge=1, le=1000)  # fewer good runs than this: no comparison yet
    min_new_articles: int = Field(3, ge=1, le=100_000)  # a run with fewer new articles is not judged on them
    coverage_warn: float = Field(0.2, gt=0, le=1)  # a field's share falling this much below baseline warns
    coverage_fail: float = Field(0.5, gt=0, le=1)
    body_length_warn: float = Field(0.75, gt=0, lt=1)  # median body length below this share of baseline
    body_length_fail: float = Field(0.5, gt=0, lt=1)
    failed_pages_warn: float = Field(0.3, gt=0, le=1)  # failed-page share this much above baseline warns
    failed_runs: int = Field(3, ge=1, le=1000)  # this many failed runs in a row fail
    silence_factor: float = Field(3.0, gt=1, le=1000)  # no new article for this many usual gaps fails
    digest_time: str = "08:00"  # the time of `--digest daily` without one (Shanghai time)
    retry_first_seconds: float = Field(30, gt=0, le=86400)  # first retry of a failed delivery; doubles
    retry_max_seconds: float = Field(3600, gt=0, le=7 * 86400)
    deliver_interval_seconds: float = Field(5, gt=0, le=3600)  # how often the daemon looks for due alerts

    @field_validator("health_notify")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        return list(dict.fromkeys(check_target(target) for target in targets))

    @field_validator("digest_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day HH:MM (such as 08:00)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Alerts:
        if self.coverage_warn > self.coverage_fail:
            raise ValueError("coverage_warn must not exceed coverage_fail")
        if self.body_length_fail > self.body_length_warn:
            raise ValueError("body_length_fail must not exceed body_length_warn")
        if self.retry_first_seconds > self.retry_max_seconds:
            raise ValueError("retry_first_seconds must not exceed retry_max_seconds")
        if self.baseline_min_runs > self.baseline_runs:
            raise ValueError("baseline_min_runs must not exceed baseline_runs")
        return self
