"""Every outlet configured in [[outlets]]: `scrapy crawl outlet -a site=KEY`."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import SETTINGS_PRIORITIES

from crawler.outlets import configured_outlets
from crawler.spiders.base import SiteSpider


class OutletSpider(SiteSpider):
    """The shared routing for one configured outlet; named after the outlet's key once created."""

    name = "outlet"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> OutletSpider:
        # The spider is built before it can read settings, so the config the settings name is passed in.
        return super().from_crawler(crawler, *args, config=crawler.settings.get("HLJNEWS_CONFIG"), **kwargs)

    def __init__(self, *args: Any, site: str | None = None, config: str | None = None, **kwargs: Any) -> None:
        outlets = configured_outlets(config)  # also makes this config's outlets the ones get_site finds first
        if not site or site not in outlets:
            known = ", ".join(outlets) or "none configured"
            raise ValueError(f"name a configured outlet with -a site=KEY; known: {known}")
        self.site_key = site
        self.outlet = outlets[site]
        super().__init__(*args, name=site, **kwargs)  # run records name the outlet, not "outlet"

    @property
    def max_list_pages(self) -> int:
        """`-a max_list_pages`, else HLJNEWS_MAX_LIST_PAGES set for this run, else the outlet's, else the default."""
        if self._max_list_pages_arg:
            return int(self._max_list_pages_arg)
        overridden = (self.settings.getpriority("HLJNEWS_MAX_LIST_PAGES") or 0) > SETTINGS_PRIORITIES["project"]
        if self.outlet.max_list_pages and not overridden:
            return self.outlet.max_list_pages
        return self.settings.getint("HLJNEWS_MAX_LIST_PAGES")
