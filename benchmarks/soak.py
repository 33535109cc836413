"""Soak test of the scheduler daemon: 200+ short real crawls of the local mirror, RSS and timing.

Run: .venv/bin/python benchmarks/soak.py [--crawls 200] [--interval 2]
The daemon fires a hot-list crawl of every demo site every --interval seconds; each crawl is a real child process
(`hljnews crawl --mode hot`) fetching the bundled mirror through its proxy into a temporary archive. Firings
that come while the previous crawl still runs are recorded as skipped, as in production. Prints the daemon's
own RSS after its first crawl (imports done: the baseline) and at the end, and the scheduling delay (actual
minus planned start) p50/p95. Targets: RSS growth under 10%, p95 delay under 1 s (exit 1 with --check).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jobs.config import JobSpec, SchedulerConfig  # noqa: E402
from jobs.demo import DEMO_SITES, proxied_through  # noqa: E402
from jobs.mirror import MirrorServer  # noqa: E402
from jobs.scheduler import Daemon  # noqa: E402
from storage import open_archive  # noqa: E402


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def finished_crawls(db: str) -> int:
    with open_archive(db) as archive:
        return sum(1 for run in archive.runs(limit=100_000) if run["status"] not in {"skipped", "running"})


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawls", type=int, default=200)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, MirrorServer() as server, proxied_through(server):
        db = str(Path(tmp) / "soak.sqlite3")
        jobs = tuple(JobSpec(site, "hot", interval_seconds=args.interval) for site in DEMO_SITES)
        config = SchedulerConfig(jobs=jobs,
                                 log_file=str(Path(tmp) / "soak.log"), shutdown_grace_seconds=30)
        daemon = Daemon(config, db)
        rss_cold = rss_kib()
        daemon.start()
        while finished_crawls(db) < 1:
            time.sleep(0.5)
        rss_start, started = rss_kib(), time.monotonic()
        while (done := finished_crawls(db)) < args.crawls:
            time.sleep(1)
            print(f"\r{done}/{args.crawls} crawls, RSS {rss_kib() / 1024:.1f} MiB", end="", file=sys.stderr)
        rss_end = rss_kib()
        daemon.stop()
        with open_archive(db) as archive:
            statuses = [run["status"] for run in archive.runs(limit=100_000)]
    growth = (rss_end - rss_start) / rss_start * 100
    p50, p95 = percentile(daemon.delays, 0.5), percentile(daemon.delays, 0.95)
    print(f"\ncrawls: {done} finished in {time.monotonic() - started:.0f} s; firings recorded: {len(statuses)} "
          f"({', '.join(f'{s} {statuses.count(s)}' for s in sorted(set(statuses)))})")
    print(f"daemon RSS: cold {rss_cold / 1024:.1f} MiB, after first crawl {rss_start / 1024:.1f} MiB, "
          f"end {rss_end / 1024:.1f} MiB -> growth {growth:+.1f}% (target < 10%)")
    print(f"scheduling delay over {len(daemon.delays)} firings: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"mean {statistics.fmean(daemon.delays) * 1000:.0f} ms (target p95 < 1000 ms)")
    ok = growth < 10 and p95 < 1
    print("OK" if ok else "BELOW TARGET")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
