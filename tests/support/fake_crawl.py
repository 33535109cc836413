"""A stand-in for `hljnews crawl` in scheduler tests: behaves as $FAKE_CRAWL says, in $FAKE_SLEEP seconds.

Like the real crawl child it takes the site lock and its queued run first (closing the run `skipped` when the
lock is held) and stops when its parent dies (jobs.child). Then — ok: closes its run as ok; crash: exits 3
leaving the run open; hang: never ends; graceful: runs until SIGTERM, then closes its run as interrupted (as
Scrapy does); stubborn: like graceful, but takes $FAKE_SLEEP seconds to close after SIGTERM.
"""

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack

from jobs.child import take_run, watch_parent
from storage import open_archive


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--db")
    args, _ = parser.parse_known_args()
    behaviour = os.environ.get("FAKE_CRAWL", "ok")
    seconds = float(os.environ.get("FAKE_SLEEP", "0.1"))
    watch_parent()
    with ExitStack() as locks:
        archive = locks.enter_context(open_archive(args.db, create=True))
        if not take_run(locks, archive, args.site, args.run_id):
            return 0
        return crawl(args, behaviour, seconds)


def crawl(args: argparse.Namespace, behaviour: str, seconds: float) -> int:
    if behaviour in ("graceful", "stubborn"):
        delay = seconds if behaviour == "stubborn" else 0
        signal.signal(signal.SIGTERM, lambda *_: time.sleep(delay) or finish(args, "interrupted") or sys.exit(0))
        time.sleep(3600)
    if behaviour == "hang":
        time.sleep(3600)
    time.sleep(seconds)
    if behaviour == "crash":
        print("Traceback: boom", file=sys.stderr)
        return 3
    finish(args, "ok")
    return 0


def finish(args: argparse.Namespace, status: str) -> None:
    with open_archive(args.db) as archive:
        archive.finish_run(args.run_id, status)


if __name__ == "__main__":
    sys.exit(main())
