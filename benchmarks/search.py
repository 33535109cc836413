"""Search benchmark: ingest rate, query latency and exactness against a substring scan, per backend.

Builds N distinct articles by recombining paragraphs of the saved pages in tests/fixtures and
benchmarks/data/zh-dev, then times queries of 1-4 characters and several terms. Latency is the time to
the first page (limit 20) plus the exact total count; every result set is checked against two substring
scans of the normalised text, the baselines of the speed-ups: a Python scan of it held in memory, and a
SQL scan of the search_text table (instr on SQLite, strpos on PostgreSQL) in the same database.

    .venv/bin/python benchmarks/search.py --articles 100000 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import html
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import normalize, open_archive, parse_query  # noqa: E402  (after sys.path)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
QUERIES = {
    "1 char": ["的", "江", "冰", "省", "鲁", "5"],
    "2 chars": ["中国", "经济", "哈尔", "冰雪", "养老", "教育"],
    "3 chars": ["黑龙江", "哈尔滨", "互联网", "人民网", "新时代", "科学家"],
    "4 chars": ["人工智能", "乡村振兴", "经济发展", "高质量发", "国务院办", "冰雪旅游"],
    "multi-term": ["黑龙江 经济", "冰雪 旅游 -广告", '"人民 网" 中国', "的 教育 2024", "中国 -的"],
}


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
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [{"url": f"https://bench.example.cn/{i}.html", "site": f"site{i % 5}", "title": rng.choice(pool)[:40],
             "body": "\n".join(rng.sample(pool, rng.randint(2, 8))) + f"\n（{i}）",
             "published_at": start + timedelta(minutes=37 * i),
             "source": rng.choice(["人民网", "新华社"])}
            for i in range(n)]


def scan(docs: list[tuple[int, str, str]], query: str) -> tuple[set[int], float]:
    """The baseline: ids whose normalised title or body holds every term and no excluded one; seconds."""
    parsed = parse_query(query)
    began = time.perf_counter()
    ids = {i for i, t, b in docs if all(x in t or x in b for x in parsed.terms)
           and not any(x in t or x in b for x in parsed.excluded)}
    return ids, time.perf_counter() - began


def sql_scan(archive, query: str) -> tuple[set[int], float]:
    """The SQL baseline: ids whose search_text row holds every term and no excluded one; seconds."""
    parsed = parse_query(query)
    find = "instr" if archive.url.startswith("sqlite") else "strpos"
    holds = f"({find}(title, :{{0}}) > 0 OR {find}(body, :{{0}}) > 0)"
    where = [holds.format(f"t{i}") for i in range(len(parsed.terms))]
    where += ["NOT " + holds.format(f"x{i}") for i in range(len(parsed.excluded))]
    params = {**{f"t{i}": t for i, t in enumerate(parsed.terms)}, **{f"x{i}": t for i, t in enumerate(parsed.excluded)}}
    with archive.engine.connect() as conn:
        began = time.perf_counter()
        ids = set(conn.scalars(text(f"SELECT article_id FROM search_text WHERE {' AND '.join(where)}"), params))
        return ids, time.perf_counter() - began


def database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return str(workdir / "bench.sqlite3")
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS hljnews_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE hljnews_bench"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/hljnews_bench"  # a plain postgresql:// URL, as users give it


def run(backend: str, corpus: list[dict], docs: list[tuple[int, str, str]], workdir: Path) -> None:
    archive = open_archive(database(backend, workdir), create=True)
    began = time.perf_counter()
    for article in corpus:
        archive.save_article(article, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    ingest = time.perf_counter() - began
    print(f"\n== {backend}: {len(corpus):,} articles ingested in {ingest:.0f} s "
          f"({len(corpus) / ingest:,.0f} articles/s, index maintained in each save)")
    ids = {r["url"]: r["id"] for r in archive.export_rows(batch_size=2000)}
    by_url = [(ids[a["url"]], t, b) for a, (_, t, b) in zip(corpus, docs, strict=True)]
    print(f"{'queries':<11} {'p50 ms':>7} {'p95 ms':>7} {'py scan':>8} {'sql scan':>9} {'x py':>6} {'x sql':>6} "
          f"{'hits (min-max)':>16}  exact")
    every = []
    for group, queries in QUERIES.items():
        times, scans, sql_scans, hits, exact = [], [], [], [], True
        for query in queries:
            expected, scan_seconds = scan(by_url, query)
            in_sql, sql_seconds = sql_scan(archive, query)
            for _ in range(3):  # the first run warms caches; all three samples count
                began = time.perf_counter()
                first = archive.search(query, limit=20)
                times.append(time.perf_counter() - began)
            complete = {r["id"] for r in archive.export_rows(query, batch_size=5000)}
            exact &= complete == expected == in_sql and first["total"] == len(expected)
            scans.append(scan_seconds)
            sql_scans.append(sql_seconds)
            hits.append(len(expected))
        every += times
        p50, p95 = statistics.median(times) * 1000, statistics.quantiles(times, n=20)[-1] * 1000
        py, sql = statistics.median(scans) * 1000, statistics.median(sql_scans) * 1000
        print(f"{group:<11} {p50:7.1f} {p95:7.1f} {py:8.0f} {sql:9.0f} {py / p50:5.0f}x {sql / p50:5.0f}x "
              f"{min(hits):>7,}-{max(hits):<7,}  {'yes' if exact else 'NO'}")
    print(f"{'all':<11} {statistics.median(every) * 1000:7.1f} {statistics.quantiles(every, n=20)[-1] * 1000:7.1f}")
    archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite")
    options = parser.parse_args()
    corpus = articles(options.articles)
    docs = [(i, normalize(searchable_title(a)), normalize(a["body"])) for i, a in enumerate(corpus)]
    print(f"{options.articles:,} articles from {len(paragraphs()):,} distinct paragraphs; latency = first page "
          "(limit 20, ranked) + exact total; x py / x sql = speed-up of the p50 over the median "
          "Python in-memory scan / SQL scan of search_text")
    with tempfile.TemporaryDirectory() as workdir:
        for backend in options.backends.split(","):
            run(backend, corpus, docs, Path(workdir))


if __name__ == "__main__":
    main()
