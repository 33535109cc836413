"""Soak test of the scheduler daemon: 200+ short real crawls of the local mirror, RSS and timing.

Run: .venv/bin/python benchmarks/soak.py [--crawls 200] [--interval 2] [--sites hlj_people,dbw] [--check]
The daemon fires a hot-list crawl of every mirrored site (hlj_people, hlj_xinhua, dbw) every --interval seconds;
each crawl is a real child process (`hljnews crawl --mode hot`: a home page and its newest article) fetching the
bundled mirror through its proxy into a temporary archive, so three crawls start together and compete for the
CPU, as a daemon with several sites does. A firing that comes while the job's previous crawl still runs is
recorded as skipped, as in production.

Measures the daemon process only (crawls are children, their memory is not the daemon's): its RSS after the
first finished crawl (imports, job store and executor warm: the baseline) and at the end; and the scheduling
delay of every firing, from its planned time to the moment its run row is claimed in the ledger (just before
the child is spawned). The ledger's started_at - scheduled_at is shown beside it: it runs up to the moment the
crawl child has started and taken its run, so it adds the child's start-up. Targets: RSS growth under 10%,
p95 scheduling delay under 1 s (exit 1 with --check). About 3 minutes on 2 cores.
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

from config import DEFAULT_CONFIG, Job, LoadedConfig, Scheduler, SiteSchedule  # noqa: E402
from jobs.demo import proxied_through  # noqa: E402
from jobs.scheduler import Daemon  # noqa: E402
from mirror import MirrorServer  # noqa: E402
from storage import open_archive  # noqa: E402

MIRRORED_SITES = ("hlj_people", "hlj_xinhua", "dbw")


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def finished_crawls(db: str) -> int:
    with open_archive(db) as archive:
        return sum(1 for run in archive.runs(limit=100_000) if run["status"] not in {"skipped", "running"})


def ledger_delays(runs: list[dict]) -> list[float]:
    """Recorded start minus planned start of every run that started a crawl."""
    return [(run["started_at"] - run["scheduled_at"]).total_seconds()
            for run in runs if run["status"] not in {"skipped", "missed"} and run["scheduled_at"]]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crawls", type=int, default=200)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--sites", default=",".join(MIRRORED_SITES), help="Comma-separated site keys.")
    parser.add_argument("--check", action="store_true", help="Exit 1 when a target is missed.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, MirrorServer() as server, proxied_through(server):
        db = str(Path(tmp) / "soak.sqlite3")
        sites = [SiteSchedule(key=site, hot=Job(interval_seconds=args.interval)) for site in args.sites.split(",")]
        scheduler = Scheduler(log_file=str(Path(tmp) / "soak.log"), shutdown_grace_seconds=30)
        config = LoadedConfig.model_construct(scheduler=scheduler, outlets=[], sites=sites, path=DEFAULT_CONFIG)
        daemon = Daemon(config, db)
        rss_cold = rss_kib()
        daemon.start()
        while finished_crawls(db) < 1:
            time.sleep(0.5)
        rss_start, started = rss_kib(), time.monotonic()
        samples: dict[int, int] = {}  # RSS at every quarter of the run: growth that levels off is warm-up
        while (done := finished_crawls(db)) < args.crawls:
            time.sleep(1)
            samples.setdefault(done * 4 // args.crawls, rss_kib())
            print(f"\r{done}/{args.crawls} crawls, RSS {rss_kib() / 1024:.1f} MiB", end="", file=sys.stderr)
        rss_end = rss_kib()
        daemon.stop()
        with open_archive(db) as archive:
            runs = archive.runs(limit=100_000)
    statuses = [run["status"] for run in runs]
    delays = ledger_delays(runs)
    growth = (rss_end - rss_start) / rss_start * 100
    p50, p95 = percentile(daemon.delays, 0.5), percentile(daemon.delays, 0.95)
    print(f"\ncrawls: {done} finished in {time.monotonic() - started:.0f} s; firings recorded: {len(statuses)} "
          f"({', '.join(f'{s} {statuses.count(s)}' for s in sorted(set(statuses)))})")
    print(f"daemon RSS: cold {rss_cold / 1024:.1f} MiB, after first crawl {rss_start / 1024:.1f} MiB, "
          f"end {rss_end / 1024:.1f} MiB -> growth {growth:+.1f}% (target < 10%)")
    print("  by quarter: " + ", ".join(f"{rss / 1024:.1f}" for _, rss in sorted(samples.items()))
          + f", {rss_end / 1024:.1f} MiB")
    print(f"scheduling delay (run claimed - planned) over {len(daemon.delays)} firings: p50 {p50 * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {max(daemon.delays) * 1000:.0f} ms, "
          f"mean {statistics.fmean(daemon.delays) * 1000:.0f} ms (target p95 < 1000 ms)")
    print(f"  crawl started (ledger started_at - planned, child start-up included) over {len(delays)} crawls: "
          f"p50 {percentile(delays, 0.5) * 1000:.0f} ms, p95 {percentile(delays, 0.95) * 1000:.0f} ms")
    ok = growth < 10 and p95 < 1
    print("OK" if ok else "BELOW TARGET")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
