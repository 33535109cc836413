"""Test helper: hlj_people's parser, except that a page whose URL holds "hang" never finishes parsing (a
stand-in for a hostile page that sends a parser into a loop). Its own module, so a parse process can import it."""

from __future__ import annotations

import time

from crawler.models import Page, ParsedPage
from crawler.sites.hlj_people import HljPeople


class HangingSite(HljPeople):
    def parse_page(self, page: Page) -> ParsedPage:
        while "hang" in page.url:
            time.sleep(1)
        return super().parse_page(page)
