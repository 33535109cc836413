"""Scrapy's spider loader for hljnews: one spider per site key, all of them the one ``SiteSpider`` class.

Listed in settings as SPIDER_LOADER_CLASS, so `scrapy list` shows every built-in and configured site and
`scrapy crawl hlj_people` (or a configured outlet's key) crawls that site.
"""

from __future__ import annotations

import functools
from typing import Any, Self

from scrapy import Request
from scrapy.settings import BaseSettings

from crawler.sites.registry import SiteRegistry, load_sites
from crawler.spiders.site import SiteSpider

__all__ = ["SiteSpiderLoader", "spider_class"]


def spider_class(site_key: str, sample_urls: tuple[str, str] | None = None) -> type[SiteSpider]:
    """A SiteSpider subclass named after the site key (Scrapy identifies a spider by its class's ``name``).

    With the site's sample URLs its callbacks carry Scrapy contracts (checked by `scrapy check`).
    """
    namespace: dict[str, object] = {"name": site_key, "site_key": site_key, "__module__": __name__}
    if sample_urls is not None:
        namespace.update(_contracted_callbacks(*sample_urls))
    return type(f"{site_key.title().replace('_', '')}Spider", (SiteSpider,), namespace)


def _contracted_callbacks(list_url: str, article_url: str) -> dict[str, object]:
    """The routing callbacks again, their docstrings ending with the contracts for this site's sample pages."""
    contracts = {
        "parse": f"@url {article_url}\n@returns items 1\n@article title body",
        "parse_list": f"@url {list_url}\n@cb_kwargs {{\"channel\": \"{list_url}\"}}\n"
                      "@returns requests 1",
        "parse_article": f"@url {article_url}\n@returns requests 0 0\n@article title body published_at source",
    }
    return {name: _with_contracts(getattr(SiteSpider, name), text) for name, text in contracts.items()}


def _with_contracts(callback: Any, contracts: str) -> Any:
    @functools.wraps(callback)
    def contracted(self: SiteSpider, response: Any, **kwargs: Any) -> Any:
        return callback(self, response, **kwargs)

    contracted.__doc__ = f"{callback.__doc__ or ''}\n\n{contracts}\n"
    return contracted


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
            self._classes[spider_name] = spider_class(spider_name, self.registry.get(spider_name).sample_urls)
        return self._classes[spider_name]

    def list(self) -> list[str]:
        return self.registry.keys()

    def find_by_request(self, request: Request) -> list[str]:
        return [site.key for site in self.registry if site.covers(request.url)]
