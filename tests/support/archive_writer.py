"""Sample articles for storage tests, and a crawl-like writer for the SIGKILL test.

Run as `python -m tests.support.archive_writer DB_URL N [BATCH]` (prints progress); with BATCH, the pages go
through Archive.batch(), committed every BATCH articles (and at the end).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from storage import Archive, open_archive

SITE = "killer_site"
HOT_LIST_SIZE = 10
SHANGHAI = timezone(timedelta(hours=8))


def sample_article(i: int, version: int = 1, **overrides: Any) -> dict[str, Any]:
    """An article mapping as the pipeline hands it over (dataclasses.asdict(Article)); `version` changes its body."""
    article = {
        "url": f"https://news.example.cn/a/{i}.html?from=list",
        "canonical_url": f"https://news.example.cn/a/{i}.html",
        "site": SITE,
        "title": f"黑龙江新闻 {i}",
        "body": f"第一段 {i}。\n第二段，版本 {version}。",
        "published_at": datetime(2026, 11, 28, 9, 30, tzinfo=SHANGHAI),
        "pretitle": "",
        "subtitle": "",
        "source": "人民网－黑龙江频道",
        "authors": ["张三"],
        "editors": ["李四"],
        "channel": {"id": "c1", "name": "要闻"},
        "content_id": str(i),
        "images": [{"url": f"https://news.example.cn/img/{i}.jpg", "caption": "图片"}],
        "page_urls": [],
    }
    article.update(overrides)
    return article


def hot_entries(i: int) -> list[dict[str, Any]]:
    """A hot list that changes every iteration."""
    return [{"rank": r, "title": f"热点 {i}-{r}", "url": f"https://news.example.cn/a/{i + r}.html"}
            for r in range(1, HOT_LIST_SIZE + 1)]


def run_workload(archive: Archive, n: int) -> int:
    """One crawl run over articles 0..n-1, skipping those already archived (as the spider does)."""
    known = archive.known_urls(SITE)
    run_id = archive.start_run("killer", SITE)
    print(f"run {run_id}", flush=True)
    for i in range(n):
        article = sample_article(i)
        if article["url"] in known:
            continue
        write_page(archive, i, article, run_id)
        print(f"done {i}", flush=True)
    archive.finish_run(run_id, "ok")
    print("finished", flush=True)
    return run_id


def write_page(writer: Any, i: int, article: dict, run_id: int) -> None:
    """Page i's writes (raw page, article, every third an edit, hot list, every fifth a failure) to an Archive
    or a WriteBatch, which take the same calls."""
    now = datetime.now(UTC)
    body = f"<html><body>{article['title']}</body></html>".encode()
    writer.save_raw_page(article["url"], body, {"content-type": "text/html"}, now, run_id=run_id)
    writer.save_article(article, fetched_at=now, run_id=run_id)
    if i % 3 == 2:  # an edit of the previous article: a new revision
        writer.save_article(sample_article(i - 1, version=2), fetched_at=now, run_id=run_id)
    writer.save_hot_list(SITE, now, f"https://news.example.cn/hot/{i % 2}", hot_entries(i), run_id=run_id)
    if i % 5 == 4:
        writer.record_failure(run_id, f"https://news.example.cn/missing/{i}.html", "HTTP 404")


def run_batched_workload(archive: Archive, n: int, batch_size: int) -> int:
    """run_workload's pages through batches of batch_size articles; prints each commit's article count."""
    known = archive.known_urls(SITE)
    run_id = archive.start_run("killer", SITE)
    print(f"run {run_id}", flush=True)
    batch, queued = archive.batch(), 0
    for i in range(n):
        article = sample_article(i)
        if article["url"] in known:
            continue
        write_page(batch, i, article, run_id)
        queued += 1
        if queued % batch_size == 0:
            batch.commit()
            print(f"committed {queued}", flush=True)
    batch.commit()
    archive.finish_run(run_id, "ok")
    print("finished", flush=True)
    return run_id


if __name__ == "__main__":
    with open_archive(sys.argv[1], create=True) as opened:
        if len(sys.argv) > 3:
            run_batched_workload(opened, int(sys.argv[2]), int(sys.argv[3]))
        else:
            run_workload(opened, int(sys.argv[2]))
