"""A sheet whose year cannot be settled is rejected, the receipt saying what to write and where."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from pipeline.problems import Severity
from pipeline.year_range import latest_year
from tests.pipeline.test_parse import (
    DATA,
    UNIT,
    records_years,
    rules,
)
from tests.pipeline.workbooks import COMPOUND_HEADER, compound_sheet, xlsx


def test_a_year_that_cannot_be_determined_is_rejected_as_year_unknown(registry):
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "year_unknown")]
    problem = parsed.errors[0]
    assert problem.sheet == "清单"
    # Nothing in the file names a year: the example is a blank to fill, no year at all. The run's own year, shown
    # (`年度：2026`), was copied onto 2022's list and filed it as 2026's.
    assert problem.message_zh == (
        "报表年度无法确定：请在表格上方加一行“年度：…”写明报表年度，"
        "如“年度：＿＿＿＿”（横线处填写本表数据所属的四位年份，不一定是今年），或在标题中写明年度。"
    )
    assert str(latest_year() - 1) not in problem.message_zh and str(latest_year()) not in problem.message_zh
    assert parsed.years == []


def test_rows_left_blank_in_a_year_column_are_named_when_nothing_else_states_the_year(registry):
    # The column said 2022 on rows 4 and 6: 报表年度无法确定 with 请在表格上方加一行 named no blank cell.
    header = [*COMPOUND_HEADER, "年度"]
    rows = compound_sheet(
        [1, "甲小区", 1, 10, 5, None, 2022],
        [2, "乙小区", 1, 10, 5, None, None],
        [3, "丙小区", 1, 10, 5, None, 2022],
        title="老旧小区改造项目清单",
        header=header,
    )
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert [(p.rule, p.excel_row, p.message_zh) for p in parsed.errors] == [
        ("year_unknown", 5, "「年度」列第5行未填写，这些行的报表年度无法确定：请在这些行填写年度。")
    ]


@pytest.mark.parametrize("line", ["年度：", "年    度：", "年度：      填表日期：2023年1月5日"])
def test_a_blank_year_line_is_told_as_blank_not_as_missing(registry, line):
    # The clerk was told to add a `年度：` line the sheet already has, left blank.
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    rows.insert(2, [line])
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row, problem.column_header) == (
        "year_unknown",
        "清单",
        3,
        "年度",
    )
    assert problem.message_zh == (
        "报表年度无法确定：第3行“年度：”后没有填写年度，请填写四位年份，"
        "如“年度：＿＿＿＿”（横线处填写本表数据所属的四位年份，不一定是今年）。"
    )


def test_a_title_naming_two_years_is_an_error_on_its_row_when_it_decides(registry):
    rows = compound_sheet(*DATA, title="枣林街道办事处2021-2022年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单2022.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row) == ("year_unknown", "清单", 1)
    assert problem.message_zh == (
        "第1行的标题写的是2021年、2022年，报表年度无法确定：请在表格上方加一行“年度：…”写明是哪一年度，"
        "如“年度：2022”。"
    )
    assert records_years(parsed) == [None]


def test_a_blank_year_line_under_a_title_naming_its_year_in_two_digits_shows_that_year(registry):
    rows = compound_sheet(*DATA, title="枣林街道办事处21年老旧小区改造项目清单")
    rows.insert(2, ["年度："])
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    [problem] = parsed.errors
    assert problem.message_zh.endswith("请填写四位年份，如“年度：2021”。")


@pytest.mark.parametrize(
    ("filename", "example"),
    [
        # The file name names one of the title's years: that is the one shown.
        ("清单2021.xlsx", "如“年度：2021”"),
        # Nothing else names one: each of the title's is, for the clerk to choose.
        ("清单.xlsx", "如“年度：2021”或“年度：2022”"),
    ],
)
def test_a_title_naming_two_years_shows_the_one_the_file_name_names_too(registry, filename, example):
    rows = compound_sheet(*DATA, title="枣林街道办事处2021-2022年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    problem = next(p for p in parsed.errors if p.rule == "year_unknown")
    assert problem.message_zh.endswith(f"写明是哪一年度，{example}。")
