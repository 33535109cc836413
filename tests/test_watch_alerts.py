"""Watches in storage: a watch alerts on exactly what `archive.search` shows, once per event, ever."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from storage import Archive, StorageError
from tests.support.archive_writer import sample_article
from tests.test_search import PHRASES, TERMS, corpus

FETCHED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def queries(n: int = 80, seed: int = 11) -> list[str]:
    """Search-language queries of one to three terms, phrases with spaces, exclusions, folded forms."""
    rng = random.Random(seed)
    made = ["養老", "ＡＢＣ", '"冰雪 旅游"', "黑龙江 -哈尔滨", "c++ 100%", "“冰城” -（完）", "Straße", "鄉村振興"]
    while len(made) < n:
        picked = rng.sample(TERMS, rng.randint(1, 2))
        if rng.random() < 0.3:
            picked.append("-" + rng.choice(TERMS + PHRASES))
        made.append(" ".join(picked))
    return made


def alerted(archive: Archive, watch: str) -> set[int]:
    return {row["article_id"] for row in archive.alert_ledger(watch=watch, limit=10_000)}


def test_a_watch_alerts_on_exactly_the_articles_search_shows(archive: Archive) -> None:
    watches = {f"w{i}": (query, [f"site{i % 3}"] if i % 4 == 0 else []) for i, query in enumerate(queries())}
    for name, (query, sites) in watches.items():
        archive.add_watch({"name": name, "query": query, "sites": sites, "triggers": ["new"]})
    for article in corpus():
        archive.save_article(article, fetched_at=FETCHED_AT)
    for name, (query, sites) in watches.items():
        shown = {r["id"] for r in archive.search(query, limit=1000, site=sites[0] if sites else None)["results"]}
        assert alerted(archive, name) == shown, (name, query, sites)


def test_each_event_alerts_once_however_often_it_is_saved(archive: Archive) -> None:
    archive.add_watch({"name": "news", "query": "黑龙江新闻", "triggers": ["new", "revised"],
                       "targets": ["https://hooks.example.cn/x"]})
    run = archive.start_run("s", "killer_site")
    for _ in range(3):
        archive.save_article(sample_article(1), fetched_at=FETCHED_AT, run_id=run)
    archive.save_article(sample_article(1, version=2), fetched_at=FETCHED_AT, run_id=run)
    archive.save_article(sample_article(1, version=2), fetched_at=FETCHED_AT, run_id=run)
    rows = archive.alert_ledger(watch="news")
    assert sorted((row["trigger"], row["revision"]) for row in rows) == [("new", 1), ("revised", 2)]
    revised = next(row for row in rows if row["trigger"] == "revised")
    assert revised["payload"]["changes"] == {"revision": 2, "paragraphs_added": 1, "paragraphs_removed": 1}
    assert {row["status"] for row in rows} == {"pending"} and len({row["uid"] for row in rows}) == 2


def test_a_watch_added_later_sees_only_what_is_saved_after_it(archive: Archive) -> None:
    archive.save_article(sample_article(1), fetched_at=FETCHED_AT)
    archive.add_watch({"name": "later", "query": "黑龙江"})
    archive.save_article(sample_article(2), fetched_at=FETCHED_AT)
    assert alerted(archive, "later") == {archive.get_article(sample_article(2)["canonical_url"])["id"]}


def test_hot_entries_alert_once_per_story_and_threshold(archive: Archive) -> None:
    archive.add_watch({"name": "top3", "query": "养老", "triggers": ["hot"], "hot_rank": 3})
    archive.add_watch({"name": "listed", "query": "养老", "triggers": ["hot"]})
    run = archive.start_run("s", "hlj_people")
    story = "https://hlj.example.cn/yl.html"
    for minute, rank in enumerate((5, 4, 2, 5, 1)):
        entries = [{"rank": r, "title": f"其他 {r}", "url": f"https://hlj.example.cn/{r}.html"}
                   for r in range(1, 7) if r != rank] + [{"rank": rank, "title": "養老服务提质", "url": story}]
        archive.save_hot_list("hlj_people", FETCHED_AT + timedelta(minutes=minute), "https://hlj.example.cn/",
                              sorted(entries, key=lambda e: e["rank"]), run_id=run)
    [top3] = archive.alert_ledger(watch="top3")
    [listed] = archive.alert_ledger(watch="listed")
    assert top3["payload"]["hot"]["rank"] == 2 and listed["payload"]["hot"]["rank"] == 5
    assert top3["payload"]["article"]["url"] == story


def test_a_watch_that_takes_a_removed_watch_s_id_still_alerts_on_the_same_story(archive: Archive) -> None:
    entries = [{"rank": 1, "title": "哈尔滨冰雪大世界开园", "url": "https://hlj.example.cn/bx.html"}]
    first = archive.add_watch({"name": "old", "query": "冰雪", "triggers": ["hot"]})
    archive.save_hot_list("hlj_people", FETCHED_AT, "https://hlj.example.cn/", entries)
    archive.remove_watch("old")
    second = archive.add_watch({"name": "new", "query": "冰雪大世界", "triggers": ["hot"]})
    archive.save_hot_list("hlj_people", FETCHED_AT + timedelta(hours=1), "https://hlj.example.cn/", entries)
    if archive.engine.dialect.name == "sqlite":
        assert second == first  # SQLite hands the freed id out again: the case this guards
    assert [row["watch_name"] for row in archive.alert_ledger()] == ["new", "old"]  # the old alert stays too


@pytest.mark.parametrize("query, words", [("-广告", "at least one term"), ("养" * 1001, "too long"),
                                          ("", "at least one term")])
def test_a_query_search_refuses_is_refused_and_nothing_is_stored(archive: Archive, query: str, words: str) -> None:
    with pytest.raises(StorageError, match=words):
        archive.add_watch({"name": "x", "query": query})
    assert archive.watches() == []


def test_a_duplicate_name_is_refused(archive: Archive) -> None:
    archive.add_watch({"name": "yl", "query": "养老"})
    with pytest.raises(StorageError, match="already exists"):
        archive.add_watch({"name": "yl", "query": "双鸭山"})
    assert [w["query"] for w in archive.watches()] == ["养老"]


def test_config_watches_sync_and_cannot_be_removed_by_the_cli(archive: Archive) -> None:
    archive.add_watch({"name": "mine", "query": "冰雪"})
    assert archive.sync_watches([{"name": "cfg", "query": "养老"}]) == {"added": 1, "updated": 0, "removed": 0}
    assert archive.sync_watches([{"name": "cfg", "query": "养老"}]) == {"added": 0, "updated": 0, "removed": 0}
    with pytest.raises(StorageError, match="config file"):
        archive.remove_watch("cfg")
    assert {w["name"]: w["origin"] for w in archive.watches()} == {"cfg": "config", "mine": "cli"}
    assert archive.sync_watches([]) == {"added": 0, "updated": 0, "removed": 1}
    archive.remove_watch("mine")
    assert archive.watches() == []


def test_two_deliverers_never_claim_the_same_delivery(archive: Archive) -> None:
    archive.add_watch({"name": "all", "query": "黑龙江", "targets": ["https://a.example.cn/", "https://b.example.cn/"]})
    for i in range(5):
        archive.save_article(sample_article(i), fetched_at=FETCHED_AT)
    first, second = archive.claim_deliveries(6), archive.claim_deliveries(6)
    assert len(first) == 6 and len(second) == 4 and not {d["id"] for d in first} & {d["id"] for d in second}
    assert archive.claim_deliveries(6) == []
    archive.record_delivery(first[0]["id"], error="HTTP 500", retry_at=datetime.now(UTC) + timedelta(hours=1))
    archive.record_delivery(first[1]["id"])
    assert [r["attempts"] for r in archive.alert_ledger(state="failed")] == [1]
    assert len(archive.alert_ledger(state="delivered")) == 1
    assert archive.release_deliveries() == 8
    assert len(archive.claim_deliveries(20)) == 8  # the failed one waits for its retry time
