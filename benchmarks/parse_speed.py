"""Parse throughput of the hlj_people parser against bare lxml and trafilatura.extract, same pages, same run.

Run: .venv/bin/python benchmarks/parse_speed.py [--seconds 3] [--check]
Prints pages/s of each. Targets: at least 35% of what lxml alone does parsing the same bytes into a tree
(the floor any parser sits on), and at least 5x trafilatura; --check exits 1 below either.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from lxml import html  # noqa: E402

from crawler.models import Page  # noqa: E402
from crawler.sites import builtin_site  # noqa: E402
from crawler.text.decoding import decode_html, page_codec  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "hlj_people"
TARGET_RATIO = 5.0  # against trafilatura
TARGET_SHARE = 0.35  # of the bare lxml parse
hlj_people = builtin_site("hlj_people")


def article_pages() -> list[Page]:
    """Every article fixture (the pages trafilatura is meant for), with the URL it was fetched from."""
    pages = []
    for expected in sorted(FIXTURES.glob("*.json")):
        case = json.loads(expected.read_text(encoding="utf-8"))
        html = expected.with_suffix(".html")
        if html.exists() and case.get("title") and hlj_people.is_article_url(case["url"]):
            pages.append(Page(case["url"], html.read_bytes(), case.get("headers", {})))
    return pages


def throughput(parse: Callable[[Page], object], pages: list[Page], seconds: float) -> float:
    """Pages per second, over whole passes through ``pages`` for at least ``seconds``."""
    for page in pages:  # warm-up: imports, caches
        parse(page)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for page in pages:
            parse(page)
        done += len(pages)
    return done / (time.perf_counter() - start)


def bare_lxml(pages: list[Page]) -> Callable[[Page], object]:
    """lxml alone turning a page's bytes into a tree, told its charset beforehand (no detection, no extraction)."""
    parsers = {page.url: html.HTMLParser(encoding=page_codec(page.body, page.headers)) for page in pages}
    return lambda page: html.document_fromstring(page.body, parser=parsers[page.url])


def trafilatura_extract(page: Page) -> object:
    # trafilatura gets the same decoded text our parser works from: it is timed on extraction, not decoding.
    return trafilatura.extract(decode_html(page.body, dict(page.headers)), url=page.url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per contender")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if below {TARGET_RATIO}x")
    args = parser.parse_args()
    pages = article_pages()
    ours = throughput(hlj_people.parse_page, pages, args.seconds)
    floor = throughput(bare_lxml(pages), pages, args.seconds)
    theirs = throughput(trafilatura_extract, pages, args.seconds)
    ratio, share = ours / theirs, ours / floor
    print(f"pages: {len(pages)} article fixtures, {sum(len(p.body) for p in pages) // 1024} KiB")
    print(f"{'hlj_people.parse_page':<28}{ours:>10.1f} pages/s")
    print(f"{'bare lxml parse':<28}{floor:>10.1f} pages/s  (baseline: the tree alone)")
    print(f"{'trafilatura.extract':<28}{theirs:>10.1f} pages/s  (baseline, {trafilatura.__version__})")
    print(f"share of bare lxml: {share:.0%} (target >= {TARGET_SHARE:.0%}) {_verdict(share >= TARGET_SHARE)}")
    print(f"ratio to trafilatura: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x) {_verdict(ratio >= TARGET_RATIO)}")
    return 1 if args.check and (ratio < TARGET_RATIO or share < TARGET_SHARE) else 0


def _verdict(met: bool) -> str:
    return "OK" if met else "BELOW TARGET"


if __name__ == "__main__":
    sys.exit(main())
