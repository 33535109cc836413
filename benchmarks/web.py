"""Web benchmark: the search page's server time against the bare archive.search call, on a large SQLite archive.

Builds (or reuses, in data/bench/, gitignored) the SQLite archive benchmarks/search.py builds: N articles of
its generator loaded in bulk through Archive.load_new_articles (one save_article at a time takes the best part
of an hour for 100,000). Then, per query class, times
GET /search (the whole page: query, rendering, escaping) in-process through Starlette's test client, and
archive.search with the same arguments in the same run: the baseline. The target is a p95 under 100 ms.
SQLite's planner has no statistics, as in an archive built by crawls (storage never runs ANALYZE); --analyze
measures with them, which changes the plans of filtered searches.

    .venv/bin/python benchmarks/web.py --articles 100000 [--analyze]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402  (after sys.path)

from benchmarks.search import TERMS as QUERIES  # noqa: E402
from benchmarks.search import articles, database, load  # noqa: E402
from storage import normalize, open_archive  # noqa: E402
from web import create_app  # noqa: E402
from web.formats import MARKS  # noqa: E402

REPEATS = 3  # samples per query (the first warms caches; all count)
# The page's own filters and sort on top of the plain queries: the filtered count is a known slow spot.
VARIANTS = {"": {}, "sort=date": {"sort": "date"}, "site=site1": {"site": "site1"},
            "since=2024-06-01": {"since": "2024-06-01"}}


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    return statistics.median(samples) * 1000, statistics.quantiles(samples, n=20)[-1] * 1000


def planner_statistics(db: Path, analyze: bool) -> None:
    """With --analyze, SQLite's planner statistics (ANALYZE); without, none, as an archive built by crawls has."""
    import sqlite3

    conn = sqlite3.connect(db)
    if analyze:
        conn.execute("ANALYZE")
    else:
        for table in ("sqlite_stat1", "sqlite_stat4"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.commit()
    conn.close()


def measure(db: Path) -> None:
    archive = open_archive(db)
    count = archive.counts()["articles"]
    print(f"{count:,} articles; page = GET /search through Starlette's test client (in-process: routing, "
          "query, template, escaping); bare = archive.search with the same arguments, the baseline")
    print(f"{'queries':<12} {'filter':<17} {'page p50':>9} {'page p95':>9} {'bare p50':>9} {'bare p95':>9} "
          f"{'page/bare':>9}")
    every_page, every_bare, unfiltered_page = [], [], []
    with TestClient(create_app(archive), base_url="http://127.0.0.1") as client:
        client.get("/search")  # the site list cache, as a running server has it
        for group, queries in QUERIES.items():
            for name, extra in VARIANTS.items():
                page_times, bare_times = _time(client, archive, queries, extra)
                every_page += page_times
                every_bare += bare_times
                unfiltered_page += [] if "site" in extra else page_times
                (p50, p95), (b50, b95) = percentiles(page_times), percentiles(bare_times)
                print(f"{group:<12} {name or '-':<17} {p50:9.1f} {p95:9.1f} {b50:9.1f} {b95:9.1f} {p50 / b50:8.2f}x")
    (p50, p95), (b50, b95) = percentiles(every_page), percentiles(every_bare)
    print(f"{'all':<12} {'':<17} {p50:9.1f} {p95:9.1f} {b50:9.1f} {b95:9.1f} {p50 / b50:8.2f}x")
    print(f"search page p95 {p95:.1f} ms: {'within' if p95 < 100 else 'OVER'} the 100 ms target "
          f"(without the site filter: p95 {percentiles(unfiltered_page)[1]:.1f} ms)")
    print(f"totals equal a substring scan of search_text (the bulk-built index is exact): {_exact(archive)}")
    archive.close()


def _time(client: TestClient, archive: Any, queries: list[str], extra: dict[str, str]
          ) -> tuple[list[float], list[float]]:
    filters: dict[str, Any] = {}
    if "site" in extra:
        filters["site"] = extra["site"]
    if "since" in extra:
        filters["since"] = datetime.fromisoformat(extra["since"]).replace(tzinfo=UTC)
    page_times, bare_times = [], []
    for query in queries:
        for _ in range(REPEATS):
            began = time.perf_counter()
            answer = client.get("/search", params={"q": query, **extra})
            page_times.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.text[:300]
            began = time.perf_counter()
            archive.search(query, limit=20, sort=extra.get("sort", "relevance"), highlight=MARKS, **filters)
            bare_times.append(time.perf_counter() - began)
    return page_times, bare_times


def _exact(archive: Any) -> str:
    """Whether every query's total equals an instr() scan of search_text (plain terms only)."""
    from sqlalchemy import text

    plain = [q for group in QUERIES.values() for q in group if " " not in q and '"' not in q]
    with archive.engine.connect() as conn:
        for query in plain:
            folded = normalize(query)
            scanned = conn.scalar(text("SELECT count(*) FROM search_text WHERE instr(title, :t) > 0 "
                                       "OR instr(body, :t) > 0"), {"t": folded})
            if scanned != archive.search(query, limit=0)["total"]:
                return f"NO ({query})"
    return f"yes ({len(plain)} queries)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="Build the archive again even if it exists.")
    parser.add_argument("--analyze", action="store_true",
                        help="Measure with SQLite's planner statistics (ANALYZE), which the archive never gathers.")
    options = parser.parse_args()
    url, build = database("sqlite", options.articles, options.rebuild)
    db = Path(url)
    if build:
        began = time.perf_counter()
        with open_archive(db, create=True) as archive:
            load(archive, articles(options.articles))
        print(f"built {options.articles:,} articles in {time.perf_counter() - began:.0f} s at {db}")
    planner_statistics(db, options.analyze)
    print(f"planner statistics: {'ANALYZE run' if options.analyze else 'none (as a crawled archive)'}")
    measure(db)


if __name__ == "__main__":
    main()
