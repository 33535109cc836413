"""Contract tests for raw pages (compressed, byte-exact, deduplicated) and hot-list snapshots."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import zstandard
from sqlalchemy import create_engine, text

from storage import Archive, StorageError, pack_body
from storage.packing import SMALL_PAGE, unpack_body

FETCHED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
LATER = FETCHED_AT + timedelta(hours=1)
URL = "https://hlj.people.com.cn/n2/2026/1128/c220024-1.html"
BODY = ("<html><head><meta charset='gbk'></head><body>" + "黑龙江新闻" * 500 + "</body></html>").encode("gbk")
HEADERS = {"content-type": "text/html; charset=GBK", "last-modified": "Sat, 28 Nov 2026 01:00:00 GMT"}
ENTRIES = [{"rank": r, "title": f"热点新闻 {r}", "url": f"https://hlj.people.com.cn/n2/{r}.html"} for r in range(1, 11)]


def _stored_bodies(archive: Archive) -> list[bytes]:
    return [body for body, _codec in _stored_rows(archive)]


def _stored_rows(archive: Archive) -> list[tuple[bytes, str]]:
    """(body, compression) of every raw_pages row, read with plain SQL."""
    engine = create_engine(archive.engine.url)
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.exec_driver_sql("SELECT body, compression FROM raw_pages ORDER BY id")]
    engine.dispose()
    return rows


def _set_row(archive: Archive, body: bytes, compression: str) -> None:
    """Rewrite the one raw_pages row's stored bytes and codec, as an older version (or damage) left them."""
    engine = create_engine(archive.engine.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE raw_pages SET body = :body, compression = :compression"),
                     {"body": body, "compression": compression})
    engine.dispose()


def test_raw_page_round_trips_byte_exact_and_is_compressed(archive: Archive) -> None:
    archive.save_raw_page(URL, BODY, HEADERS, FETCHED_AT, status=200, site="hlj_people")
    page = archive.raw_page(URL)
    assert page["body"] == BODY
    assert page["headers"] == HEADERS
    assert page["status"] == 200
    assert page["site"] == "hlj_people"
    assert page["fetched_at"].isoformat() == "2026-11-28T10:00:00+08:00"
    [(stored, codec)] = _stored_rows(archive)
    assert codec == "zstd"
    assert len(stored) < len(BODY) / 5
    assert zstandard.ZstdDecompressor().decompress(stored) == BODY  # any zstd reader gets the page back


@pytest.mark.parametrize("body", [BODY, ("<html><body>" + "".join(f"<p>黑龙江新闻 {n}</p>" for n in range(20_000))
                                           + "</body></html>").encode("gbk")], ids=["small page", "large page"])
def test_a_packed_page_carries_its_size_and_checksum_whatever_its_size(body: bytes) -> None:
    """Pages up to SMALL_PAGE and larger ones are packed with different zstd tables; any reader unpacks both."""
    assert (len(body) <= SMALL_PAGE) == (body is BODY)
    packed = pack_body(body)
    frame = zstandard.get_frame_parameters(packed.compressed)
    assert (frame.content_size, frame.has_checksum) == (len(body), True)
    assert zstandard.ZstdDecompressor().decompress(packed.compressed) == body
    assert unpack_body(packed.codec, packed.compressed, len(body), packed.sha256) == body
    assert len(packed.compressed) < len(body) / 4


def test_a_row_kept_before_zstd_reads_back_as_fetched(archive: Archive) -> None:
    archive.save_raw_page(URL, BODY, HEADERS, FETCHED_AT)
    _set_row(archive, zlib.compress(BODY, 3), "zlib")
    assert archive.raw_page(URL)["body"] == BODY
    archive.save_raw_page(URL, BODY, HEADERS, LATER)  # the same bytes: still recognised, no second row
    assert archive.counts()["raw_pages"] == 1


def test_a_flipped_bit_in_a_stored_page_is_an_error_never_other_bytes(archive: Archive) -> None:
    archive.save_raw_page(URL, BODY, HEADERS, FETCHED_AT)
    [(stored, _codec)] = _stored_rows(archive)
    for bit in range(0, len(stored) * 8, 37):  # every 37th bit: header, blocks and checksum alike
        damaged = bytearray(stored)
        damaged[bit // 8] ^= 1 << bit % 8
        _set_row(archive, bytes(damaged), "zstd")
        with pytest.raises(StorageError, match="damaged zstd data"):
            archive.raw_page(URL)


def test_a_zstd_frame_without_its_content_size_reads_back(archive: Archive) -> None:
    archive.save_raw_page(URL, BODY, HEADERS, FETCHED_AT)
    streamed = zstandard.ZstdCompressor(write_content_size=False).compressobj()  # as a streaming writer leaves it
    _set_row(archive, streamed.compress(BODY) + streamed.flush(), "zstd")
    assert archive.raw_page(URL)["body"] == BODY


@pytest.mark.parametrize(("body", "compression", "message"), [
    (b"\x28\xb5\x2f\xfd garbage", "zstd", "raw page 1 cannot be read: damaged zstd data"),
    (b"not zlib", "zlib", "raw page 1 cannot be read: damaged zlib data"),
    (b"whatever", "brotli", "raw page 1 cannot be read: unknown compression 'brotli' (this archive reads zstd, zlib)"),
])
def test_a_row_that_cannot_be_unpacked_is_one_clear_error(archive: Archive, body: bytes, compression: str,
                                                          message: str) -> None:
    archive.save_raw_page(URL, BODY, HEADERS, FETCHED_AT)
    _set_row(archive, body, compression)
    with pytest.raises(StorageError) as refused:
        archive.raw_page(URL)
    assert str(refused.value).startswith(message)


def test_same_bytes_keep_one_row_and_changed_bytes_add_one(archive: Archive) -> None:
    archive.save_raw_page(URL, BODY, HEADERS, FETCHED_AT)
    archive.save_raw_page(URL, BODY, {"content-type": "text/html"}, LATER)
    assert archive.counts()["raw_pages"] == 1
    assert archive.raw_page(URL)["last_fetched_at"].isoformat() == "2026-11-28T11:00:00+08:00"
    archive.save_raw_page(URL, BODY + b"<!-- edited -->", HEADERS, LATER + timedelta(hours=1))
    assert archive.counts()["raw_pages"] == 2
    assert archive.raw_page(URL)["body"].endswith(b"<!-- edited -->")


def test_a_body_packed_before_the_batch_is_stored_as_one_packed_there_and_still_deduplicated(
        archive: Archive) -> None:
    packed = pack_body(BODY)
    assert packed.sha256 == hashlib.sha256(BODY).hexdigest() and packed.codec == "zstd"
    assert zstandard.ZstdDecompressor().decompress(packed.compressed) == BODY
    batch = archive.batch()
    batch.save_raw_page(URL, BODY, HEADERS, FETCHED_AT, site="hlj_people", packed=packed)
    batch.save_raw_page(URL, BODY, HEADERS, LATER, site="hlj_people")  # the same bytes, not packed: one row
    batch.save_raw_page(URL + "?b", BODY, HEADERS, FETCHED_AT, site="hlj_people")
    batch.commit()
    assert archive.counts()["raw_pages"] == 2
    assert archive.raw_page(URL)["body"] == BODY and archive.raw_page(URL + "?b")["body"] == BODY
    assert archive.raw_page(URL)["last_fetched_at"] == LATER
    assert _stored_bodies(archive) == [packed.compressed, packed.compressed]  # one compression, as made before
    later = archive.batch()
    later.save_raw_page(URL, BODY, HEADERS, LATER + timedelta(hours=1), site="hlj_people", packed=packed)
    later.commit()
    assert archive.counts()["raw_pages"] == 2  # a packed body is recognised as the stored copy too


def test_binary_and_empty_bodies_round_trip(archive: Archive) -> None:
    archive.save_raw_page("https://x.example.cn/a", bytes(range(256)) * 4, {}, FETCHED_AT)
    archive.save_raw_page("https://x.example.cn/b", b"", {}, FETCHED_AT, status=404)
    assert archive.raw_page("https://x.example.cn/a")["body"] == bytes(range(256)) * 4
    assert archive.raw_page("https://x.example.cn/b")["body"] == b""
    assert archive.raw_page("https://x.example.cn/b")["status"] == 404
    assert archive.raw_page("https://x.example.cn/missing") is None


def test_iter_raw_pages_gives_the_latest_bytes_per_url_and_filters_by_site(archive: Archive) -> None:
    run_id = archive.start_run("hlj_people", "hlj_people")
    archive.save_raw_page(URL, b"old", {}, FETCHED_AT, run_id=run_id)
    archive.save_raw_page(URL, b"new", {}, LATER, run_id=run_id)
    archive.save_raw_page("https://other.example.cn/1", b"x", {}, FETCHED_AT, site="other")
    pages = list(archive.iter_raw_pages("hlj_people"))
    assert [(p["url"], p["body"], p["run_id"]) for p in pages] == [(URL, b"new", run_id)]
    assert {p["url"] for p in archive.iter_raw_pages()} == {URL, "https://other.example.cn/1"}


def test_hot_list_round_trips(archive: Archive) -> None:
    snapshot_id = archive.save_hot_list("hlj_people", FETCHED_AT, URL, ENTRIES)
    latest = archive.latest_hot_list("hlj_people")
    assert latest["id"] == snapshot_id
    assert latest["captured_at"].isoformat() == "2026-11-28T10:00:00+08:00"
    assert latest["page_url"] == URL
    assert latest["entries"] == ENTRIES
    assert archive.latest_hot_list("nobody") is None


def test_identical_hot_list_in_the_same_run_is_not_duplicated(archive: Archive) -> None:
    run_id = archive.start_run("hlj_people", "hlj_people")
    first = archive.save_hot_list("hlj_people", FETCHED_AT, URL, ENTRIES, run_id=run_id)
    assert archive.save_hot_list("hlj_people", LATER, URL, ENTRIES, run_id=run_id) is None
    assert archive.latest_hot_list("hlj_people")["id"] == first
    assert archive.counts()["hot_list_snapshots"] == 1


def test_the_same_sidebar_on_every_article_page_of_a_run_is_one_snapshot(archive: Archive) -> None:
    run_id = archive.start_run("hlj_people", "hlj_people")
    pages = [f"https://hlj.people.com.cn/n2/2026/1128/c220024-{n}.html" for n in range(5)]
    stored = [archive.save_hot_list("hlj_people", FETCHED_AT + timedelta(seconds=n), page, ENTRIES, run_id=run_id)
              for n, page in enumerate(pages)]
    assert stored[0] is not None and stored[1:] == [None] * 4
    other_site = archive.save_hot_list("hlj_xinhua", LATER, "https://hlj.news.cn/", ENTRIES, run_id=run_id)
    assert other_site is not None  # the rule is per site
    changed = archive.save_hot_list("hlj_people", LATER, pages[0], ENTRIES[:5], run_id=run_id)
    back = archive.save_hot_list("hlj_people", LATER + timedelta(minutes=1), pages[1], ENTRIES, run_id=run_id)
    assert changed is not None and back is not None  # a change, and a change back, are history
    assert archive.counts()["hot_list_snapshots"] == 4


def test_changed_or_next_run_hot_list_is_a_new_snapshot(archive: Archive) -> None:
    run_id = archive.start_run("hlj_people", "hlj_people")
    archive.save_hot_list("hlj_people", FETCHED_AT, URL, ENTRIES, run_id=run_id)
    reordered = [{**e, "rank": len(ENTRIES) - e["rank"] + 1} for e in reversed(ENTRIES)]
    archive.save_hot_list("hlj_people", LATER, URL, reordered, run_id=run_id)
    next_run = archive.start_run("hlj_people", "hlj_people")
    archive.save_hot_list("hlj_people", LATER + timedelta(hours=1), URL, reordered, run_id=next_run)
    assert archive.counts()["hot_list_snapshots"] == 3
    latest = archive.latest_hot_list("hlj_people")
    assert latest["run_id"] == next_run
    assert latest["entries"] == reordered


def test_latest_hot_list_is_the_newest_capture(archive: Archive) -> None:
    archive.save_hot_list("hlj_people", LATER, URL, ENTRIES)
    archive.save_hot_list("hlj_people", FETCHED_AT, "https://hlj.people.com.cn/", ENTRIES[:3])
    assert archive.latest_hot_list("hlj_people")["page_url"] == URL
    assert len(archive.latest_hot_list("hlj_people", "https://hlj.people.com.cn/")["entries"]) == 3


def test_empty_hot_list_is_not_stored(archive: Archive) -> None:
    assert archive.save_hot_list("hlj_people", FETCHED_AT, URL, []) is None
    assert archive.counts()["hot_list_snapshots"] == 0
