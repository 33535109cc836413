"""`hljnews reparse`: stored raw pages run through today's parsers; changes become revisions."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from crawler.models import Page
from crawler.sites.registry import SiteRegistry, builtin_site
from jobs.cli import main
from jobs.reparse import reparse_archive
from storage import open_archive

FIXTURES = Path(__file__).parent / "fixtures" / "hlj_people"
FETCHED_AT = datetime(2021, 7, 16, 3, 0, tzinfo=UTC)
HEADERS = {"content-type": "text/html; charset=GB2312"}
site = builtin_site("hlj_people")


def _store(db: Path, case: str, *, spoil: bool) -> dict:
    expected = json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
    body = (FIXTURES / f"{case}.html").read_bytes()
    if spoil:  # what an older, worse parser might have stored: a wrong title and the share line in the body
        article = {"url": expected["url"], "canonical_url": expected["canonical_url"], "site": "hlj_people",
                   "title": "人民网", "body": f"{expected['body_first']}\n分享让更多人看到",
                   "published_at": None}
    else:
        article = asdict(site.parse_page(Page(expected["url"], body, HEADERS, FETCHED_AT)).article)
    with open_archive(str(db), create=True) as archive:
        archive.save_raw_page(expected["url"], body, HEADERS, FETCHED_AT, status=200, site="hlj_people")
        archive.save_article(article, fetched_at=FETCHED_AT)
    return expected


def test_reparse_fixes_a_badly_parsed_article_and_keeps_the_old_revision(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    expected = _store(db, "seed_article", spoil=True)
    _store(db, "people_finance_article_magichtml_2024", spoil=False)
    with open_archive(str(db)) as archive:
        outcomes = reparse_archive(archive, SiteRegistry())
        stored = archive.get_article(expected["canonical_url"])
    assert outcomes == {"updated": 1, "unchanged": 1}
    paragraphs = stored["body"].split("\n")
    assert (paragraphs[0], paragraphs[-1]) == (expected["body_first"], expected["body_last"])
    assert stored["title"] == expected["title"] and stored["source"] == expected["source"]
    assert stored["published_at"].isoformat().startswith(expected["published_at"][:16])
    assert [r["revision"] for r in stored["revisions"]] == [1, 2]
    assert stored["revisions"][0]["title"] == "人民网" and "分享让更多人看到" in stored["revisions"][0]["body"]


def test_reparse_command_reports_its_outcomes(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite3"
    _store(db, "seed_article", spoil=False)
    result = CliRunner().invoke(main, ["reparse", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "unchanged 1"
