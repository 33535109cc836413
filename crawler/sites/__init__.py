"""Registry of the per-site pure parsers: one module per site key under crawler/sites/."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.errors import ParseError

if TYPE_CHECKING:
    from crawler.outlets import OutletSite

__all__ = ["SITE_KEYS", "ParseError", "get_site", "site_for_url"]

# Add a key here when its module lands (hlj_xinhua, dbw, …); modules load on first use.
SITE_KEYS: tuple[str, ...] = ("hlj_people", "hlj_xinhua", "dbw")


def get_site(key: str) -> ModuleType | OutletSite:
    """The parser module of a site key, else the configured outlet (crawler/outlets.py); KeyError for neither."""
    if key not in SITE_KEYS:
        from crawler.outlets import find_outlet  # here: crawler.outlets reads SITE_KEYS from this module

        outlet = find_outlet(key)
        if outlet is not None:
            return outlet
        raise KeyError(f"unknown site {key!r}; known: {', '.join(SITE_KEYS)}")
    return importlib.import_module(f"crawler.sites.{key}")


def site_for_url(url: str) -> ModuleType | OutletSite | None:
    """The parser module whose ALLOWED_DOMAINS cover the URL's host, else such a configured outlet, or None."""
    host = (urlsplit(url).hostname or "").lower()
    for key in SITE_KEYS:
        module = get_site(key)
        if any(host == domain or host.endswith("." + domain) for domain in module.ALLOWED_DOMAINS):
            return module
    from crawler.outlets import outlet_for_url

    return outlet_for_url(url)
