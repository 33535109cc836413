"""What spiders hand to the archive pipeline (and feed exports): articles, hot lists, failed pages.

The raw page bytes are not items: the spider sends them with the ``raw_page_fetched`` signal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from crawler.models import Article, HotEntry
from storage import PackedBody


@dataclass
class RawPage:
    """A fetched page's bytes, kept in the archive for re-parsing."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int
    fetched_at: datetime
    packed: PackedBody | None = None  # the body hashed and compressed already (by the parse process)


@dataclass
class ArticleItem:
    article: Article
    fetched_at: datetime | None
    aliases: list[str] = field(default_factory=list)  # URLs that redirected here, so they are not fetched again


@dataclass
class HotListItem:
    site: str
    page_url: str
    captured_at: datetime
    entries: list[HotEntry]


@dataclass
class FailedPageItem:
    url: str
    error: str
    status: int | None = None  # the HTTP status when the server answered at all
    blocked: bool = False  # robots.txt forbade it: counted apart, not a failure of the crawl


def article_fields(article: Article) -> dict[str, Any]:
    """dataclasses.asdict(article) in a third of its time: its nested dataclasses are one level deep."""
    fields = {name: list(value) if isinstance(value, list) else value for name, value in vars(article).items()}
    fields["channel"] = {"id": article.channel.id, "name": article.channel.name} if article.channel else None
    fields["images"] = [asdict(image) for image in article.images]
    return fields
