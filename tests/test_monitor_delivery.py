"""Alert delivery end to end: offline crawls of the mirror, a webhook receiver, a receiver that is down, a
deliverer killed while it sends, and e-mail through a local SMTP server."""

from __future__ import annotations

import email
import email.policy
import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from config import Alerts
from jobs.reparse import reparse_archive
from monitor import Deliverer
from storage import open_archive
from tests.support.archive_writer import sample_article
from tests.support.receiver import Receiver, free_port

ROOT = Path(__file__).resolve().parents[1]
SEED = "http://hlj.people.com.cn/n2/2021/0716/c220027-34832561.html"  # the one mirror article on 养老
FAST_RETRY = Alerts(retry_first_seconds=0.2, retry_max_seconds=0.5)


def hljnews(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobs", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def crawl_mirror(db: Path) -> None:
    from mirror import BUNDLED_PAGES

    command = [sys.executable, "-m", "tests.support.crawl_mirror", str(BUNDLED_PAGES), str(db), "{}", "{}", "0"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]


def deliver(db: Path) -> subprocess.CompletedProcess[str]:
    return hljnews("alerts", "deliver", "--db", str(db))


def test_a_crawl_sends_one_post_for_the_seed_article_and_a_second_crawl_none(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with Receiver() as receiver:
        added = hljnews("watch", "add", "yanglao", "养老", "--notify", receiver.url, "--db", str(db))
        assert added.returncode == 0, added.stderr
        crawl_mirror(db)
        assert deliver(db).returncode == 0
        [post] = receiver.posts
        assert (post["watch"], post["trigger"], post["article"]["url"]) == ("yanglao", "new", SEED)
        assert post["article"]["title"].startswith("双鸭山") and "养老" in post["article"]["snippet"]
        assert post["article"]["published_at"] == "2021-07-16T08:31:00+08:00" and post["id"]
        assert post["title"].startswith("【新文章】yanglao：双鸭山") and SEED in post["text"]
        crawl_mirror(db)
        with open_archive(str(db)) as archive:
            from crawler.sites.registry import SiteRegistry

            reparse_archive(archive, SiteRegistry())
        assert deliver(db).returncode == 0
        assert len(receiver.posts) == 1


def test_a_receiver_that_is_down_gets_the_alert_when_it_is_back_once(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite3"
    receiver = Receiver()  # not up yet: its port refuses connections
    assert hljnews("watch", "add", "yanglao", "养老", "--notify", receiver.url, "--db", str(db)).returncode == 0
    crawl_mirror(db)
    failed = deliver(db)
    assert failed.returncode == 1 and "0 sent, 1 failed" in failed.stderr
    ledger = json.loads(hljnews("alerts", "--failed", "--format", "json", "--db", str(db)).stdout)
    assert [(row["attempts"], row["status"]) for row in ledger] == [(1, "failed")] and ledger[0]["last_error"]
    with receiver, open_archive(str(db)) as archive:
        deliverer = Deliverer(archive, FAST_RETRY)
        receiver.wait_for(lambda posts: deliverer.deliver_once().sent or posts)
        for _ in range(3):
            deliverer.deliver_once()
        assert [post["article"]["url"] for post in receiver.posts] == [SEED]
        assert archive.alert_ledger(state="delivered")[0]["attempts"] >= 2


def test_a_deliverer_killed_while_it_sends_loses_nothing_and_repeats_only_that_alert(tmp_path: Path) -> None:
    db = str(tmp_path / "c.sqlite3")
    with Receiver(hold_first=True) as receiver:
        with open_archive(db, create=True) as archive:
            archive.add_watch({"name": "news", "query": "黑龙江新闻", "targets": [receiver.url]})
            for i in range(8):
                archive.save_article(sample_article(i), fetched_at=datetime.now(UTC))
            uids = {row["uid"] for row in archive.alert_ledger()}
        deliverer = subprocess.Popen([sys.executable, "-m", "jobs", "alerts", "deliver", "--db", db], cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert receiver.holding.wait(60), "the deliverer never sent"
        deliverer.send_signal(signal.SIGKILL)
        deliverer.wait(30)
        [in_flight] = receiver.posts
        assert hljnews("alerts", "deliver", "--db", db).returncode == 0
    ids = [post["id"] for post in receiver.posts]
    assert set(ids) == uids and len(uids) == 8  # nothing lost
    repeats = {uid for uid in ids if ids.count(uid) > 1}
    assert repeats <= {in_flight["id"]} and len(ids) <= 9  # only the one in flight may come twice, same id


def test_an_email_arrives_with_a_utf8_chinese_subject_and_body(tmp_path: Path) -> None:
    received: list[bytes] = []

    class Inbox:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(envelope.content)  # type: ignore[attr-defined]
            return "250 OK"

    port = free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with open_archive(str(tmp_path / "d.sqlite3"), create=True) as archive:
            target = f"mailto://127.0.0.1:{port}?from=hljnews@example.cn&to=reader@example.cn"
            archive.add_watch({"name": "养老", "query": "養老", "targets": [target]})
            archive.save_article(sample_article(1, title="双鸭山：养老服务有“温度”", body="全面提升养老服务。"),
                                 fetched_at=datetime.now(UTC))
            report = Deliverer(archive, Alerts()).deliver_once()
        assert (report.sent, report.failed) == (1, 0), report.errors
    finally:
        smtp.stop()
    [raw] = received
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["subject"] == "【新文章】养老：双鸭山：养老服务有“温度”"
    assert "=?utf-8?" in raw.decode("ascii").lower()  # the subject travels RFC 2047-encoded as UTF-8
    text = mail.get_body(preferencelist=("plain",))
    assert text.get_content_charset() == "utf-8"
    assert "全面提升养老服务" in text.get_content() and "https://news.example.cn/a/1.html" in text.get_content()
