"""crawler.text.dates on the forms people.com.cn pages carry."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawler.text.dates import SHANGHAI, parse_datetime


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
