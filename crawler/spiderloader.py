"""Scrapy's spider loader for hljnews: one spider per site key, all of them the one ``SiteSpider`` class.

Listed in settings as SPIDER_LOADER_CLASS, so `scrapy list` shows every built-in and configured site and
`scrapy crawl hlj_people` (or a configured outlet's key) crawls that site.
"""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.settings import BaseSettings

from crawler.sites import SiteRegistry, load_sites
from crawler.spiders.site import SiteSpider

__all__ = ["SiteSpiderLoader", "spider_class"]


def spider_class(site_key: str) -> type[SiteSpider]:
    """A SiteSpider subclass named after the site key (Scrapy identifies a spider by its class's ``name``)."""
    return type(f"{site_key.title().replace('_', '')}Spider", (SiteSpider,),
                {"name": site_key, "site_key": site_key, "__module__": __name__})


class SiteSpiderLoader:
    """Spider classes for the sites of the configuration the settings name (HLJNEWS_CONFIG)."""

    def __init__(self, registry: SiteRegistry) -> None:
        self.registry = registry
        self._classes: dict[str, type[SiteSpider]] = {}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        _, registry = load_sites(settings.get("HLJNEWS_CONFIG"))
        return cls(registry)

    def load(self, spider_name: str) -> type[SiteSpider]:
        if spider_name not in self.registry:
            raise KeyError(f"Spider not found: {spider_name} (sites: {', '.join(self.registry.keys())})")
        if spider_name not in self._classes:
            self._classes[spider_name] = spider_class(spider_name)
        return self._classes[spider_name]

    def list(self) -> list[str]:
        return self.registry.keys()

    def find_by_request(self, request: Request) -> list[str]:
        return [site.key for site in self.registry if site.covers(request.url)]
