"""Reporter and editor names out of people.com.cn bylines."""

from __future__ import annotations

import pytest

from crawler.text.bylines import parse_editors, parse_reporters, parse_trailing_byline


@pytest.mark.parametrize(("text", "names"), [
    ("(记者 李莹莹 杨军)", ["李莹莹", "杨军"]),
    ("并对患病儿童开展医疗救助。(记者 李莹莹 杨军)", ["李莹莹", "杨军"]),
    ("（记者 张三、李四）", ["张三", "李四"]),
    ("本报记者 王五", ["王五"]),
    ("记者 赵六 通讯员 钱七", ["赵六"]),  # correspondents are not reporters
    ("（记者 赵宇 通讯员 孙明）", ["赵宇"]),
    ("本报记者  王乐文  方  敏", ["王乐文", "方敏"]),  # people.com.cn pads two-character names
    ("本报讯（记者叶婉）近日，“心成长”青少年心理健康服务项目在北京市青年宫正式启动。", ["叶婉"]),
    ("人民网哈尔滨7月15日电（记者 王经纬）盛夏时节", ["王经纬"]),
    ("（记者：刘艳 实习生：王明）", ["刘艳"]),
    ("（记者 张雪 摄）", ["张雪"]),
    ("(人民网记者 欧阳·买买提)", ["欧阳·买买提"]),
    ("造福全人类。（记者宋晨、田中全、胡\ufffd础⒑钗睦ぃ\ufffd", ["宋晨", "田中全"]),  # damaged names are dropped
])
def test_parse_reporters(text: str, names: list[str]) -> None:
    assert parse_reporters(text) == names


@pytest.mark.parametrize("text", [
    "北京青年报记者了解到，“心成长”青少年心理健康服务项目",
    "记者从省教育厅获悉，目前，全省高考录取工作",
    "新华社记者",
    "(责编：胡永秋、杨光宇)",
    "",
])
def test_prose_and_empty_bylines_name_nobody(text: str) -> None:
    assert parse_reporters(text) == []


@pytest.mark.parametrize(("text", "names"), [
    ("(责编：胡永秋、杨光宇)", ["胡永秋", "杨光宇"]),
    ("（责编：刘佳，孙晓东）", ["刘佳", "孙晓东"]),
    ("（责编：甲，乙）", ["甲", "乙"]),
    ("责任编辑：王五", ["王五"]),
    ("(记者 李莹莹 杨军)", []),
])
def test_parse_editors(text: str, names: list[str]) -> None:
    assert parse_editors(text) == names


@pytest.mark.parametrize(("paragraph", "names"), [
    ("□ 本报记者 王五", ["王五"]),
    ("■本报记者 姜斌", ["姜斌"]),
    ("（本报记者 张三 李四）", ["张三", "李四"]),
    ("(记者 李莹莹 杨军)", ["李莹莹", "杨军"]),
    ("记者 赵六 通讯员 钱七", ["赵六"]),
    ("本报记者 王五 通讯员 赵六", ["王五"]),
    ("通讯员李四 记者王五", ["王五"]),
    ("黑龙江日报记者 刘艳", ["刘艳"]),
    ("文/图 孙八", ["孙八"]),
    ("文丨王小明", ["王小明"]),
    ("作者：李四", ["李四"]),
    ("本报记者 王五 摄", ["王五"]),  # a reporter who also took the photo is still the writer
    ("周九 摄", []),  # a photographer alone is not a writer, but the line is still only a credit
    ("图/张三", []),
])
def test_trailing_byline_paragraph(paragraph: str, names: list[str]) -> None:
    byline = parse_trailing_byline(paragraph)
    assert (byline.names, byline.byline_only) == (names, True)


@pytest.mark.parametrize(("paragraph", "names"), [
    ("并对患病儿童开展医疗救助。(记者 李莹莹 杨军)", ["李莹莹", "杨军"]),  # a credit closing prose keeps the prose
    ("(责编：胡永秋、杨光宇)", []),  # editors' lines stay in the body
    ("编辑/倪家宁", []),
    ("新华社发（刘满仓摄）", []),  # a caption credit
    ("中青报·中青网记者 魏其濛 来源：中国青年报", []),
    ("记者从省教育厅获悉", []),
    ("文化强省", []),  # 文 is a role only with a separator
    ("魏蔚", []),  # a bare name could be anything
    ("（完）", []),
    ("", []),
])
def test_paragraphs_that_are_not_only_a_byline(paragraph: str, names: list[str]) -> None:
    byline = parse_trailing_byline(paragraph)
    assert (byline.names, byline.byline_only) == (names, False)
