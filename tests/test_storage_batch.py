"""Archive.batch(): many pages in one transaction give what saving them one by one gives, or nothing at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from storage import Archive, StorageError, open_archive
from tests.support.archive_writer import SITE, hot_entries, sample_article

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
WATCH = {"name": "二段", "query": "第二段"}  # matches every sample article


def crawl_pages(run_id: int) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """A crawl's writes, as (method, args, kwargs): repeats, edits, hot lists, failures and a removal."""
    writes: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    for i in range(6):
        at = T0 + timedelta(minutes=i)
        writes.append(("save_raw_page", (sample_article(i)["url"], f"<p>{i}</p>".encode(), {}, at), {"run_id": run_id}))
        writes.append(("save_article", (sample_article(i),), {"fetched_at": at, "run_id": run_id}))
        writes.append(("save_hot_list", (SITE, at, "https://news.example.cn/hot", hot_entries(i // 2)),
                       {"run_id": run_id}))
    writes.append(("save_article", (sample_article(2, version=2),), {"fetched_at": T0, "run_id": run_id}))
    writes.append(("save_article", (sample_article(2, version=3),), {"fetched_at": T0, "run_id": run_id}))
    writes.append(("save_article", (sample_article(4),), {"fetched_at": T0, "run_id": run_id}))  # unchanged
    writes.append(("save_raw_page", (sample_article(0)["url"], b"<p>0</p>", {}, T0 + timedelta(hours=1)),
                   {"run_id": run_id}))
    writes.append(("record_failure", (run_id, "https://news.example.cn/gone.html", "HTTP 404"), {}))
    writes.append(("mark_removed", (sample_article(5)["canonical_url"],), {}))
    return writes


def snapshot(archive: Archive) -> dict[str, Any]:
    """What a reader sees of the archive, ids and clocks aside."""
    articles = [archive.get_article(a["id"]) for a in archive.iter_articles()]
    run = archive.runs(limit=1)[0]
    return {"counts": archive.counts(),
            "articles": [(a["canonical_url"], a["revision"], a["removed_at"] is not None,
                          [r["body"] for r in a["revisions"]]) for a in articles],
            "raw": [(p["url"], p["sha256"], p["last_fetched_at"]) for p in archive.iter_raw_pages()],
            "hot": archive.latest_hot_list(SITE)["entries"],
            "run": {k: v for k, v in run.items() if k.startswith("pages_")},
            "alerts": sorted((a["trigger"], a["payload"]["article"]["url"], a["revision"])
                             for a in archive.watch_alerts(WATCH["name"], limit=100))}


def test_a_batch_stores_exactly_what_saving_one_by_one_stores(archive: Archive, tmp_path) -> None:
    archive.add_watch(WATCH)
    run_id = archive.start_run("batch", SITE)
    batch = archive.batch()
    for method, args, kwargs in crawl_pages(run_id):
        getattr(batch, method)(*args, **kwargs)
    results = batch.commit()
    assert len(batch) == 0
    with open_archive(tmp_path / "one_by_one.sqlite3", create=True) as single:
        single.add_watch(WATCH)
        single_run = single.start_run("batch", SITE)
        expected = [getattr(single, method)(*args, **kwargs)
                    for method, args, kwargs in crawl_pages(single_run)]
        assert [type(r) for r in results] == [type(e) for e in expected]
        assert [r for r in results if isinstance(r, str | bool)] == [e for e in expected if isinstance(e, str | bool)]
        assert snapshot(archive)["alerts"]  # the watch matched: alerts are part of what is compared
        assert snapshot(archive) == snapshot(single)


def test_a_refused_batch_stores_nothing_and_page_by_page_only_the_refused_page_fails(archive: Archive) -> None:
    run_id = archive.start_run("batch", SITE)
    batch = archive.batch()
    for i in range(4):
        batch.save_article(sample_article(i), fetched_at=T0, run_id=run_id)
    refused = sample_article(2)["title"]

    def refuse(_conn: object, _cursor: object, statement: str, parameters: object, *_rest: object) -> None:
        if statement.startswith("INSERT INTO articles") and refused in str(parameters):
            raise IntegrityError(statement, parameters, Exception("refused by the test"))  # as a constraint would

    event.listen(archive.engine, "before_cursor_execute", refuse)
    with pytest.raises(StorageError):
        batch.commit()
    assert archive.counts()["articles"] == 0 and len(batch) == 4
    results = batch.commit_each()
    event.remove(archive.engine, "before_cursor_execute", refuse)
    assert results[:2] == ["new", "new"] and isinstance(results[2], StorageError) and results[3] == "new"
    assert archive.counts()["articles"] == 3
    assert archive.get_run(run_id)["pages_new"] == 3  # the ledger counts what is stored, nothing more


def test_bad_input_is_refused_when_queued_and_the_rest_of_the_batch_is_stored(archive: Archive) -> None:
    batch = archive.batch()
    batch.save_article(sample_article(1), fetched_at=T0)
    with pytest.raises(StorageError, match="aware"):
        batch.save_article(sample_article(2), fetched_at=datetime(2026, 1, 1))
    with pytest.raises(StorageError, match="title"):
        batch.save_article(sample_article(3, title=""), fetched_at=T0)
    assert batch.commit() == ["new"]
