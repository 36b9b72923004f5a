"""A month written with its year is held to its row's reporting year."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.parse import parse_file
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Severity
from tests.pipeline.test_parse import (
    PROGRESS_HEADER,
    PROJECT,
    SHUANGPU_UNIT,
    records_years,
    rules,
)
from tests.pipeline.workbooks import xlsx


def progress_file(registry, *rows, above=()) -> ParsedFile:
    """Parse a 投资完成情况月报 of these data rows (项目名称 filled in), under these lines."""
    written = [[f"填报单位：{SHUANGPU_UNIT}"], *above, PROGRESS_HEADER, *([PROJECT, *row] for row in rows)]
    return parse_file(xlsx({"月报": written}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)


def months_read(parsed: ParsedFile) -> list:
    return [r["month"] for sheet in parsed.sheets for r in sheet.records]


def test_a_month_written_with_its_rows_year_is_that_month_without_a_remark(registry):
    parsed = progress_file(
        registry,
        *(
            [2022, month, 6000, 100, 100]
            for month in ["2022年4月", "2022-05", dt.datetime(2022, 6, 1), "2022/7"]
        ),
    )
    assert parsed.all_problems == []
    assert months_read(parsed) == [4, 5, 6, 7]


def test_a_statistical_period_is_its_month_when_its_year_is_the_rows(registry):
    # `202204` was returned as 应为1至12之间的月份, though it says April 2022 as plainly as 2022年4月.
    parsed = progress_file(
        registry, *([2022, month, 6000, 100, 100] for month in ["202204", 202205, 202206.0])
    )
    assert parsed.all_problems == []
    assert months_read(parsed) == [4, 5, 6]


@pytest.mark.parametrize(
    ("written", "shown"),
    [("2021年4月", "2021年4月"), (dt.datetime(2021, 4, 1), "2021-04-01"), ("202104", "202104")],
)
def test_a_month_naming_another_year_than_its_rows_is_an_error_on_the_month(registry, written, shown):
    parsed = progress_file(registry, [2022, 3, 6000, 100, 100], [2022, written, 6000, 100, 200])
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        Severity.ERROR,
        "month_year_mismatch",
        4,
        "月份",
        shown,
    )
    assert problem.message_zh == (
        f"第4行「月份」填写为“{shown}”，与本行「年 度」2022不一致，"
        "请核对：若是2022年4月，请把月份改填为“4”；否则请改正「年 度」。"
    )
    # On the sheet's problems, the month no longer read: validation reports neither its blank nor a duplicate.
    assert problem in parsed.sheets[0].problems
    assert months_read(parsed) == [3, None]


def test_a_month_naming_another_year_than_the_files_is_an_error_saying_where_that_year_was_read(registry):
    # No 年度 on the row (an error of its own): the month is held to the year the file is filed under.
    parsed = progress_file(registry, [None, "2021/6", 6000, 100, 100], above=[["年度：2022"]])
    assert rules(parsed) == [(Severity.ERROR, "required"), (Severity.ERROR, "month_year_mismatch")]
    problem = parsed.errors[1]
    assert problem.message_zh == (
        "第4行「月份」填写为“2021/6”，与报表年度2022不一致（第2行写的是“年度：2022”），"
        "请核对：若是2022年6月，请把月份改填为“6”；否则请改正“年度：”一行。"
    )
    assert records_years(parsed) == [2022]


def test_a_month_written_as_a_day_of_its_rows_year_is_that_month_with_a_warning(registry):
    parsed = progress_file(
        registry,
        [2022, "2022-04-01", 6000, 100, 100],
        [2022, "2022年5月20日", 6000, 100, 200],
        [2022, dt.datetime(2022, 6, 30), 6000, 100, 300],
    )
    assert parsed.errors == []
    assert [(w.rule, w.excel_row, w.value) for w in parsed.warnings] == [
        ("month_with_day", 4, "2022年5月20日"),
        ("month_with_day", 5, "2022-06-30"),
    ]
    assert parsed.warnings[0].message_zh == (
        "第4行「月份」填写为“2022年5月20日”，应为月份；该单元格是一个具体日期，已按其所在的2022年5月计，"
        "请核对：若这一行是5月的数据，改填为“5”即可；若20日是填报日期等其他日期，请改填为这一行所属的月份。"
    )
    # On the file's problems, not the sheet's: the month still counts in the checks across rows (月份重复).
    assert parsed.sheets[0].problems == []
    assert months_read(parsed) == [4, 5, 6]


def test_a_day_of_another_year_in_a_month_cell_is_only_the_year_error(registry):
    parsed = progress_file(registry, [2022, "2021-04-15", 6000, 100, 100])
    assert rules(parsed) == [(Severity.ERROR, "month_year_mismatch")]
