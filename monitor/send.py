"""Sending one message to one target: a JSON POST for http(s) URLs, Apprise for every other service.

The caller never branches on the service (a target is configuration). Failures come back as SendError
with one line whose secrets are masked.
"""

from __future__ import annotations

import logging

from config import mask_secrets, target_kind
from monitor.messages import Message

TIMEOUT_SECONDS = 15.0
USER_AGENT = "hljnews-monitor"


class SendError(Exception):
    """A target did not take a message; the message is one line, secrets masked."""


def send_message(target: str, message: Message) -> None:
    """Deliver `message` to `target`; SendError if it was not accepted."""
    try:
        if target_kind(target) == "webhook":
            _post_json(target, message)
        else:
            _notify_apprise(target, message)
    except SendError:
        raise
    except Exception as error:  # requests, apprise and the services they reach raise many kinds
        raise SendError(mask_secrets(_one_line(error), [target])) from None


def _post_json(url: str, message: Message) -> None:
    import requests

    response = requests.post(url, json=message.payload, timeout=TIMEOUT_SECONDS, allow_redirects=False,
                             headers={"User-Agent": USER_AGENT, "X-Hljnews-Alert-Id": message.id})
    if not 200 <= response.status_code < 300:
        raise SendError(f"HTTP {response.status_code} {response.reason or ''}".strip())


def _notify_apprise(url: str, message: Message) -> None:
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise SendError(f"Apprise does not accept {mask_secrets(url, [url])}")
    with apprise.LogCapture(level=logging.WARNING) as captured:
        accepted = notifier.notify(title=message.title, body=message.text, body_format=apprise.NotifyFormat.TEXT)
    if not accepted:
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        raise SendError(mask_secrets(lines[-1] if lines else "the service did not accept the message", [url]))


def _one_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:500]


# Apprise logs every failure with the full URL in it; hljnews logs its own line, masked.
logging.getLogger("apprise").propagate = False
