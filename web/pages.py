"""One small function per page: read the archive, then a template (or the same data as ?format=json)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from storage import ArchiveUnavailable, StorageError
from web import params
from web.charts import rank_chart
from web.diffs import revision_changes
from web.formats import MARKS, plain_marks, to_json

if TYPE_CHECKING:
    from web.state import Web

PER_PAGE = 20
MAX_PAGE = 1_000_000_000 // PER_PAGE  # the CLI's largest offset
LATEST_PER_SITE = 5
HOT_ON_HOME = 10
ALERTS_ON_HOME = 10
PERIODS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}


def home(request: Request) -> Response:
    """Search box, each site's newest articles, the current hot lists, crawl health and the latest alerts."""
    web = _web(request)
    archive = web.archive
    sites = web.known_sites()
    latest = {site: archive.latest_articles(site, LATEST_PER_SITE) for site in sites}
    hot = {site: snapshot for site in sites if (snapshot := archive.latest_hot_list(site)) is not None}
    for snapshot in hot.values():
        snapshot["entries"] = snapshot["entries"][:HOT_ON_HOME]
    alerts = [_alert(row) for row in archive.alert_ledger(limit=ALERTS_ON_HOME)]
    data = {"latest": {site: rows for site, rows in latest.items() if rows}, "hot": hot,
            "health": archive.site_health(), "alerts": alerts}
    return _page(request, "home.html", data)


def search(request: Request) -> Response:
    """Results of a query with `hljnews search`'s semantics: filters, sort, 20 a page, JSON or an Atom feed."""
    web = _web(request)
    fmt = params.choice(request, "format", ("html", "json", "atom"))
    form = {name: params.text(request, name) for name in ("q", "site", "since", "until")}
    form["sort"] = params.choice(request, "sort", ("relevance", "date"))
    page = params.number(request, "page", 1, 1, MAX_PAGE)
    found = _found(web, form, _filters(request, web), page) if form["q"] else None
    if fmt == "json":
        nothing = {"query": "", "total": 0, "limit": PER_PAGE, "offset": (page - 1) * PER_PAGE, "results": []}
        return _json(_plain_marks(found) if found else nothing)
    shared = {k: v for k, v in form.items() if v and not (k == "sort" and v == "relevance")}
    data = {"form": form, "found": found, "page": page, "sites": web.known_sites(), "query_string": urlencode(shared),
            "pages": math.ceil(found["total"] / PER_PAGE) if found else 0}
    if fmt == "atom":
        return web.templates.TemplateResponse(request, "feed.xml", {**data, "now": datetime.now(UTC)},
                                              media_type="application/atom+xml")
    return _page(request, "search.html", data)


def article(request: Request) -> Response:
    """One article: metadata on Shanghai's clock, body, images, original link, revisions with what changed."""
    record = _article(request)
    revisions = record["revisions"]
    changes = [{"old": old["revision"], "new": new["revision"], "fetched_at": new["fetched_at"],
                "changes": revision_changes(old, new)} for old, new in pairwise(revisions)]
    if request.query_params.get("format") == "json":
        return _json({**record, "changes": [
            {**c, "changes": [vars(change) for change in c["changes"]]} for c in changes]})
    raw = _web(request).archive.raw_page(record["url"]) is not None
    return _page(request, "article.html", {"article": record, "changes": changes, "has_raw": raw})


def raw(request: Request) -> Response:
    """The article's stored page, byte for byte as fetched, as a download that never renders here."""
    record = _article(request)
    stored = _web(request).archive.raw_page(record["url"])
    if stored is None:
        raise HTTPException(404, f"no stored page for article {record['id']}")
    headers = {"content-disposition": f'attachment; filename="article-{record["id"]}.html"',
               "content-security-policy": "sandbox; default-src 'none'"}
    return Response(stored["body"], media_type="application/octet-stream", headers=headers)


def hot_index(request: Request) -> Response:
    """The sites with a captured hot list."""
    web = _web(request)
    lists = {site: s for site in web.known_sites() if (s := web.archive.latest_hot_list(site)) is not None}
    return _page(request, "hot_index.html", {"lists": {site: {"captured_at": s["captured_at"],
                                                               "entries": len(s["entries"])}
                                                        for site, s in lists.items()}})


def hot(request: Request) -> Response:
    """A site's latest hot list and its stories' ranks over a period, as an SVG chart."""
    web = _web(request)
    site = request.path_params["site"]
    period = params.choice(request, "period", ("1d", "7d", "30d", "all"))
    latest = web.archive.latest_hot_list(site)
    if latest is None:
        raise HTTPException(404, f"no hot list captured for {site[:60]!r}")
    span = PERIODS[period]
    # The period ends at the latest capture, so an archive that stopped crawling still shows its last days.
    since = latest["captured_at"] - span if span else None
    entries = web.archive.rank_history(site, since, None)
    if request.query_params.get("format") == "json":
        return _json({"site": site, "period": period, "latest": latest, "history": entries})
    return _page(request, "hot.html", {"site": site, "period": period, "periods": list(PERIODS), "latest": latest,
                                       "chart": rank_chart(entries)})


def story(request: Request) -> Response:
    """One story's ranks over time on its hot list."""
    web = _web(request)
    url = params.text(request, "url")
    if not url:
        raise params.BadRequest("url is required: /story?url=…")
    history = web.archive.story_history(url)
    if history is None:
        raise HTTPException(404, f"{url[:80]} was never on a captured hot list")
    if request.query_params.get("format") == "json":
        return _json(history)
    sites = {rank["site"] for rank in history["ranks"]}
    until = history["last_seen_at"] + timedelta(seconds=1)
    around = [e for site in sites for e in web.archive.rank_history(site, history["first_seen_at"], until)]
    stored = web.archive.get_article(url)
    return _page(request, "story.html", {"story": history, "chart": rank_chart(around, only=url),
                                         "article_id": stored["id"] if stored else None})


def runs(request: Request) -> Response:
    """The run ledger, newest first: status, page counts and errors."""
    site = params.text(request, "site") or None
    failed = params.flag(request, "failed")
    limit = params.number(request, "limit", 50, 1, 1000)
    rows = _web(request).archive.runs(site=site, limit=limit, failed_only=failed)
    return _page(request, "runs.html", {"runs": rows, "form": {"site": site or "", "failed": failed, "limit": limit}})


def sites(request: Request) -> Response:
    """Every site: kind, last run, article count and field shares of its newest articles (as `hljnews sites`)."""
    from monitor.sites import FIELDS, site_rows

    web = _web(request)
    recent = params.number(request, "recent", 50, 1, 10_000)
    rows = site_rows(web.archive, web.described, recent=recent)
    return _page(request, "sites.html", {"sites": rows, "fields": FIELDS, "recent": recent})



def _filters(request: Request, web: Web) -> dict[str, Any]:
    """The search filters of the request: a known site, and dates bounded as the CLI bounds them."""
    site = params.text(request, "site") or None
    if site is not None and site not in web.known_sites():
        raise params.BadRequest(f"unknown site {site[:40]!r}; known: {', '.join(web.known_sites())}")
    return {"site": site, "since": params.instant(request, "since"), "until": params.instant(request, "until")}


def _found(web: Web, form: dict[str, str], filters: dict[str, Any], page: int) -> dict[str, Any]:
    try:
        return web.archive.search(form["q"], limit=PER_PAGE, offset=(page - 1) * PER_PAGE, sort=form["sort"],
                                  highlight=MARKS, **filters)
    except ArchiveUnavailable:
        raise  # a 503, not the query's fault
    except StorageError as error:  # the query's own syntax (e.g. only excluded terms)
        raise params.BadRequest(str(error).splitlines()[0]) from None


def _web(request: Request) -> Web:
    return request.app.state.web


def _article(request: Request) -> dict[str, Any]:
    key = params.record_id(request.path_params["article_id"])
    record = _web(request).archive.get_article(key) if key is not None else None
    if record is None:
        raise HTTPException(404, f"no article {request.path_params['article_id'][:40]!r} in the archive")
    return record


def _alert(row: dict[str, Any]) -> dict[str, Any]:
    """An alert ledger row without its target (a webhook URL may hold a secret)."""
    payload = row.get("payload") or {}
    title = (payload.get("article") or {}).get("title") or payload.get("message") or ""
    delivered = row["status"] if row["target"] is not None else "feed only"
    return {"alert_id": row["alert_id"], "created_at": row["created_at"], "watch": row["watch_name"] or row["site"],
            "trigger": row["trigger"], "title": title, "status": delivered,
            "article_id": row.get("article_id")}


def _plain_marks(found: dict[str, Any]) -> dict[str, Any]:
    results = [{**r, "snippet": plain_marks(r["snippet"])} for r in found["results"]]
    return {**found, "results": results}


def _page(request: Request, template: str, data: dict[str, Any]) -> Response:
    fmt = params.choice(request, "format", ("html", "json"))
    if fmt == "json":
        return _json(data)
    return _web(request).templates.TemplateResponse(request, template, data)


def _json(data: Any) -> Response:
    return Response(to_json(data), media_type="application/json")
