"""A reporting year or a date outside the years the warehouse takes is rejected where it was found."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from pipeline import year_range
from pipeline.parse import parse_file
from pipeline.problems import Severity
from pipeline.year_range import latest_year
from tests.pipeline.test_parse import (
    DATA,
    PROJECT,
    SHUANGPU_UNIT,
    UNIT,
    ledger_rows,
    records_years,
    rules,
)
from tests.pipeline.workbooks import compound_sheet, xlsx

NEXT_YEAR = latest_year()


def test_the_last_year_taken_is_next_year_as_the_clock_reads_in_shanghai(monkeypatch):
    class NewYearsEve(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            # 17:00 on New Year's Eve in UTC is already 1 January 2031 in Shanghai.
            return dt.datetime(2030, 12, 31, 17, tzinfo=dt.UTC).astimezone(tz)

    monkeypatch.setattr(year_range, "dt", SimpleNamespace(datetime=NewYearsEve, date=dt.date))
    assert year_range.latest_year() == 2032


@pytest.mark.parametrize(
    ("above", "filename", "row", "header", "value"),
    [
        pytest.param([["年度：2099"]], "清单.xlsx", 1, "年度", "2099", id="line-after-next-year"),
        pytest.param([["年度：", "1999年度"]], "清单.xlsx", 1, "年度", "1999", id="line-before-2000"),
        pytest.param(
            [["枣林街道办事处2099年老旧小区改造项目清单"]], "清单2022.xlsx", 1, "标题", "2099", id="title"
        ),
        pytest.param(
            [["老旧小区改造项目清单"]], "清单_2099.xlsx", None, "文件名", "清单_2099.xlsx", id="file-name"
        ),
    ],
)
def test_a_year_after_next_year_or_before_2000_is_rejected_where_it_was_found(
    registry, above, filename, row, header, value
):
    rows = [*above, *compound_sheet(*DATA, title=None, unit_line=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    assert rules(parsed) == [(Severity.ERROR, "year_range")]
    [problem] = parsed.errors
    assert (problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "清单",
        row,
        header,
        value,
    )
    assert problem.expected == f"应为2000年至{NEXT_YEAR}年之间的年度"
    assert problem.fix


def test_next_year_is_taken_and_the_year_after_is_not(registry):
    def errors(year: int) -> list[str]:
        rows = [[f"年度：{year}"], *compound_sheet(*DATA, title=None, unit_line=None)]
        return [p.rule for p in parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry).errors]

    assert (errors(2000), errors(NEXT_YEAR), errors(NEXT_YEAR + 1)) == ([], [], ["year_range"])


def test_a_year_column_value_after_next_year_is_rejected_on_its_row(registry):
    rows = [
        ["年度", "小区名称", "改造面积（㎡）", "惠及户数", "计划投资（万元）"],
        [2022, "市委小区", 19320, 249, 725.58],
        ["2099年", "石化小区", 24150, 312, 906.97],
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单.xlsx", registry)
    assert [(p.rule, p.excel_row, p.column_header, p.value, p.fix) for p in parsed.errors] == [
        ("year_range", 3, "年度", "2099", "请核对填写的年度")
    ]


def test_fund_ledger_dates_before_2000_or_after_next_year_are_rejected_on_their_rows(registry):
    # An Excel date cell holding 1 shows 1900-01-01; a slip of the keyboard gives 2099.
    rows = ledger_rows(dt.date(2022, 3, 1), dt.date(1900, 1, 1), "2099-12-31", dt.date(2022, 5, 1))
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)
    assert [(p.rule, p.sheet, p.excel_row, p.column_header, p.value) for p in parsed.errors] == [
        ("year_range", "台账", 3, "日期", "1900-01-01"),
        ("year_range", "台账", 4, "日期", "2099-12-31"),
    ]
    assert {(p.expected, p.fix) for p in parsed.errors} == {
        (f"应为2000年至{NEXT_YEAR}年之间的日期", "请核对日期中的年份")
    }
    # The mistyped dates are their rows' errors, not a second year the ledger spans.
    assert records_years(parsed) == [2022] * 4


def test_a_date_out_of_range_in_a_column_that_does_not_decide_the_year_is_rejected_on_its_row(registry):
    # 1900-01-01 is a date cell's 1 (a formula's); stored, a register's 计划开工日期 moved the project's span unasked.
    # A date some years after next year may be planned, and stays; 2099 (for "not yet known") or a slipped 2202 was
    # taken in silently and stretched the project's span to the end of the century.
    rows = [
        ["年度：2022"],
        ["项目名称", "项目类型", "实施单位", "计划开工日期", "计划完工日期", "计划总投资（万元）"],
        [PROJECT, "棚户区改造", SHUANGPU_UNIT, dt.datetime(1900, 1, 1), dt.date(2024, 12, 31), 112774.31],
        ["枣林老旧小区改造", "老旧小区改造", UNIT, "2022-04-01", f"{NEXT_YEAR + 10}-11-30", 9163.6],
        ["白河小区改造", "老旧小区改造", UNIT, "2022-04-01", "1999-11-30", 100],
        ["卧龙小区改造", "老旧小区改造", UNIT, "2022-04-01", dt.date(2099, 12, 31), 100],
        ["梅溪小区改造", "老旧小区改造", UNIT, f"{NEXT_YEAR + 11}-01-01", "2023-11-30", 100],
    ]
    parsed = parse_file(xlsx({"登记": rows}), "区财政局/项目基本信息表.xlsx", registry)
    allowed = f"应为2000年至{NEXT_YEAR + 10}年之间的日期"
    assert [(p.rule, p.excel_row, p.column_header, p.value, p.expected) for p in parsed.errors] == [
        ("year_range", 3, "计划开工日期", "1900-01-01", allowed),
        ("year_range", 5, "计划完工日期", "1999-11-30", allowed),
        ("year_range", 6, "计划完工日期", "2099-12-31", allowed),
        ("year_range", 7, "计划开工日期", f"{NEXT_YEAR + 11}-01-01", allowed),
    ]


def test_only_the_year_that_decides_is_checked(registry):
    rows = ledger_rows(dt.date(2022, 3, 1), above=[["2099年资金台账"], ["年度：2022"]])
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/2099年台账.xlsx", registry)
    assert (parsed.errors, records_years(parsed)) == ([], [2022])
    # The line decides: its year out of range is the error, whatever the dates say.
    rows = ledger_rows(dt.date(2022, 3, 1), above=[["年度：2099"]])
    parsed = parse_file(xlsx({"台账": rows}), "示范区建设实业有限公司/台账.xlsx", registry)
    assert [(p.rule, p.column_header) for p in parsed.errors] == [("year_range", "年度")]
