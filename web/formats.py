"""How values are shown: times on Shanghai's clock, highlighted snippets (escaped first), JSON as the CLI prints it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from web.params import SHANGHAI

MARKS = ("\x02", "\x03")  # search highlight marks no archived text contains (control characters are folded away)


def when(value: datetime | None) -> str:
    """A time for people: Shanghai's date and clock to the minute."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def iso(value: datetime | None) -> str:
    """A time for programs and feeds: ISO 8601 with +08:00."""
    return value.astimezone(SHANGHAI).isoformat() if value else ""


def marked(snippet: str) -> Markup:
    """A search snippet escaped first, then its highlight marks turned into <mark>."""
    escaped = str(escape(snippet))
    return Markup(escaped.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>"))


def plain_marks(snippet: str) -> str:
    """A snippet with [ ] around matches, as `hljnews search --format json` prints it."""
    return snippet.replace(MARKS[0], "[").replace(MARKS[1], "]")


def listed(values: Any) -> str:
    """Names joined the Chinese way."""
    return "、".join(str(v) for v in values or [])


def to_json(value: Any) -> str:
    """JSON with readable Chinese and +08:00 ISO times, as `hljnews … --format json` prints."""
    return json.dumps(value, ensure_ascii=False, indent=2,
                      default=lambda v: iso(v) if isinstance(v, datetime) else str(v))
