"""Each watch's Atom feed (feedgen), so a feed reader can subscribe without any push service."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator

from monitor.messages import alert_message

FEED_ENTRIES = 50
HOME = "https://github.com/hljnews/hljnews"  # the generator's link; a watch has no web page of its own
# Characters XML 1.0 cannot carry: one in a title (the crawler strips them, a direct archive write may not) made
# feedgen refuse the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def watch_feed(watch: dict[str, Any], alerts: list[dict[str, Any]], *, now: datetime) -> bytes:
    """Atom XML (UTF-8) of a watch's alerts, newest first: one entry per alert, linking to the article."""
    feed = FeedGenerator()
    feed.id(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'hljnews:watch:' + watch['name'])}")
    feed.title(_xml(f"hljnews 监测：{watch['name']}"))
    feed.subtitle(_xml(f"查询：{watch['query']}"))
    feed.author({"name": "hljnews"})
    feed.link(href=HOME, rel="related")
    feed.generator("hljnews", uri=HOME)
    feed.language("zh-CN")
    feed.updated(alerts[0]["created_at"] if alerts else now)
    for alert in reversed(alerts):  # feedgen prepends: add oldest first so the newest comes first
        _add_entry(feed, alert)
    return feed.atom_str(pretty=True)


def _add_entry(feed: FeedGenerator, alert: dict[str, Any]) -> None:
    message = alert_message(alert)
    article = alert["payload"].get("article") or {}
    entry = feed.add_entry()
    entry.id(f"urn:uuid:{uuid.UUID(hex=alert['uid'])}")
    entry.title(_xml(message.title))
    if article.get("url"):
        entry.link(href=_xml(article["url"]), rel="alternate")
    entry.updated(alert["created_at"])
    if article.get("published_at"):
        entry.published(article["published_at"])
    entry.summary(_xml(message.text))
    entry.author({"name": _xml(article.get("source") or article.get("site") or "hljnews")})
    entry.category(term=alert["trigger"])


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
