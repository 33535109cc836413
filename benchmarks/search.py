"""Search benchmark: query latency per query class against a SQL substring scan, and exactness, per backend.

Builds N distinct articles by recombining paragraphs of the saved pages in tests/fixtures and
benchmarks/data/zh-dev, loads them in bulk (articles and index rows inserted in batches, the index
built the way the backend's write path builds it) and keeps the archive for the next run: SQLite in
data/bench/search-N.sqlite3, PostgreSQL as database hljnews_bench_search_N on $HLJNEWS_BENCH_PG's server
(default the test server). Latency is one `Archive.search` call: the exact total plus one page of 20,
five timed runs per query after an untimed one (the scans done for checking evict the search's pages).
Query classes: 1-4 characters, several terms, with a site or a since filter, date order, page 6 (offset
100). The baseline, timed in the same run: a SQL scan of the search_text table (strpos on PostgreSQL,
instr on SQLite) for the same terms and filters. Every class is checked: the total equals a Python
substring scan of the generated texts, the exported match set equals it too, the page is a subset of it
in the requested order.

    .venv/bin/python benchmarks/search.py --articles 100000 --backends postgresql,sqlite [--rebuild]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lxml import html
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import Archive, normalize, open_archive, parse_query  # noqa: E402  (after sys.path)

PG_ADMIN = os.environ.get("HLJNEWS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DIR = ROOT / "data" / "bench"
START = datetime(2024, 1, 1, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
STEP = timedelta(minutes=37)
FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
# As docs/schema.md describes it (dropped for the load, built once after it).
GIN_INDEX = "CREATE INDEX ix_search_grams_grams ON search_grams USING gin (grams)"
TERMS = {
    "1 char": ["的", "江", "冰", "省", "鲁", "5"],
    "2 chars": ["中国", "经济", "哈尔", "冰雪", "养老", "教育"],
    "3 chars": ["黑龙江", "哈尔滨", "互联网", "人民网", "新时代", "科学家"],
    "4 chars": ["人工智能", "乡村振兴", "经济发展", "高质量发", "国务院办", "冰雪旅游"],
    "multi-term": ["黑龙江 经济", "冰雪 旅游 -广告", '"人民 网" 中国', "的 教育 2024", "中国 -的"],
}
MIXED = ["的", "江", "中国", "冰雪", "黑龙江", "人工智能", "黑龙江 经济"]
LIMIT = 20
RUNS = 5  # timed runs of each query, after one untimed run


def query_classes(n: int) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Class name -> (query, search keyword arguments) pairs."""
    recent = START + STEP * n - timedelta(days=180)  # the newest half year
    classes = {name: [(q, {}) for q in queries] for name, queries in TERMS.items()}
    classes["site filter"] = [(q, {"site": "site1"}) for q in MIXED]
    classes["since filter"] = [(q, {"since": recent}) for q in MIXED]
    classes["date order"] = [(q, {"sort": "date"}) for q in MIXED]
    classes["page 6"] = [(q, {"offset": 100}) for q in MIXED]
    return classes


def paragraphs() -> list[str]:
    """Paragraph texts (8+ characters) of every saved page."""
    pages = [*ROOT.glob("tests/fixtures/**/*.html"), *ROOT.glob("benchmarks/data/zh-dev/*.html")]
    found: set[str] = set()
    for page in pages:
        tree = html.fromstring(page.read_bytes())
        for node in tree.iter("p", "li", "h1", "h2", "td"):
            content = " ".join(node.text_content().split())
            if len(content) >= 8:
                found.add(content)
    return sorted(found)


def searchable_title(article: dict) -> str:
    """What search looks for title hits in (as storage defines it): pretitle, title and subtitle."""
    return " ".join(part for part in (article.get("pretitle"), article.get("title"), article.get("subtitle")) if part)


def articles(n: int, seed: int = 1) -> list[dict]:
    """n distinct articles: a paragraph as title, 2-8 as body, varied sites and dates."""
    rng = random.Random(seed)
    pool = paragraphs()
    return [{"url": f"https://bench.example.cn/{i}.html", "site": f"site{i % 5}", "title": rng.choice(pool)[:40],
             "body": "\n".join(rng.sample(pool, rng.randint(2, 8))) + f"\n（{i}）",
             "published_at": START + STEP * i, "source": rng.choice(["人民网", "新华社"])}
            for i in range(n)]


def database(backend: str, n: int, rebuild: bool) -> tuple[str, bool]:
    """The archive's URL, and whether it must be (re)built."""
    if backend == "sqlite":
        path = BENCH_DIR / f"search-{n}.sqlite3"
        if rebuild:
            path.unlink(missing_ok=True)
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        return str(path), not path.exists()
    name = f"hljnews_bench_search_{n}"
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if rebuild and exists:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        if rebuild or not exists:
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, bool(rebuild or not exists)


def load(archive: Archive, corpus: list[dict]) -> None:
    """Insert the articles and their index rows in bulk (save_article runs ~160 articles/s on PostgreSQL)."""
    postgresql = archive.url.startswith("postgresql")
    if postgresql:  # one GIN build after the load is much faster than maintaining it row by row
        with archive.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_search_grams_grams"))
    archive.load_new_articles(corpus, fetched_at=FETCHED_AT)
    if postgresql:
        with archive.engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # the default 64MB makes it slow
            conn.execute(text(GIN_INDEX))
        with archive.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def expected_ids(corpus: list[dict], docs: list[tuple[str, str]], ids: list[int], query: str,
                 options: dict[str, Any]) -> set[int]:
    """The reference: a Python substring scan of the normalised texts, with the filters applied."""
    parsed = parse_query(query)
    return {id_ for id_, a, (t, b) in zip(ids, corpus, docs, strict=True)
            if all(x in t or x in b for x in parsed.terms) and not any(x in t or x in b for x in parsed.excluded)
            and a["site"] == options.get("site", a["site"]) and a["published_at"] >= options.get("since", START)}


def sql_scan(archive: Archive, query: str, options: dict[str, Any]) -> tuple[int, float]:
    """The SQL baseline: how many search_text rows hold every term and no excluded one (same filters); seconds."""
    parsed = parse_query(query)
    find = "strpos" if archive.url.startswith("postgresql") else "instr"
    holds = f"({find}(s.title, :{{0}}) > 0 OR {find}(s.body, :{{0}}) > 0)"
    where = [holds.format(f"t{i}") for i in range(len(parsed.terms))]
    where += ["NOT " + holds.format(f"x{i}") for i in range(len(parsed.excluded))]
    params: dict[str, Any] = {**{f"t{i}": t for i, t in enumerate(parsed.terms)},
                              **{f"x{i}": t for i, t in enumerate(parsed.excluded)}}
    if "site" in options:
        where.append("a.site = :site")
        params["site"] = options["site"]
    if "since" in options:  # SQLite stores times as ISO 8601 text on Shanghai's clock
        where.append("a.published_at >= :since")
        params["since"] = options["since"] if find == "strpos" else options["since"].astimezone(SHANGHAI).isoformat()
    sql = f"SELECT s.article_id FROM search_text s JOIN articles a ON a.id = s.article_id WHERE {' AND '.join(where)}"
    with archive.engine.connect() as conn:
        began = time.perf_counter()
        found = len(conn.scalars(text(sql), params).all())
        return found, time.perf_counter() - began


def timed(call: Callable[[], dict]) -> tuple[dict, float]:
    began = time.perf_counter()
    result = call()
    return result, time.perf_counter() - began


def run(backend: str, corpus: list[dict], docs: list[tuple[str, str]], rebuild: bool) -> None:
    url, build = database(backend, len(corpus), rebuild)
    archive = open_archive(url, create=True)
    if build:
        began = time.perf_counter()
        load(archive, corpus)
        print(f"\n== {backend}: built {len(corpus):,} articles in {time.perf_counter() - began:.0f} s (bulk load)")
    else:
        print(f"\n== {backend}: reusing the {len(corpus):,}-article archive ({url.rsplit('/', 1)[-1]})")
    ids = [row["id"] for row in archive.export_rows(batch_size=5000)]
    if len(ids) != len(corpus):
        raise SystemExit(f"{url} holds {len(ids)} articles, not {len(corpus)}: run with --rebuild")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {RUNS} timed runs per query "
          "after one untimed one")
    print(f"{'class':<13} {'p50 ms':>7} {'p95 ms':>7} {'sql scan':>9} {'x sql':>6} {'hits (min-max)':>16}  exact")
    every = []
    for name, queries in query_classes(len(corpus)).items():
        times, scans, hits, exact = [], [], [], True
        for query, options in queries:
            expected = expected_ids(corpus, docs, ids, query, options)
            in_sql, scan_seconds = sql_scan(archive, query, options)
            filters = {k: v for k, v in options.items() if k in ("site", "since")}
            archive.search(query, limit=LIMIT, **options)  # untimed: the scans above evicted its pages
            gc.collect()  # the checks' garbage (tens of thousands of rows) collected now, not in a timed search
            for _ in range(RUNS):
                result, seconds = timed(lambda q=query, o=options: archive.search(q, limit=LIMIT, **o))
                times.append(seconds)
            page = [r["id"] for r in result["results"]]
            complete = {r["id"] for r in archive.export_rows(query, batch_size=5000, **filters)}
            exact &= complete == expected and in_sql == len(expected) == result["total"] and set(page) <= expected
            exact &= len(page) == min(LIMIT, max(0, len(expected) - options.get("offset", 0)))
            if options.get("sort") == "date":
                dates = [r["published_at"] for r in result["results"]]
                exact &= dates == sorted(dates, reverse=True)
            scans.append(scan_seconds)
            hits.append(len(expected))
        every += times
        p50, p95 = statistics.median(times) * 1000, statistics.quantiles(times, n=20)[-1] * 1000
        sql = statistics.median(scans) * 1000
        print(f"{name:<13} {p50:7.1f} {p95:7.1f} {sql:9.0f} {sql / p50:5.0f}x {min(hits):>7,}-{max(hits):<7,}  "
              f"{'yes' if exact else 'NO'}")
    print(f"{'all':<13} {statistics.median(every) * 1000:7.1f} {statistics.quantiles(every, n=20)[-1] * 1000:7.1f}")
    archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--rebuild", action="store_true", help="build the archives again even if present")
    options = parser.parse_args()
    corpus = articles(options.articles)
    docs = [(normalize(searchable_title(a)), normalize(a["body"])) for a in corpus]
    # The reference texts (millions of objects the searches never touch) out of the collector's sight: else
    # each full collection the exactness checks' garbage sets off rescans them, a ~60-90 ms pause that lands
    # in whichever timed search is running. A search process holds no such corpus.
    gc.freeze()
    print(f"{options.articles:,} articles from {len(paragraphs()):,} distinct paragraphs; latency = one search "
          f"(exact total + a page of {LIMIT}); x sql = median SQL substring scan of search_text / p50")
    for backend in options.backends.split(","):
        run(backend, corpus, docs, options.rebuild)


if __name__ == "__main__":
    main()
