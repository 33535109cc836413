"""The one error the generic extractor raises."""

from __future__ import annotations


class ExtractionError(ValueError):
    """A page that cannot be read as an article; the message names the URL and the reason."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
