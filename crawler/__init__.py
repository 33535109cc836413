"""Scrapy project and pure page parsers for hljnews."""
