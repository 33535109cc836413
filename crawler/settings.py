"""Scrapy settings for hljnews; hljnews' own settings are prefixed HLJNEWS_ and listed alphabetically."""

BOT_NAME = "hljnews"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- hljnews settings (alphabetical) ---
# TOML file with [[outlets]] (sites crawled by configuration); None falls back to $HLJNEWS_CONFIG, then ./hljnews.toml.
HLJNEWS_CONFIG = None
# Archive URL or SQLite path; None falls back to $HLJNEWS_DB, then sqlite:///data/hljnews.sqlite3.
HLJNEWS_DB = None
# Seconds an archive write is retried (reconnecting) while the database is unreachable; then the page fails.
HLJNEWS_DB_RETRY_SECONDS = 30
# How many errors a run keeps in its record (the rest are counted, not kept).
HLJNEWS_MAX_RUN_ERRORS = 20
# Following pages of each channel list to read per run (1 = the index page only).
HLJNEWS_MAX_LIST_PAGES = 5
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
# Chinese news sites answer robots.txt inconsistently; we stay polite through the limits below instead.
ROBOTSTXT_OBEY = False
USER_AGENT = "hljnews/0.1 (+news archive for research; polite crawler)"
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 20
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 2
# Every non-2xx answer reaches the errback so the run records it (Scrapy would drop it silently otherwise).
HTTPERROR_ALLOW_ALL = False
DEPTH_LIMIT = 8
CLOSESPIDER_PAGECOUNT = 2000
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}
SPIDER_MIDDLEWARES = {"crawler.middlewares.FailedPageMiddleware": 50}
EXTENSIONS = {"crawler.progress.ProgressDisplay": 500}
