"""Scrapy's stats collector, keeping its times (start_time, finish_time) on Shanghai's clock.

The stats dumped into the log at the end of a crawl would otherwise show UTC beside log lines written in
Asia/Shanghai; one clock for a whole log line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy.statscollectors import MemoryStatsCollector

from crawler.text.dates import SHANGHAI


class ShanghaiStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector whose aware datetimes are stored as Shanghai time."""

    def set_value(self, key: str, value: Any, spider: Any = None) -> None:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(SHANGHAI)
        super().set_value(key, value, spider)
