"""A monthly report's title against its rows' months (pipeline/settle_month.py)."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from pipeline.problems import Severity
from tests.pipeline.test_parse import PROGRESS_HEADER, PROJECT, SHUANGPU_UNIT
from tests.pipeline.workbooks import xlsx


def progress(registry, title: str, *months: int, year: int = 2022, name: str = "月报.xlsx"):
    """Parse a 投资完成情况月报 named `name`, titled `title`, with a row of `year` for each month."""
    rows = [[title], [f"填报单位：{SHUANGPU_UNIT}"], PROGRESS_HEADER]
    rows += [[PROJECT, year, month, 6000, 100, 100 * month] for month in months]
    return parse_file(xlsx({"月报": rows}), f"{SHUANGPU_UNIT}/{name}", registry)


def test_a_title_naming_a_month_none_of_the_rows_is_of_is_a_warning_on_the_title(registry):
    # Last month's file copied forward: the title and figures updated, the 月份 cell not.
    parsed = progress(registry, "示范区双铺棚户区改造项目2022年6月投资完成情况", 5)

    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.severity, warning.rule, warning.excel_row, warning.value) == (
        Severity.WARNING, "month_title", 1, "6月"
    )  # fmt: skip
    assert "应与表中各行的“月份”一致（表中为5月）" in warning.message_zh
    assert warning.fix.startswith("本表已按各行的“月份”读取；如本表报送的是6月的数据，请把各行的“月份”改为6")
    assert [r["month"] for s in parsed.sheets for r in s.records] == [5]


@pytest.mark.parametrize(
    ("title", "months", "year"),
    [
        ("2022年5月投资完成情况", (5,), 2022),  # the month of its row
        ("2022年六月份投资完成情况月报", (1, 2, 3, 4, 5, 6), 2022),  # one of its rows'
        ("2022年1-5月投资完成情况", (5,), 2022),  # the months so far, not one month
        ("截至2022年6月30日投资完成情况", (5,), 2022),  # a day
        ("2023年1月投资完成情况月报", (12,), 2022),  # the month it was filed in, in the year after
        ("2022年投资完成情况", (5,), 2022),  # no month
    ],
)
def test_a_title_naming_no_other_month_than_its_rows_says_nothing(registry, title, months, year):
    parsed = progress(registry, title, *months, year=year)

    assert [p.rule for p in parsed.all_problems if p.rule == "month_title"] == []


def test_a_file_name_naming_a_month_none_of_the_rows_is_of_is_a_warning_where_the_title_names_none(registry):
    parsed = progress(registry, "投资完成情况月报", 5, name="双铺2022年6月投资完成情况.xlsx")

    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "month_title",
        3,
        "文件名",
        "6月",
    )
    assert "如文件名写的是报送月份，可忽略本提示" in warning.fix


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("2022年5月投资完成情况", "双铺2022年6月投资完成情况.xlsx"),  # the title's month is the rows'
        ("2022年1-5月投资完成情况", "双铺2022年6月投资完成情况.xlsx"),  # the title says what it covers
        ("投资完成情况月报", "双铺2022年5月投资完成情况.xlsx"),
        ("投资完成情况月报", "双铺2023年1月投资完成情况.xlsx"),  # filed in the year after
    ],
)
def test_a_file_name_naming_no_other_month_or_beside_a_title_that_does_says_nothing(registry, title, name):
    parsed = progress(registry, title, 5, name=name)

    assert [p.rule for p in parsed.all_problems if p.rule == "month_title"] == []


def _monitoring_filed(registry, footer: str | None = None, above: str | None = None):
    """Parse a 1-7月 运行监控表 whose footer, or a line above its table, writes the day it was filed in."""
    from tests.pipeline.test_national_footers import MONITORING_FILE, _monitoring
    from tests.pipeline.test_national_forms import UNIT

    footer_line = ["填报人：张三", None, None, None, None, None, footer] if footer else ["填报人：张三"]
    rows, merges, header_line, footer_rows = _monitoring([footer_line])
    rows[header_line - 1] = ["填报单位：枣林街道办事处", None, None, None, above]
    parsed = parse_file(
        xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/{MONITORING_FILE}", registry
    )
    return parsed, header_line, footer_rows[0]


@pytest.mark.parametrize(
    ("footer", "above", "day", "before"),
    [
        ("填报日期：2022年6月5日", None, "2022年6月5日", 5),  # last time's headers, or a mistyped date
        ("填报日期：2022年7月25日", None, "2022年7月25日", 6),  # July not over
        (None, "填报日期：2022年6月5日", "2022年6月5日", 5),  # the line above the table says it
    ],
)
def test_a_monitoring_form_filed_before_its_headers_months_ended_is_a_warning_on_the_date(
    registry, footer, above, day, before
):
    # Its headers' 1-7月 decides the slice it replaces and the time progress; filed in June it holds no July, and the
    # N was taken unsaid.
    parsed, header_line, footer_row = _monitoring_filed(registry, footer, above)

    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "months_filed", footer_row if footer else header_line, "填报日期", day
    )  # fmt: skip
    assert (
        f"的填报日期为{day}，而第" in warning.message_zh
        and "的表头写的是1-7月，7月当时尚未结束" in warning.message_zh
    )
    assert warning.fix == (
        f"本表已按表头取1-7月；若本表截至{before}月，请把表头改为“1-{before}月…”后重新报送，否则请改正填报日期"
    )
    assert {r["month"] for s in parsed.sheets for r in s.records} == {7}


@pytest.mark.parametrize(
    "footer", ["填报日期：2022年8月5日", "填报日期：2023年1月5日", "填报日期：2022年", None]
)
def test_a_monitoring_form_filed_after_its_months_or_with_no_day_says_nothing_of_it(registry, footer):
    parsed, _, _ = _monitoring_filed(registry, footer)

    assert parsed.all_problems == []
