"""What alert messages say, with hostile or outsized article text: every message still reaches its target."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from config import Alerts
from monitor import Deliverer
from monitor.messages import TITLE_CHARS, alert_message, digest_message
from storage import open_archive
from tests.support.archive_writer import sample_article
from tests.support.receiver import free_port

LONG_TITLE = "黑龙江省" + "冰雪旅游高质量发展" * 20  # 184 characters: a Subject line past SMTP's ~1,000 bytes


def test_an_email_alert_for_a_very_long_title_is_delivered_with_the_title_clipped(tmp_path: Path) -> None:
    received: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(envelope.content)  # type: ignore[attr-defined]
            return "250 OK"

    port = free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with open_archive(str(tmp_path / "m.sqlite3"), create=True) as archive:
            target = f"mailto://127.0.0.1:{port}?from=hljnews@example.cn&to=reader@example.cn"
            archive.add_watch({"name": "冰雪", "query": "冰雪旅游", "targets": [target]})
            archive.save_article(sample_article(1, title=LONG_TITLE, body="冰雪旅游正当时。"),
                                 fetched_at=datetime.now(UTC))
            report = Deliverer(archive, Alerts()).deliver_once()
        assert (report.sent, report.failed) == (1, 0), report.errors
    finally:
        smtp.stop()
    [raw] = received
    subject = email.message_from_bytes(raw, policy=email.policy.default)["subject"]
    assert subject == f"【新文章】冰雪：{LONG_TITLE[:TITLE_CHARS - 1]}…"


def _alert(title: str, uid: str = "a1") -> dict:
    article = {"title": title, "url": "https://news.example.cn/a/1.html", "site": "hlj_people"}
    return {"uid": uid, "trigger": "new", "watch_name": "冰雪", "created_at": datetime(2026, 12, 1, tzinfo=UTC),
            "payload": {"query": "冰雪", "article": article}}


def test_titles_are_clipped_in_messages_but_whole_in_the_json() -> None:
    message = alert_message(_alert(LONG_TITLE))
    assert message.title.endswith("…") and len(message.title) < TITLE_CHARS + 10
    assert message.payload["article"]["title"] == LONG_TITLE
    digest = digest_message("冰雪", "daily@08:00", [_alert(LONG_TITLE, "a1"), _alert("短标题", "a2")])
    assert f"1. [新] {LONG_TITLE[:TITLE_CHARS - 1]}…" in digest.text.splitlines()
    assert "2. [新] 短标题" in digest.text.splitlines()
