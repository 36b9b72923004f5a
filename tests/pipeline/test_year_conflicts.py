"""Statements of a sheet's year that disagree are told: with one another, across a column's rows, or with the day
the form was filled."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.parse import parse_file
from pipeline.problems import Severity
from tests.pipeline.test_parse import (
    DATA,
    PROGRESS_HEADER,
    PROJECT,
    SHUANGPU_UNIT,
    UNIT,
    ledger_rows,
    records_years,
    rules,
)
from tests.pipeline.workbooks import compound_sheet, csv_bytes, xlsx


def test_a_year_column_holding_two_years_is_rejected_as_year_span_naming_its_rows(registry):
    # A December report and a January one pasted into one sheet: one file, one 报表年度, never two slices.
    rows = [
        ["投资完成情况月报"],
        [f"填报单位：{SHUANGPU_UNIT}"],
        PROGRESS_HEADER,
        [PROJECT, 2026, 1, 6000, 100, 100],
        [PROJECT, "2025年", 12, 3000, 100, 1050],
        [PROJECT, 2026, 2, 6000, 100, 200],
    ]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/跨年月报.xlsx", registry)
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule, problem.sheet) == (Severity.ERROR, "year_span", "月报")
    # The header as written, the first row of another year than the sheet's first, and the years found.
    assert (problem.excel_row, problem.column_header, problem.value) == (5, "年 度", "2025、2026")
    assert problem.fix == "一个文件只能报送一个年度的数据，请按年度分别报送"
    assert problem.message_zh == (
        "「年 度」列跨越了2025、2026多个年度（2025年：第5行；2026年：第4、6行），"
        "一个文件只能报送一个年度的数据，请按年度分别报送。"
    )


def test_a_year_column_of_one_year_beside_a_line_of_another_is_a_warning_not_a_span(registry):
    rows = [
        [f"填报单位：{SHUANGPU_UNIT}"],
        ["年度：2025"],
        PROGRESS_HEADER,
        [PROJECT, 2026, 2, 6000, 100, 100],
    ]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2026])
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("year_conflict", 2, "2025")
    assert "本表已按「年 度」列取2026年度" in warning.message_zh


def test_a_title_year_in_chinese_digits_is_told_against_the_file_names(registry):
    rows = compound_sheet(*DATA, title="枣林街道办事处二〇二二年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单（2023年1月报）.xlsx", registry)
    assert records_years(parsed) == [2022]
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "year_conflict", 1, "文件名", "2023"
    )  # fmt: skip
    assert "第1行的标题写的是2022年" in warning.message_zh


@pytest.mark.parametrize(
    ("title", "filename", "dated"),
    [
        pytest.param("老旧小区改造项目清单（截至2023年1月）", "清单.xlsx", "截至2023年1月", id="title-as-of"),
        pytest.param("老旧小区改造项目清单", "2023.1.5清单.xlsx", "2023.1.5", id="filename-day"),
        pytest.param("老旧小区改造项目清单（2023年1月5日）", "清单.xlsx", "2023年1月5日", id="title-day"),
        # The month a form was filled in, `2023年1月填报`, filed it under 2023 unasked, as if a period of 2023.
        pytest.param("老旧小区改造项目清单（2023年1月填报）", "清单.xlsx", "2023年1月", id="title-filled"),
        pytest.param(
            "老旧小区改造项目清单（截至二〇二三年1月）",
            "清单.xlsx",
            "截至二〇二三年1月",
            id="title-as-of-chinese-digits",
        ),
    ],
)
def test_a_year_written_only_in_a_date_decides_with_a_warning_naming_the_date(
    registry, title, filename, dated
):
    # The day a list was filled, or runs to, is often in the year after the one it reports: asked, not assumed.
    rows = compound_sheet(*DATA, title=title)
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert rules(parsed) == [(Severity.WARNING, "year_from_date")]
    problem = parsed.warnings[0]
    assert (problem.value, problem.column_header) == (dated, "标题" if "清单（" in title else "文件名")
    assert "已按2023年度读取" in problem.message_zh and "年度：2022" in problem.message_zh
    assert records_years(parsed) == [2023]


@pytest.mark.parametrize(
    ("title", "filename"),
    [
        pytest.param("2022年3月老旧小区改造项目清单", "清单.xlsx", id="a-month-is-a-period"),
        pytest.param("老旧小区改造项目清单（截至2023年底）", "清单.xlsx", id="year-end"),
        pytest.param("2023年老旧小区改造项目清单（截至2023年1月）", "清单.xlsx", id="named-also-as-a-year"),
        pytest.param("老旧小区改造项目清单", "2023年清单.xlsx", id="filename-year"),
    ],
)
def test_a_year_written_as_a_year_is_read_without_a_warning(registry, title, filename):
    rows = compound_sheet(*DATA, title=title)
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert rules(parsed) == []


def test_fund_ledger_dates_spanning_two_years_under_a_year_line_are_that_years_with_a_warning(registry):
    # A 2022 ledger's funds arriving in January 2023: the line says which 报表年度 they belong to.
    rows = ledger_rows("2022-12-28", "2023/1/5", above=[["年度：2022"]])
    parsed = parse_file(csv_bytes(rows), "示范区建设实业有限公司/台账.csv", registry)
    assert parsed.errors == []
    assert records_years(parsed) == [2022, 2022]
    [warning] = parsed.warnings
    assert (warning.rule, warning.column_header, warning.value) == ("year_conflict", "日期", "2022、2023")


def test_a_stale_year_line_against_every_date_title_and_file_name_is_an_error(registry):
    # Last year's template sent again with January's rows: filed as 2022 it would replace 2022's whole ledger.
    rows = ledger_rows("2023-01-05", "2023/1/20", above=[["2023年资金台账"], ["年度：2022"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/2023年1月台账.xlsx", registry)
    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "year_conflict",
        2,
        "年度",
        "2022",
    )
    assert "「日期」列的日期（第4至5行）是2023年" in error.message_zh
    assert "请把“年度：”一行改正" in error.message_zh
    # A title naming the line's year says the dates are that year's funds arriving late: a warning, as before.
    rows = ledger_rows("2023-01-05", above=[["2022年度资金台账"], ["年度：2022"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2022])
    assert [(w.rule, w.column_header) for w in parsed.warnings] == [("year_conflict", "日期")]


def test_a_ledger_whose_dates_decide_against_its_title_is_told_to_add_a_year_line_not_to_change_its_dates(
    registry,
):
    # The dates are when the money moved: told to correct them, the clerk of a 2022 ledger paid out in 2023 could not.
    rows = ledger_rows(dt.date(2023, 1, 5), dt.date(2023, 2, 5), above=[["2022年项目资金到位及支付台账"]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header) == ("year_conflict", 1, "标题")
    assert warning.fix == (
        "本表已按「日期」列的日期取2023年度；若本表是2022年度的项目资金到位及支付台账（资金跨年到位或支付），"
        "请在表格上方加一行“年度：2022”后重新报送，否则请改正标题"
    )
    # As told, the line files it as 2022's.
    fixed = parse_file(xlsx({"台账": [["年度：2022"], *rows]}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert (fixed.errors, records_years(fixed)) == ([], [2022, 2022])


def test_fund_ledger_dates_spanning_two_years_are_rejected_as_year_span(registry):
    rows = ledger_rows("2022-12-28", "2023/1/5", dt.date(2023, 2, 1))
    parsed = parse_file(csv_bytes(rows), "示范区建设实业有限公司/台账.csv", registry)
    assert (Severity.ERROR, "year_span") in rules(parsed)
    problem = next(p for p in parsed.errors if p.rule == "year_span")
    assert (problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "台账",
        3,
        "日期",
        "2022、2023",
    )
    assert problem.message_zh == (
        "「日期」列的日期跨越了2022、2023多个年度（2022年：第2行；2023年：第3至4行），"
        "一个文件只能报送一个年度的数据，请按年度分别报送。"
    )


@pytest.mark.parametrize(
    ("above", "filename"),
    [
        pytest.param([["2022年项目资金到位及支付台账"]], "台账.xlsx", id="title"),
        pytest.param([], "2022年资金台账.xlsx", id="file-name"),
    ],
)
def test_ledger_dates_spanning_into_the_year_after_the_title_s_are_told_how_a_year_line_keeps_them(
    registry, above, filename
):
    # Told only to split the file by year, the clerk filed a 2022 fund's payment of January 2023 as 2023's.
    rows = ledger_rows(dt.date(2022, 5, 1), dt.date(2022, 9, 1), dt.date(2023, 1, 5), above=above)
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/{filename}", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        "year_span", len(above) + 4, "日期", "2022、2023"
    )  # fmt: skip
    assert problem.fix == (
        "一个文件只能报送一个年度的数据：如2023年的几行也是2022年度的资金（跨年到位或支付），"
        "请在表格上方加一行“年度：2022”后重新报送，否则请按年度分别报送"
    )
    # And so it is: with the line the file is taken in, every row as 2022's.
    fixed = parse_file(xlsx({"台账": [["年度：2022"], *rows]}), f"{SHUANGPU_UNIT}/{filename}", registry)
    assert (fixed.errors, records_years(fixed)) == ([], [2022, 2022, 2022])


YEAR_CONFLICTS = [
    pytest.param(
        "台账",
        [["项目资金到位及支付台账"], ["年度：2022"], *ledger_rows(dt.date(2021, 12, 30))],
        "台账.xlsx",
        2022,
        (4, "日期", "2021"),
        "「日期」列的日期（第4行）是2021年，而第2行写的是“年度：2022”，二者不一致。"
        "本表已按“年度：”一行取2022年度；若报表年度不是2022年，请改正“年度：”一行后重新报送，"
        "否则请改正「日期」列的日期。",
        id="line-and-dates",
    ),
    pytest.param(
        "清单",
        compound_sheet(*DATA),
        "2021年清单.xlsx",
        2022,
        (1, "文件名", "2021"),
        "文件名“2021年清单.xlsx”写的是2021年，而第1行的标题写的是2022年，二者不一致。"
        "本表已按标题取2022年度；若报表年度不是2022年，请改正标题后重新报送，否则请改正文件名。",
        id="title-and-file-name",
    ),
    pytest.param(
        "清单",
        [["枣林街道办事处2023年老旧小区改造项目清单"], ["年度：2022"], *compound_sheet(*DATA, title=None)],
        "清单.xlsx",
        2022,
        (1, "标题", "2023"),
        "第1行的标题写的是2023年，而第2行写的是“年度：2022”，二者不一致。"
        "本表已按“年度：”一行取2022年度；若报表年度不是2022年，请改正“年度：”一行后重新报送，否则请改正标题。",
        id="line-and-title",
    ),
    pytest.param(
        "清单",
        [
            ["枣林街道办事处2021-2022年老旧小区改造项目清单"],
            ["年度：2022"],
            *compound_sheet(*DATA, title=None),
        ],
        "清单.xlsx",
        2022,
        (1, "标题", "2021、2022"),
        "第1行的标题写的是2021年、2022年，而第2行写的是“年度：2022”，二者不一致。"
        "本表已按“年度：”一行取2022年度；若报表年度不是2022年，请改正“年度：”一行后重新报送，否则请改正标题。",
        id="line-and-two-year-title",
    ),
]


@pytest.mark.parametrize(("sheet", "rows", "filename", "year", "where", "message"), YEAR_CONFLICTS)
def test_a_year_stated_twice_differently_takes_the_first_source_and_warns_naming_both(
    registry, sheet, rows, filename, year, where, message
):
    folder = "示范区建设实业有限公司" if sheet == "台账" else UNIT
    parsed = parse_file(xlsx({sheet: rows}), f"{folder}/{filename}", registry)
    assert parsed.errors == []
    assert set(records_years(parsed)) == {year}
    [warning] = parsed.warnings
    assert (warning.rule, warning.sheet, (warning.excel_row, warning.column_header, warning.value)) == (
        "year_conflict",
        sheet,
        where,
    )
    assert warning.message_zh == message


def test_a_year_column_whose_blank_cells_take_another_year_from_the_line_is_a_span_and_a_warning(registry):
    rows = [
        ["年度：2022"],
        ["年度", "小区名称", "改造面积（㎡）", "惠及户数", "计划投资（万元）"],
        ["2021年", "市委小区", 19320, 249, 725.58],
        [None, "育源小区", 12680, 164, 476.21],
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert records_years(parsed) == [2021, 2022]
    # Its rows would be filed under two years: rejected, naming the rows of each, and the two statements.
    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "year_span",
        4,
        "年度",
        "2021、2022",
    )
    assert "（2021年：第3行；2022年：第4行）" in error.message_zh and "空白处按" in error.message_zh
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.value) == ("year_conflict", 1, "2022")
    assert "而「年度」列（第3行）是2021年" in warning.message_zh


@pytest.mark.parametrize("filename", ["2023年1月报送-2022年度清单.xlsx", "2022年清单（2023.1.5）.xlsx"])
def test_a_file_name_naming_the_day_it_was_sent_beside_the_year_raises_no_warning(registry, filename):
    rows = [["枣林街道办事处2022年老旧小区改造项目清单"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])


def test_statements_of_one_year_raise_no_warning(registry):
    rows = [
        ["枣林街道办事处2022年老旧小区改造项目清单"],
        ["年度：2022年度"],
        *compound_sheet(*DATA, title=None),
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/2022年清单.xlsx", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])
