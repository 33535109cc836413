"""Run site spiders in this process and report what each run recorded."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings, default_settings

FAILED_STATUSES = {"failed", "interrupted"}


@dataclass
class CrawlResult:
    site: str
    run_id: int | None
    status: str

    @property
    def failed(self) -> bool:
        return self.run_id is None or self.status in FAILED_STATUSES


def crawl_settings(db: str | None = None, overrides: dict[str, Any] | None = None,
                   config: str | os.PathLike[str] | None = None) -> Settings:
    """The project settings (crawler/settings.py), with the archive, the config file and any overrides applied."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if db:
        settings.set("HLJNEWS_DB", db, priority="cmdline")
    if config:
        settings.set("HLJNEWS_CONFIG", os.fspath(config), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawls(
    sites: list[str],
    *,
    db: str | None = None,
    config: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    spider_args: dict[str, str] | None = None,
    log_to_terminal: bool = True,
) -> list[CrawlResult]:
    """Crawl each site (concurrently, one reactor) and return each run's id and status. Blocks.

    Without ``log_to_terminal`` Scrapy installs no log handler of its own: the caller's (a log file) get it all.
    """
    process = _crawler_process(crawl_settings(db, overrides, config), log_to_terminal)
    crawlers: list[tuple[str, Crawler]] = []
    for site in sites:
        crawler = process.create_crawler(site)  # the spider loader names a spider after every site key
        process.crawl(crawler, **(spider_args or {}))
        crawlers.append((site, crawler))
    process.start()
    results = [_result(site, crawler) for site, crawler in crawlers]
    _judge_health(db, config, results)
    return results


def _crawler_process(settings: Settings, install_root_handler: bool) -> CrawlerProcess:
    """A CrawlerProcess that installs Scrapy's root log handler or not, without a deprecation warning.

    Scrapy 2.19 deprecates the install_root_handler argument for the LOG_INSTALL_ROOT_HANDLER setting; its
    warning reached stderr on every run, so cron mailed after every quiet crawl. Older Scrapy lacks the setting.
    """
    if hasattr(default_settings, "LOG_INSTALL_ROOT_HANDLER"):
        settings.set("LOG_INSTALL_ROOT_HANDLER", install_root_handler, priority="cmdline")
        return CrawlerProcess(settings)
    return CrawlerProcess(settings, install_root_handler=install_root_handler)


def _judge_health(db: str | None, config: str | os.PathLike[str] | None, results: list[CrawlResult]) -> None:
    """Crawl health is judged as each run ends (the daemon and `alerts deliver` catch up on any missed)."""
    from crawler.sites.registry import load_site_config
    from monitor import judge_runs

    judge_runs(db, load_site_config(config).alerts, [result.run_id for result in results])


def _result(site: str, crawler: Crawler) -> CrawlResult:
    stats = crawler.stats
    run_id = stats.get_value("hljnews/run_id") if stats else None
    status = stats.get_value("hljnews/run_status", "failed") if stats else "failed"
    return CrawlResult(site, run_id, status)
