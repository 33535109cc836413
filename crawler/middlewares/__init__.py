"""hljnews' Scrapy middlewares, one per module (enabled in crawler/settings.py)."""
