"""Registry of the per-site pure parsers: one module per site key under crawler/sites/."""

from __future__ import annotations

import importlib
from types import ModuleType
from urllib.parse import urlsplit

from crawler.errors import ParseError

__all__ = ["SITE_KEYS", "ParseError", "get_site", "site_for_url"]

# Add a key here when its module lands (hlj_xinhua, dbw, …); modules load on first use.
SITE_KEYS: tuple[str, ...] = ("hlj_people",)


def get_site(key: str) -> ModuleType:
    """The parser module of a site key; KeyError for an unknown key."""
    if key not in SITE_KEYS:
        raise KeyError(f"unknown site {key!r}; known: {', '.join(SITE_KEYS)}")
    return importlib.import_module(f"crawler.sites.{key}")


def site_for_url(url: str) -> ModuleType | None:
    """The parser module whose ALLOWED_DOMAINS cover the URL's host, or None."""
    host = (urlsplit(url).hostname or "").lower()
    for key in SITE_KEYS:
        module = get_site(key)
        if any(host == domain or host.endswith("." + domain) for domain in module.ALLOWED_DOMAINS):
            return module
    return None
