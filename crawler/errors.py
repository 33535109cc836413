"""Errors the pure parsers raise; the crawl records them as failed pages."""

from __future__ import annotations


class ParseError(ValueError):
    """A page that should have parsed (an article page, an HTML page) but did not."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class UnknownTemplate(ParseError):
    """An article page the site parser does not recognise (none of its templates' titles): the generic
    extractor reads it instead."""
