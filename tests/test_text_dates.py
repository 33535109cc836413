"""crawler.text.dates on the forms people.com.cn pages carry."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.text.dates import SHANGHAI, find_datetimes, parse_datetime


@pytest.mark.parametrize(("text", "expected"), [
    ("2024年05月10日06:58 | 来源：人民网－人民日报", datetime(2024, 5, 10, 6, 58, tzinfo=SHANGHAI)),  # rm_txt
    ("2019年06月15日08:18\xa0\xa0来源：人民网-文化频道", datetime(2019, 6, 15, 8, 18, tzinfo=SHANGHAI)),  # box_con
    ("2024年05月17日08:59  来源：北京青年报", datetime(2024, 5, 17, 8, 59, tzinfo=SHANGHAI)),  # health
    ("2021-07-16", datetime(2021, 7, 16, tzinfo=SHANGHAI)),  # meta publishdate
    ("2021年7月16日 8:31", datetime(2021, 7, 16, 8, 31, tzinfo=SHANGHAI)),
])
def test_absolute_forms(text: str, expected: datetime) -> None:
    value = parse_datetime(text)
    assert value == expected and value.utcoffset() == expected.utcoffset()


def test_year_less_dateline_uses_the_reference() -> None:
    reference = datetime(2021, 7, 17, tzinfo=SHANGHAI)
    assert parse_datetime("07-16 08:31 来源：黑龙江日报", reference=reference) == datetime(2021, 7, 16, 8, 31,
                                                                                     tzinfo=SHANGHAI)


def test_no_date() -> None:
    assert parse_datetime("来源：黑龙江日报") is None
    assert parse_datetime("") is None


def test_compact_timestamps_and_glued_month_day_forms() -> None:
    reference = datetime(2024, 5, 21, 9, 0, tzinfo=SHANGHAI)
    assert parse_datetime("20240520103000") == datetime(2024, 5, 20, 10, 30, tzinfo=SHANGHAI)
    assert parse_datetime("05月20日10:30", reference=reference) == datetime(2024, 5, 20, 10, 30, tzinfo=SHANGHAI)
    assert parse_datetime("12月30日", reference=reference) == datetime(2023, 12, 30, tzinfo=SHANGHAI)
    assert parse_datetime("05月20日10:30") is None  # a year-less form needs the fetch time


@pytest.mark.parametrize(("text", "expected"), [
    ("2005-5-7 21:23:57", datetime(2005, 5, 7, 21, 23, 57, tzinfo=SHANGHAI)),  # one-digit month/day, seconds
    ("[2005-04-27 14:32]", datetime(2005, 4, 27, 14, 32, tzinfo=SHANGHAI)),  # bracketed portal stamp
    ("发布时间：2006-12-27", datetime(2006, 12, 27, tzinfo=SHANGHAI)),
    ("发表日期：2005年5月7日", datetime(2005, 5, 7, tzinfo=SHANGHAI)),
    ("更新时间：2008-3-12 9:05", datetime(2008, 3, 12, 9, 5, tzinfo=SHANGHAI)),
    ("２００５－０５－０７", datetime(2005, 5, 7, tzinfo=SHANGHAI)),  # full-width digits and dashes
    ("发布时间：２００５－０５－０７ １０：３０", datetime(2005, 5, 7, 10, 30, tzinfo=SHANGHAI)),  # and colon
    ("2005年05月07日 10：30", datetime(2005, 5, 7, 10, 30, tzinfo=SHANGHAI)),  # full-width colon only
    ("二〇〇六年十二月二十七日", datetime(2006, 12, 27, tzinfo=SHANGHAI)),  # written date of a government document
    ("2003.9.1", datetime(2003, 9, 1, tzinfo=SHANGHAI)),
])
def test_older_portal_and_government_forms(text: str, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["2005-13-07", "2005-02-30 10:00", "第20051期", "1999-2005年"])
def test_impossible_or_partial_dates_are_not_dates(text: str) -> None:
    assert parse_datetime(text) is None


def test_find_datetimes_lists_every_date_with_its_span_and_precision() -> None:
    text = "发布时间：2021-07-05 10:30 更新时间：2021-07-06"
    found = find_datetimes(text)
    assert [(m.value, m.has_time) for m in found] == [
        (datetime(2021, 7, 5, 10, 30, tzinfo=SHANGHAI), True),
        (datetime(2021, 7, 6, tzinfo=SHANGHAI), False),
    ]
    assert text[found[0].start : found[0].end] == "2021-07-05 10:30"
    assert text[found[1].start : found[1].end] == "2021-07-06"


def test_find_datetimes_keeps_full_width_offsets() -> None:
    text = "［２００５－０５－０７ １０：３０］"
    (match,) = find_datetimes(text)
    assert (match.start, match.end) == (1, len(text) - 1)


def test_find_datetimes_reads_relative_forms_only_with_a_reference() -> None:
    reference = datetime(2024, 3, 2, 12, 0, tzinfo=SHANGHAI)
    assert find_datetimes("3小时前 来源：示例") == []
    (match,) = find_datetimes("3小时前 来源：示例", reference=reference)
    assert (match.value, match.relative) == (datetime(2024, 3, 2, 9, 0, tzinfo=SHANGHAI), True)
    assert [m.value for m in find_datetimes("07-05 10:30", reference=reference)] == [
        datetime(2023, 7, 5, 10, 30, tzinfo=SHANGHAI)
    ]


def test_written_dates_with_the_look_alike_circle_for_zero() -> None:
    # Government notices sign off with 二○一○ (U+25CB) as often as with 二〇一〇 (U+3007).
    for text in ("二○一○年五月二十四日", "二〇一〇年五月二十四日", "二◯一◯年五月二十四日"):
        assert parse_datetime(text) == datetime(2010, 5, 24, tzinfo=SHANGHAI)
