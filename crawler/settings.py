"""Scrapy settings for hljnews; hljnews' own settings are prefixed HLJNEWS_ and listed alphabetically."""

import os

BOT_NAME = "hljnews"
# One spider class serves every site key (built-in and configured): see crawler/spiderloader.py.
SPIDER_LOADER_CLASS = "crawler.spiderloader.SiteSpiderLoader"

# --- hljnews settings (alphabetical) ---
# Archive writes (raw pages, articles, hot lists, page outcomes) committed together in one transaction; a
# killed crawl loses at most this batch, which the next run fetches again.
HLJNEWS_BATCH_SIZE = 200
# A batch is also committed once its oldest write is this many seconds old (0: only when full or at the end).
HLJNEWS_BATCH_SECONDS = 2.0
# The configuration file ([[outlets]], [[sites]], …); None: $HLJNEWS_CONFIG, ./hljnews.toml, the bundled defaults.
HLJNEWS_CONFIG = None
# Archive URL or SQLite path; None falls back to $HLJNEWS_DB, then sqlite:///data/hljnews.sqlite3.
HLJNEWS_DB = None
# Seconds an archive write is retried (reconnecting) while the database is unreachable; then the page fails.
HLJNEWS_DB_RETRY_SECONDS = 30
# How many errors a run keeps in its record (the rest are counted, not kept).
HLJNEWS_MAX_RUN_ERRORS = 20
# Following pages of each channel list to read per run (1 = the index page only).
HLJNEWS_MAX_LIST_PAGES = 5
# Keep every request, redirects and robots.txt included, inside the spider's site (and off private addresses).
HLJNEWS_SITE_BOUNDARY = True
# Processes that parse pages beside the crawl, so its reactor keeps fetching meanwhile (0: parse in the crawl
# process). One is enough for one crawl: parsing is about a third of a crawl's CPU (benchmarks/README.md).
# $HLJNEWS_PARSE_PROCESSES sets it for every crawl a scheduler or fleet worker starts (checked when one starts).
HLJNEWS_PARSE_PROCESSES = os.environ.get("HLJNEWS_PARSE_PROCESSES") or (1 if (os.cpu_count() or 1) > 1 else 0)
# Pages a crawl must have scheduled before it starts its parse processes (a small crawl never pays for starting one).
HLJNEWS_PARSE_PROCESS_AFTER = 50
# Seconds a page may take in a parse process: a page that hangs the parser fails alone, the process is replaced.
HLJNEWS_PARSE_TIMEOUT = 60.0
# Show a live progress line on a terminal (the CLI turns it on; `scrapy crawl` keeps plain logs).
HLJNEWS_PROGRESS = False
# "recent" mode re-fetches articles younger than this many days (older ones less often: see storage).
HLJNEWS_RECENT_DAYS = 7
# Download articles already in the archive again (to catch edits).
HLJNEWS_REFRESH = False
# The crawl-run record to fill in; set by the scheduler, which records the run before the crawl starts.
HLJNEWS_RUN_ID = None
# What started the run: manual, cron or schedule (kept in the run record).
HLJNEWS_TRIGGER = "manual"

# --- Scrapy settings ---
# As Scrapy's own project template: robots.txt is obeyed. A site can be exempted only by configuration that
# states why (obey_robots = false, robots_reason = "…" in its [[sites]] or [[outlets]] entry).
ROBOTSTXT_OBEY = True
USER_AGENT = "hljnews/0.1 (+news archive for research; polite crawler)"
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 20
# A news page is far below these; Scrapy checks them on the decompressed body too, so a gzip bomb stops at
# 16 MB instead of filling memory (Scrapy's default limit is 1 GiB).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
# Items of one response go through the pipeline one at a time: the archive pipeline is synchronous, so Scrapy's
# default of 100 concurrent items only costs 100 asyncio tasks per response (about 16 % of a crawl's CPU per
# article: benchmarks/README.md, "Concurrent items") and gains nothing.
CONCURRENT_ITEMS = 1
# Every non-2xx answer reaches the errback so the run records it (Scrapy would drop it silently otherwise).
HTTPERROR_ALLOW_ALL = False
# Off: the spider bounds a crawl itself (HLJNEWS_MAX_LIST_PAGES, redirect hops, CLOSESPIDER_PAGECOUNT). At 8,
# Scrapy dropped in silence the later list pages of a deep channel, a redirect's last hops and the later
# pages of a long multi-page article (the whole article with them); a limit set by hand is honoured, and
# what it leaves out is recorded (crawler/middlewares/request_limits.py).
DEPTH_LIMIT = 0
CLOSESPIDER_PAGECOUNT = 2000
COOKIES_ENABLED = False
# No telnet console and no remote control endpoint unless asked for (`-s TELNETCONSOLE_ENABLED=1`).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# Start and finish times in the stats on Shanghai's clock, like the rest of the log.
STATS_CLASS = "crawler.stats.ShanghaiStatsCollector"
SPIDER_CONTRACTS = {"crawler.contracts.ArticleContract": 10}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
# The request limits run before Scrapy's depth (900) and URL length (800) middlewares, so a request over a
# limit becomes a recorded failed page rather than vanishing.
SPIDER_MIDDLEWARES = {"crawler.middlewares.failed_pages.FailedPageMiddleware": 50,
                      "crawler.middlewares.request_limits.RequestLimitsMiddleware": 950}
# Before Scrapy's own (robots.txt at 100, redirects at 600): nothing leaves the site, not even robots.txt.
DOWNLOADER_MIDDLEWARES = {"crawler.middlewares.site_boundary.SiteBoundaryMiddleware": 50,
                          # Responses pass middlewares from the highest number down: the lowest sees the page
                          # the spider gets (decompressed, after Scrapy's own middlewares).
                          "crawler.middlewares.parse_offload.ParseOffloadMiddleware": 10}
# Names resolving to loopback or private addresses are refused unless a site allows them (crawler/resolver.py).
TWISTED_DNS_RESOLVER = "crawler.resolver.PublicOnlyResolver"
EXTENSIONS = {"crawler.progress.ProgressDisplay": 500, "crawler.one_line_logs.OneLineLogs": 0}
