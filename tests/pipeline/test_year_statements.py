"""A sheet's year is read where it states it: a 年度 column or line, its dates, title and file name, in that order."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.parse import parse_file
from pipeline.problems import Severity
from tests.pipeline.test_dated_months import months_read
from tests.pipeline.test_parse import (
    DATA,
    LEDGER_HEADER,
    PROGRESS_HEADER,
    PROJECT,
    SHUANGPU_UNIT,
    UNIT,
    _without,
    ledger_rows,
    records_years,
    rules,
)
from tests.pipeline.workbooks import compound_sheet, csv_bytes, xlsx


@pytest.mark.parametrize(
    ("above", "filename", "year"),
    [
        pytest.param(
            [["枣林街道办事处2022年老旧小区改造项目清单"], ["年度：2021"]], "2023年清单.xlsx", 2021, id="line"
        ),
        pytest.param([["年度：", "2021年度"]], "2023年清单.xlsx", 2021, id="line-spread"),
        pytest.param([["枣林街道办事处2022年老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title"),
        pytest.param([["老旧小区改造项目清单"]], "清单_2023.xlsx", 2023, id="filename"),
        pytest.param([["填报日期：2024年1月5日"]], "2023年清单.xlsx", 2023, id="filing-date-is-not-the-year"),
        # Unread, a title's year in Chinese digits left the file name's to file the list under 2023 without a word.
        pytest.param(
            [["二〇二二年老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-in-chinese-digits"
        ),
        pytest.param([["二零二二年度老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-with-零"),
        pytest.param([["贰零贰贰年度老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-in-capitals"),
        pytest.param(
            [["贰〇贰贰年老旧小区改造项目清单"]], "2023年清单.xlsx", 2022, id="title-in-capitals-with-〇"
        ),
        pytest.param(
            [["老旧小区改造项目清单"]], "清单（二○二二年）.xlsx", 2022, id="filename-in-chinese-digits"
        ),
        pytest.param([["老旧小区改造项目清单"]], "清单（贰零贰贰年）.xlsx", 2022, id="filename-in-capitals"),
        # The day it was filled, in the next year: the title was returned as naming two years.
        pytest.param(
            [["2022年老旧小区改造项目清单（截至2023年1月5日）"]],
            "清单.xlsx",
            2022,
            id="title-year-beside-a-later-day",
        ),
        pytest.param(
            [["2022年老旧小区改造项目清单（2023年1月填报）"]],
            "清单.xlsx",
            2022,
            id="title-year-beside-a-filing-month",
        ),
        # The month it was revised in, the next year: returned as a title naming 2022 and 2023, the year unknown.
        pytest.param(
            [["2022年度老旧小区改造项目清单（2023年1月更新）"]],
            "清单.xlsx",
            2022,
            id="title-year-beside-a-revision-month",
        ),
        pytest.param(
            [["2022年老旧小区改造项目清单（2023年1月修订版）"]],
            "清单.xlsx",
            2022,
            id="title-year-beside-a-revised-edition",
        ),
    ],
)
def test_year_comes_from_line_then_title_then_file_name(registry, above, filename, year):
    rows = [*above, *compound_sheet(*DATA, title=None, unit_line=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert parsed.errors == []
    assert records_years(parsed) == [year]


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("22年老旧小区改造项目清单", "22年"),
        ("枣林街道办事处22年老旧小区改造项目清单", "22年"),
        ("老旧小区改造项目清单（22年度）", "22年度"),
    ],
)
def test_a_two_digit_title_year_is_told_against_the_file_names_and_never_taken(registry, title, written):
    # Unread, `22年…清单` in `老旧小区清单2023.xlsx` was filed as 2023 with no word to its clerk.
    rows = compound_sheet(*DATA, title=title)
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单2023.xlsx", registry)
    assert records_years(parsed) == [2023]
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "year_conflict", 1, "标题", "2022"
    )  # fmt: skip
    assert (
        f"第1行的标题写的是“{written}”（2022年），而文件名“老旧小区清单2023.xlsx”写的是2023年"
        in warning.message_zh
    )

    # Agreeing with the year taken, it says nothing; alone, it decides nothing: the clerk is asked for the year.
    agreeing = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单2022.xlsx", registry)
    assert (records_years(agreeing), agreeing.problems) == ([2022], [])
    alone = parse_file(xlsx({"清单": rows}), f"{UNIT}/老旧小区清单.xlsx", registry)
    [error] = alone.errors
    assert (error.rule, error.excel_row) == ("year_unknown", 1)
    assert f"标题写的是“{written}”，两位数的年份不作为报表年度" in error.message_zh
    assert "请在表格上方加一行“年度：2022”" in error.message_zh


@pytest.mark.parametrize(
    ("filename", "written"),
    [
        ("22年老旧小区清单.xlsx", "22年"),
        ("'22年老旧小区清单.xlsx", "22年"),
        ("‘22年清单.xlsx", "22年"),
        ("枣林街道办事处22年清单.xlsx", "22年"),
        ("清单（22年度）.xlsx", "22年度"),
    ],
)
def test_a_two_digit_file_name_year_is_told_against_the_titles_and_never_taken(registry, filename, written):
    # Unread, `22年…清单.xlsx` under a title of 2023 was filed as 2023 with no word to its clerk.
    rows = compound_sheet(*DATA, title="2023年老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert records_years(parsed) == [2023]
    [warning] = parsed.warnings
    assert (warning.rule, warning.column_header, warning.value) == ("year_conflict", "文件名", "2022")
    assert f"文件名“{filename}”写的是“{written}”（2022年），而第1行的标题写的是2023年" in warning.message_zh

    # Agreeing with the year taken, it says nothing; alone, it decides nothing: the clerk is asked for the year.
    agreeing = parse_file(
        xlsx({"清单": compound_sheet(*DATA, title="2022年老旧小区改造项目清单")}),
        f"{UNIT}/{filename}",
        registry,
    )
    assert (records_years(agreeing), agreeing.problems) == ([2022], [])
    alone = parse_file(
        xlsx({"清单": compound_sheet(*DATA, title="老旧小区改造项目清单")}), f"{UNIT}/{filename}", registry
    )
    [error] = alone.errors
    assert error.rule == "year_unknown"
    assert f"文件名“{filename}”写的是“{written}”，两位数的年份不作为报表年度" in error.message_zh
    assert "请在表格上方加一行“年度：2022”" in error.message_zh


def test_a_nian_fen_line_decides_the_year_against_the_file_names(registry):
    rows = [["老旧小区改造项目清单"], ["年份：2022"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单2023.xlsx", registry)
    assert records_years(parsed) == [2022]
    assert [(w.rule, w.value) for w in parsed.warnings] == [("year_conflict", "2023")]


def test_a_two_digit_title_year_is_told_against_a_year_line(registry):
    rows = [["22年老旧小区改造项目清单"], ["年度：2023"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert records_years(parsed) == [2023]
    assert [(w.rule, w.value) for w in parsed.warnings] == [("year_conflict", "2022")]


def test_a_count_in_a_file_name_is_no_year_and_the_file_is_returned_as_year_unknown(registry):
    # `回收问卷2022份` filed the survey under 2022 and replaced that year's survey in force.
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单（共2022户）.xlsx", registry)
    assert rules(parsed) == [(Severity.ERROR, "year_unknown")]


def test_fund_ledger_year_comes_from_its_line_before_its_dates_title_and_file_name(registry):
    # submissions.md: "a 年度 column or line; for templates with a 日期 column, the year of those dates; else …".
    rows = ledger_rows(dt.date(2022, 3, 1), "2022年12月31日", above=[["2021年资金台账"], ["年度：2021"]])
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/2023年台账.xlsx", registry)
    assert parsed.errors == []
    assert records_years(parsed) == [2021, 2021]
    assert [(w.rule, w.column_header) for w in parsed.warnings] == [
        ("year_conflict", "日期"),
        ("year_conflict", "文件名"),
    ]
    # Without a line, the dates decide, before the title and the file name.
    parsed = parse_file(
        xlsx({"台账": ledger_rows(dt.date(2022, 3, 1), above=[["2021年资金台账"]])}), "台账.xlsx", registry
    )
    assert records_years(parsed) == [2022]


def test_fund_ledger_without_dates_falls_back_to_the_year_line(registry):
    rows = [["年度：2022"], LEDGER_HEADER, [None, PROJECT, "中央补助资金", "到位", "100"]]
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)
    assert [p.rule for p in parsed.errors] == ["required"]
    assert records_years(parsed) == [2022]


def test_a_year_line_stands_in_for_a_monthly_reports_year_column(registry):
    # submissions.md's year is "a 年度 column or line": the line states it for every row, so no column is missing.
    keep = _without(PROGRESS_HEADER, "年度")
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], ["年度：2022"]]
    rows += [[r[i] for i in keep] for r in (PROGRESS_HEADER, [PROJECT, 2022, 3, 6000, 100, 100])]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert parsed.all_problems == []
    assert (records_years(parsed), months_read(parsed)) == ([2022], [3])


@pytest.mark.parametrize("title", ["项目资金到位及支付台账（2022年度）", "项目资金使用情况台账2022年"])
def test_a_ledger_title_opening_as_a_national_forms_funds_row_does_names_its_year(registry, title):
    # Read as a national form's 项目资金 row, the blank template's own title with the year added named none, and a
    # 2022 ledger of payments all made in 2023 was filed as 2023's without a word.
    rows = ledger_rows(dt.date(2023, 1, 5), dt.date(2023, 2, 5), above=[[title]])
    parsed = parse_file(xlsx({"台账": rows}), f"{SHUANGPU_UNIT}/台账.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2023, 2023])
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "year_conflict", 1, "标题", "2022"
    )  # fmt: skip


def test_a_year_in_a_note_below_the_table_is_not_the_title_year(registry):
    footer = [["填表人：张三"], ["注：本表数据截至2023年1月5日"], ["填报单位：枣林街道办事处"]]
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单", unit_line=None, footer=footer)
    parsed = parse_file(xlsx({"清单": rows}), "公共收件/2022年清单.xlsx", registry)
    assert (parsed.all_problems, records_years(parsed)) == ([], [2022])
    # A footer still says who filed it.
    assert parsed.unit == UNIT


def test_a_sheet_named_for_another_year_is_told_against_the_year_taken_and_never_taken(registry):
    # A workbook keeping a sheet per year (2021年 | 2022年) under titles naming none: both were filed under the file
    # name's 2022 without a word, last year's compounds added to this year's list.
    last = compound_sheet([1, "石化小区", "2.415", "312", "906.97", "已完工"], title="老旧小区改造项目清单")
    this = compound_sheet(*DATA, title="老旧小区改造项目清单")
    parsed = parse_file(xlsx({"2021年": last, "2022年": this}), f"{UNIT}/2022年清单.xlsx", registry)
    assert records_years(parsed) == [2022] * (1 + len(DATA))
    [warning] = parsed.warnings
    assert (warning.sheet, warning.rule, warning.value) == ("2021年", "year_conflict", "2021")
    assert warning.message_zh.startswith(
        "工作表名写的是2021年，而文件名“2022年清单.xlsx”写的是2022年，二者不一致"
    )
    assert warning.fix.endswith("否则请改正工作表名")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_sheet_named_after_its_file_tells_the_file_names_conflict_once(registry, suffix):
    # A CSV's one sheet is named after its file (a workbook saved from one too): its name was counted as a second
    # statement of the same year, the one conflict told twice.
    rows = compound_sheet(*DATA, title="2022年老旧小区改造项目清单")
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"2021年清单": rows})
    parsed = parse_file(content, f"{UNIT}/2021年清单.{suffix}", registry)
    assert [(p.rule, p.value) for p in parsed.warnings] == [("year_conflict", "2021")]


@pytest.mark.parametrize("name", ["2022年", "清单", "2023年1月", "2023.1"])
def test_a_sheet_named_for_the_year_taken_for_none_or_for_a_month_says_nothing(registry, name):
    # A month (`2023年1月`) names when a ledger was kept to or sent, often the year after the one it reports.
    rows = compound_sheet(*DATA, title="2022年老旧小区改造项目清单")
    parsed = parse_file(xlsx({name: rows}), f"{UNIT}/清单.xlsx", registry)
    assert (records_years(parsed), parsed.all_problems) == ([2022] * len(DATA), [])


def test_a_sheet_name_alone_decides_no_year_but_gives_the_line_asked_for(registry):
    rows = compound_sheet(*DATA, title="老旧小区改造项目清单")
    parsed = parse_file(xlsx({"2022年": rows}), f"{UNIT}/清单.xlsx", registry)
    [error] = parsed.errors
    assert error.rule == "year_unknown" and "如“年度：2022”" in error.message_zh
