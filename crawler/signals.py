"""hljnews' own Scrapy signals between the spider and the archive pipeline, for what is not an item.

Items are what a crawl extracts (articles, hot lists, failed pages) and what feed exports write; the raw
bytes kept for re-parsing travel by signal, so they never reach an exporter or `scrapy parse`'s output.
The pipeline tells the spider of a hot list it could not store, so the spider sends that list again.
"""

crawl_started = object()  # the spider starts crawling (a real crawl, not `scrapy shell`/`parse`/`check`)
raw_page_fetched = object()  # args: page (crawler.items.RawPage), kind ("list" or "article")
hot_list_lost = object()  # args: item (crawler.items.HotListItem) whose write the archive refused or lost
