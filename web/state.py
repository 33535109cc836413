"""What every page of the web app shares: the archive, the configured sites' descriptions, the templates."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from starlette.templating import Jinja2Templates

from storage import Archive

SITES_TTL = 60.0  # seconds the list of known sites is reused (the search form's choices)


class Web:
    """What the pages share: the archive, the configured sites' descriptions, the templates."""

    def __init__(self, archive: Archive, sites: Mapping[str, dict[str, Any]], templates: Jinja2Templates) -> None:
        self.archive = archive
        self.described = dict(sites)
        self.templates = templates
        self._known: tuple[float, list[str]] = (0.0, [])

    def known_sites(self) -> list[str]:
        """Configured sites and sites in the archive (cached for SITES_TTL: counting per site is a scan)."""
        stamp, known = self._known
        if time.monotonic() - stamp > SITES_TTL:
            in_archive = {row["site"] for row in self.archive.stats(days=1, runs=0)["sites"]}
            known = sorted(in_archive | self.described.keys())
            self._known = (time.monotonic(), known)
        return known
