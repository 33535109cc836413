"""What every request passes first: read-only methods, loopback or a token, and strict headers on every answer."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)
COOKIE = "hljnews_token"
MIN_TOKEN_CHARS = 16
METHODS = ("GET", "HEAD")
# No script at all; styles and images only from this server; no framing; forms only back here.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
TOKEN_IN_TEXT = re.compile(r"(token=)[^&\s\"]*")


def is_loopback(host: str) -> bool:
    """Whether a bind address or Host name is this machine only (a name merely starting with 127. is not)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_token(host: str, token: str | None) -> None:
    """Refuse (ValueError, one line) to serve beyond loopback without a long enough token."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"the token must be at least {MIN_TOKEN_CHARS} characters")
    if token is None and not is_loopback(host):
        raise ValueError(f"serving on {host} (not loopback) needs a token: --token or $HLJNEWS_WEB_TOKEN")


class Guard:
    """ASGI middleware: only GET/HEAD; a token when one is set, else loopback Host headers only; security headers."""

    def __init__(self, app: App, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(Request(scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        target = refusal if refusal is not None else self.app
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await target(scope, receive, tracked)
        except Exception:
            # Here rather than in Starlette's outermost handler, so the 500 carries the headers too.
            log.exception("error answering %s", Request(scope).url.path)
            if started:
                raise
            await PlainTextResponse("internal error (the server log has the details)\n", 500)(
                scope, receive, send_with_headers)

    def refusal(self, request: Request) -> Response | None:
        """The answer to a request that may not go further, else None."""
        if request.method not in METHODS:
            return PlainTextResponse("this archive is read-only: GET and HEAD only\n", 405,
                                     headers={"allow": ", ".join(METHODS)})
        if self.token is None:
            host = request.url.hostname or ""
            if not is_loopback(host):  # a DNS-rebinding page names its own host here
                return PlainTextResponse(f"host {host!r} not served: this server answers loopback names only\n", 421)
            return None
        return self._token_refusal(request)

    def _token_refusal(self, request: Request) -> Response | None:
        assert self.token is not None
        given = request.query_params.get("token")
        if given is not None:
            if not _same(given, self.token):
                return PlainTextResponse("wrong token\n", 401)
            # Once: the cookie carries it from now on, and the address bar (and history) lose it.
            kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            answer = RedirectResponse(str(URL(path=request.url.path, query=urlencode(kept))), 303)
            answer.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
            return answer
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        for candidate in (bearer, request.cookies.get(COOKIE)):
            if candidate is not None and _same(candidate, self.token):
                return None
        return PlainTextResponse("a token is needed: Authorization: Bearer …, or open a link with ?token=… once\n",
                                 401, headers={"www-authenticate": "Bearer"})


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


class RedactToken(logging.Filter):
    """Blanks `token=…` in access-log lines (a link with ?token= is logged before it redirects)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(TOKEN_IN_TEXT.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_TEXT.sub(r"\1[redacted]", record.msg)
        return True
