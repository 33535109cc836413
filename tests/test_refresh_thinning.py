"""Recent-article refresh is thinned: young articles are re-checked often, older ones rarely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import Archive
from tests.support.archive_writer import sample_article

SITE = "hlj_people"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _save(archive: Archive, i: int, published: datetime, fetched: datetime) -> str:
    article = sample_article(i, published_at=published)
    article["site"] = SITE
    archive.save_article(article, fetched_at=fetched)
    return archive.get_article(article["canonical_url"])["url"]


def test_an_article_is_due_once_a_quarter_of_its_age_has_passed_since_the_last_fetch(archive: Archive) -> None:
    # 8 hours old, fetched 3 hours ago: due (wait is max(1 h, 2 h) = 2 h)
    young_due = _save(archive, 1, NOW - timedelta(hours=8), NOW - timedelta(hours=3))
    # 8 hours old, fetched 1.5 hours ago: not yet
    _save(archive, 2, NOW - timedelta(hours=8), NOW - timedelta(hours=1, minutes=30))
    # 6 days old, fetched 20 hours ago: not yet (wait is 36 h)
    _save(archive, 3, NOW - timedelta(days=6), NOW - timedelta(hours=20))
    # 6 days old, fetched 2 days ago: due
    old_due = _save(archive, 4, NOW - timedelta(days=6), NOW - timedelta(days=2))
    # 9 days old: outside the window whatever its last fetch
    _save(archive, 5, NOW - timedelta(days=9), NOW - timedelta(days=8))
    assert archive.articles_due_for_refresh(SITE, days=7, now=NOW) == [young_due, old_due]
