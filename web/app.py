"""The app factory: routes, templates that escape everything, the guard, and errors as pages."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from storage import Archive, ArchiveUnavailable, StorageError, open_archive
from web import pages
from web.formats import iso, listed, marked, when
from web.guard import Guard
from web.params import web_link
from web.state import Web

HERE = Path(__file__).parent


def create_app(db: str | os.PathLike[str] | Archive | None = None, token: str | None = None,
               sites: Mapping[str, dict[str, Any]] | None = None) -> Starlette:
    """The web app over the archive at db (an open Archive, a URL or path, or the default archive).

    token: required from every request when set (Bearer header, cookie, or ?token= once). sites: the
    configured sites' descriptions ({key: {"site", "kind", "name", "start_urls"}}) for /sites.
    """
    archive = db if isinstance(db, Archive) else open_archive(db)
    web = Web(archive, sites or {}, Jinja2Templates(env=_environment()))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if not isinstance(db, Archive):  # an archive handed in belongs to the caller
            archive.close()

    app = Starlette(routes=_routes(), middleware=[Middleware(Guard, token=token)], lifespan=lifespan,
                    exception_handlers={HTTPException: _http_error, StorageError: _storage_error})
    app.state.web = web
    return app


def _routes() -> list[Route | Mount]:
    return [
        Route("/", pages.home, name="home"),
        Route("/search", pages.search, name="search"),
        Route("/article/{article_id}", pages.article, name="article"),
        Route("/article/{article_id}/raw", pages.raw, name="raw"),
        Route("/hot", pages.hot_index, name="hot_index"),
        Route("/hot/{site}", pages.hot, name="hot"),
        Route("/story", pages.story, name="story"),
        Route("/runs", pages.runs, name="runs"),
        Route("/sites", pages.sites, name="sites"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)  # .xml (the feed) too
    env.filters.update(when=when, iso=iso, link=web_link, marked=marked, listed=listed)
    env.globals["json_link"] = json_link
    return env


def json_link(request: Request) -> str:
    """This page's address with format=json (relative, so it keeps whatever host served it)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("format", "token")]
    return "?" + urlencode([*kept, ("format", "json")])


def _error(request: Request, status: int, line: str) -> Response:
    if request.query_params.get("format") in ("json", "atom"):
        return JSONResponse({"error": line, "status": status}, status)
    web: Web = request.app.state.web
    return web.templates.TemplateResponse(request, "error.html", {"status": status, "line": line}, status_code=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    line = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else "no such page"
    return _error(request, exc.status_code, line)


async def _storage_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ArchiveUnavailable):
        return _error(request, 503, f"the archive is unavailable: {str(exc).splitlines()[0]}")
    return _error(request, 400, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
