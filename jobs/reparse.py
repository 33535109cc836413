"""`hljnews reparse`: run today's parsers over the raw pages kept in the archive."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from crawler.models import Article, Page
from crawler.sites.registry import SiteRegistry
from storage import Archive


def reparse_archive(archive: Archive, registry: SiteRegistry, site: str | None = None) -> Counter[str]:
    """Re-parse every stored article from its raw pages; changed ones get a new revision."""
    outcomes: Counter[str] = Counter()
    for stored in list(archive.iter_articles(site)):
        pages = [archive.raw_page(url) for url in [stored["url"], *stored.get("page_urls", [])]]
        # Without the raw bytes of every page there is nothing to re-parse from.
        known = stored["site"] in registry
        article = _reparsed(registry, stored["site"], pages) if known and all(pages) else None
        if article is None:
            outcomes["skipped"] += 1
            continue
        outcomes[archive.save_article(asdict(article), fetched_at=pages[0]["fetched_at"])] += 1
    return outcomes


def _reparsed(registry: SiteRegistry, site_key: str, pages: list[dict[str, Any]]) -> Article | None:
    site = registry.get(site_key)
    articles = [site.parse_page(_page(raw)).article for raw in pages]
    if articles[0] is None:
        return None
    rest = [a for a in articles[1:] if a is not None]
    return site.merge_pages(articles[0], rest) if rest else articles[0]


def _page(raw: dict[str, Any]) -> Page:
    return Page(raw["url"], raw["body"], raw.get("headers") or {}, raw["fetched_at"])
