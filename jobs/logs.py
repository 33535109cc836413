"""Logs to a rotating file (and the terminal when asked), every time on Shanghai's clock.

One rule for times in logs and tables: `YYYY-MM-DD HH:MM` (logs add the seconds) in Asia/Shanghai, whatever
the machine's time zone; machine formats use ISO 8601 with +08:00 (jobs/cli/output.py).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from crawler.text.dates import SHANGHAI

FORMAT = "%(asctime)s %(process)d [%(name)s] %(levelname)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_LOG_FILE = Path("data/logs/hljnews.log")


def shanghai_time(seconds: float | None) -> time.struct_time:
    """logging's clock: a timestamp as Shanghai wall time (logging.Formatter.converter)."""
    return datetime.fromtimestamp(time.time() if seconds is None else seconds, SHANGHAI).timetuple()


def use_shanghai_time() -> None:
    """Every log formatter of this process (Scrapy's too) writes its times on Shanghai's clock."""
    logging.Formatter.converter = staticmethod(shanghai_time)  # type: ignore[assignment]


def setup_file_logging(path: Path | str | None = None, *, level: int = logging.INFO) -> RotatingFileHandler:
    """Add a 5 MB x 5 rotating file handler (default data/logs/hljnews.log) to the root logger, once per path."""
    use_shanghai_time()
    path = Path(path) if path else DEFAULT_LOG_FILE
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path.resolve():
            return handler
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler


log_to_file = setup_file_logging
