"""A local stand-in for the live sites: saved pages served as an HTTP proxy (the demo, tests, benchmarks)."""

from mirror.server import BUNDLED_PAGES, Answer, Mirror, MirrorServer, Routes

__all__ = ["BUNDLED_PAGES", "Answer", "Mirror", "MirrorServer", "Routes"]
