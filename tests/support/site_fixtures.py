"""The saved-page fixtures of one site and the per-field checks every site's parser test runs on them.

tests/fixtures/<site>/<case>.html is the page as served, <case>.json its URL, headers and the expected
fields; each (case, field) pair is one test, so a failure names the site, the case and the field.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from crawler.models import Page, ParsedPage
from crawler.sites import ParseError, Site
from crawler.sites.registry import builtin_site

ARTICLE_FIELDS = ("canonical_url", "title", "pretitle", "subtitle", "published_at", "source", "authors",
                  "editors", "channel", "content_id", "images", "page_urls")
BODY_FIELDS = ("body_first", "body_last", "body_must_not_contain")
PAGE_FIELDS = ("site", "article", "hot_list", "article_urls", "next_page_urls", "parse_error")


class SiteFixtures:
    def __init__(self, site: str) -> None:
        self.site = site
        self.parser = builtin_site(site)
        self.folder = Path(__file__).parent.parent / "fixtures" / site
        self.cases = sorted(path.stem for path in self.folder.glob("*.json"))
        self.params = [(case, field) for case in self.cases for field in (*ARTICLE_FIELDS, *BODY_FIELDS, *PAGE_FIELDS)
                       if field in self.expected(case)]
        self.ids = [f"{site}-{case}-{field}" for case, field in self.params]
        self.body_cases = [case for case in self.cases if "body_first" in self.expected(case)]
        self.parsed = cache(self._parse)

    def expected(self, case: str) -> dict[str, Any]:
        return json.loads((self.folder / f"{case}.json").read_text(encoding="utf-8"))

    def page(self, case: str) -> Page:
        expected = self.expected(case)
        return Page(expected["url"], (self.folder / f"{case}.html").read_bytes(), expected.get("headers", {}))

    def _parse(self, case: str) -> ParsedPage:
        return self.parser.parse_page(self.page(case))

    def article_value(self, case: str, field: str) -> Any:
        article = self.parsed(case).article
        assert article is not None, f"{case}: no article parsed"
        return article.to_dict()[field]

    def check_field(self, case: str, field: str) -> None:
        expected = self.expected(case)[field]
        if field == "parse_error":
            with pytest.raises(ParseError, match=expected):
                self.parser.parse_page(self.page(case))
        elif field in ARTICLE_FIELDS:
            assert self.article_value(case, field) == expected
        elif field in BODY_FIELDS:
            self._check_body(case, field, expected)
        elif field == "site":
            result = self.parsed(case)
            assert result.site == expected and (result.article is None or result.article.site == expected)
        elif field == "article":
            assert self.parsed(case).article is None  # the fixtures only say `"article": null`
        elif field == "hot_list":
            assert [vars(entry) for entry in self.parsed(case).hot_list] == expected
        else:
            listing = self.parsed(case).listing
            assert listing is not None
            assert getattr(listing, field) == expected

    def _check_body(self, case: str, field: str, expected: Any) -> None:
        paragraphs = self.article_value(case, "body").split("\n")
        if field == "body_first":
            assert paragraphs[0] == expected
        elif field == "body_last":
            assert paragraphs[-1] == expected
        else:
            leaked = [snippet for snippet in expected if any(snippet in p for p in paragraphs)]
            assert not leaked

    def check_clean_paragraphs(self, case: str) -> None:
        for paragraph in self.article_value(case, "body").split("\n"):
            assert paragraph and paragraph == paragraph.strip() and "\u3000" not in paragraph


def check_truncations(site: Site, url: str, body: bytes, step: int) -> None:
    """Every cut of a page parses to nothing, a ParseError, or the start of the whole page's article.

    The start: the same title, the whole page's paragraphs up to the cut (the last one possibly cut short),
    read by the site's own parser, never the generic fallback (a cut page has no end of document).
    """
    whole = site.parse_page(Page(url, body, {})).article
    assert whole is not None and whole.extractor == "site"
    outcomes = {"article": 0, "nothing": 0, "error": 0}
    for cut in range(0, len(body), step):
        try:
            article = site.parse_page(Page(url, body[:cut], {})).article
        except ParseError:
            outcomes["error"] += 1
            continue
        if article is None:
            outcomes["nothing"] += 1
            continue
        outcomes["article"] += 1
        assert article.extractor == "site" and whole.title.startswith(article.title.rstrip("\ufffd"))
        paragraphs, expected = article.body.split("\n"), whole.body.split("\n")
        assert paragraphs[:-1] == expected[: len(paragraphs) - 1], f"cut at {cut}"
        assert expected[len(paragraphs) - 1].startswith(paragraphs[-1].rstrip("\ufffd")), f"cut at {cut}"
    assert outcomes["article"] and (outcomes["nothing"] or outcomes["error"]), outcomes
