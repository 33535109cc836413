"""Scrapy contracts of hljnews' callbacks (`scrapy check`, `hljnews check`).

``@article FIELD …`` checks that the callback yielded one article item whose article has every FIELD
(title, body, published_at, source …) filled in.
"""

from __future__ import annotations

from typing import Any

from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

from crawler.items import ArticleItem


class ArticleContract(Contract):
    """@article title body published_at"""

    name = "article"

    def post_process(self, output: list[Any]) -> None:
        articles = [item.article for item in output if isinstance(item, ArticleItem)]
        if len(articles) != 1:
            raise ContractFail(f"expected one article item, got {len(articles)}")
        missing = [field for field in self.args if not getattr(articles[0], field, None)]
        if missing:
            raise ContractFail(f"article without {', '.join(missing)}")
