"""Notification targets: one URL string names any of them, and its secrets never reach a screen or a log.

An ``http://`` or ``https://`` URL is a plain JSON webhook; any other scheme must be one Apprise knows
(``dingtalk://``, ``wecombot://``, ``feishu://``, ``mailto://``, ``tgram://``, …). Tokens hide in hosts
(``dingtalk://TOKEN/``), paths, query strings and userinfo, so masking looks at every part.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["WEBHOOK_SCHEMES", "check_target", "mask_secrets", "mask_target", "target_kind"]

WEBHOOK_SCHEMES = ("http", "https")
MAX_TARGET_CHARS = 2000
# Query parameters whose values are secrets whatever they look like.
SECRET_KEYS = frozenset({"token", "access_token", "key", "apikey", "api_key", "secret", "sign", "signature",
                         "pass", "password", "auth", "webhook", "botkey", "bot_key", "sig"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_HIDDEN = "****"


def target_kind(url: str) -> str:
    """ "webhook" for an http(s) URL, "apprise" for another scheme (not checked: see check_target)."""
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    return "webhook" if scheme in WEBHOOK_SCHEMES else "apprise"


def check_target(url: str) -> str:
    """The target as given, or ValueError in one line (its secrets masked) saying what is wrong with it."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("a notification target must be a non-empty URL")
    if len(url) > MAX_TARGET_CHARS or any(ord(c) < 32 for c in url):
        raise ValueError(f"not a usable notification target: {mask_target(url[:200])}")
    match = _SCHEME.match(url)
    if match is None:
        raise ValueError(f"{mask_target(url)} is not a URL (expected https://… for a webhook, or an Apprise URL "
                         "such as dingtalk://…, wecombot://…, feishu://…, mailto://…, tgram://…)")
    if target_kind(url) == "webhook":
        if not urlsplit(url).hostname:
            raise ValueError(f"{mask_target(url)} names no host")
        _check_webhook_address(url)
        return url
    if not _apprise_accepts(url):
        raise ValueError(f"unknown or malformed notification target {mask_target(url)} (scheme "
                         f"{match.group(1)!r}: use https://… for a JSON webhook, or a URL Apprise supports, "
                         "such as dingtalk://, wecombot://, feishu://, mailto://, tgram://)")
    return url


def _check_webhook_address(url: str) -> None:
    """A host and port the delivering HTTP client (requests) can use: 'exa mple.com' or port 99999 passed the
    check above and then failed at every delivery."""
    import requests

    try:
        requests.Request("POST", url).prepare()
    except (requests.RequestException, ValueError):
        raise ValueError(f"{mask_target(url)} has no usable host or port") from None


def mask_target(url: str) -> str:
    """The target with its secrets replaced: passwords, token-like hosts, path parts and query values."""
    match = _SCHEME.match(url)
    head, rest = (url[:match.end()], url[match.end():]) if match else ("", url)
    rest, hash_, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        # Apprise services put a bare secret there (dingtalk://SECRET@TOKEN/); e-mail puts a login name.
        bare_secret = not colon and target_kind(url) == "apprise" and not head.lower().startswith("mailto")
        userinfo = (_masked(user) if bare_secret else _hide(user)) + (colon + _HIDDEN if password else colon)
    hostport = ":".join(part if "." in part else _hide(part) for part in hostport.split(":"))
    path = "/".join(_hide(part) for part in path.split("/"))
    query = "&".join(_hide_pair(pair) for pair in query.split("&")) if question else ""
    return head + userinfo + at + hostport + slash + path + question + query + hash_ + fragment


def mask_secrets(text: str, targets: Iterable[str]) -> str:
    """text (an error message, a log line) with the secrets of every target in it masked."""
    for target in targets:
        text = text.replace(target, mask_target(target))
        for secret in _secrets(target):
            text = text.replace(secret, _masked(secret))
        for key, value in _secret_parameters(target):  # short ones too, where they stand as key=value
            text = text.replace(f"{key}={value}", f"{key}={_masked(value)}")
    return text


def _secret_parameters(url: str) -> list[tuple[str, str]]:
    query = url.partition("#")[0].partition("?")[2]
    pairs = [pair.partition("=") for pair in query.split("&")]
    return [(key, value) for key, equals, value in pairs if value and key.lower() in SECRET_KEYS]


def _secrets(url: str) -> list[str]:
    """Parts of a target that mask_target hides and that are long enough to look for in other text."""
    original = re.split(r"[:/@?&=#]", url)
    masked = re.split(r"[:/@?&=#]", mask_target(url))
    found = {part for part, shown in zip(original, masked, strict=False) if part != shown and len(part) >= 4}
    return sorted(found, key=len, reverse=True)


def _hide(part: str) -> str:
    return _masked(part) if _token_like(part) else part


def _hide_pair(pair: str) -> str:
    key, equals, value = pair.partition("=")
    if value and (key.lower() in SECRET_KEYS or _token_like(value)):
        return key + equals + _masked(value)
    return pair


def _token_like(part: str) -> bool:
    """Looks generated rather than chosen: long, or letters mixed with digits."""
    if len(part) >= 20:
        return True
    has_digit, has_alpha = any(c.isdigit() for c in part), any(c.isalpha() for c in part)
    return len(part) >= 8 and ((has_digit and has_alpha) or part.isdigit())


def _masked(secret: str) -> str:
    return secret[:2] + _HIDDEN if len(secret) >= 8 else _HIDDEN


def _apprise_accepts(url: str) -> bool:
    import apprise

    # Apprise logs why it refuses a URL (with the URL in it); the one line the caller prints says enough.
    logger = logging.getLogger("apprise")
    disabled, logger.disabled = logger.disabled, True
    try:
        return apprise.Apprise.instantiate(url) is not None
    finally:
        logger.disabled = disabled
