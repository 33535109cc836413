"""Plain dataclasses that parsers return; no Scrapy, no clock, no network."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Page:
    """One fetched page exactly as the server sent it."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased header names
    fetched_at: datetime | None = None  # timezone-aware; parsers use it only for relative dates


@dataclass(frozen=True)
class Image:
    url: str
    caption: str = ""


@dataclass(frozen=True)
class Channel:
    id: str
    name: str = ""


@dataclass(frozen=True)
class HotEntry:
    rank: int
    title: str
    url: str


@dataclass
class Article:
    url: str
    canonical_url: str
    site: str
    title: str
    body: str  # paragraphs joined by "\n"
    published_at: datetime | None = None
    pretitle: str = ""
    subtitle: str = ""
    source: str = ""
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    channel: Channel | None = None
    content_id: str = ""
    images: list[Image] = field(default_factory=list)
    page_urls: list[str] = field(default_factory=list)  # absolute URLs of pages 2..N of a multi-page article
    extractor: str = "site"  # "site": the site's own parser; "generic": the generic extractor read the page

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: datetimes as ISO 8601 strings."""
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data


@dataclass
class ListPage:
    """What a channel list page links to."""

    url: str
    article_urls: list[str] = field(default_factory=list)
    next_page_urls: list[str] = field(default_factory=list)


@dataclass
class ParsedPage:
    """Everything one page yields: an article (if it is one), its hot list and its links."""

    url: str
    site: str
    article: Article | None = None
    hot_list: list[HotEntry] = field(default_factory=list)
    listing: ListPage | None = None
