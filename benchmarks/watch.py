"""Watch benchmark: 200 watches evaluated against a run of 10,000 new articles, beside 200 full searches.

The watches are standing `hljnews search` queries (1-3 terms of 2-4 characters taken from the articles,
some with an exclusion, a quarter limited to one site). Matching is what the write path does after the
index write: WatchMatcher over each article's normalised title and body (normalising is the index's work,
timed apart). The baseline is the same work done by search: each watch's query run as a search returning
every match over an archive holding the 10,000 articles. Every watch's matches are checked against both
the search's and a substring scan's, and against the alerts the archive wrote while ingesting. Times are
CPU seconds of this one process (single-threaded, SQLite in-process): what one core spends, whatever else
the machine is doing.

    .venv/bin/python benchmarks/watch.py --articles 10000 --watches 200
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

import search as search_benchmark  # noqa: E402  (benchmarks/search.py: its article generator)

from storage import WatchMatcher, normalize, open_archive, parse_query  # noqa: E402  (after sys.path)

TARGET_SECONDS = 2.0


def watch_queries(corpus: list[dict], n: int, seed: int = 3) -> list[tuple[str, str | None]]:
    """n (query, site or None): substrings of the articles' text, so every watch has matches and misses."""
    rng = random.Random(seed)
    texts = [normalize(article["title"] + article["body"]) for article in rng.sample(corpus, 500)]
    pieces = (_piece(rng, rng.choice(texts), rng.randint(2, 4)) for _ in range(5000))
    words = [w for w in pieces if len(parse_query(f'"{w}"').terms) == 1 and not w.startswith("-")]
    made = []
    for i in range(n):
        terms = rng.sample(words, rng.choice((1, 1, 2, 2, 3)))
        if rng.random() < 0.2:
            terms.append("-" + rng.choice(words))
        made.append((" ".join(f'"{t}"' if " " in t else t for t in terms), f"site{i % 5}" if i % 4 == 0 else None))
    return made


def _piece(rng: random.Random, text: str, length: int) -> str:
    start = rng.randrange(max(1, len(text) - length))
    return text[start:start + length].replace('"', "")


def scan(docs: list[tuple[int, str, str, str]], query: str, site: str | None) -> set[int]:
    """The reference: ids whose normalised title or body holds every term and no excluded one."""
    parsed = parse_query(query)
    return {i for i, s, t, b in docs if (site is None or s == site) and all(x in t or x in b for x in parsed.terms)
            and not any(x in t or x in b for x in parsed.excluded)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--watches", type=int, default=200)
    options = parser.parse_args()
    corpus = search_benchmark.articles(options.articles)
    queries = watch_queries(corpus, options.watches)
    began = time.process_time()
    docs = [(i, a["site"], normalize(search_benchmark.searchable_title(a)), normalize(a["body"]))
            for i, a in enumerate(corpus, 1)]
    normalising = time.process_time() - began
    rows = [{"id": i, "name": f"w{i}", "query": q, "sites": [s] if s else [], "triggers": ["new"], "hot_rank": None,
             "targets": [], "digest": None} for i, (q, s) in enumerate(queries, 1)]
    matcher = WatchMatcher.from_rows(rows)
    began = time.process_time()
    matched: dict[int, set[int]] = {row["id"]: set() for row in rows}
    for i, site, title, body in docs:
        for watch in matcher.matches(title, body, site=site, trigger="new"):
            matched[watch.id].add(i)
    matching = time.process_time() - began
    hits = sum(len(ids) for ids in matched.values())
    print(f"{options.watches} watches x {options.articles:,} new articles: {hits:,} matches "
          f"({sum(1 for ids in matched.values() if ids)} watches with some)")
    print(f"  watch matching          {matching:7.2f} s   CPU; target < {TARGET_SECONDS:.0f} s: "
          f"{'met' if matching < TARGET_SECONDS else 'MISSED'}   (normalising the text, the index's work: "
          f"{normalising:.2f} s)")
    exact = all(matched[row["id"]] == scan(docs, q, s) for row, (q, s) in zip(rows, queries, strict=True))
    with tempfile.TemporaryDirectory() as workdir:
        searching, same, alerted = _searches(Path(workdir) / "bench.sqlite3", corpus, rows, queries, matched)
    label = f"{len(rows)} full searches"
    print(f"  {label:<22}  {searching:7.2f} s   CPU ({searching / matching:.0f}x the watch matching; "
          "each returns every match, on SQLite)")
    print(f"  exact: substring scan {'yes' if exact else 'NO'}, search {'yes' if same else 'NO'}, "
          f"alerts written by the archive's ingest {'yes' if alerted else 'NO'}")


def _searches(db: Path, corpus: list[dict], rows: list[dict], queries: list[tuple[str, str | None]],
              matched: dict[int, set[int]]) -> tuple[float, bool, bool]:
    """Ingest the run with the watches in place; time one full search per watch; compare every result set."""
    with open_archive(db, create=True) as archive:
        for row in rows:
            archive.add_watch(row)
        for article in corpus:
            archive.save_article(article, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
        began = time.process_time()
        found = [{r["id"] for r in archive.export_rows(q, batch_size=5000, site=s)} for q, s in queries]
        seconds = time.process_time() - began
        ledger = archive.alert_ledger(limit=10_000_000)
    alerts: dict[str, set[int]] = {}
    for alert in ledger:
        alerts.setdefault(alert["watch_name"], set()).add(alert["article_id"])
    same = all(found[i] == matched[row["id"]] for i, row in enumerate(rows))
    alerted = all(alerts.get(row["name"], set()) == matched[row["id"]] for row in rows)
    return seconds, same, alerted


if __name__ == "__main__":
    main()
