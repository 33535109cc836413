"""What spiders hand to the archive pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.models import Article, HotEntry


@dataclass
class RawPage:
    url: str
    body: bytes
    headers: dict[str, str]
    status: int
    fetched_at: datetime


@dataclass
class ArticleItem:
    article: Article
    fetched_at: datetime | None
    raw_pages: list[RawPage] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # URLs that redirected here, so they are not fetched again


@dataclass
class HotListItem:
    site: str
    page_url: str
    captured_at: datetime
    entries: list[HotEntry]


@dataclass
class RawPageItem:
    """A page kept for re-parsing that is not itself an article (a channel list)."""

    page: RawPage


@dataclass
class FailedPageItem:
    url: str
    error: str
    status: int | None = None  # the HTTP status when the server answered at all
