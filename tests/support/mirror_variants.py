"""Copies of the bundled mirror for crawl-health tests: the same site with new article ids (so a crawl finds
new articles), optionally in a changed template (every article page without its dateline)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from mirror import BUNDLED_PAGES

PEOPLE_ARTICLE = re.compile(r"^c\d+-(\d{8})(?:-\d+)?\.html$")
# A people.com.cn dateline in GBK bytes: 2021年07月16日08:31 (年 月 日 as GBK), and the publishdate meta tag.
GBK_DATELINE = re.compile(rb"\d{4}\xc4\xea\d{1,2}\xd4\xc2\d{1,2}\xc8\xd5\s*\d{1,2}:\d{2}")
PUBLISH_META = re.compile(rb'<meta name="publishdate" content="[^"]*">')


def renamed_mirror(destination: Path, prefix: str, *, without_datelines: bool = False) -> Path:
    """The bundled mirror with every people.com.cn article id's first digit replaced by `prefix` (a digit)."""
    shutil.copytree(BUNDLED_PAGES, destination)
    ids = {match.group(1) for path in destination.rglob("*.html") if (match := PEOPLE_ARTICLE.match(path.name))}
    renames = {old.encode(): (prefix + old[1:]).encode() for old in ids}
    for path in [*destination.rglob("*.html"), destination / "ROUTES.toml"]:
        data = path.read_bytes()
        for old, new in renames.items():
            data = data.replace(old, new)
        if without_datelines and "people.com.cn" in path.as_posix() and PEOPLE_ARTICLE.match(path.name):
            data = PUBLISH_META.sub(b"", GBK_DATELINE.sub(b"", data))
        path.write_bytes(data)
        match = PEOPLE_ARTICLE.match(path.name)
        if match:
            path.rename(path.with_name(path.name.replace(match.group(1), prefix + match.group(1)[1:])))
    return destination
