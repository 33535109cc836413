"""The read-only web app over the archive: `hljnews serve` runs it under uvicorn.

Server-rendered pages (Starlette routes, Jinja2 templates that escape everything, one stylesheet, no
JavaScript); every page is also `?format=json`. It reads the archive through storage's Archive API and
shares per-site rows with monitor; it never imports crawler or jobs.
"""

from web.app import create_app

__all__ = ["create_app"]
