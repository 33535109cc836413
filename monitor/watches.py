"""Watches between the command line, the config and the archive: one model checks both, one row stores them."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from config import Alerts, LoadedConfig, Watch, mask_target
from storage import Archive, check_query

TEST_LIMIT = 200
OPTION_NAMES = {"name": "NAME", "query": "QUERY", "sites": "--site", "on": "--on", "hot_rank": "--hot-rank",
                "notify": "--notify", "digest": "--digest"}


def watch_spec(values: dict[str, Any], *, sites: Collection[str], settings: Alerts) -> Watch:
    """A watch from `hljnews watch add` options, checked exactly as a [[watches]] entry; ValueError in one line."""
    if values.get("digest") == "daily":
        values = {**values, "digest": f"daily@{settings.digest_time}"}
    given = {key: value for key, value in values.items() if value not in (None, [], ())}
    try:
        return Watch.model_validate(given, context={"builtin_sites": tuple(sites), "check_query": check_query})
    except ValidationError as error:
        detail = error.errors()[0]
        where = OPTION_NAMES.get(str(detail["loc"][0]), "") if detail["loc"] else ""
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] not in ("value_error", "assertion_error") and "input" in detail:
            message += f" (got {detail['input']!r})"
        raise ValueError(f"{where}: {message}" if where else message) from None


def watch_record(watch: Watch) -> dict[str, Any]:
    """The archive's row of a watch (on → triggers, notify → targets)."""
    return {"name": watch.name, "query": watch.query, "sites": list(watch.sites), "triggers": list(watch.on),
            "hot_rank": watch.hot_rank, "targets": list(watch.notify), "digest": watch.digest}


def sync_config_watches(archive: Archive, config: LoadedConfig) -> dict[str, int]:
    """Put the config's [[watches]] into the archive (added, updated, removed)."""
    return archive.sync_watches(watch_record(watch) for watch in config.watches)


def shown_watch(watch: dict[str, Any]) -> dict[str, Any]:
    """A stored watch for display: targets masked, lists as they are."""
    return {**watch, "targets": [mask_target(target) for target in watch["targets"]]}


def would_match(archive: Archive, watch: dict[str, Any], *, days: int, now: datetime) -> list[dict[str, Any]]:
    """The alert rows the watch's new trigger would have made over the last `days` days (newest first)."""
    since = now - timedelta(days=days)
    found: list[dict[str, Any]] = []
    for site in watch["sites"] or [None]:
        found += archive.search(watch["query"], limit=TEST_LIMIT, sort="date", highlight=("", ""), site=site,
                                since=since)["results"]
    found.sort(key=lambda result: (result["published_at"] or now, result["id"]), reverse=True)
    return [_as_alert(watch, result, now) for result in _unique(found)[:TEST_LIMIT]]


def _as_alert(watch: dict[str, Any], result: dict[str, Any], now: datetime) -> dict[str, Any]:
    published = result["published_at"].isoformat() if result["published_at"] else None
    article = {"id": result["id"], "url": result["url"], "title": result["title"], "published_at": published,
               "site": result["site"], "source": result["source"], "snippet": result["snippet"]}
    return {"uid": f"test-{result['id']}", "watch_name": watch["name"], "trigger": "new", "site": result["site"],
            "run_id": None, "created_at": now, "payload": {"article": article, "query": watch["query"]}}


def _unique(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({result["id"]: result for result in results}.values())
