"""Turning Scrapy responses and failures into the plain values parsers and the archive take."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed, ResponseNeverReceived

from crawler.errors import ParseError
from crawler.html import not_html_reason
from crawler.items import RawPage
from crawler.models import Page
from crawler.parse_pool import PARSED_ELSEWHERE


class NotHtmlError(ValueError):
    """The server answered with something other than an HTML page."""


def page_from_response(response: Response) -> Page:
    """The Page a parser sees: raw bytes, lower-cased headers, the fetch time; refuses non-HTML and empty bodies."""
    headers = response_headers(response)
    reason = not_html_reason(headers.get("content-type", ""), response.body)
    if reason is not None:
        raise NotHtmlError(reason)
    return Page(response.url, response.body, headers, datetime.now(UTC))


def response_headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }


def raw_page_from(response: Response, page: Page) -> RawPage:
    elsewhere = response.meta.get(PARSED_ELSEWHERE)  # its body packed already, if a parse process read it
    packed = elsewhere.packed if elsewhere is not None and elsewhere.page is page else None
    return RawPage(page.url, page.body, page.headers, response.status, page.fetched_at or datetime.now(UTC), packed)


# Failures by exception class name: Twisted's classes, and Scrapy's own since 2.13/2.14 (not importable from
# every supported release, hence names rather than classes).
_FAILURE_REASONS = {
    "DNSLookupError": "DNS lookup failed (offline or unknown host)",
    "CannotResolveHostError": "DNS lookup failed (offline or unknown host)",
    "TimeoutError": "timed out", "TCPTimedOutError": "timed out", "DownloadTimeoutError": "timed out",
    "ConnectionRefusedError": "connection refused", "DownloadConnectionRefusedError": "connection refused",
    "ConnectionLost": "connection lost", "ConnectionDone": "connection lost",
    "ResponseDataLossError": "response cut short (data loss)",
}


SIZE_LIMIT_REASON = "body over the download size limit (DOWNLOAD_MAXSIZE), compressed or not"


def describe_failure(failure: Failure) -> str:
    """One line saying why a request failed, for the run record and the log."""
    error = failure.value
    if failure.check(HttpError):
        return f"HTTP {error.response.status}"
    if "exceeded DOWNLOAD_MAXSIZE" in str(error) or "larger than download max size" in str(error):
        return SIZE_LIMIT_REASON
    if failure.check(IgnoreRequest) or "private address" in str(error):
        return str(error).strip().splitlines()[0] if str(error).strip() else "request refused"
    # Scrapy 2.19 wraps Twisted's errors in its own (DownloadFailedError from ResponseFailed…): why is the cause.
    while type(error).__name__ == "DownloadFailedError" and error.__cause__ is not None:
        error = error.__cause__
    if type(error).__name__ == "DownloadCancelledError":
        # Its only cancellation of a body under way is the size limit (a timeout says so itself).
        return SIZE_LIMIT_REASON
    for cls in type(error).__mro__:
        if cls.__name__ in _FAILURE_REASONS:
            return _FAILURE_REASONS[cls.__name__]
    if isinstance(error, ResponseFailed):
        return _response_failed(error)
    return one_line(error)


def _response_failed(error: ResponseFailed) -> str:
    """Why Twisted's HTTP client gave up on a response, without the bytes a hostile server chose to send."""
    causes = {type(reason.value).__name__ for reason in error.reasons}
    if "_DataLoss" in causes:
        return "response cut short (data loss)"
    if "ParseError" in causes:
        return "not an HTTP response (unreadable status line or headers)"
    if isinstance(error, ResponseNeverReceived):
        return "connection closed before any response"
    return "connection lost mid-response"


def exception_reason(error: BaseException) -> str:
    """Why a page could not be read: our own errors say it in their message, others by type and first line."""
    if isinstance(error, ParseError):
        return error.reason
    if isinstance(error, NotHtmlError):
        return str(error)
    return one_line(error)


def one_line(error: BaseException) -> str:
    """``Type: first line of the message``, so a failure never floods the log or the run record."""
    lines = str(error).strip().splitlines()
    name = type(error).__name__
    return f"{name}: {lines[0]}" if lines else name
