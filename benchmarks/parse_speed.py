"""Parse throughput of every built-in site parser and the generic extractor against bare lxml and trafilatura.

Run: .venv/bin/python benchmarks/parse_speed.py [--seconds 0.4] [--repeats 5] [--only hlj_people] [--check]

Each suite is one parser on its own saved article pages (tests/fixtures/<key>/, the generic extractor on
tests/fixtures/generic/). On the same pages, in the same run, it times lxml alone turning the bytes into a
tree, told the charset beforehand (the floor any parser sits on), and ``trafilatura.extract``. Times are CPU
seconds of this process (``time.process_time``: the machine is shared), the contenders take turns in every
repeat, and each figure is the median of the repeats. Targets: every site parser at least 35% of bare lxml,
and hlj_people at least 5x trafilatura; --check exits 1 below either.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from lxml import html  # noqa: E402

from crawler.generic import extract_article  # noqa: E402
from crawler.models import Page  # noqa: E402
from crawler.sites.registry import BUILTIN_KEYS, builtin_site  # noqa: E402
from crawler.text.decoding import decode_html, page_codec  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
TARGET_RATIO = 5.0  # hlj_people against trafilatura
TARGET_SHARE = 0.35  # of the bare lxml parse, every site parser
TARGET_PAGES = 1000.0  # hlj_people pages/s on one core (the figure; the share is what --check tests)

Parse = Callable[[Page], object]


@dataclass(frozen=True)
class Suite:
    """One parser and the saved article pages it is timed on."""

    name: str
    parse: Parse
    pages: list[Page]
    is_site: bool  # a site parser (held to TARGET_SHARE); the generic extractor is shown for comparison


def article_pages(folder: Path) -> list[Page]:
    """Every saved page whose expected fields have a title (an article page, any page of it), with the URL and
    headers it was fetched with."""
    pages = []
    for expected in sorted(folder.glob("*.json")):
        case = json.loads(expected.read_text(encoding="utf-8"))
        saved = expected.with_suffix(".html")
        if saved.exists() and case.get("title"):
            pages.append(Page(case["url"], saved.read_bytes(), case.get("headers", {})))
    return pages


def suites() -> list[Suite]:
    """The three built-in site parsers, then the generic extractor."""
    found = []
    for key in BUILTIN_KEYS:
        found.append(Suite(key, builtin_site(key).parse_page, article_pages(FIXTURES / key), True))
    found.append(Suite("generic", extract_article, article_pages(FIXTURES / "generic"), False))
    return found


def pages_per_second(parse: Parse, pages: list[Page], seconds: float) -> float:
    """Pages per CPU second, over whole passes through ``pages`` for at least ``seconds`` of CPU time."""
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for page in pages:
            parse(page)
        done += len(pages)
    return done / (time.process_time() - start)


def bare_lxml(pages: list[Page]) -> Parse:
    """lxml alone turning a page's bytes into a tree, told its charset beforehand (no detection, no extraction)."""
    parsers = {page.url: html.HTMLParser(encoding=page_codec(page.body, page.headers)) for page in pages}
    return lambda page: html.document_fromstring(page.body, parser=parsers[page.url])


def trafilatura_extract(page: Page) -> object:
    # trafilatura gets the same decoded text our parser works from: it is timed on extraction, not decoding.
    return trafilatura.extract(decode_html(page.body, dict(page.headers)), url=page.url)


def measure(suite: Suite, seconds: float, repeats: int) -> dict[str, float]:
    """Median pages/s of bare lxml, ours and trafilatura on the suite's pages, taking turns in each repeat."""
    contenders = {"lxml": bare_lxml(suite.pages), "ours": suite.parse, "trafilatura": trafilatura_extract}
    for parse in contenders.values():  # warm-up: imports, compiled expressions, parser caches
        for page in suite.pages:
            parse(page)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, parse in contenders.items():
            samples[name].append(pages_per_second(parse, suite.pages, seconds))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.4, help="CPU seconds per sample (default 0.4)")
    parser.add_argument("--repeats", type=int, default=5, help="samples per contender; the median is shown")
    parser.add_argument("--only", choices=[*BUILTIN_KEYS, "generic"], action="append", help="one suite (repeatable)")
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    args = parser.parse_args()
    print(f"CPU time, median of {args.repeats} samples of {args.seconds:g} s; trafilatura {trafilatura.__version__}")
    print(f"{'parser':<12}{'pages':>6}{'KiB':>6}{'bare lxml/s':>13}{'ours/s':>9}{'share':>7}"
          f"{'trafilatura/s':>15}{'ratio':>8}")
    missed, notes = [], []
    for suite in suites():
        if args.only and suite.name not in args.only:
            continue
        rates = measure(suite, args.seconds, args.repeats)
        share, ratio = rates["ours"] / rates["lxml"], rates["ours"] / rates["trafilatura"]
        size = sum(len(page.body) for page in suite.pages) // 1024
        print(f"{suite.name:<12}{len(suite.pages):>6}{size:>6}{rates['lxml']:>13.1f}{rates['ours']:>9.1f}"
              f"{share:>7.0%}{rates['trafilatura']:>15.1f}{ratio:>7.1f}x")
        if suite.is_site and share < TARGET_SHARE:
            missed.append(f"{suite.name} share of bare lxml {share:.0%} < {TARGET_SHARE:.0%}")
        if suite.name == "hlj_people":
            if ratio < TARGET_RATIO:
                missed.append(f"hlj_people ratio to trafilatura {ratio:.1f}x < {TARGET_RATIO:g}x")
            pace = "reached" if rates["ours"] >= TARGET_PAGES else "not reached on this machine"
            notes.append(f"hlj_people {rates['ours']:,.0f} pages/s, {TARGET_PAGES:,.0f} on one core: {pace}")
    for note in notes:
        print(note)
    print(f"targets: site parsers >= {TARGET_SHARE:.0%} of bare lxml, hlj_people >= {TARGET_RATIO:g}x trafilatura: "
          + ("OK" if not missed else "BELOW TARGET: " + "; ".join(missed)))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
