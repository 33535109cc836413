"""`hljnews extract`: what the parsers make of one saved page, as a JSON-ready dict."""

from __future__ import annotations

from typing import Any

from crawler.generic import extract_article
from crawler.models import Page, ParsedPage
from crawler.sites.registry import SiteRegistry


def extract_page(registry: SiteRegistry, body: bytes, url: str, headers: dict[str, str] | None = None
                 ) -> dict[str, Any]:
    """Parse with the site's own parser, or the generic extractor for a site hljnews has no parser for."""
    page = Page(url, body, headers or {})
    site = registry.for_url(url)
    if site is None:
        return {**extract_article(page).to_dict(), "hot_list": []}
    return _as_json(site.parse_page(page))


def _as_json(parsed: ParsedPage) -> dict[str, Any]:
    data: dict[str, Any] = parsed.article.to_dict() if parsed.article else {"url": parsed.url, "site": parsed.site}
    data["hot_list"] = [{"rank": e.rank, "title": e.title, "url": e.url} for e in parsed.hot_list]
    if parsed.listing is not None:
        data["article_urls"] = parsed.listing.article_urls
        data["next_page_urls"] = parsed.listing.next_page_urls
    return data
