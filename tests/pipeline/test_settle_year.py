"""Every record takes its year: its own 年度 cell, else the statement that decides; one that cannot be read is an error."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.parse import parse_file
from tests.pipeline.test_parse import (
    DATA,
    PROGRESS_HEADER,
    PROJECT,
    SHUANGPU_UNIT,
    UNIT,
    _without,
    records_years,
)
from tests.pipeline.workbooks import compound_sheet, xlsx


def test_a_year_column_of_one_year_raises_nothing_and_its_blank_cells_fall_back_to_the_line(registry):
    rows = [
        ["年度：2022"],
        ["年度", "小区名称", "改造面积（㎡）", "惠及户数", "计划投资（万元）"],
        ["2022年", "市委小区", 19320, 249, 725.58],
        [2022, "石化小区", 24150, 312, 906.97],
        [None, "育源小区", 12680, 164, 476.21],
    ]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/2022年清单.xlsx", registry)
    assert parsed.all_problems == []
    assert records_years(parsed) == [2022, 2022, 2022]
    assert parsed.years == [2022]


def test_a_project_register_listing_projects_planned_in_different_years_is_one_years_register(registry):
    # The register has no 年度 column: its planned dates span years by nature and never state the year.
    rows = [
        ["年度：2022"],
        ["项目名称", "项目类型", "实施单位", "计划开工日期", "计划完工日期", "计划总投资（万元）"],
        [PROJECT, "棚户区改造", SHUANGPU_UNIT, dt.date(2021, 3, 1), dt.date(2024, 12, 31), 112774.31],
        ["枣林老旧小区改造", "老旧小区改造", UNIT, dt.date(2023, 4, 1), dt.date(2023, 11, 30), 9163.6],
    ]
    parsed = parse_file(xlsx({"登记": rows}), "区财政局/项目基本信息表.xlsx", registry)
    assert parsed.templates == ["project_register"]
    assert (parsed.errors, records_years(parsed)) == ([], [2022, 2022])


def test_an_unreadable_year_line_standing_for_the_column_is_its_own_error(registry):
    keep = _without(PROGRESS_HEADER, "年度")
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], ["年度：二二"]]
    rows += [[r[i] for i in keep] for r in (PROGRESS_HEADER, [PROJECT, 2022, 3, 6000, 100, 100])]
    parsed = parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert [(p.rule, p.excel_row, p.column_header, p.value) for p in parsed.errors] == [
        ("type", 2, "年度", "二二")
    ]


@pytest.mark.parametrize("written", ["22", "二二", "2021-2022"])
def test_a_year_line_that_cannot_be_read_is_an_error_on_its_row_not_passed_over_for_the_file_name(
    registry, written
):
    rows = [["老旧小区改造项目清单"], [f"年度：{written}"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/清单（2023年1月报）.xlsx", registry)
    [problem] = parsed.errors
    assert (problem.rule, problem.sheet, problem.excel_row, problem.column_header, problem.value) == (
        "type",
        "清单",
        2,
        "年度",
        written,
    )
    # Worded as an unreadable 年度 cell is, with what to write instead: the year the file name names, as an example
    # only (the line is not passed over for it).
    assert (
        problem.message_zh
        == f"第2行「年度」填写为“{written}”，应为四位年份，请按报表年度改写，如“年度：2023”。"
    )
    assert records_years(parsed) == [None]


BLANK = "“年度：＿＿＿＿”（横线处填写本表数据所属的四位年份，不一定是今年）"


@pytest.mark.parametrize(
    ("title", "filename", "example"),
    [
        # Nothing else names a year: a blank to fill, never a year (the run's, copied, filed 2022's list as 2026's).
        (None, "清单.xlsx", BLANK),
        ("2024年老旧小区改造项目清单", "清单.xlsx", "“年度：2024”"),
        # A title's two-digit year is never taken, but it is the year the clerk most likely means.
        ("24年老旧小区改造项目清单", "清单.xlsx", "“年度：2024”"),
        # Two others naming two years: which is meant nobody can tell, a blank is shown.
        ("2024年老旧小区改造项目清单", "2025年清单.xlsx", BLANK),
    ],
)
def test_an_unreadable_year_line_shows_the_year_the_file_most_likely_means(
    registry, title, filename, example
):
    rows = [*([[title]] if title else []), ["年度：二二"], *compound_sheet(*DATA, title=None)]
    parsed = parse_file(xlsx({"清单": rows}), f"{UNIT}/{filename}", registry)
    [problem] = [p for p in parsed.errors if p.rule == "type"]
    assert problem.fix == f"请按报表年度改写，如{example}"
    assert records_years(parsed) == [None]
