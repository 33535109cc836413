"""Runs a command and prints its exit status and peak resident memory: `python -m tests.support.peak_rss CMD…`.

The last line of output is JSON: {"returncode": N, "peak_rss_mib": M}. ru_maxrss of this wrapper's only
child is exactly the command's own peak, whatever else the test process has run.
"""

import json
import resource
import subprocess
import sys


def main() -> int:
    completed = subprocess.run(sys.argv[1:])
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(json.dumps({"returncode": completed.returncode, "peak_rss_mib": round(peak_kib / 1024, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
