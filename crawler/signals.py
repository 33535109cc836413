"""hljnews' own Scrapy signals: the spider tells the archive pipeline what is not an item.

Items are what a crawl extracts (articles, hot lists, failed pages) and what feed exports write; the raw
bytes kept for re-parsing travel by signal, so they never reach an exporter or `scrapy parse`'s output.
"""

crawl_started = object()  # the spider starts crawling (a real crawl, not `scrapy shell`/`parse`/`check`)
raw_page_fetched = object()  # args: page (crawler.items.RawPage), kind ("list" or "article")
