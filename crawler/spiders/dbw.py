"""东北网 (dbw.cn): `scrapy crawl dbw`."""

from crawler.spiders.base import SiteSpider


class DbwSpider(SiteSpider):
    name = "dbw"
    site_key = "dbw"
