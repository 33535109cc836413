"""PostgreSQL's gram table (migration 0010): moved from search_text exactly, and kept in step with every write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, insert, inspect, text

from storage import normalize, open_archive, parse_query
from storage.engine import create_archive_engine, resolve_url
from storage.migrate import alembic_config, upgrade
from storage.search import searchable_title
from storage.search.textnorm import all_grams, index_grams
from tests.conftest import new_pg_database
from tests.test_search import TERMS, corpus, found, scan

SEEN_AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
QUERIES = ["的", "冰", "黑龙江", "冰雪 旅游", "冰 -的", "的 -冰雪 -哈尔滨", "黑龙江 -大庆油田"]


@pytest.fixture
def pg_url(pg_admin: Engine, pg_databases: list[str]) -> str:
    return new_pg_database(pg_admin, pg_databases)


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = create_archive_engine(resolve_url(pg_url))
    yield engine
    engine.dispose()


def _archive_at_0009(engine: Engine, articles: list[dict]) -> None:
    """Articles stored before search existed, then migrations up to 0009 (0003 indexes them, grams inline)."""
    upgrade(engine, "0002")
    old = MetaData()
    old.reflect(engine)
    with engine.begin() as conn:
        conn.execute(insert(old.tables["articles"]), [{
            "id": i + 1, "site": a["site"], "url": a["url"], "canonical_url": a["canonical_url"], "content_id": str(i),
            "title": a["title"], "pretitle": a["pretitle"], "subtitle": a["subtitle"], "body": a["body"],
            "published_at": a["published_at"], "source": a["source"], "authors": a["authors"], "editors": [],
            "channel_id": None, "channel_name": None, "images": [], "page_urls": [], "content_hash": "0" * 64,
            "revision": 1, "first_seen_at": SEEN_AT, "last_fetched_at": SEEN_AT} for i, a in enumerate(articles)])
    upgrade(engine, "0009")


def _gram_rows(engine: Engine) -> dict[int, tuple[str, datetime, list[str]]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT article_id, site, dated_at, grams FROM search_grams"))
        return {row.article_id: (row.site, row.dated_at, sorted(row.grams)) for row in rows}


def _expected_rows(articles: list[dict], ids: list[int]) -> dict[int, tuple[str, datetime, list[str]]]:
    return {id_: (a["site"], a["published_at"], sorted(index_grams(normalize(searchable_title(a)),
                                                                     normalize(a["body"]))))
            for id_, a in zip(ids, articles, strict=True)}


def test_an_archive_at_0009_moves_its_grams_and_finds_the_same(pg_url: str, engine: Engine) -> None:
    articles = corpus(60, seed=3)
    _archive_at_0009(engine, articles)
    with open_archive(pg_url) as archive:
        for query in [*TERMS, *QUERIES]:
            parsed = parse_query(query)
            assert found(archive, query) == scan(articles, list(parsed.terms), parsed.excluded), query
        kept = [a for a in articles if a["site"] == "site1"]
        assert found(archive, "冰 -的", site="site1") == scan(kept, ["冰"], ("的",))
    # The migration's SQL makes the title's marked grams exactly as index_grams does.
    assert _gram_rows(engine) == _expected_rows(articles, list(range(1, 61)))
    with engine.connect() as conn:
        assert "grams" not in {column["name"] for column in inspect(conn).get_columns("search_text")}
        assert {ix["name"] for ix in inspect(conn).get_indexes("search_grams")} == {"ix_search_grams_grams"}
        options = conn.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'search_grams'"))
    assert options == ["toast_tuple_target=128"]


def test_the_migration_downgrades_to_the_grams_in_search_text(pg_url: str, engine: Engine) -> None:
    articles = corpus(10, seed=5)
    _archive_at_0009(engine, articles)
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0009")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT title, body, grams FROM search_text")).all()
        assert not inspect(conn).has_table("search_grams")
    assert len(rows) == 10
    assert all(sorted(row.grams) == sorted(all_grams(row.title) | all_grams(row.body)) for row in rows)


def _config(conn: Connection) -> Config:
    """Alembic's configuration, running on `conn`."""
    config = alembic_config()
    config.attributes["connection"] = conn
    return config


def test_gram_rows_follow_saves_updates_loads_and_deletes(pg_url: str, engine: Engine) -> None:
    articles = corpus(12, seed=9)
    with open_archive(pg_url, create=True) as archive:
        for article in articles[:6]:
            archive.save_article(article, fetched_at=SEEN_AT)
        archive.load_new_articles(articles[6:], fetched_at=SEEN_AT)
        ids = [row["id"] for row in archive.export_rows()]
        assert _gram_rows(engine) == _expected_rows(articles, ids)

        later = SEEN_AT + timedelta(hours=1)
        moved = {**articles[0], "published_at": datetime(2020, 1, 1, tzinfo=UTC)}  # same text: no new revision
        rewritten = {**articles[1], "title": "松花江", "body": "改写后：嫩江"}
        assert archive.save_articles([moved, rewritten], fetched_at=later) == ["unchanged", "updated"]
        articles[0], articles[1] = moved, rewritten
        assert _gram_rows(engine) == _expected_rows(articles, ids)
        assert found(archive, "嫩江") == {rewritten["canonical_url"]}
        assert found(archive, "冰", until=datetime(2021, 1, 1, tzinfo=UTC)) == scan([moved], ["冰"])

        with engine.begin() as conn:
            conn.execute(text("DELETE FROM articles WHERE id = :id"), {"id": ids[2]})
        assert ids[2] not in _gram_rows(engine)
        assert archive.count_matches("的") == len(scan(articles[:2] + articles[3:], ["的"]))


def test_grams_that_array_literals_would_escape_are_stored_as_they_are(pg_url: str, engine: Engine) -> None:
    # The gram array travels as one separated text (postgresql.GRAM_SEPARATOR): braces, commas, quotes,
    # backslashes, the word NULL, spaces and the separator itself (normalised away) must come out of the
    # server's split as index_grams makes them.
    odd = {**corpus(1, seed=11)[0], "title": 'a{b},"c"\\d NULL\x1f\x01x', "body": "e,f{}\\\"g' null\t北 京"}
    with open_archive(pg_url, create=True) as archive:
        archive.save_article(odd, fetched_at=SEEN_AT)  # a new article: write_new
        ids = [row["id"] for row in archive.export_rows()]
        assert _gram_rows(engine) == _expected_rows([odd], ids)
        changed = {**odd, "body": odd["body"] + "}{,"}
        assert archive.save_article(changed, fetched_at=SEEN_AT + timedelta(hours=1)) == "updated"  # write_index
        assert _gram_rows(engine) == _expected_rows([changed], ids)
        assert found(archive, '"{b},"') == {odd["canonical_url"]}
