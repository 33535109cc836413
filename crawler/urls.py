"""URL helpers every site shares: which domain a host belongs to, a site's canonical URL form, link lists."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

__all__ = [
    "absolute_links", "following_pages", "host_in", "is_private_host", "list_page_number", "normalize_site_url",
    "same_folder",
]


def host_in(host: str | None, domains: Iterable[str]) -> bool:
    """True when ``host`` is one of ``domains`` or a subdomain of one (``a.dbw.cn`` is in ``dbw.cn``)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def normalize_site_url(url: str, domains: Iterable[str], is_article_path: Callable[[str], bool]) -> str:
    """A site's URL as it links it: http, lower-case host, no fragment, no query on article pages.

    URLs of other hosts only lose their fragment.
    """
    parts = urlsplit(url.strip())
    if not host_in(parts.hostname, domains):
        return urlunsplit(parts._replace(fragment=""))
    query = "" if is_article_path(parts.path) else parts.query
    return urlunsplit(("http", (parts.hostname or "").lower(), parts.path or "/", query, ""))


def absolute_links(hrefs: Iterable[str], base_url: str) -> list[str]:
    """The http(s) targets of ``hrefs`` resolved against ``base_url``, without fragments."""
    links = (urldefrag(urljoin(base_url, href.strip()))[0] for href in hrefs)
    return [link for link in links if link.startswith(("http://", "https://"))]


def list_page_number(url: str, list_path: re.Pattern[str]) -> int:
    """Page N of a channel list (the pattern's ``page`` group), 1 for the index page or no match."""
    match = list_path.match(urlsplit(url).path or "/")
    return int(match["page"]) if match and match["page"] else 1


def same_folder(url: str, other: str) -> bool:
    """Same host and same directory: later pages of a channel list live beside its index."""
    first, second = urlsplit(url), urlsplit(other)
    return first.hostname == second.hostname and first.path.rsplit("/", 1)[0] == second.path.rsplit("/", 1)[0]


def following_pages(links: Iterable[str], page_of: Callable[[str], tuple[str, int] | None], url: str) -> list[str]:
    """Pages 2..N of the multi-page article at ``url``, in page order.

    ``page_of`` returns (content id, page number) for a URL of the site's article form, else None.
    """
    own = page_of(url)
    if own is None:
        return []
    pages: dict[int, str] = {}
    for link in links:
        found = page_of(link)
        if found is not None and found[0] == own[0] and found[1] > 1:
            pages[found[1]] = link
    return [pages[number] for number in sorted(pages)]


def is_private_host(host: str | None) -> bool:
    """A loopback, private, link-local or otherwise non-public address (or ``localhost``), by the URL alone."""
    if not host:
        return False
    host = host.lower().rstrip(".").strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False  # a name: the resolver checks what it resolves to
