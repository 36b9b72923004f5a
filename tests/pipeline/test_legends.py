"""A 运行监控表's light written as marks, read by the legend line its form writes above or below the table."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from tests.pipeline.test_national_forms import MONITORING, UNIT, _row, _row_with, _shifted, workbook
from tests.pipeline.workbooks import national_monitoring

MARKS = ["●", "●", "▲", "●"]


def _marked(
    marks: list[str], legend: str | None, where: str = "below", spread: bool = False
) -> tuple[bytes, int]:
    """Return a 1–7月 运行监控表 whose indicator rows end in a 预警情况 column of marks, with its legend line below
    the table (or above its header), in one cell or one cell a word (`spread`); and the first indicator's Excel row."""
    rows, merges = national_monitoring(MONITORING)
    at = _row_with(rows, "原因说明")
    rows[at - 1].append("预警情况")
    for row, mark in zip(rows[at : at + len(MONITORING)], marks, strict=True):
        row.append(mark)
    if legend is not None:
        line = legend.split() if spread else [legend]
        if where == "below":
            rows.append(line)
        elif where == "under":  # right under the last indicator, above the 填报人 line
            rows.insert(at + len(MONITORING), line)
        else:  # between the 年度总体目标 block and the indicator table's header
            rows.insert(at - 1, line)
            merges = [_shifted(m, at - 1) for m in merges]
            at += 1
    return workbook((rows, merges), "监控表"), at + 1


@pytest.mark.parametrize(
    ("legend", "where", "spread"),
    [
        ("注：●表示正常，▲表示黄灯", "below", False),
        ("● 正常 ▲ 黄灯预警", "below", True),  # one cell a word
        ("● 正常 ▲ 黄灯预警", "under", True),  # under the table's columns, no row of it
        ("●：正常；▲：较大偏差", "above", False),
        ("图例：●为绿灯、▲为黄灯", "above", False),
    ],
)
def test_marks_are_read_by_a_legend_naming_one_light_each(registry, legend, where, spread):
    # A legend form was refused, every mark an error, though its line said what each meant.
    content, _ = _marked(MARKS, legend, where, spread)

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    assert parsed.all_problems == []
    assert [r["stated_light"] for r in parsed.sheets[0].records] == ["绿灯", "绿灯", "黄灯", "绿灯"]


def test_a_mark_the_legend_names_no_one_light_of_is_refused_on_its_cell(registry):
    # `▲ 预警` does not say which light: ● is read, ▲ is asked about, naming the legend's row.
    content, first = _marked(MARKS, "● 正常 ▲ 预警")
    legend_row = first + len(MONITORING) + 1  # below the 填报人 line

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "enum_ambiguous",
        first + 2,
        "预警情况",
        "▲",
    )
    assert f"第{legend_row}行的图例说“▲”表示“预警”" in error.message_zh
    assert [r["stated_light"] for r in parsed.sheets[0].records] == ["绿灯", "绿灯", None, "绿灯"]


def test_a_mark_the_legend_words_two_ways_is_refused(registry):
    content, first = _marked(MARKS, "注：●表示正常，▲表示黄灯，▲表示红灯")

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    assert [(e.rule, e.excel_row, e.value) for e in parsed.errors] == [("enum_ambiguous", first + 2, "▲")]
    assert "“黄灯”“红灯”，说法不一" in parsed.errors[0].message_zh


@pytest.mark.parametrize("legend", [None, "注：●表示正常"])
def test_marks_without_a_legend_saying_what_they_mean_are_still_refused(registry, legend):
    content, first = _marked(MARKS, legend)

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    refused = [(e.rule, e.excel_row, e.column_header, e.value) for e in parsed.errors]
    if legend is None:
        assert refused == [("enum", first + i, "预警情况", mark) for i, mark in enumerate(MARKS)]
    else:
        assert refused == [("enum", first + 2, "预警情况", "▲")]
    [triangle] = [e for e in parsed.errors if e.value == "▲"]
    assert "表中没有说明“▲”含义的图例" in triangle.message_zh


@pytest.mark.parametrize(("mark", "read"), [("▲", "黄灯"), ("■", None)])
def test_the_funds_blocks_light_is_read_by_the_same_legend(registry, mark, read):
    rows, merges = national_monitoring(MONITORING)
    total = _row(rows, "年度资金总额")
    rows[total - 2][6] = "预警情况"
    rows[total - 1][6] = mark
    rows.append(["注：●表示正常，▲表示黄灯"])

    parsed = parse_file(workbook((rows, merges), "监控表"), f"{UNIT}/监控表.xlsx", registry)

    assert {r["budget_stated_light"] for r in parsed.sheets[0].records} == {read}
    refused = [(e.rule, e.excel_row, e.value) for e in parsed.errors]
    assert refused == ([] if read else [("enum", total, mark)])


@pytest.mark.parametrize(
    ("header", "read"), [("预警情况（●绿灯 ▲黄灯）", "黄灯"), ("预警情况(●正常 ▲预警)", None)]
)
def test_a_legend_in_the_columns_own_header_is_read(registry, header, read):
    # `预警情况（●绿灯 ▲黄灯）` was refused, each mark told the table had no legend for it.
    rows, merges = national_monitoring(MONITORING)
    at = _row_with(rows, "原因说明")
    first = at + 1
    rows[at - 1].append(header)
    for row, mark in zip(rows[at : at + len(MONITORING)], MARKS, strict=True):
        row.append(mark)

    parsed = parse_file(workbook((rows, merges), "监控表"), f"{UNIT}/监控表.xlsx", registry)

    assert [r["stated_light"] for r in parsed.sheets[0].records] == ["绿灯", "绿灯", read, "绿灯"]
    refused = [(e.rule, e.excel_row, e.value) for e in parsed.errors]
    assert refused == ([] if read else [("enum_ambiguous", first + 2, "▲")])
    if not read:
        assert f"第{at}行的图例说“▲”表示“预警”，未说明是其中哪一个" in parsed.errors[0].message_zh


@pytest.mark.parametrize(
    "legend",
    [
        "注：1.●表示正常；2.▲表示黄灯",  # numbered notes
        "注：（1）●表示绿灯；（2）▲表示黄灯。",
        "说明：①●正常 ②▲黄灯预警",
        "注：●绿灯（正常） ▲黄灯（较大偏差）",  # a gloss naming the light again
        "图例：●表示绿灯（执行正常），▲表示黄灯(偏差超过10%)",  # a gloss naming none, only describing it
    ],
)
def test_numbered_notes_and_glossed_lights_are_read_as_legends(registry, legend):
    # Each was no legend: every mark refused, told the table had none.
    content, _ = _marked(MARKS, legend)

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    assert parsed.all_problems == []
    assert [r["stated_light"] for r in parsed.sheets[0].records] == ["绿灯", "绿灯", "黄灯", "绿灯"]


@pytest.mark.parametrize(
    ("legend", "words"),
    [
        ("注：1.●表示正常；2.▲表示黄灯（或红灯）", "“黄灯”“或红灯”"),
        ("注：●绿灯（正常） ▲黄灯（轻微偏差）", "“黄灯”“轻微偏差”"),  # 轻微偏差 is 蓝灯: which is it?
    ],
)
def test_a_gloss_naming_another_light_is_refused_on_the_marks_cell(registry, legend, words):
    content, first = _marked(MARKS, legend)

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    assert [(e.rule, e.excel_row, e.column_header, e.value) for e in parsed.errors] == [
        ("enum_ambiguous", first + 2, "预警情况", "▲")
    ]
    assert f"表示{words}，说法不一" in parsed.errors[0].message_zh
    assert [r["stated_light"] for r in parsed.sheets[0].records] == ["绿灯", "绿灯", None, "绿灯"]


def test_a_note_naming_a_mark_that_is_no_legend_is_named_on_the_marks_cells(registry):
    content, first = _marked(MARKS, "注：●表示正常，其余为预警")
    note_row = first + len(MONITORING) + 1  # below the 填报人 line

    parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)

    # Every mark refused still, but ● was told the table had no legend for it, beside a note saying it.
    refused = {e.excel_row: e for e in parsed.errors}
    assert [(e.rule, e.value) for e in refused.values()] == [("enum", mark) for mark in MARKS]
    assert f"第{note_row}行的注释写有“●”，但没有逐一写明各符号的含义" in refused[first].message_zh
    assert "表中没有说明“▲”含义的图例" in refused[first + 2].message_zh
