"""The months a 月报 laid out for the whole year holds below the last one filled in (pipeline/unfilled_months.py)."""

from __future__ import annotations

import datetime as dt

from pipeline import read_day
from pipeline.parse import parse_file
from pipeline.problems import Severity
from tests.pipeline.test_dated_months import progress_file
from tests.pipeline.test_parse import PROGRESS_HEADER, PROJECT, SHUANGPU_UNIT
from tests.pipeline.workbooks import xlsx

PLAN = 6000
FILLED = [100, 120, 90]


def year_laid_out(*later_months: list) -> list[list]:
    """Rows 2022 年 1–3 月 as filled in, then the later months' rows as given (month, 本月, 累计)."""
    rows, total = [], 0
    for month, amount in enumerate(FILLED, 1):
        total += amount
        rows.append([2022, month, PLAN, amount, total])
    return [*rows, *([2022, month, PLAN, own, cumulative] for month, own, cumulative in later_months)]


def test_months_after_the_last_filled_with_no_figures_of_their_own_are_passed_over_and_told(registry):
    # In March the rows of April to December hold their month, the plan and the 累计 carried down, and no 本月: each
    # was returned as 未填写…请补充填写, asking for months not yet over, which a clerk could only fill with 0.
    carried = sum(FILLED)
    parsed = progress_file(registry, *year_laid_out(*([month, None, carried] for month in range(4, 13))))

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3]
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule, problem.excel_row) == (Severity.WARNING, "unfilled_months", 6)
    assert problem.message_zh.startswith(
        "第6至14行（4月、5月、6月、7月、8月、9月、10月、11月、12月）的「本月完成投资（万元）」未填写，"
        "位于已填报的最后一个月（第5行）之后，视为表格中以后月份的空行，未读取"
    )
    assert "也不要填0" in problem.fix


def test_a_later_month_left_without_its_cumulative_is_passed_over_too(registry):
    parsed = progress_file(registry, *year_laid_out([4, None, None], [5, None, None]))
    assert [p.rule for p in parsed.all_problems] == ["unfilled_months"]


def test_a_month_skipped_between_months_filled_is_still_an_error(registry):
    rows = year_laid_out([4, None, 310], [5, 50, 360])
    parsed = progress_file(registry, *rows)
    assert [(p.severity, p.rule, p.excel_row) for p in parsed.all_problems] == [
        (Severity.ERROR, "required", 6)
    ]


def test_a_later_row_with_a_cumulative_of_its_own_keeps_its_error(registry):
    # 累计 moved on without its 本月: a month's figure written in the wrong column, not a row of the template.
    parsed = progress_file(registry, *year_laid_out([4, None, 400]))
    assert [(p.severity, p.rule, p.excel_row) for p in parsed.all_problems] == [
        (Severity.ERROR, "required", 6)
    ]


def test_a_later_month_under_a_merged_figure_keeps_its_error(registry):
    # 本月 merged over April and May: May's 本月 is empty because of the merge, not a month yet to come.
    rows = [[f"填报单位：{SHUANGPU_UNIT}"], PROGRESS_HEADER]
    rows += [[PROJECT, *row] for row in year_laid_out([4, 50, 360], [5, None, 360])]
    parsed = parse_file(
        xlsx({"月报": rows}, merges={"月报": ["E6:E7"]}), f"{SHUANGPU_UNIT}/月报.xlsx", registry
    )
    assert [(p.rule, p.excel_row) for p in parsed.errors] == [("required", 7)]


def test_a_dash_in_a_later_months_figure_is_a_row_left_unfilled(registry):
    parsed = progress_file(registry, *year_laid_out([4, "—", sum(FILLED)]))
    assert [p.rule for p in parsed.all_problems] == ["unfilled_months"]


def test_a_sheet_with_no_month_filled_is_returned_as_before(registry):
    written = [
        [f"填报单位：{SHUANGPU_UNIT}"],
        PROGRESS_HEADER,
        *([PROJECT, 2022, month, PLAN, None, None] for month in (1, 2)),
    ]
    parsed = parse_file(xlsx({"月报": written}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)
    assert {p.rule for p in parsed.all_problems} == {"required"}


def titled_file(registry, title: str, *rows: list):
    """Parse a 月报 under a title line, then the 填报单位 line, of these data rows (year, month, plan, 本月, 累计)."""
    written = [[title], [f"填报单位：{SHUANGPU_UNIT}"], PROGRESS_HEADER, *([PROJECT, *row] for row in rows)]
    return parse_file(xlsx({"月报": written}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)


def test_zeros_in_the_months_after_the_titles_months_are_passed_over_and_told(registry):
    # Titled 1-3月 and filed in April, the year's template holds 0 for April to December with the 累计 carried down:
    # read as months of no investment they lit the lights red and made December the report's latest month.
    carried = sum(FILLED)
    later = [[month, 0, carried] for month in range(4, 13)]
    parsed = titled_file(registry, "2022年1-3月投资完成情况月报", *year_laid_out(*later))

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3]
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule, problem.excel_row) == (Severity.WARNING, "months_after_title", 7)
    assert problem.message_zh.startswith(
        "第7至15行（4月、5月、6月、7月、8月、9月、10月、11月、12月）的「本月完成投资（万元）」填写为0，"
        "而标题写明本表为1-3月（第1行），视为表格中以后月份的空行，未读取，报告按截至3月计算"
    )
    assert "标题改为“1-12月”" in problem.fix


def test_a_later_month_with_an_investment_of_its_own_stands_under_a_title_of_fewer_months(registry):
    # The title is the one out of date (last month's copied forward): every month is read as written.
    rows = year_laid_out([4, 50, sum(FILLED) + 50], [5, 0, sum(FILLED) + 50])
    parsed = titled_file(registry, "2022年1-3月投资完成情况月报", *rows)

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3, 4, 5]
    assert "months_after_title" not in {p.rule for p in parsed.all_problems}


def test_zeros_under_a_title_of_the_whole_year_are_months_of_no_investment(registry):
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    parsed = titled_file(registry, "2022年投资完成情况月报", *rows)

    assert len([r for sheet in parsed.sheets for r in sheet.records]) == 12
    assert parsed.all_problems == []


def filed_file(registry, filed: str, *rows: list):
    """Parse an untitled 月报 whose 填报单位 line writes the day it was filled in (`填报日期：…`) beside the office."""
    written = [
        [f"填报单位：{SHUANGPU_UNIT}    填报日期：{filed}"],
        PROGRESS_HEADER,
        *([PROJECT, *row] for row in rows),
    ]
    return parse_file(xlsx({"月报": written}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)


def test_zeros_in_months_not_over_by_the_filing_date_are_passed_over_and_told(registry):
    later = [[month, 0, sum(FILLED)] for month in range(4, 13)]
    parsed = filed_file(registry, "2022年4月6日", *year_laid_out(*later))

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3]
    [problem] = parsed.all_problems
    assert (problem.rule, problem.excel_row) == ("months_after_title", 6)
    assert (
        "而第1行的填报日期为2022年4月，这些月份当时尚未结束，视为表格中以后月份的空行，未读取，报告按截至3月计算"
        in (problem.message_zh)
    )
    assert "请改正填报日期" in problem.fix


def test_zeros_of_a_year_filed_in_the_next_are_months_of_no_investment(registry):
    # A 2022 月报 filed on 2023年1月5日: every month of it was over, and its 0s are months of no investment.
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    parsed = filed_file(registry, "2023年1月5日", *rows)

    assert len([r for sheet in parsed.sheets for r in sheet.records]) == 12
    assert "months_after_title" not in {p.rule for p in parsed.all_problems}


def test_a_filing_date_left_blank_says_nothing_of_the_months(registry):
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    parsed = filed_file(registry, "    年  月  日", *rows)

    assert len([r for sheet in parsed.sheets for r in sheet.records]) == 12


def test_zeros_after_the_one_month_a_title_names_are_passed_over_and_told(registry):
    later = [[month, 0, sum(FILLED)] for month in range(4, 13)]
    parsed = titled_file(registry, "2022年3月投资完成情况月报", *year_laid_out(*later))

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3]
    [problem] = parsed.all_problems
    assert "而标题写明本表为3月的月报（第1行），视为表格中以后月份的空行" in problem.message_zh


def test_a_title_naming_a_month_of_the_next_year_says_nothing_of_the_rows_months(registry):
    # `2023年1月…月报` over 2022's rows: the month it was filed in, after every month of 2022 was over.
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    parsed = titled_file(registry, "2023年1月报送的投资完成情况月报", *rows)

    assert len([r for sheet in parsed.sheets for r in sheet.records]) == 12
    assert "months_after_title" not in {p.rule for p in parsed.all_problems}


def test_a_title_naming_december_covers_the_year_whatever_the_filing_date(registry):
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    written = [
        ["2022年12月投资完成情况月报"],
        [f"填报单位：{SHUANGPU_UNIT}    填报日期：2022年4月6日"],
        PROGRESS_HEADER,
    ]
    written += [[PROJECT, *row] for row in rows]
    parsed = parse_file(xlsx({"月报": written}), f"{SHUANGPU_UNIT}/月报.xlsx", registry)

    assert len([r for sheet in parsed.sheets for r in sheet.records]) == 12


def read_on(monkeypatch, day: dt.date) -> None:
    """Parse as on `day` (Asia/Shanghai): the night's or the upload's date."""
    monkeypatch.setattr(read_day, "today", lambda: day)


def test_zeros_in_months_not_over_on_the_day_read_are_passed_over_when_the_sheet_says_nothing(
    registry, monkeypatch
):
    # No title, no 填报日期: read on 2022年4月6日, April to December of 2022 are not over, whatever the sheet holds.
    read_on(monkeypatch, dt.date(2022, 4, 6))
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    parsed = titled_file(registry, "投资完成情况月报", *rows)

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3]
    [problem] = parsed.all_problems
    assert (problem.severity, problem.rule) == (Severity.WARNING, "months_after_title")
    assert (
        "而本表读取于2022年4月6日，这些月份尚未结束，视为表格中以后月份的空行，未读取，报告按截至3月计算"
        in (problem.message_zh)
    )
    assert problem.fix.startswith("无需处理")


def test_a_title_claiming_months_not_over_yet_is_held_to_the_day_read(registry, monkeypatch):
    # 1-12月 (or December's) read in April of that year: its April to December 0s cannot be months of no investment.
    read_on(monkeypatch, dt.date(2022, 4, 6))
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    parsed = titled_file(registry, "2022年1-12月投资完成情况月报", *rows)

    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [1, 2, 3]
    assert "本表读取于2022年4月6日" in parsed.all_problems[0].message_zh


def test_a_sheet_of_a_year_over_or_saying_less_keeps_its_own_months(registry, monkeypatch):
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    # Read in the next year: every month was over, its 0s are months of no investment.
    read_on(monkeypatch, dt.date(2023, 1, 5))
    assert len([r for s in titled_file(registry, "投资完成情况月报", *rows).sheets for r in s.records]) == 12
    # Its title says fewer months than are over on the day read: the title decides, as before.
    read_on(monkeypatch, dt.date(2022, 11, 2))
    parsed = titled_file(registry, "2022年1-3月投资完成情况月报", *rows)
    assert "而标题写明本表为1-3月（第1行）" in parsed.all_problems[0].message_zh
    assert "标题改为“1-12月”" in parsed.all_problems[0].fix


def test_a_later_month_with_figures_of_its_own_stands_on_the_day_read(registry, monkeypatch):
    read_on(monkeypatch, dt.date(2022, 4, 6))
    rows = year_laid_out([4, 50, sum(FILLED) + 50], *([month, 0, sum(FILLED) + 50] for month in range(5, 13)))
    parsed = titled_file(registry, "投资完成情况月报", *rows)

    assert len([r for sheet in parsed.sheets for r in sheet.records]) == 12


def test_a_figure_in_a_month_not_yet_begun_is_refused(registry, monkeypatch):
    # Read on 2022年4月6日, October's 本月 of 80 cannot be investment done: a plan in the wrong column or a month
    # written wrong, it would stand in the report as done.
    read_on(monkeypatch, dt.date(2022, 4, 6))
    rows = year_laid_out([4, 30, sum(FILLED) + 30], [10, 80, sum(FILLED) + 110])
    parsed = progress_file(registry, *rows)

    [problem] = [p for p in parsed.all_problems if p.rule == "month_not_begun"]
    assert (problem.severity, problem.excel_row, problem.value) == (Severity.ERROR, 7, "80")
    assert problem.column_header == "本月完成投资（万元）"
    assert "10月尚未开始（本表读取于2022年4月6日）" in problem.message_zh
    # April has begun: its 30 is a figure of the month so far, read as written.
    assert [r["month"] for sheet in parsed.sheets for r in sheet.records if r["month"] == 4] == [4]


def test_figures_of_every_month_stand_once_the_year_is_over(registry, monkeypatch):
    read_on(monkeypatch, dt.date(2023, 1, 5))
    rows = year_laid_out([4, 30, sum(FILLED) + 30], [10, 80, sum(FILLED) + 110])

    assert "month_not_begun" not in {p.rule for p in progress_file(registry, *rows).all_problems}


def month_report(rows: list) -> bytes:
    """A 月报 saying nothing of its months, of these data rows (year, month, plan, 本月, 累计)."""
    return xlsx(
        {"月报": [[f"填报单位：{SHUANGPU_UNIT}"], PROGRESS_HEADER, *([PROJECT, *row] for row in rows)]}
    )


def test_a_file_read_by_its_nights_day_is_read_alike_whatever_the_clock_says_when_it_is_read_again(
    registry, monkeypatch
):
    # Read on the night of 2022年3月31日, April's 80 is a figure of a month not yet begun, and the file is returned.
    # Read again from the archive the next day by the clock, April had begun and the same file was taken in.
    content, name = month_report(year_laid_out([4, 80, sum(FILLED) + 80])), f"{SHUANGPU_UNIT}/月报.xlsx"
    read_on(monkeypatch, dt.date(2022, 3, 31))
    that_night = parse_file(content, name, registry)
    read_on(monkeypatch, dt.date(2022, 4, 1))
    again = parse_file(content, name, registry, read_on=that_night.read_on)
    by_the_clock = parse_file(content, name, registry)

    def read(parsed) -> tuple:
        return [r["month"] for s in parsed.sheets for r in s.records], [
            p.message_zh for p in parsed.all_problems
        ]

    assert that_night.read_on == read_day.ReadOn(dt.date(2022, 3, 31))
    assert read(again) == read(that_night)
    assert {p.rule for p in that_night.all_problems} == {"month_not_begun"}
    assert "本表读取于2022年3月31日" in that_night.errors[0].message_zh
    assert not by_the_clock.errors  # what the day decides: April begun


def test_a_check_ahead_of_the_night_says_the_day_that_night_reads_it_by(registry):
    rows = year_laid_out(*([month, 0, sum(FILLED)] for month in range(4, 13)))
    ahead = read_day.ReadOn(dt.date(2022, 4, 1), ahead=True)
    parsed = parse_file(month_report(rows), f"{SHUANGPU_UNIT}/月报.xlsx", registry, read_on=ahead)

    [problem] = parsed.all_problems
    assert problem.rule == "months_after_title"
    # A prediction, said as one, with what it assumes: no run started by hand before that night.
    assert (
        "而本表预计按2022年4月1日读取（假定由2022年4月1日02:00的夜间任务入库，该任务推迟开始也按此日；"
        "由人工启动的任务按其开始的日期读取），这些月份尚未结束" in problem.message_zh
    )
