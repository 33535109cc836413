"""Fleet throughput: a scheduler queueing full crawls of N sites to 1, then 2 workers; every answer after 50 ms.

Run: .venv/bin/python benchmarks/fleet.py [--sites 8] [--articles 20] [--concurrency 2] [--delay 0.05]
Needs PostgreSQL ($HLJNEWS_BENCH_PG, default the test server's `postgres` database: a scratch database is
created and dropped) and Redis ($HLJNEWS_BENCH_REDIS, default redis://127.0.0.1:6379/12, emptied).

The sites are configured outlets (as a county or bureau site is added), each a synthetic news site of one
channel — list pages and `--articles` articles — served by the mirror, which answers every request after
`--delay` seconds, standing in for the network. The crawls are the real ones (`hljnews crawl` children of
`hljnews worker`, the project's politeness settings: 0.5 s download delay, autothrottle, 2 requests per
site at once). All N full crawls fire when the scheduler starts, so the figures are a worker's sustained
rate while the queue is full: crawls and pages per second, wall time, and CPU seconds per page over every
process of the fleet (scheduler, workers, crawl children), which bounds how many crawls one core carries.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from mirror import Mirror, MirrorServer  # noqa: E402
from storage import ArchiveNotFound, open_archive  # noqa: E402

PG_ADMIN = os.environ.get("HLJNEWS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("HLJNEWS_BENCH_REDIS", "redis://127.0.0.1:6379/12")
PARAGRAPH = "黑龙江省各地扎实推进春耕备耕工作，农资储备充足，农机检修到位，确保适时播种、应收尽收。"


def site_pages(host: str, articles: int) -> dict[str, str]:
    """One site's pages by path: two list pages and the articles they link to."""
    paths = [f"/news/2024/t20240{3 + n % 6}{10 + n % 18}_{1000 + n}.html" for n in range(articles)]
    pages = {path: _article(host, n) for n, path in enumerate(paths)}
    half = (articles + 1) // 2
    pages["/news/index.html"] = _listing(paths[:half], '<a href="index_1.html">下一页</a>')
    pages["/news/index_1.html"] = _listing(paths[half:], '<a href="index.html">上一页</a>')
    return pages


def _article(host: str, n: int) -> str:
    body = "".join(f"<p>{PARAGRAPH}（{host} 第{n}篇，第{k}段）</p>" for k in range(8))
    return (f'<html><head><meta charset="utf-8"><title>春耕备耕新闻{n}_{host}</title></head><body>'
            f'<h1>春耕备耕新闻{n}</h1><div class="info">发布时间：2024-03-{10 + n % 18:02d} 09:30 来源：{host}</div>'
            f'<div class="content">{body}</div></body></html>')


def _listing(paths: list[str], pager: str) -> str:
    items = "".join(f'<li><a href="{path}">春耕备耕新闻</a></li>' for path in paths)
    return f'<html><head><meta charset="utf-8"><title>要闻</title></head><body><ul>{items}</ul>{pager}</body></html>'


def build(root: Path, sites: int, articles: int) -> str:
    """Write the sites under root/<host>/ (the mirror's layout); returns their [[outlets]] and [[sites]] TOML."""
    config = []
    for index in range(sites):
        key, host = f"bench_{index:02d}", f"www.bench{index:02d}.example.gov.cn"
        for path, page in site_pages(host, articles).items():
            target = root / host / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page, encoding="utf-8")
        pattern = host.replace(".", r"\.")
        config.append(f'[[outlets]]\nkey = "{key}"\nstart_urls = ["http://{host}/news/index.html"]\n'
                      f"list_url_pattern = '^http://{pattern}/news/index(_\\d+)?\\.html$'\n"
                      f"article_url_pattern = '^http://{pattern}/news/\\d{{4}}/t\\d{{8}}_\\d+\\.html$'\n"
                      f'[[sites]]\nkey = "{key}"\nfull = {{ cron = "0 0 1 1 *" }}\n')
    return "".join(config)


def run_fleet(workers: int, concurrency: int, sites_toml: str, folder: Path, server: MirrorServer,
              sites: int) -> dict[str, float]:
    """Crawl every site once through a fresh archive, queue and `workers` workers; the fleet's figures."""
    db = _scratch_database(f"hljnews_bench_fleet_{os.getpid()}")
    _empty_redis()
    config = folder / f"fleet{workers}.toml"
    config.write_text(f'[scheduler]\nlog_file = "{folder / "log"}"\ncrawl_timeout_seconds = 1800\n{sites_toml}',
                      encoding="utf-8")
    common = ["--config", str(config), "--db", db, "--queue", REDIS]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "http_proxy": server.proxy_url, "HLJNEWS_CONFIG": str(config)}
    cpu_before = _children_cpu()
    started = [_start(folder / f"worker{n}.log", "worker", *common, "--concurrency", str(concurrency), env=env)
               for n in range(workers)]
    time.sleep(3)  # workers ready before the firings, so the first one does not take the whole queue
    started.append(_start(folder / "scheduler.log", "run", *common, env=env))
    try:
        runs = _wait_for_runs(db, sites)
    finally:
        for process in reversed(started):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
    cpu = _children_cpu() - cpu_before
    _drop_database(db)
    first = min(run["scheduled_at"] for run in runs)
    last = max(run["finished_at"] for run in runs)
    wall = (last - first).total_seconds()
    pages = sum(run["pages_new"] + run["pages_unchanged"] + run["pages_updated"] + run["pages_failed"]
                for run in runs)  # article pages: list pages and robots.txt are fetched but not counted
    durations = [(run["finished_at"] - run["started_at"]).total_seconds() for run in runs]
    return {"workers": workers, "wall": wall, "crawls": len(runs), "pages": pages,
            "failed": sum(run["status"] not in ("ok", "partial") for run in runs), "pages_per_s": pages / wall,
            "crawls_per_min": len(runs) / wall * 60, "crawl_s": sum(durations) / len(durations),
            "cpu_per_page_ms": cpu / pages * 1000 if pages else 0.0}


def _wait_for_runs(db: str, sites: int) -> list[dict]:
    deadline, shown = time.monotonic() + 1800, -1
    while time.monotonic() < deadline:
        try:
            with open_archive(db) as archive:
                runs = archive.runs(limit=10_000)
        except ArchiveNotFound:
            runs = []
        closed = [run for run in runs if run["status"] not in ("queued", "running")]
        if len(closed) != shown:
            shown = len(closed)
            print(f"  {shown}/{sites} crawls done", file=sys.stderr)
        if len(closed) >= sites:
            return closed
        time.sleep(1)
    raise SystemExit("the fleet did not finish within 30 minutes")


def _start(log: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "jobs", *args], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _scratch_database(name: str) -> str:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return url


def _drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    client.flushdb()
    client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=8, help="Sites crawled (one full crawl each).")
    parser.add_argument("--articles", type=int, default=20, help="Articles per site.")
    parser.add_argument("--concurrency", type=int, default=2, help="Crawls at once per worker.")
    parser.add_argument("--delay", type=float, default=0.05, help="Seconds the mirror waits before each answer.")
    parser.add_argument("--workers", default="1,2", help="Comma-separated worker counts to measure.")
    args = parser.parse_args()
    print(f"fleet throughput, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {args.sites} sites × "
          f"({args.articles} articles + 2 list pages), every answer after {args.delay * 1000:.0f} ms, "
          f"{args.concurrency} crawls at once per worker, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} before (other work on the machine skews the wall times)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sites_toml = build(folder / "pages", args.sites, args.articles)
        with MirrorServer(Mirror(folder / "pages", delay=args.delay)) as server:
            for workers in (int(n) for n in args.workers.split(",")):
                results.append(run_fleet(workers, args.concurrency, sites_toml, folder, server, args.sites))
    print(f"{'workers':>7} {'wall s':>7} {'crawls':>6} {'pages':>6} {'failed':>6} {'pages/s':>8} "
          f"{'crawls/min':>10} {'s/crawl':>8} {'CPU ms/page':>11}")
    for r in results:
        print(f"{r['workers']:>7} {r['wall']:>7.1f} {r['crawls']:>6} {r['pages']:>6} {r['failed']:>6} "
              f"{r['pages_per_s']:>8.2f} {r['crawls_per_min']:>10.1f} {r['crawl_s']:>8.1f} "
              f"{r['cpu_per_page_ms']:>11.1f}")
    print(f"load average {os.getloadavg()[0]:.1f} after (1 min)")
    if len(results) > 1:
        print(f"speed-up {results[-1]['workers']} vs {results[0]['workers']} workers: "
              f"{results[-1]['pages_per_s'] / results[0]['pages_per_s']:.2f}×")
    return 1 if any(r["failed"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
