"""Monitoring: watches (standing searches), alert messages and their delivery, feeds, digests and crawl health.

Storage writes the alerts, in the transaction of what caused them; this package says what they mean and
gets them out: a deliverer for the outbox (JSON webhooks and Apprise), each watch's Atom feed, and the
health checks that judge every crawl run against its site's recent ones. It imports storage and config
only (never crawler or jobs).
"""

import logging

from monitor.deliver import Deliverer, DeliveryReport
from monitor.feeds import watch_feed
from monitor.health import Judgement, judge_and_record, judge_pending_runs, judge_run
from monitor.messages import Message, alert_message, alert_payload, digest_message
from monitor.report import coverage_cell, health_rows
from monitor.send import SendError, send_message
from monitor.service import MonitorService, PassReport, judge_runs, monitor_pass
from monitor.watches import shown_watch, sync_config_watches, watch_record, watch_spec, would_match

__all__ = [
    "Deliverer", "DeliveryReport", "Judgement", "Message", "MonitorService", "PassReport", "SendError",
    "alert_message", "alert_payload", "coverage_cell", "digest_message", "health_rows", "judge_and_record",
    "judge_pending_runs", "judge_run", "judge_runs", "monitor_pass", "send_message", "shown_watch",
    "sync_config_watches", "watch_feed", "watch_record", "watch_spec", "would_match",
]

# A library's logger: the daemon's handlers get its lines; a command without logging set up prints nothing extra.
logging.getLogger(__name__).addHandler(logging.NullHandler())
