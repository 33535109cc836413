"""The monitoring commands through click's CliRunner: watches, feeds, `new`, the ledger, digests, the daemon's
monitor thread; bad input is one line and stores nothing; secrets never show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from config import Alerts
from crawler.sites.registry import load_site_config
from jobs.cli import main
from monitor import Deliverer, MonitorService
from storage import open_archive
from tests.support.archive_writer import sample_article
from tests.support.receiver import Receiver

NOW = datetime.now(UTC)
SECRET = "dingtalk://s3cretT0kenValue99/"


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    open_archive(url, create=True).close()
    return url


def run(*args: str, config: Path | None = None) -> object:
    env = {"HLJNEWS_CONFIG": str(config)} if config else {}
    return CliRunner().invoke(main, list(args), env=env)


def save(db: str, *articles: dict) -> None:
    with open_archive(db) as archive:
        for article in articles:
            archive.save_article(article, fetched_at=NOW)


@pytest.mark.parametrize("args, words", [
    (["--notify", "foo://bar"], "unknown or malformed notification target"),
    (["--digest", "daily@24:00"], "not a digest schedule"),
    (["--on", "new,viral"], "--on"),
    (["--hot-rank", "3"], "add hot to on"),
    (["--site", "nowhere"], "unknown site 'nowhere'"),
])
def test_bad_watch_input_is_one_line_and_stores_nothing(db: str, args: list[str], words: str) -> None:
    result = run("watch", "add", "yl", "养老", "--db", db, *args)
    assert result.exit_code == 2 and result.output.count("\n") == 1 and words in result.output, result.output
    assert "Traceback" not in result.output
    with open_archive(db) as archive:
        assert archive.watches() == []


def test_a_malformed_query_and_a_duplicate_name_are_one_line(db: str) -> None:
    assert "at least one term" in run("watch", "add", "--db", db, "x", "--", "-广告").output
    assert run("watch", "add", "yl", "养老", "--db", db).exit_code == 0
    again = run("watch", "add", "yl", "双鸭山", "--db", db)
    assert again.exit_code == 2 and "already exists" in again.output and again.output.count("\n") == 1


def test_watch_list_shows_cli_and_config_watches_with_secrets_masked(db: str, tmp_path: Path) -> None:
    config = tmp_path / "hljnews.toml"
    config.write_text(f'[[watches]]\nname = "cfg"\nquery = "冰雪"\nnotify = ["{SECRET}"]\n', encoding="utf-8")
    assert run("watch", "add", "mine", "养老", "--notify", SECRET, "--db", db, config=config).exit_code == 0
    listed = run("watch", "list", "--db", db, "--format", "json", config=config)
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert {name: row["origin"] for name, row in rows.items()} == {"cfg": "config", "mine": "cli"}
    assert "s3cretT0kenValue99" not in listed.output and rows["mine"]["targets"] == ["dingtalk://s3****/"]
    assert "s3cretT0kenValue99" not in run("watch", "show", "mine", "--db", db, config=config).output
    refused = run("watch", "remove", "cfg", "--db", db, config=config)
    assert refused.exit_code != 0 and "config file" in refused.output
    assert run("watch", "remove", "mine", "--db", db, config=config).exit_code == 0


def test_watch_test_lists_matches_and_feed_is_atom_a_reader_opens(db: str, tmp_path: Path) -> None:
    assert run("watch", "add", "yl", "养老", "--on", "new,revised", "--db", db).exit_code == 0
    save(db, sample_article(1, title="养老服务提质", published_at=NOW - timedelta(days=1)),
         sample_article(2, title="冰雪旅游", published_at=NOW - timedelta(days=1)))
    save(db, sample_article(1, version=2, title="养老服务提质", published_at=NOW - timedelta(days=1)))
    matched = json.loads(run("watch", "test", "yl", "--days", "3", "--db", db, "--format", "json").stdout)
    assert [row["title"] for row in matched] == ["养老服务提质"]
    feed_file = tmp_path / "yl.xml"
    assert run("watch", "feed", "yl", "-o", str(feed_file), "--db", db).exit_code == 0
    parsed = feedparser.parse(feed_file.read_bytes())
    assert not parsed.bozo and parsed.version == "atom10"
    assert [entry.title for entry in parsed.entries] == ["【文章更新】yl：养老服务提质", "【新文章】yl：养老服务提质"]
    assert parsed.entries[0].link == "https://news.example.cn/a/1.html?from=list"
    assert "正文 +1 段 −1 段" in parsed.entries[0].summary
    assert len({entry.id for entry in parsed.entries}) == 2


@pytest.mark.parametrize("control", ["\x0b", "\x1b", "\x00"], ids=["VT", "ESC", "NUL"])
def test_a_control_character_in_a_stored_title_does_not_break_the_feed(db: str, tmp_path: Path, control: str) -> None:
    assert run("watch", "add", "yl", "养老", "--db", db).exit_code == 0
    save(db, sample_article(1, title=f"养老{control}服务提质", source=f"人民网{control}", published_at=NOW))
    feed_file = tmp_path / "yl.xml"
    result = run("watch", "feed", "yl", "-o", str(feed_file), "--db", db)
    assert result.exit_code == 0, result.output
    parsed = feedparser.parse(feed_file.read_bytes())
    # VT is whitespace to the message's clipping (a space); the others are dropped.
    titles = [entry.title.replace(" ", "") for entry in parsed.entries]
    assert not parsed.bozo and titles == ["【新文章】yl：养老服务提质"]


def test_watch_test_send_reaches_the_targets_and_records_nothing(db: str) -> None:
    with Receiver() as receiver:
        save(db, sample_article(1, title="养老服务提质", published_at=NOW))
        assert run("watch", "add", "yl", "养老", "--notify", receiver.url, "--db", db).exit_code == 0
        assert run("watch", "test", "yl", "--send", "--db", db).exit_code == 0
        [post] = receiver.posts
    assert post["test"] is True and post["title"].startswith("[测试]")
    with open_archive(db) as archive:
        assert archive.alert_ledger() == []


def test_watch_test_send_of_a_digest_watch_sends_the_newest_match_marked_as_a_test(db: str) -> None:
    with Receiver() as receiver:
        save(db, *(sample_article(n, title=f"养老服务 {n}", published_at=NOW - timedelta(hours=n))
                   for n in range(1, 6)))
        added = run("watch", "add", "yl", "养老", "--notify", receiver.url, "--digest", "daily@08:00", "--db", db)
        assert added.exit_code == 0, added.output
        assert run("watch", "test", "yl", "--send", "--db", db).exit_code == 0
        [post] = receiver.posts
    assert post["test"] is True and post["type"] == "alert" and post["title"].startswith("[测试]")
    assert post["article"]["title"] == "养老服务 1"  # the newest match only, not a digest of all five


def test_new_since_last_keeps_a_cursor(db: str) -> None:
    save(db, sample_article(1), sample_article(2))
    first = run("new", "--since-last", "--db", db, "--format", "json")
    assert len(json.loads(first.stdout)) == 2 and "no cursor yet" in first.stderr
    assert json.loads(run("new", "--since-last", "--db", db, "--format", "json").stdout) == []
    save(db, sample_article(3))
    assert [a["id"] for a in json.loads(run("new", "--since-last", "--db", db, "--format", "json").stdout)] == [3]
    since = run("new", "--since", (NOW - timedelta(hours=1)).isoformat(), "--db", db, "--format", "json")
    assert len(json.loads(since.stdout)) == 3
    assert run("new", "--db", db).exit_code == 2


def test_the_ledger_masks_secrets_in_targets_and_errors(db: str) -> None:
    target = "http://127.0.0.1:9/robot/send?access_token=s3cretT0kenValue99"
    assert run("watch", "add", "yl", "养老", "--notify", target, "--db", db).exit_code == 0
    save(db, sample_article(1, title="养老"))
    with open_archive(db) as archive:
        Deliverer(archive, Alerts()).deliver_once()
    for fmt in ("table", "json", "jsonl", "csv"):
        shown = run("alerts", "--failed", "--db", db, "--format", fmt)
        assert shown.exit_code == 0 and "s3cretT0kenValue99" not in shown.output
        assert fmt == "table" or "access_token=s3****" in shown.output  # a table may fold it across lines


def test_a_digest_sends_one_message_at_its_time(db: str) -> None:
    with Receiver() as receiver:
        assert run("watch", "add", "hourly", "黑龙江", "--notify", receiver.url, "--digest", "hourly",
                   "--db", db).exit_code == 0
        # The digest is due at the top of the hour after the alerts were made, by the real clock: bracket it.
        before = datetime.now(UTC)
        save(db, *(sample_article(i) for i in range(3)))
        after = datetime.now(UTC)
        with open_archive(db) as archive:
            deliverer = Deliverer(archive, Alerts())
            assert deliverer.deliver_once(now=before).sent == 0  # not its time yet
            top_of_hour = after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, seconds=1)
            assert deliverer.deliver_once(now=top_of_hour).sent == 1
            assert deliverer.deliver_once(now=top_of_hour).sent == 0
        [post] = receiver.posts
    assert post["type"] == "digest" and post["count"] == 3 and post["title"] == "【每小时汇总】hourly：3 条"


def test_the_daemons_monitor_thread_syncs_config_watches_and_delivers(db: str, tmp_path: Path) -> None:
    with Receiver() as receiver:
        config = tmp_path / "hljnews.toml"
        config.write_text(f'[alerts]\ndeliver_interval_seconds = 0.2\n[[watches]]\nname = "cfg"\n'
                          f'query = "黑龙江"\nnotify = ["{receiver.url}"]\n', encoding="utf-8")
        service = MonitorService(load_site_config(config), db)
        service.start()
        try:
            save(db, sample_article(1))
            receiver.wait_for(lambda posts: len(posts) == 1)
        finally:
            service.stop()
    assert receiver.posts[0]["watch"] == "cfg"
