"""人民网黑龙江频道 (hlj.people.com.cn): `scrapy crawl hlj_people`."""

from crawler.spiders.base import SiteSpider


class HljPeopleSpider(SiteSpider):
    name = "hlj_people"
    site_key = "hlj_people"
