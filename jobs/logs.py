"""Logs to a rotating file as well as the terminal, so a daemon's history survives its terminal."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

FORMAT = "%(asctime)s %(process)d [%(name)s] %(levelname)s: %(message)s"
DEFAULT_LOG_FILE = Path("data/logs/hljnews.log")


def setup_file_logging(path: Path | str | None = None, *, level: int = logging.INFO) -> RotatingFileHandler:
    """Add a 5 MB x 5 rotating file handler (default data/logs/hljnews.log) to the root logger, once per path."""
    path = Path(path) if path else DEFAULT_LOG_FILE
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path.resolve():
            return handler
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return handler
