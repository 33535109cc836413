"""Test helper: crawl a mirror folder (hlj_people) into an archive, in a fresh process (Twisted's reactor runs once)."""

import json
import sys
from dataclasses import asdict
from pathlib import Path

from jobs.demo import run_demo
from mirror import Mirror


def main() -> None:
    root, db, overrides, spider_args, delay = sys.argv[1:6]
    mirror = Mirror(Path(root), delay=float(delay))
    results = run_demo(db, sites=["hlj_people"], quiet=True, mirror=mirror, overrides=json.loads(overrides),
                       spider_args=json.loads(spider_args))
    print(json.dumps([asdict(result) for result in results]))


if __name__ == "__main__":
    main()
