"""新华网黑龙江频道 (hlj.news.cn): `scrapy crawl hlj_xinhua`."""

from crawler.spiders.base import SiteSpider


class HljXinhuaSpider(SiteSpider):
    name = "hlj_xinhua"
    site_key = "hlj_xinhua"
