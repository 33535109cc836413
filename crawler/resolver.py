"""A DNS resolver that refuses names resolving to loopback or private addresses.

A site's URL may look public and resolve to 127.0.0.1 or 10.x (a rebinding trick, or a hostile redirect's
target): such a page is never fetched unless a site of the crawl allows private addresses. The resolver is
one per process (Scrapy installs it on the reactor), so the domains of such sites are kept here.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.urls import host_in

__all__ = ["PublicOnlyResolver", "allow_private_addresses"]

_PRIVATE_OK: set[str] = set()  # domains of the sites in this process that may resolve to private addresses


def allow_private_addresses(domains: tuple[str, ...]) -> None:
    """Let names of these domains resolve to private addresses in this process."""
    _PRIVATE_OK.update(domains)


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing non-public answers for names of sites that do not allow them."""

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:
        return super().getHostByName(name, timeout).addCallback(self._public_only, name)

    @staticmethod
    def _public_only(address: str, name: str) -> str:
        # An address written as such is the operator's proxy (the site boundary refuses private address URLs).
        if _is_address(name) or ipaddress.ip_address(address).is_global or host_in(name, _PRIVATE_OK):
            return address
        raise DNSLookupError(f"{name} resolves to the private address {address}; refused")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
