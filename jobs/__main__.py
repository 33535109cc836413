"""`python -m jobs` is the hljnews command (the scheduler starts crawls this way)."""

from jobs.cli import main

main()
