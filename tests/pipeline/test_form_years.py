"""A 运行监控表 headed with its year (截至2022年6月30日执行数, 2022年1-6月执行数) or its quarters (1-3季度, 第三季度末):
read as its 1-N月 headers are, the year held to the one the form is filed under."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.test_national_forms import MONITORING, UNIT
from tests.pipeline.workbooks import csv_bytes, national_monitoring, xls, xlsx

BUDGET_HEADER, TABLE_HEADER = (5, 3), (9, 5)  # (Excel row, zero-based column) of the form's two 1-N月 headers


def _form(budget: str, table: str, *, year: int = 2022, write: str = "xlsx", months: int = 6) -> bytes:
    """Return a filled 运行监控表 whose 项目资金 block and indicator table head their months as given, filed after
    `months`."""
    rows, merges = national_monitoring(MONITORING, months=months, year=year)
    for (row, column), header in ((BUDGET_HEADER, budget), (TABLE_HEADER, table)):
        rows[row - 1][column] = header
    if write == "csv":
        return csv_bytes(rows, "gb18030")
    return (xlsx if write == "xlsx" else xls)({"监控表": rows}, merges={"监控表": merges})


@pytest.mark.parametrize("write", ["xlsx", "xls", "csv"])
@pytest.mark.parametrize(
    ("budget", "table", "months"),
    [
        ("截至2022年6月30日执行数", "截至2022年6月30日实际完成情况", 6),
        ("2022年1-6月执行数", "2022年1-6月实际完成情况", 6),
        ("2022年上半年执行数", "1-6月实际完成情况", 6),
        ("1-3季度执行数", "前三季度实际完成情况", 9),
        ("第三季度末执行数", "截至三季度末实际完成情况", 9),
    ],
)
def test_months_headed_with_their_year_or_as_quarters_are_read(registry, budget, table, months, write):
    # Each was refused as a header naming no months (截至的月份无法确定), its 执行数 told unread.
    content = _form(budget, table, write=write, months=months)
    parsed = parse_file(content, f"{UNIT}/2022年运行监控表.{write}", registry)

    assert parsed.errors == []
    assert {p.rule for p in parsed.warnings} <= {"merges_carried"}  # a CSV says it keeps no merges
    [sheet] = parsed.sheets
    assert sheet.meta.months_so_far == months
    first = sheet.records[0]
    assert (first["year"], first["budget_executed_wan"], first["progress_value"]) == (
        2022,
        Decimal("800.00"),
        "9个",
    )


def test_a_headers_year_other_than_the_forms_is_an_error_naming_both(registry):
    # Last year's headers under this year's title: filed as 2022's, its figures may be 2021's.
    content = _form("2021年1-6月执行数", "2021年1-6月实际完成情况")

    parsed = parse_file(content, f"{UNIT}/运行监控表.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.value) == ("header_year", "2021")
    assert error.excel_row in (BUDGET_HEADER[0], TABLE_HEADER[0])
    assert "写的是2021年，而第2行的标题写的是2022年，二者不一致" in error.message_zh
    assert (
        "若本表是2022年度的，请把表头中的年份改为报表年度" in error.fix
        and "若是2021年度的，请改正标题" in error.fix
    )


def test_headers_naming_two_years_are_an_error_on_the_second(registry):
    content = _form("2021年1-6月执行数", "2022年1-6月实际完成情况")

    parsed = parse_file(content, f"{UNIT}/运行监控表.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header) == (
        "header_year",
        BUDGET_HEADER[0],
        "2021年1-6月执行数",
    )
    assert "而第9行的表头“2022年1-6月实际完成情况”写的是2022年" in error.message_zh


def test_a_quarter_alone_is_no_months_so_far_and_is_asked_about(registry):
    # 第三季度 is 7-9月, not 1-9月: its 执行数 is told unread, never read as the year so far.
    content = _form("第三季度执行数", "1-3季度实际完成情况")

    parsed = parse_file(content, f"{UNIT}/运行监控表.xlsx", registry)

    [warning] = [p for p in parsed.warnings if p.rule == "unread_header"]
    assert warning.excel_row == BUDGET_HEADER[0] + 1 and "1-9月执行数" in warning.message_zh
    assert parsed.sheets[0].records[0]["budget_executed_wan"] is None
