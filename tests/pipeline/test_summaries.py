from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from pipeline.problems import Severity
from tests.pipeline.workbooks import xlsx

UNIT = "枣林街道办事处"
PROJECT = "枣林街道2022年老旧小区改造项目"
DETAIL = [
    [f"{PROJECT}资金到位及支付台账"],
    [f"填报单位：{UNIT}"],
    ["日期", "项目名称", "资金来源", "类型", "金额（万元）", "文号/凭证号"],
    ["2022-03-01", PROJECT, "中央补助资金", "到位", 500, "财预〔2022〕1号"],
    ["2022-05-01", PROJECT, "中央补助资金", "支付", 120, "凭01"],
    ["2022-06-01", PROJECT, "中央补助资金", "支付", 80, "凭02"],
    ["2022-06-01", PROJECT, "区级配套资金", "到位", 100, "区财〔2022〕2号"],
]


def summary(*rows, amount: str = "金额（万元）") -> list[list]:
    return [["资金到位及支付汇总"], ["资金来源", "类型", amount], *map(list, rows)]


def parsed(registry, sheets: dict):
    return parse_file(xlsx(sheets), f"{UNIT}/2022年资金台账.xlsx", registry)


def rules(problems) -> list[tuple[str, str | None, Severity]]:
    return [(p.rule, p.sheet, p.severity) for p in problems]


@pytest.mark.parametrize(
    ("rows", "amount"),
    [
        (
            (["中央补助资金", "到位", 500], ["中央补助资金", "支付", 200], ["区级配套资金", "到位", 100]),
            "金额（万元）",
        ),
        ((["中央补助资金", "支付", 200],), "金额（万元）"),  # some of the sums only
        ((["中央补助资金", "支付", 2_000_000], ["区级配套资金", "到位", "1,000,000"]), "金额（元）"),
        (
            (["中央补助资金", "支付", 200], ["合计", None, 200]),
            "金额（万元）",
        ),  # its own 合计, checked as ever
    ],
    ids=["every-sum", "some-sums", "in-yuan", "with-total"],
)
def test_a_summary_sheet_whose_rows_are_the_details_sums_is_passed_over(registry, rows, amount):
    file = parsed(registry, {"明细": DETAIL, "汇总": summary(*rows, amount=amount)})
    assert not file.errors
    assert [s.name for s in file.sheets] == ["明细"]
    assert rules(file.all_problems) == [("summary_sheet", "汇总", Severity.WARNING)]
    (told,) = file.all_problems
    assert "「日期」" in told.message_zh and "「项目名称」" in told.message_zh and "“明细”" in told.message_zh
    assert sum(r["amount_wan"] for r in file.sheets[0].records if r["entry_type"] == "支付") == Decimal(200)


@pytest.mark.parametrize(
    "rows",
    [
        (["中央补助资金", "支付", 300],),  # a sum that differs: maybe a sheet of other payments
        (["省级补助资金", "到位", 50],),  # a row no detail row has
        (["中央补助资金", "支付", "约200"],),  # a cell of its own in error
    ],
    ids=["differs", "not-in-details", "cell-error"],
)
def test_a_short_sheet_not_proved_a_summary_keeps_its_errors(registry, rows):
    file = parsed(registry, {"明细": DETAIL, "汇总": summary(*rows)})
    assert {("missing_column", "汇总")} <= {(p.rule, p.sheet) for p in file.errors}
    assert "summary_sheet" not in {p.rule for p in file.all_problems}


def test_a_short_sheet_alone_is_not_a_summary(registry):
    # No whole sheet of its template beside it: nothing to be a summary of.
    file = parsed(registry, {"汇总": summary(["中央补助资金", "支付", 200])})
    assert "missing_column" in {p.rule for p in file.errors}


def month_sheet(*rows: list) -> list[list]:
    return [*DETAIL[:3], *rows]


@pytest.mark.parametrize(
    ("sheets", "kept", "passed_over", "paid"),
    [
        # A 汇总 written out row by row beside the month sheets: every amount was counted twice.
        (
            {"汇总": DETAIL, "3月": month_sheet(DETAIL[3]), "5-6月": month_sheet(*DETAIL[4:])},
            ["3月", "5-6月"],
            "汇总",
            200,
        ),
        # A sheet copied whole: the first is passed over, the second has no copy left beside it.
        ({"台账": DETAIL, "台账 (2)": DETAIL}, ["台账 (2)"], "台账", 200),
    ],
    ids=["summary-row-by-row", "copied-whole"],
)
def test_a_sheet_whose_every_row_is_on_other_sheets_is_passed_over_not_counted_twice(
    registry, sheets, kept, passed_over, paid
):
    file = parsed(registry, sheets)

    assert not file.errors
    assert [s.name for s in file.sheets] == kept
    assert rules(file.all_problems) == [("copied_sheet", passed_over, Severity.WARNING)]
    assert "未重复计入" in file.all_problems[0].message_zh
    records = [r for s in file.sheets for r in s.records]
    assert sum(r["amount_wan"] for r in records if r["entry_type"] == "支付") == Decimal(paid)


def test_a_copied_sheet_of_a_template_without_a_note_column_is_not_asked_for_a_note(registry):
    # A 小区清单 copied whole (`清单 (2)`): asked to note the difference in 「摘要」, a column the list has not.
    header = ["序号", "小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）", "改造状态"]
    rows = [
        [f"{PROJECT}老旧小区改造项目清单"],
        [f"填报单位：{UNIT}"],
        header,
        [1, "市委小区", 1.2, 20, 300, "在建"],
    ]

    file = parsed(registry, {"清单": rows, "清单 (2)": rows})

    [told] = file.all_problems
    assert told.rule == "copied_sheet" and "摘要" not in told.message_zh
    assert told.message_zh.endswith(
        "如是副本或汇总，无需处理；如该工作表本应填写其他数据，请改正后重新报送。"
    )

    # A ledger whose note column is headed 备注 is asked to note it there, as it is headed.
    noted = [[*row, "备注"] if row is DETAIL[2] else row for row in DETAIL]
    [told] = parsed(registry, {"台账": noted, "台账 (2)": noted}).all_problems
    assert "请在「备注」中注明区别" in told.message_zh


def test_alike_lists_of_two_years_titled_apart_are_both_read(registry):
    # The same compounds, the same figures, a sheet a year: no copy, each year's list is its own.
    header = ["序号", "小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）", "改造状态"]
    rows = [[1, "市委小区", 1.2, 20, 300, "在建"]]
    sheets = {
        f"{year}": [
            [f"{year}年老旧小区改造项目清单"],
            [f"填报单位：{UNIT}"],
            [f"项目名称：{PROJECT}"],
            header,
            *rows,
        ]
        for year in (2022, 2023)
    }

    file = parsed(registry, sheets)

    assert [s.name for s in file.sheets] == ["2022", "2023"]
    assert not [p for p in file.all_problems if p.rule == "copied_sheet"]


def test_month_sheets_sharing_no_row_are_each_counted(registry):
    file = parsed(registry, {"3-5月": month_sheet(*DETAIL[3:5]), "6月": month_sheet(*DETAIL[5:])})

    assert [s.name for s in file.sheets] == ["3-5月", "6月"]
    assert not [p for p in file.all_problems if p.rule == "copied_sheet"]


def test_month_sheets_sharing_some_rows_are_returned_naming_the_row_of_each(registry):
    # 3-5月 and 5-6月 both held May's payment: read as two ledgers, 支付 was 320 against 200 by hand, unsaid.
    file = parsed(registry, {"3-5月": month_sheet(*DETAIL[3:5]), "5-6月": month_sheet(*DETAIL[4:])})

    [error] = file.errors
    assert (error.rule, error.sheet, error.excel_row, error.column_header) == (
        "repeated_in_file",
        "5-6月",
        4,
        "金额（万元）",
    )
    assert "与本文件工作表“3-5月”第5行各栏完全相同" in error.message_zh
