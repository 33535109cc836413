"""The registry of sites: the built-in parsers and the outlets of a loaded configuration.

The registry is built from a configuration the caller loaded (``SiteRegistry.from_config``); nothing here
reads a file behind the caller's back. ``load_sites`` is the one place commands load both. It lives apart
from ``crawler/sites/__init__.py`` because it reads configuration (pydantic, APScheduler's triggers) and the
search language (storage): a crawl's parse process imports the package only to unpickle its site.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from config import LoadedConfig, load_config
from crawler.sites.base import Site
from crawler.sites.dbw import Dbw
from crawler.sites.hlj_people import HljPeople
from crawler.sites.hlj_xinhua import HljXinhua
from crawler.sites.outlet import outlet_sites
from crawler.urls import host_in
from storage import check_query

__all__ = ["BUILTIN_KEYS", "BUILTIN_SITES", "SiteRegistry", "builtin_site", "load_site_config", "load_sites"]

BUILTIN_SITES: tuple[Site, ...] = (HljPeople(), HljXinhua(), Dbw())
BUILTIN_KEYS: tuple[str, ...] = tuple(site.key for site in BUILTIN_SITES)


class SiteRegistry:
    """Sites by key, built-in ones first; looks a site up by key or by the host of a URL."""

    def __init__(self, configured: Iterable[Site] = ()) -> None:
        self._sites: dict[str, Site] = {site.key: site for site in (*BUILTIN_SITES, *configured)}

    @classmethod
    def from_config(cls, config: LoadedConfig) -> SiteRegistry:
        """The built-in sites (as the config's [[sites]] set them) and the config's outlets (ConfigError for an
        outlet that cannot be used)."""
        registry = cls(outlet_sites(config).values())
        for entry in config.sites or []:
            if not entry.obey_robots and entry.key in registry._sites:
                site = copy.copy(registry._sites[entry.key])  # the built-in instance is shared: change a copy
                site.obey_robots = False
                registry._sites[entry.key] = site
        return registry

    def get(self, key: str) -> Site:
        """The site with this key; KeyError naming the known keys otherwise."""
        try:
            return self._sites[key]
        except KeyError:
            raise KeyError(f"unknown site {key!r}; known: {', '.join(self._sites)}") from None

    def for_url(self, url: str) -> Site | None:
        """The site whose allowed domains cover the URL's host (built-in sites first), or None."""
        host = urlsplit(url).hostname
        return next((site for site in self._sites.values() if host_in(host, site.allowed_domains)), None)

    def keys(self) -> list[str]:
        return list(self._sites)

    def __iter__(self) -> Iterator[Site]:
        return iter(self._sites.values())

    def __contains__(self, key: object) -> bool:
        return key in self._sites

    def __len__(self) -> int:
        return len(self._sites)


def builtin_site(key: str) -> Site:
    """A built-in site by key (no configuration needed)."""
    return SiteRegistry().get(key)


def load_site_config(path: str | os.PathLike[str] | None = None) -> LoadedConfig:
    """The configuration file in use (see ``config.config_path``), checked against the built-in site keys and,
    for [[watches]], the search language."""
    return load_config(path, builtin_sites=BUILTIN_KEYS, check_query=check_query)


def load_sites(path: str | os.PathLike[str] | None = None) -> tuple[LoadedConfig, SiteRegistry]:
    """The configuration in use and the registry of its sites: what every command starts from."""
    config = load_site_config(path)
    return config, SiteRegistry.from_config(config)
