"""The one spider: crawls the site its key names, channel lists -> articles (+ their following pages) -> items.

``scrapy crawl hlj_people`` works because ``crawler.spiderloader`` names a subclass of ``SiteSpider`` after
every site key (built-in or configured); the spider only routes, the site's ``parse_page`` reads the pages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from crawler.errors import ParseError
from crawler.items import ArticleItem, FailedPageItem, HotListItem
from crawler.models import Article, HotEntry, Page, ParsedPage
from crawler.parse_pool import PARSE_FAILED, PARSED_ELSEWHERE
from crawler.redirects import REDIRECT_STATUSES, next_hop
from crawler.resolver import allow_private_addresses
from crawler.responses import describe_failure, page_from_response, raw_page_from
from crawler.signals import crawl_started, hot_list_lost, raw_page_fetched
from crawler.sites import Site
from crawler.sites.registry import load_sites
from storage import open_archive

MODES = ("full", "hot", "recent")
REDIRECTED_FROM = "hljnews_redirected_from"  # meta key: the URLs that redirected to this request
# Redirects are followed by the spider (crawler/redirects.py), not by Scrapy's middleware: every hop is checked
# against the site, and a loop is reported rather than dropped in silence by the duplicate filter.
_OWN_REDIRECTS = {"dont_redirect": True, "handle_httpstatus_list": sorted(REDIRECT_STATUSES)}
# Every article page of a site repeats its hot list, and the archive keeps one snapshot per change in a run. So
# a list unchanged since the last one passed on goes on again only after this many pages have repeated it: an
# item per page spared (Scrapy's item path and the pipeline: ~5 % of a crawl's thread). A list the archive
# could not store is sent with the next page that shows it (the pipeline's hot_list_lost signal), as before.
HOT_LIST_REPEAT = 20
# New article links followed from one list page: a channel list names a few dozen (CLOSESPIDER_PAGECOUNT stops
# a run at 2,000 pages anyway).
MAX_ARTICLE_LINKS = 2000


@dataclass
class _PendingArticle:
    """A multi-page article whose later pages are still being fetched."""

    first: Article
    fetched_at: datetime | None
    remaining_urls: list[str]
    aliases: list[str]
    rest: list[Article] = field(default_factory=list)


class SiteSpider(scrapy.Spider):
    """Crawls one site: its start URLs are channel lists, their links lead to articles."""

    name = "site"
    site_key: str = ""  # set by the spider loader's subclass for each key

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        # The site comes from the configuration the settings name (HLJNEWS_CONFIG), read before the spider.
        _, registry = load_sites(crawler.settings.get("HLJNEWS_CONFIG"))
        spider = super().from_crawler(crawler, *args, site=registry.get(cls.site_key), **kwargs)
        crawler.signals.connect(spider.forget_hot_list, signal=hot_list_lost)
        return spider

    def __init__(
        self,
        *args: Any,
        site: Site,
        start_urls: str | None = None,
        refresh: str | None = None,
        max_list_pages: str | None = None,
        mode: str = "full",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self._refresh_arg = refresh  # `-a refresh=1` on the command line; the setting is the default
        self._max_list_pages_arg = max_list_pages
        self.site = site
        # Every request of a site configured not to obey robots.txt says so (RobotsTxtMiddleware reads it).
        self.request_meta = {} if site.obey_robots else {"dont_obey_robotstxt": True}
        self.allowed_domains = list(site.allowed_domains)
        if site.allow_private_addresses:
            allow_private_addresses(site.allowed_domains)
        self.start_urls = start_urls.split(",") if start_urls else list(site.start_urls)
        self.home_hosts = {urlsplit(url).hostname for url in site.start_urls}
        self.known_urls: set[str] = set()  # asked of the archive when the crawl starts
        self._list_requests: Counter[str] = Counter()
        self._hot_list_sent: tuple[HotEntry, ...] = ()  # the entries of the last hot list passed on
        self._hot_list_repeats = 0  # pages that repeated it since

    @property
    def refresh(self) -> bool:
        if self._refresh_arg is not None:
            return self._refresh_arg.lower() in {"1", "true", "yes"}
        return self.settings.getbool("HLJNEWS_REFRESH")

    @property
    def max_list_pages(self) -> int:
        """`-a max_list_pages`, else HLJNEWS_MAX_LIST_PAGES set for this run, else the site's, else the default."""
        if self._max_list_pages_arg:
            return int(self._max_list_pages_arg)
        overridden = (self.settings.getpriority("HLJNEWS_MAX_LIST_PAGES") or 0) > SETTINGS_PRIORITIES["project"]
        if self.site.max_list_pages and not overridden:
            return self.site.max_list_pages
        return self.settings.getint("HLJNEWS_MAX_LIST_PAGES")

    async def start(self):  # type: ignore[override]
        self.crawler.signals.send_catch_log(crawl_started)  # only real crawls reach start(): the run opens
        known_urls, recent_urls = self._archived_urls()
        self.known_urls = known_urls
        if self.mode == "recent":
            for url in recent_urls:
                yield self._article_request(url, dont_filter=True)
            return
        for url in self.start_urls[:1] if self.mode == "hot" else self.start_urls:
            yield self._list_request(url, channel=url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Any page of the site, routed by its URL (`scrapy parse URL --spider KEY` uses this)."""
        if self.site.is_list_url(response.url) and not self.site.is_article_url(response.url):
            yield from self.parse_list(response, channel=response.url)
        else:
            yield from self.parse_article(response)

    def parse_list(self, response: Response, channel: str) -> Iterator[Any]:
        """A channel list: its raw page, its hot list, requests for new articles and the list's next pages."""
        if response.status in REDIRECT_STATUSES:
            yield from self._follow_redirect(response, lambda url, hops: self._list_request(
                url, channel=channel, redirect_urls=hops))
            return
        page, parsed = self._parse(response)
        self._keep(response, page, "list")
        yield from self._hot_list_items(page, parsed)
        if parsed.listing is None:
            return
        if self.mode == "hot":  # the hot list sits on article pages: the newest one is enough
            yield from self._newest_article_request(parsed.listing.article_urls)
            return
        new_urls = [url for url in parsed.listing.article_urls if self.refresh or url not in self.known_urls]
        if len(new_urls) > MAX_ARTICLE_LINKS:
            # A channel list names a few dozen; a page naming 600,000 once queued as many requests (2 GB).
            self.logger.warning("list %s names %d new article links; following the first %d", response.url[:300],
                                len(new_urls), MAX_ARTICLE_LINKS)
        for url in new_urls[:MAX_ARTICLE_LINKS]:
            yield self._article_request(url)
        for url in parsed.listing.next_page_urls:
            if self._list_requests[channel] < self.max_list_pages:
                yield self._list_request(url, channel=channel)

    def parse_article(self, response: Response) -> Iterator[Any]:
        """An article page: its hot list, then the article (after its later pages, if any)."""
        if response.status in REDIRECT_STATUSES:
            yield from self._follow_redirect(response, lambda url, hops: self._article_request(
                url, dont_filter=True, redirect_urls=hops))
            return
        page, parsed = self._parse(response)
        yield from self._hot_list_items(page, parsed)
        if parsed.article is None:
            yield FailedPageItem(response.url, "no article found on the page")
            return
        self._keep(response, page, "article")
        pending = _PendingArticle(parsed.article, page.fetched_at, list(parsed.article.page_urls),
                                  list(response.meta.get(REDIRECTED_FROM, [])))
        yield from self._continue(pending)

    def parse_article_page(self, response: Response, pending: _PendingArticle) -> Iterator[Any]:
        page, parsed = self._parse(response)
        if parsed.article is not None:
            pending.rest.append(parsed.article)
            self._keep(response, page, "article")
        yield from self._continue(pending)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        reason = describe_failure(failure)
        blocked = failure.check(IgnoreRequest) is not None and "robots.txt" in reason
        if blocked:
            self.logger.info("blocked %s: %s", request.url, reason)
        else:
            self.logger.error("failed %s: %s", request.url, reason)
        response = getattr(failure.value, "response", None)
        yield FailedPageItem(request.url, reason, status=response.status if response is not None else None,
                             blocked=blocked)
        pending = request.cb_kwargs.get("pending")
        if pending is not None:  # keep the pages we have rather than lose the whole article
            yield from self._continue(pending)

    def _continue(self, pending: _PendingArticle) -> Iterator[Any]:
        if pending.remaining_urls:
            url = pending.remaining_urls.pop(0)
            yield scrapy.Request(url, callback=self.parse_article_page, errback=self.on_error,
                                 meta=dict(self.request_meta), cb_kwargs={"pending": pending}, dont_filter=True)
            return
        article = self.site.merge_pages(pending.first, pending.rest) if pending.rest else pending.first
        yield ArticleItem(article, pending.fetched_at, pending.aliases)

    def _newest_article_request(self, article_urls: list[str]) -> Iterator[scrapy.Request]:
        for url in article_urls[:1]:
            yield self._article_request(url, dont_filter=True)

    def _article_request(self, url: str, *, dont_filter: bool = False, redirect_urls: list[str] | None = None
                         ) -> scrapy.Request:
        meta = {**self.request_meta, **_OWN_REDIRECTS, REDIRECTED_FROM: redirect_urls or []}
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, dont_filter=dont_filter,
                              meta=meta)

    def _list_request(self, url: str, channel: str, redirect_urls: list[str] | None = None) -> scrapy.Request:
        if redirect_urls is None:  # a redirect continues the same list page, not a new one
            self._list_requests[channel] += 1
        meta = {**self.request_meta, **_OWN_REDIRECTS, REDIRECTED_FROM: redirect_urls or []}
        return scrapy.Request(url, callback=self.parse_list, errback=self.on_error, cb_kwargs={"channel": channel},
                              meta=meta, dont_filter=redirect_urls is not None)

    def _follow_redirect(self, response: Response, request_for: Callable[[str, list[str]], scrapy.Request]
                         ) -> Iterator[Any]:
        """The next hop as a request, or the page recorded failed with why the redirect was refused."""
        earlier = list(response.meta.get(REDIRECTED_FROM, []))
        # As Scrapy's redirect middleware reads it: raw bytes (UTF-8 or not) percent-encoded, not read as Latin-1,
        # which turned /a/中文.html into a URL no page links to.
        location = safe_url_string(response.headers.get("Location", b""))
        hop = next_hop(response.url, response.status, location, earlier, covers=self.site.covers,
                       allow_private=self.site.allow_private_addresses,
                       max_length=self.settings.getint("URLLENGTH_LIMIT"))
        if hop.url is None:
            first = earlier[0] if earlier else response.url
            self.logger.error("failed %s: %s", first, hop.refused)
            yield FailedPageItem(first, str(hop.refused), response.status)
            return
        yield request_for(hop.url, [*earlier, response.url])

    def _parse(self, response: Response) -> tuple[Page, ParsedPage]:
        elsewhere = response.meta.get(PARSED_ELSEWHERE)  # see crawler/middlewares/parse_offload.py
        if elsewhere is not None:
            return elsewhere.page, elsewhere.parsed
        if PARSE_FAILED in response.meta:  # the page hung its parse process: parsing it here would hang the crawl
            raise ParseError(response.url, response.meta[PARSE_FAILED])
        page = page_from_response(response)
        return page, self.site.parse_page(page)

    def _keep(self, response: Response, page: Page, kind: str) -> None:
        """Hand the page's bytes to the archive (for re-parsing) without making them an item."""
        self.crawler.signals.send_catch_log(raw_page_fetched, page=raw_page_from(response, page), kind=kind)

    def _archived_urls(self) -> tuple[set[str], list[str]]:
        """What the archive already holds of this site, and (recent mode) the articles due for a re-fetch."""
        with open_archive(self.settings.get("HLJNEWS_DB")) as archive:
            known = archive.known_urls(self.site.key)
            recent = (archive.articles_due_for_refresh(self.site.key, days=self.settings.getint("HLJNEWS_RECENT_DAYS"))
                      if self.mode == "recent" else [])
        self.logger.info("%d articles of %s already archived", len(known), self.site.key)
        return known, recent

    def forget_hot_list(self) -> None:
        """The archive could not store a hot list: the next page showing it passes it on again."""
        self._hot_list_sent = ()

    def _hot_list_items(self, page: Page, parsed: ParsedPage) -> Iterator[HotListItem]:
        # Pages of other channels on the same domain carry their own channel's hot list, not this site's.
        if not parsed.hot_list or urlsplit(page.url).hostname not in self.home_hosts:
            return
        entries = tuple(parsed.hot_list)
        if entries == self._hot_list_sent and self._hot_list_repeats < HOT_LIST_REPEAT:
            self._hot_list_repeats += 1
            return
        self._hot_list_sent, self._hot_list_repeats = entries, 0
        yield HotListItem(self.site.key, page.url, page.fetched_at, list(entries))

