"""Where a redirect may lead: the next hop inside the site, or the one-line reason it is refused.

The spider follows redirects itself (Scrapy's redirect middleware would let its duplicate filter drop a loop
in silence, and never tell a list page's redirect off-site from an empty list); each hop is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawler.urls import is_private_host

__all__ = ["MAX_REDIRECTS", "REDIRECT_STATUSES", "Hop", "next_hop"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Hop:
    """Where to go next (``url``), or why not (``refused``)."""

    url: str | None = None
    refused: str | None = None


def next_hop(url: str, status: int, location: str, earlier: list[str], *, covers, allow_private: bool,
             max_length: int = 0) -> Hop:
    """The redirect of ``url`` (answered ``status`` with ``location``), after the ``earlier`` hops that led to it.

    ``covers(url)`` tells whether a URL is inside the site; a target longer than ``max_length`` (URLLENGTH_LIMIT,
    0: any) is refused here, under the first URL, where Scrapy would drop the hop's request without a word.
    """
    if not location.strip():
        return Hop(refused=f"HTTP {status} without a Location")
    target = urljoin(url, location.strip())
    parts = urlsplit(target)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return Hop(refused=f"HTTP {status} to a non-web URL {target[:200]}")
    if is_private_host(parts.hostname) and not allow_private:
        return Hop(refused=f"redirect to a private address {parts.hostname}")
    if not covers(target):
        return Hop(refused=f"redirect off-site to {parts.hostname}")
    hops = [*earlier, url]
    if target in hops:
        return Hop(refused="redirect loop: " + " → ".join([*hops[hops.index(target):], target]))
    if max_length and len(target) > max_length:
        return Hop(refused=f"redirect to a URL of {len(target):,} characters, over URLLENGTH_LIMIT ({max_length})")
    if len(hops) > MAX_REDIRECTS:
        return Hop(refused=f"more than {MAX_REDIRECTS} redirects (last to {target[:200]})")
    return Hop(url=target)
