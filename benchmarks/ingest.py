"""Ingest benchmark: articles/s into a fresh archive, one transaction per article against batched transactions.

The baseline is `Archive.save_article` called once per article (the crawl's write path before batching),
measured in the same run on the same articles (made as `search.py` makes them, in a crawl run, with watches
in place so every save is matched against them) against `Archive.batch()` committed every --batch articles.
Each path gets a fresh database per backend; the search index and alerts are maintained in both.

    .venv/bin/python benchmarks/ingest.py --articles 20000 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search import PG_ADMIN, articles  # noqa: E402  (benchmarks/search.py, beside this file)
from sqlalchemy import create_engine, text  # noqa: E402

from storage import open_archive  # noqa: E402  (after sys.path)

FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
WATCHES = [("冰雪旅游", "冰雪 旅游"), ("养老", "养老"), ("人工智能", "人工智能 -广告"), ("乡村振兴", '"乡村 振兴"')]


def fresh_database(backend: str, folder: Path) -> str:
    """An empty archive URL: a new SQLite file in ``folder``, or a PostgreSQL database made anew."""
    if backend == "sqlite":
        return str(folder / "archive.sqlite3")
    name = f"hljnews_bench_ingest_{folder.name}"
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def ingest(url: str, corpus: list[dict], batch: int) -> tuple[float, int]:
    """Seconds to store the corpus in one crawl run (batch 1: a save_article call each), and alerts made."""
    with open_archive(url, create=True) as archive:
        for name, query in WATCHES:
            archive.add_watch({"name": name, "query": query})
        run_id = archive.start_run("bench", "bench")
        began = time.perf_counter()
        if batch == 1:
            for article in corpus:
                archive.save_article(article, fetched_at=FETCHED_AT, run_id=run_id)
        else:
            for start in range(0, len(corpus), batch):
                archive.save_articles(corpus[start:start + batch], fetched_at=FETCHED_AT, run_id=run_id)
        seconds = time.perf_counter() - began
        run = archive.finish_run(run_id, "ok")
        assert run["pages_new"] == len(corpus), run
        return seconds, len(archive.alert_ledger(limit=len(corpus) * len(WATCHES)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200, help="articles per transaction of the batched path")
    parser.add_argument("--backends", default="sqlite,postgresql")
    options = parser.parse_args()
    corpus = articles(options.articles)
    print(f"{options.articles:,} articles, {len(WATCHES)} watches; baseline = one save_article transaction each")
    print(f"{'backend':<11} {'one by one':>11} {f'batch {options.batch}':>11} {'ratio':>6}  alerts equal")
    with tempfile.TemporaryDirectory() as workdir:
        for backend in options.backends.split(","):
            for sub in ("one", "batch"):
                (Path(workdir) / sub).mkdir(exist_ok=True)
            single, single_alerts = ingest(fresh_database(backend, Path(workdir) / "one"), corpus, 1)
            batched, batched_alerts = ingest(fresh_database(backend, Path(workdir) / "batch"), corpus,
                                                     options.batch)
            rate, batch_rate = len(corpus) / single, len(corpus) / batched
            print(f"{backend:<11} {rate:9,.0f}/s {batch_rate:9,.0f}/s {batch_rate / rate:5.1f}x  "
                  f"{'yes' if single_alerts == batched_alerts else 'NO'} ({batched_alerts:,})")


if __name__ == "__main__":
    main()
