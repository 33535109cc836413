"""What an alert says: a short Chinese-first title and text with the link, and the JSON a webhook receives.

Every message carries the alert's stable `id` (a digest: one derived from the alerts it holds), so a
receiver can drop the one repeat a killed deliverer may cause.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SNIPPET_CHARS = 80
# A message's title is an e-mail's Subject: a crawled title of 105+ Chinese characters made a header line over
# SMTP's ~1,000 bytes, refused by the server at every retry. The JSON payload keeps the whole title.
TITLE_CHARS = 60
TRIGGER_WORDS = {"new": "新文章", "revised": "文章更新", "hot": "热榜", "health": "采集异常"}
SHORT_WORDS = {"new": "新", "revised": "改", "hot": "热", "health": "警"}
FIELD_NAMES = {"title": "标题", "pretitle": "引题", "subtitle": "副题"}
DIGEST_WORDS = {"hourly": "每小时汇总"}


@dataclass(frozen=True)
class Message:
    """One message to send: its title and text (for people) and JSON payload (for webhooks)."""

    id: str
    title: str
    text: str
    payload: dict[str, Any]


def alert_message(alert: dict[str, Any], *, test: bool = False) -> Message:
    """The message of one alert (a ledger or claim row: uid, watch_name, trigger, payload, created_at…)."""
    if alert["trigger"] == "health":
        return _health_message(alert)
    article = alert["payload"].get("article") or {}
    title = f"【{_trigger_word(alert)}】{alert['watch_name']}：{_clip(article.get('title') or '', TITLE_CHARS)}"
    title = ("[测试] " if test else "") + title
    lines = [_byline(article), _clip(article.get("snippet") or ""), *_change_lines(alert["payload"]),
             article.get("url", "")]
    text = "\n".join(line for line in lines if line)
    payload = {**alert_payload(alert), "title": title, "text": text, **({"test": True} if test else {})}
    return Message(alert["uid"], title, text, payload)


def digest_message(watch: str, digest: str, alerts: Sequence[dict[str, Any]]) -> Message:
    """One message for a watch's alerts of one digest slot: a numbered list of titles and links."""
    ids = sorted(alert["uid"] for alert in alerts)
    digest_id = "digest-" + hashlib.sha256(" ".join(ids).encode()).hexdigest()[:32]
    word = DIGEST_WORDS.get(digest, "每日汇总")
    title = f"【{word}】{watch}：{len(alerts)} 条"
    lines = []
    for number, alert in enumerate(alerts, 1):
        article = alert["payload"].get("article") or {}
        headline = _clip(article.get("title") or "", TITLE_CHARS)
        lines += [f"{number}. [{SHORT_WORDS.get(alert['trigger'], '')}] {headline}",
                  f"   {article.get('url', '')}"]
    payload = {"id": digest_id, "type": "digest", "watch": watch, "digest": digest, "count": len(alerts),
               "alerts": [alert_payload(alert) for alert in alerts], "title": title, "text": "\n".join(lines)}
    return Message(digest_id, title, "\n".join(lines), payload)


def alert_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """The webhook JSON of one alert: id, watch, trigger, article (url, title, published_at, site, source,
    snippet), hot_rank, changes (revised), created_at; health alerts: site, condition, level, message."""
    data = alert["payload"]
    common = {"id": alert["uid"], "type": "alert", "trigger": alert["trigger"], "watch": alert["watch_name"],
              "created_at": _iso(alert["created_at"])}
    if alert["trigger"] == "health":
        return {**common, "site": alert["site"], "run_id": alert["run_id"], **data}
    hot = data.get("hot") or {}
    return {**common, "query": data.get("query"), "article": data.get("article"), "hot_rank": hot.get("rank"),
            "changes": data.get("changes")}


def _health_message(alert: dict[str, Any]) -> Message:
    data = alert["payload"]
    title = f"【{TRIGGER_WORDS['health']}】{alert['site']}：{_clip(data.get('message') or '', TITLE_CHARS)}"
    level = "严重" if data.get("level") == "fail" else "注意"
    text = f"级别：{level}（{data.get('level')}）\n运行 {alert['run_id']}；hljnews health 查看详情"
    return Message(alert["uid"], title, text, {**alert_payload(alert), "title": title, "text": text})


def _trigger_word(alert: dict[str, Any]) -> str:
    if alert["trigger"] == "hot":
        rank = (alert["payload"].get("hot") or {}).get("rank")
        return f"热榜第{rank}名" if rank else TRIGGER_WORDS["hot"]
    return TRIGGER_WORDS.get(alert["trigger"], alert["trigger"])


def _byline(article: dict[str, Any]) -> str:
    when = article.get("published_at")
    stamp = datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M") if when else ""
    return " · ".join(part for part in (article.get("source") or article.get("site"), stamp) if part)


def _change_lines(payload: dict[str, Any]) -> list[str]:
    changes = payload.get("changes")
    if not changes:
        return []
    parts = [f"{FIELD_NAMES[key]}由「{_clip(changes[key]['old'], 30)}」改为「{_clip(changes[key]['new'], 30)}」"
             for key in FIELD_NAMES if key in changes]
    added, removed = changes.get("paragraphs_added", 0), changes.get("paragraphs_removed", 0)
    if added or removed:
        parts.append(f"正文 +{added} 段 −{removed} 段")
    return [f"改动（第 {changes.get('revision')} 版）：" + "；".join(parts or ["正文"])]


def _clip(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value
