from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.grids import Grid
from pipeline.header import find_header
from pipeline.layout import parse_sheet
from pipeline.parsed_sheet import ParsedSheet
from pipeline.reader import read_workbook
from tests.pipeline.workbooks import COMPOUND_HEADER, PROGRESS_HEADER, compound_sheet, csv_bytes, xls, xlsx

SHEET = "清单"
LEDGER_HEADER = ["日期", "项目名称", "资金来源", "类型", "金额（万元）"]
SCALE_HEADER = ["项目名称", "类别", "内容", "数量", "单位"]
PROJECT = "示范区双铺棚户区改造项目"


def grid_of(rows, *, fmt: str = "xlsx", merges=(), hidden_rows=(), hidden_columns=()) -> Grid:
    """Write rows as a one-sheet file in `fmt` and read it back, as the pipeline would."""
    hidden = {"hidden_rows": {SHEET: hidden_rows}, "hidden_columns": {SHEET: hidden_columns}}
    if fmt == "csv":
        content, filename = csv_bytes(rows), f"{SHEET}.csv"
    elif fmt == "xls":
        content, filename = xls({SHEET: rows}, merges={SHEET: merges}, **hidden), "a.xls"
    else:
        content = xlsx({SHEET: rows}, merges={SHEET: merges}, **hidden)
        filename = "a.xlsx"
    return read_workbook(content, filename).grids[0]


def parse_rows(registry, rows, **kwargs) -> ParsedSheet:
    grid = grid_of(rows, **kwargs)
    match = find_header(grid, registry)
    assert match is not None, "no template matched"
    return parse_sheet(grid, match, registry)


def problems(sheet: ParsedSheet) -> list[tuple]:
    return [(p.rule, p.excel_row, p.column_header, p.value) for p in sheet.problems]


def column_values(sheet: ParsedSheet, name: str) -> list:
    return [record[name] for record in sheet.records]


# --- units ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "area", "money", "rules"),
    [
        ("单位：元、平方米", Decimal(28650), Decimal("1075.97"), []),
        ("单位：万平方米、万元", Decimal(28650), Decimal("1075.97") * 10000, []),
        # A comma or semicolon sets the units apart as 、 does: not run together into 元平方米, no unit at all.
        ("单位：元，平方米", Decimal(28650), Decimal("1075.97"), []),
        ("单位：万平方米,万元", Decimal(28650), Decimal("1075.97") * 10000, []),
        ("单位：元；平方米。", Decimal(28650), Decimal("1075.97"), []),
        # A space after the separator, or before it, leaves the list one: not 元、 alone, and the area unread.
        ("单位：元、 平方米", Decimal(28650), Decimal("1075.97"), []),
        ("单位：万平方米 ，万元", Decimal(28650), Decimal("1075.97") * 10000, []),
        # An area's unit on a label of its own was no unit line: 2.865 was stored as 2.865 平方米, said assumed.
        ("单位：元  面积单位：万平方米", Decimal(28650), Decimal("1075.97"), []),
        ("面积单位：万平方米  金额单位：元", Decimal(28650), Decimal("1075.97"), []),
        # Units set apart by spaces alone list them too; a measure named before its unit (面积：) is that measure's.
        ("单位：元 万平方米", Decimal(28650), Decimal("1075.97"), []),
        ("单位：元；面积：万平方米", Decimal(28650), Decimal("1075.97"), []),
        # Money in a unit nobody listed, beside an area's: refused, never read as 万元 under a warning of no unit.
        ("单位：千元、平方米", Decimal(28650), None, ["unit"]),
        ("单位：千元 平方米", Decimal(28650), None, ["unit"]),
        ("单位：元（保留两位小数）", Decimal(28650), Decimal("1075.97"), ["unit_assumed"]),
        ("单位：元、万元", Decimal(28650), None, ["unit_assumed", "unit"]),
    ],
)
def test_a_unit_line_naming_each_measures_unit_gives_each_column_its_own(registry, line, area, money, rules):
    # Headers without units: 2.865 万平方米 is 28,650 ㎡; 10,759,700 元 is 1,075.97 万元.
    written_area = "2.865" if "万平方米" in line else "28650"
    written_money = "1075.97" if "万元" in line and "元、" not in line else "10759700"
    rows = compound_sheet(
        [1, "棉纺厂东院", written_area, "370", written_money],
        unit_line=line,
        header=["序号", "小区名称", "改造面积", "惠及户数（户）", "计划投资"],
    )
    sheet = parse_rows(registry, rows)
    assert [p.rule for p in sheet.problems] == rules
    if money is not None:
        assert column_values(sheet, "area_m2") == [area]
        assert column_values(sheet, "planned_investment_wan") == [money / 10000 if "万元" in line else money]


@pytest.mark.parametrize(
    ("header", "written", "stored"),
    [
        ("改造面积（万平方米）", "2.8650", Decimal(28650)),
        ("改造面积(万平方米)", 2.865, Decimal(28650)),
        ("改造面积（万㎡）", "0.9875", Decimal(9875)),
        ("改造面积(㎡)", "28,650", Decimal(28650)),
        ("改造面积（m²）", 28650, Decimal(28650)),
        ("改造面积（平方米）", "28650.5", Decimal("28650.5")),
    ],
)
def test_area_header_units_convert_values_to_square_metres(registry, header, written, stored):
    sheet = parse_rows(
        registry, [["小区名称", header, "惠及户数", "计划投资（万元）"], ["市委小区", written, 249, 725.58]]
    )
    assert sheet.problems == []
    area = sheet.records[0]["area_m2"]
    assert isinstance(area, Decimal)
    assert area == stored


@pytest.mark.parametrize(
    ("header", "rules"),
    [
        ("惠及户数（人）", ["unit"]),
        ("惠及户数（万人）", ["unit"]),
        ("惠及户数（元）", ["unit"]),
        ("惠及户数（户）", []),
    ],
)
def test_a_count_headers_unit_counting_something_else_is_an_error_as_in_a_cell(registry, header, rules):
    # 370 under 惠及户数（人） are people: stored as 370 households (3,700,000 under （万人）), while `370人` was refused.
    sheet = parse_rows(
        registry, [["小区名称", "改造面积（平方米）", header, "计划投资（万元）"], ["市委小区", 1, 370, 2]]
    )
    assert [(p.rule, p.excel_row, p.column_header) for p in sheet.problems] == [(r, 1, header) for r in rules]


def test_money_unit_line_applies_to_money_columns_without_a_unit(registry):
    rows = [
        ["填报单位：枣林街道办事处", None, "单位：元"],
        ["小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资"],
        ["棉纺厂东院", "2.8650", "370", "12,501,000"],
        ["市委小区", "1.9320", "249", 7255800],
    ]
    sheet = parse_rows(registry, rows)
    assert sheet.problems == []
    assert column_values(sheet, "planned_investment_wan") == [Decimal("1250.1"), Decimal("725.58")]
    # The line names money only: the area column keeps its own unit.
    assert column_values(sheet, "area_m2") == [Decimal(28650), Decimal(19320)]


def test_header_unit_wins_over_the_money_unit_line_and_the_clerk_is_told(registry):
    rows = [
        ["单位：元"],
        ["小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）"],
        ["棉纺厂东院", "2.8650", "370", "1,075.97"],
    ]
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "planned_investment_wan") == [Decimal("1075.97")]
    assert problems(sheet) == [("unit_conflict", 2, "计划投资（万元）", None)]
    assert sheet.problems[0].severity == "warning"
    assert sheet.problems[0].message_zh == (
        "第2行「计划投资（万元）」：表头单位与表上方的“单位：元”不一致，已按表头的万元读取本列数值，"
        "请删去或改正其中一处单位。"
    )


def test_a_money_unit_line_agreeing_with_the_header_says_nothing(registry):
    rows = [
        ["单位：万元"],
        ["小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）"],
        ["棉纺厂东院", "2.8650", "370", "1,075.97"],
    ]
    assert parse_rows(registry, rows).problems == []


def test_fund_ledger_amounts_in_yuan_by_the_unit_line(registry):
    rows = [
        ["填报单位：", "示范区建设实业有限公司", None, "单位：", "元"],
        ["日期", "项目名称", "资金来源", "类型", "金额"],
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "12,501,000"],
    ]
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "amount_wan") == [Decimal("1250.1")]


@pytest.mark.parametrize(("header", "base"), [("改造面积", "平方米"), ("计划投资", "万元")])
def test_a_measure_whose_unit_is_written_nowhere_is_read_in_its_base_unit_with_a_warning(
    registry, header, base
):
    headers = {"改造面积": "改造面积（平方米）", "计划投资": "计划投资（万元）"} | {header: header}
    sheet = parse_rows(
        registry, [["小区名称", *headers.values(), "惠及户数"], ["市委小区", "28650", "725.58", 249]]
    )
    assert [(p.severity, p.rule, p.excel_row, p.column_header) for p in sheet.problems] == [
        ("warning", "unit_assumed", 1, header)
    ]
    assert sheet.problems[0].message_zh == (
        f"第1行「{header}」：表头未注明单位，已按{base}读取本列数值，请在表头注明单位，如「{header}（{base}）」。"
    )
    assert (sheet.records[0]["area_m2"], sheet.records[0]["planned_investment_wan"]) == (
        Decimal(28650),
        Decimal("725.58"),
    )


# `1.2万㎡` or `50000元` under a header with no unit is read in the cell's own unit (12000 ㎡, 5 万元), but the receipt
# said 已按平方米/万元读取本列数值: what was done to the bare numbers only, or to none. A footer's date under the
# column (`2023年1月5日`) is no number written with its unit.
@pytest.mark.parametrize("written", ["some-bare", "all-with-units", "all-bare"])
def test_numbers_written_with_their_unit_under_a_header_with_none_are_told_as_read(registry, written):
    first = ["1.2万㎡", "50000元"] if written != "all-bare" else ["12000", "5"]
    rows = [["小区名称", "改造面积", "惠及户数", "计划投资"], ["市委小区", first[0], 249, first[1]]]
    if written != "all-with-units":
        rows.append(["棉纺厂东院", "3000", 100, "20"])
    rows.append(["填表人：张三", None, None, "2023年1月5日"])

    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "area_m2")[0] == Decimal(12000)
    assert column_values(sheet, "planned_investment_wan")[0] == Decimal(5)
    if written == "all-with-units":  # nothing was assumed
        assert sheet.problems == []
        return
    assert told(sheet) == [("unit_assumed", 1, "改造面积"), ("unit_assumed", 1, "计划投资")]
    expected = {
        "some-bare": [
            "表头未注明单位，本列未写单位的数值已按平方米读取，写明单位的（如“1.2万㎡”）按其单位读取",
            "表头未注明单位，本列未写单位的数值已按万元读取，写明单位的（如“50000元”）按其单位读取",
        ],
        "all-bare": ["表头未注明单位，已按平方米读取本列数值", "表头未注明单位，已按万元读取本列数值"],
    }
    assert [p.expected for p in sheet.problems] == expected[written]


def test_unrecognised_header_unit_is_an_error_on_the_header_row(registry):
    sheet = parse_rows(
        registry, [["小区名称", "改造面积（平方米）", "惠及户数", "计划投资（千元）"], ["市委小区", 1, 2, 3]]
    )
    assert problems(sheet) == [("unit", 1, "计划投资（千元）", "千元")]
    assert sheet.problems[0].message_zh == (
        "第1行「计划投资（千元）」填写为“千元”，单位应为万元、元、亿元之一，请在表头注明可识别的单位，如（万元）。"
    )


def test_a_unit_line_naming_a_non_money_unit_leaves_money_in_wan_yuan(registry):
    rows = [
        ["单位：户"],
        ["小区名称", "改造面积（平方米）", "惠及户数", "计划投资"],
        ["市委小区", 1, 2, "725.58"],
    ]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("unit_assumed", 2, "计划投资", None)]
    assert column_values(sheet, "planned_investment_wan") == [Decimal("725.58")]


# A two-row header: 计划投资 (E) a group over 合计 | 其中：中央补助, the other columns merged down over both rows.
GROUP_MERGES = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1", "G1:G2"]


def group_rows(group: str, total: str, *, units: list | None = None, above: list | None = None) -> list[list]:
    """Return a compound list whose 计划投资 is `group` over `total` | 其中：中央补助, a row of `units` under them."""
    header = ["序号", "小区名称", "改造面积（平方米）", "惠及户数（户）", group, None, "改造状态"]
    sub = [None, None, None, None, total, "其中：中央补助", None]
    return [
        *([above] if above else []),
        header,
        sub,
        *([units] if units else []),
        [1, "市委小区", 1, 2, 3, 1, "在建"],
    ]


def told(sheet: ParsedSheet) -> list[tuple]:
    return [(p.rule, p.excel_row, p.column_header) for p in sheet.problems]


@pytest.mark.parametrize(
    ("group", "total", "expected"),
    [
        ("计划投资（千元）", "合计", [("unit", 1, "计划投资（千元）")]),
        ("计划投资", "合计（千元）", [("unit", 2, "计划投资（千元）")]),
        ("计划投资", "合计", [("unit_assumed", 1, "计划投资")]),
    ],
    ids=["unit-on-the-group", "unit-on-the-total", "no-unit"],
)
def test_a_header_unit_is_told_on_the_row_it_is_written_on_under_a_group_header(
    registry, group, total, expected
):
    # A row of units under the header (the area's, the households') makes it three rows: a unit written on the
    # first or second was told on the third, where nothing of the 计划投资 column is written.
    units = [None, None, "（平方米）", "（户）", None, None, None]
    rows = group_rows(group, total, units=units)
    rows[0][2:4] = ["改造面积", "惠及户数"]

    sheet = parse_rows(registry, rows, merges=GROUP_MERGES)

    assert sheet.header_rows == (1, 3)
    assert told(sheet) == expected


def test_a_unit_on_a_group_header_differing_from_the_unit_line_is_told_on_the_group_row(registry):
    rows = group_rows("计划投资（万元）", "合计", above=["单位：元"])

    sheet = parse_rows(registry, rows, merges=["A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:F2", "G2:G3"])

    assert sheet.header_rows == (2, 3)
    assert told(sheet) == [("unit_conflict", 2, "计划投资（万元）")]
    assert sheet.problems[0].message_zh.startswith(
        "第2行「计划投资（万元）」：表头单位与表上方的“单位：元”不一致"
    )


def test_an_unmerged_group_header_unit_is_told_on_its_own_row(registry):
    # A CSV has no merges: the group stands over its first sub-header only, and gives its unit to the ones beside.
    rows = [
        ["项目名称", "年度", "月份", "年度计划投资（万元）", "完成投资（千元）", None],
        [None, None, None, None, "本月完成投资", "累计完成投资"],
        ["甲项目", 2022, 1, "15000", "3000", "3000"],
    ]

    sheet = parse_rows(registry, rows, fmt="csv")

    assert sheet.header_rows == (1, 2)
    assert told(sheet) == [("unit", 1, "本月完成投资"), ("unit", 1, "累计完成投资")]


def test_a_sub_header_unit_differing_from_its_group_headers_is_taken_and_told(registry):
    # `投资（万元）` over `本月完成投资（元）`: read in the sub-header's 元 with nothing said, though one of the two is wrong.
    rows = [
        ["项目名称", "年度", "月份", "投资（万元）", None, None],
        [None, None, None, "年度计划投资", "本月完成投资（元）", "累计完成投资"],
        ["甲项目", 2022, 1, "1570", "1000000", "100"],
    ]

    sheet = parse_rows(registry, rows, merges=["A1:A2", "B1:B2", "C1:C2", "D1:F1"])

    assert column_values(sheet, "monthly_completed_wan") == [Decimal("100")]
    assert column_values(sheet, "cumulative_completed_wan") == [Decimal("100")]
    assert told(sheet) == [("unit_conflict", 2, "本月完成投资（元）")]
    assert sheet.problems[0].message_zh == (
        "第2行「本月完成投资（元）」：表头单位“元”与其上方的“投资（万元）”的单位“万元”不一致，"
        "已按本列表头的元读取本列数值，请删去或改正其中一处单位。"
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [("计划投资", ("unit_assumed", 1, "计划投资")), ("计划投资（千元）", ("unit", 1, "计划投资（千元）"))],
)
def test_a_header_merged_down_over_both_rows_is_told_on_the_row_excel_shows_it_on(registry, header, expected):
    rows = [
        ["序号", "小区名称", "改造规模", None, header],
        [None, None, "改造面积（平方米）", "惠及户数（户）", None],
        [1, "市委小区", 1, 2, 3],
    ]

    sheet = parse_rows(registry, rows, merges=["A1:A2", "B1:B2", "C1:D1", "E1:E2"])

    assert sheet.header_rows == (1, 2)
    assert told(sheet) == [expected]


def test_a_header_with_no_unit_over_a_row_of_units_is_told_on_the_header_row(registry):
    rows = [
        ["序号", "小区名称", "改造面积", "惠及户数", "计划投资"],
        [None, None, "（平方米）", "（户）", None],
        [1, "市委小区", 1, 2, 3],
    ]

    sheet = parse_rows(registry, rows)

    assert sheet.header_rows == (1, 2)
    assert told(sheet) == [("unit_assumed", 1, "计划投资")]


def test_a_unit_line_in_no_unit_of_money_is_told_on_the_line(registry):
    rows = [["单位：千元"], ["小区名称", "改造面积（平方米）", "惠及户数", "计划投资"], ["市委小区", 1, 2, 3]]

    sheet = parse_rows(registry, rows)

    assert told(sheet) == [("unit", 1, "计划投资")]


# --- rows: blank, totals, footers ------------------------------------------------------------------


def test_blank_rows_between_data_are_skipped_and_excel_rows_kept(registry):
    rows = compound_sheet(
        [1, "棉纺厂东院", "2.8650", "370", "1075.97", "完工"],
        [],
        [None, "  ", None],
        [2, "市委小区", "1.9320", "249", "725.58", "在建"],
        [],
        [3, "石化小区", "2.4150", "312", "906.97", "未开工"],
    )
    for fmt in ("xlsx", "xls", "csv"):
        sheet = parse_rows(registry, rows, fmt=fmt)
        assert column_values(sheet, "excel_row") == [4, 7, 9], fmt
        assert column_values(sheet, "compound_name") == ["棉纺厂东院", "市委小区", "石化小区"], fmt
        assert sheet.problems == [], fmt


def test_a_row_of_only_placeholders_is_a_blank_row(registry):
    rows = compound_sheet(
        [1, "棉纺厂东院", "2.8650", "370", "1075.97", "完工"],
        ["—", "/", "", "无", "", "-"],
        [2, "市委小区", "1.9320", "249", "725.58", "在建"],
    )
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "excel_row") == [4, 6]
    assert sheet.problems == []


DATA = [
    [1, "棉纺厂东院", "2.8650", "370", "1075.97", "完工"],
    [2, "市委小区", "1.9320", "249", "725.58", "在建"],
]


@pytest.mark.parametrize(
    "label",
    [
        "合计",
        "总计",
        "小计",
        "合 计",
        "合计：",
        "总计（万元）",
        "总合计",
        "合计数",
        "汇总",
        "累计",
        "本页合计",
        "本年累计",
    ],
)
def test_a_correct_total_row_is_dropped_and_yields_no_problem(registry, label):
    sheet = parse_rows(registry, compound_sheet(*DATA, [None, label, "4.797", "619", "1801.55", None]))
    assert column_values(sheet, "excel_row") == [4, 5]
    assert sheet.problems == []


def test_a_total_row_in_the_sequence_column_is_recognised(registry):
    sheet = parse_rows(registry, compound_sheet(*DATA, ["合计", None, "4.797", "619", "1801.55", None]))
    assert column_values(sheet, "excel_row") == [4, 5]
    assert sheet.problems == []


def test_a_wrong_total_is_an_error_on_its_row_and_header(registry):
    sheet = parse_rows(registry, compound_sheet(*DATA, ["合计", None, "4.797", "620", "1801.57", None]))
    assert problems(sheet) == [
        ("total_mismatch", 6, "惠及户数（户）", "620"),
        ("total_mismatch", 6, "计划投资（万元）", "1801.57"),
    ]
    assert sheet.problems[1].message_zh == (
        "第6行「计划投资（万元）」填写为“1801.57”，应等于上方各行之和1801.55，请核对合计数或明细数据。"
    )
    assert column_values(sheet, "excel_row") == [4, 5]


_HIDDEN_GAP = (
    "；本行只是未隐藏各行之和，第3、5行是隐藏行（共800），未计入本行（筛选后用SUBTOTAL求和只计显示的行）"
)


@pytest.mark.parametrize(
    ("label", "total", "said"),
    [("合计", 150, _HIDDEN_GAP), ("本月合计", 150, _HIDDEN_GAP), ("合计", 160, "")],
    ids=["total", "subtotal", "other-gap"],
)
def test_a_total_of_the_rows_a_filter_leaves_in_view_says_the_hidden_rows_are_the_gap(
    registry, label, total, said
):
    # A ledger filtered to its 支付 rows, its 合计 a SUBTOTAL(9,…) of the rows in view: refused as a mismatch beside a
    # warning that hidden rows were counted, nothing linking the two.
    rows = [
        ["单位：万元"],
        ["日期", "项目名称", "资金来源", "类型", "金额"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "500"],
        ["2022-04-10", PROJECT, "中央补助资金", "支付", "100"],
        ["2022-05-10", PROJECT, "发改资金", "到位", "300"],
        ["2022-06-10", PROJECT, "发改资金", "支付", "50"],
        [None, label, None, None, total],
    ]

    sheet = parse_rows(registry, rows, hidden_rows=[3, 5])

    assert [p.rule for p in sheet.problems] == ["total_mismatch", "hidden_rows"]
    assert sheet.problems[0].expected == f"应等于上方各行之和950{said}"


@pytest.mark.parametrize(
    ("money", "area", "ok"),
    [
        ("1801.56", "4.797", True),  # off by exactly 0.01 万元
        ("1801.54", "4.797", True),
        (1801.56, 4.797, True),
        ("1801.561", "4.797", False),
        ("1801.55", "4.807", True),  # off by exactly 0.01 万平方米
        ("1801.55", "4.8071", False),
    ],
)
def test_total_tolerance_is_one_hundredth_in_the_columns_unit(registry, money, area, ok):
    sheet = parse_rows(registry, compound_sheet(*DATA, ["合计", None, area, "619", money, None]))
    assert (sheet.problems == []) is ok


def test_total_in_yuan_is_checked_in_yuan(registry):
    rows = [
        ["单位：元"],
        ["小区名称", "改造面积（㎡）", "惠及户数", "计划投资"],
        ["棉纺厂东院", "28650", "370", "10,759,700"],
        ["市委小区", "19320", "249", "7,255,800"],
        ["合计", "47970", "619", "18,015,500.01"],
    ]
    sheet = parse_rows(registry, rows)
    assert sheet.problems == []
    rows[-1][3] = "18,015,500.02"
    # The cell as the clerk typed it, not as 18015500.02.
    assert problems(parse_rows(registry, rows)) == [("total_mismatch", 5, "计划投资", "18,015,500.02")]


@pytest.mark.parametrize(
    ("subtotal", "total"), [("小计", "合计"), ("本月合计", "本年累计"), ("本页合计", "总合计")]
)
def test_subtotals_check_their_own_group_and_the_grand_total_checks_all(registry, subtotal, total):
    rows = compound_sheet(
        DATA[0],
        [None, subtotal, "2.865", "370", "1075.97"],
        DATA[1],
        [None, subtotal, "1.932", "250", "725.58"],
        [None, total, "4.797", "619", "1801.55"],
    )
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "excel_row") == [4, 6]
    assert problems(sheet) == [("total_mismatch", 7, "惠及户数（户）", "250")]


@pytest.mark.parametrize("title", [["按片区汇总："], []])
def test_rows_below_the_grand_total_are_an_error_not_counted_beside_the_rows_they_sum(registry, title):
    # A summary by 片区 under the list's 合计 (its title in the 序号 column, passed over as an unused row) was read
    # as two more compounds, every figure of the list counted twice with nothing said.
    rows = compound_sheet(
        *DATA,
        [None, "合计", "4.797", "619", "1801.55", None],
        [],
        title,
        [None, "东片区", "2.865", "370", "1075.97", None],
        [None, "西片区", "1.932", "249", "725.58", None],
    )

    sheet = parse_rows(registry, rows)

    [error] = sheet.problems
    assert (error.rule, error.excel_row) == ("data_after_total", 9)
    assert error.message_zh.startswith("第9至10行是数据行，但位于第6行合计行之下，不在该合计之内")


def test_rows_a_later_grand_total_covers_are_read(registry):
    # A 合计 after each month, running on: each checked against every row above it. Only rows below the last one
    # are outside every total (e9feebe's data_after_total refused the ledger at its second month).
    rows = [
        LEDGER_HEADER,
        ["2022-01-05", PROJECT, "专项债券", "到位", 10],
        [None, "合计", None, None, 10],
        ["2022-02-05", PROJECT, "专项债券", "支付", 4],
        [None, "合计", None, None, 14],
    ]

    sheet = parse_rows(registry, rows)

    assert (problems(sheet), column_values(sheet, "excel_row")) == ([], [2, 4])


@pytest.mark.parametrize("label", ["1月合计", "2022年1月小计", "一月份合计"])
def test_a_months_subtotal_written_with_its_month_is_a_subtotal_not_a_row_with_a_bad_date(registry, label):
    # `1月合计` in the 日期 column was read as a data row: told as a date that is no date and three blank cells.
    rows = [
        LEDGER_HEADER,
        ["2022-01-05", PROJECT, "专项债券", "到位", 10],
        [label, None, None, None, 10],
        ["2022-02-05", PROJECT, "专项债券", "支付", 4],
        [label.replace("1", "2").replace("一", "二").replace("22022", "2022"), None, None, None, 5],
    ]

    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "excel_row") == [2, 4]
    assert [(rule, row) for rule, row, *_ in problems(sheet)] == [("total_mismatch", 5)]


def test_rows_after_a_total_of_one_type_or_one_units_rows_are_read(registry):
    ledger = [
        LEDGER_HEADER,
        ["2022-01-05", PROJECT, "专项债券", "到位", 10],
        ["合计", None, None, "到位", 10],
        ["2022-02-05", PROJECT, "专项债券", "支付", 4],
        ["合计", None, None, "支付", 4],
    ]
    scale = [
        SCALE_HEADER,
        [PROJECT, "投资构成", "工程费用", "76313.93", "万元"],
        [PROJECT, "投资构成", "合计", "76313.93", "万元"],
        [PROJECT, "建设规模", "征收户数", "1280", "户"],
    ]

    for rows, read in ((ledger, [2, 4]), (scale, [2, 4])):
        sheet = parse_rows(registry, rows)
        assert (problems(sheet), column_values(sheet, "excel_row")) == ([], read)


def test_rows_after_a_running_total_are_read_as_the_next_months(registry):
    rows = compound_sheet(
        DATA[0],
        [None, "本月合计", "2.865", "370", "1075.97"],
        [None, "本年累计", "2.865", "370", "1075.97"],
        DATA[1],
        [None, "本月合计", "1.932", "249", "725.58"],
        [None, "本年累计", "4.797", "619", "1801.55"],
    )

    sheet = parse_rows(registry, rows)

    assert sheet.problems == []
    assert column_values(sheet, "excel_row") == [4, 7]


def test_a_total_row_with_an_unreadable_amount_reports_that_cell(registry):
    sheet = parse_rows(registry, compound_sheet(*DATA, ["合计", None, "4.797", "约619", "1801.55", None]))
    assert problems(sheet) == [("type", 6, "惠及户数（户）", "约619")]


@pytest.mark.parametrize(
    "footer",
    [
        [["填表人：张三    联系电话：0377-12345678    审核人：李四"]],
        [["填表人：", "张三", "联系电话：", "0377-12345678", "审核人：", "李四"]],
        [["填表人：张三"], ["联系电话：0377-12345678"], ["审核人：李四"]],
        [[None, "审核人：李四"], ["注：面积按竣工测绘填写", 12]],
        [["制表：张三", None, "审核：李四"]],
    ],
    ids=["one-cell", "spread", "three-lines", "indented-and-note", "without-人"],
)
def test_footer_lines_are_not_records(registry, footer):
    sheet = parse_rows(registry, compound_sheet(*DATA, [], footer=footer))
    assert column_values(sheet, "excel_row") == [4, 5]
    assert sheet.problems == []


def test_lines_after_the_first_footer_line_are_footer_and_read_for_metadata(registry):
    footer = [
        ["填表人：张三", None, "联系电话：0377-12345678"],
        ["填报单位：", "枣林街道办事处（盖章）"],
        [3, "不是数据"],
    ]
    sheet = parse_rows(registry, compound_sheet(*DATA, unit_line=None, footer=footer))
    assert column_values(sheet, "excel_row") == [3, 4]
    assert sheet.problems == []
    assert sheet.meta.unit == "枣林街道办事处"


def test_data_rows_below_a_note_line_return_the_sheet_instead_of_being_dropped(registry):
    later = [
        [3, "石化小区", "2.4150", "312", "906.97", "在建"],
        [4, "育源小区", "1.2680", "164", "476.21", "在建"],
    ]
    rows = compound_sheet(*DATA, ["注：以下2个小区为第二批次改造"], *later, footer=[["填表人：张三"]])
    sheet = parse_rows(registry, rows)
    # The note starts the footer at row 6; rows 7 and 8 below it are whole data rows that would go unread.
    assert problems(sheet) == [("data_after_footer", 7, None, None)]
    assert "第7至8行是数据行，但位于第6行“注：以下2个小区为第二批次改造”之下" in sheet.problems[0].expected
    # A sign-off's names under its labels fill no required column with a value: still footer, nothing said.
    signed = compound_sheet(*DATA, footer=[["填表人：", None, "审核人："], ["张三", None, "李四"]])
    assert parse_rows(registry, signed).problems == []


def test_a_data_row_with_a_slip_below_a_note_line_returns_the_sheet_too(registry):
    rows = compound_sheet(
        *DATA, ["注：以下小区为第二批次改造"], [3, "石化小区", "2.4150", "约312", "906.97", "在建"]
    )
    sheet = parse_rows(registry, rows)
    # Dropped with its 约312 unsaid, the sheet was taken without 石化小区 and the clerk told nothing of row 7.
    assert problems(sheet) == [("data_after_footer", 7, None, None)]
    # A sign-off's names and telephone under its labels fill every required column, but mostly do not read as a
    # compound's figures: still footer.
    labels = [None, "单位负责人：", "审核人：", "填表人：", "联系电话："]
    signed = compound_sheet(*DATA, footer=[labels, [None, "张三", "李四", "王五", "0377-12345678"]])
    assert parse_rows(registry, signed).problems == []


# Title, 填报单位 line, header (row 3), five compounds (rows 4 to 8), a blank row, a footer (row 10).
FIVE = compound_sheet(
    *[[n, f"小区{n}", "1.5", "120", "45.25", "在建"] for n in range(1, 6)], [], footer=[["填表人：张三"]]
)


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_hidden_data_rows_are_counted_and_asked_about_once_per_sheet(registry, fmt):
    # Hidden to drop old data, or only to tidy the view: the rows are counted as sent, and the clerk is asked.
    sheet = parse_rows(registry, FIVE, fmt=fmt, hidden_rows=[5, 6, 8])

    assert column_values(sheet, "excel_row") == [4, 5, 6, 7, 8]
    assert column_values(sheet, "households") == [120] * 5
    [problem] = sheet.problems
    assert (problem.severity, problem.rule, problem.sheet, problem.excel_row) == (
        "warning",
        "hidden_rows",
        SHEET,
        5,
    )
    assert problem.message_zh == (
        "第5至6、8行是隐藏行，其数据已按报送计入，如这些行不应报送，请删除后重新报送；如只是为便于查看而隐藏，无需处理。"
    )


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_hidden_column_read_is_counted_and_asked_about_on_its_header(registry, fmt):
    # A hidden 改造状态 (stale statuses kept out of view) was counted into 已完工 with nothing said, as hidden rows
    # are asked about; hidden G, beyond the table, holds nothing read.
    sheet = parse_rows(registry, FIVE, fmt=fmt, hidden_columns=["F", "G"])

    assert column_values(sheet, "status") == ["在建"] * 5
    [problem] = sheet.problems
    assert (problem.severity, problem.rule, problem.excel_row, problem.column_header) == (
        "warning",
        "hidden_columns",
        3,
        "改造状态",
    )
    assert problem.message_zh == (
        "第3行「改造状态」：该列（F列）是隐藏列，其数据已按报送计入，如该列不应报送，请删除后重新报送；"
        "如只是为便于查看而隐藏，无需处理。"
    )


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_hidden_titles_blank_rows_and_footers_say_nothing(registry, fmt):
    # The title and 填报单位 line above the header, the blank row 9 and the footer row 10: nothing of them is counted.
    sheet = parse_rows(registry, FIVE, fmt=fmt, hidden_rows=[1, 2, 9, 10])

    assert column_values(sheet, "excel_row") == [4, 5, 6, 7, 8]
    assert sheet.problems == []


def test_a_csv_row_with_more_fields_than_its_header_is_an_error_not_read_shifted(registry):
    # Unquoted, 1,250.10 is two fields: 金额 would read 1 and every field after it move one column right.
    rows = [
        ["填报单位：枣林街道办事处"],
        [*LEDGER_HEADER, "文号"],
        ["2022-01-05", PROJECT, "中央补助资金", "到位", "100", "财建〔2022〕1号"],
        ["2022-05-06", PROJECT, "中央补助资金", "支付", "1", "250.10", "记-2022-05-016"],
        [
            "2022-06-06",
            PROJECT,
            "中央补助资金",
            "支付",
            "20",
            "",
            "",
            "",
        ],  # empty trailing fields are no shift
    ]
    sheet = parse_rows(registry, rows, fmt="csv")
    assert [(p.rule, p.excel_row) for p in sheet.problems] == [("csv_fields", 4)]
    assert sheet.problems[0].expected.startswith("第4行有7栏，表头只有6栏")
    # A workbook's cell right of the table is no shifted field: nothing is said of it here.
    assert all(p.rule != "csv_fields" for p in parse_rows(registry, rows, fmt="xlsx").problems)


@pytest.mark.parametrize("note", ["合计（3张发票）", "累计：第二批", "汇总"])
def test_a_whole_row_whose_note_reads_as_a_total_label_is_a_row_with_a_warning_not_a_total(registry, note):
    # Passed over as a 合计 of the rows above (which it equalled), the payment was lost without a word.
    rows = [
        [*LEDGER_HEADER, "支出用途", "摘要"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "500", None, "第一批"],
        ["2022-05-20", PROJECT, "中央补助资金", "支付", "500", "工程款", note],
    ]

    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "excel_row") == [2, 3]
    assert column_values(sheet, "amount_wan") == [Decimal("500"), Decimal("500")]
    assert problems(sheet) == [("total_word_in_note", 3, "摘要", note)]


def test_a_total_row_with_its_label_in_a_note_and_its_date_blank_is_still_a_total(registry):
    rows = [
        [*LEDGER_HEADER, "摘要"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "500", "第一批"],
        ["2022-04-10", PROJECT, "中央补助资金", "到位", "300", "第二批"],
        [None, None, None, None, "800", "合计"],
    ]

    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "excel_row") == [2, 3]
    assert sheet.problems == []


@pytest.mark.parametrize(
    ("labels", "types"),
    [
        (["到位资金合计", "支付资金合计"], ["到位", "支付"]),
        (["中央补助资金小计", "发改资金小计"], [None, None]),
    ],
)
def test_a_total_of_some_rows_is_passed_over_unchecked_with_a_warning(registry, labels, types):
    # Read as data, `到位资金合计` was told as an unregistered project and its blank 日期 as missing.
    rows = [
        LEDGER_HEADER,
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "500"],
        ["2022-04-10", PROJECT, "发改资金", "到位", "300"],
        ["2022-05-10", PROJECT, "中央补助资金", "支付", "120"],
        [None, labels[0], None, types[0], "800"],
        [None, labels[1], None, types[1], "120"],
    ]

    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "excel_row") == [2, 3, 4]
    assert problems(sheet) == [
        ("part_total", 5, "项目名称", labels[0]),
        ("part_total", 6, "项目名称", labels[1]),
    ]


@pytest.mark.parametrize("label", ["东片区小计", "东片区合计"])
def test_a_groups_total_written_as_a_whole_row_of_a_list_is_passed_over_not_counted_as_one_more_row(
    registry, label
):
    # Its label in 小区名称 and every column filled, it was read as one more compound: each group's figures twice,
    # unsaid where its group had one compound (nothing to tell it from a row) or its figures were not the sum.
    rows = compound_sheet(
        [1, "棉纺厂东院", "2.8650", "370", "1075.97", "完工"],
        [None, label, "2.8650", "370", "1075.97", "完工"],
        [2, "市委小区", "1.9320", "249", "725.58", "在建"],
        [3, "石化小区", "2.4150", "312", "906.97", "在建"],
        [None, "西片区小计", "4.3470", "560", "1632.56", "在建"],
    )

    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "compound_name") == ["棉纺厂东院", "市委小区", "石化小区"]
    assert problems(sheet) == [
        ("part_total", 5, "小区名称", label),
        ("part_total", 8, "小区名称", "西片区小计"),
    ]
    assert "请改写其「小区名称」，不要以“合计”“小计”等字样结尾" in sheet.problems[0].message_zh


def test_a_whole_row_ending_in_a_total_word_is_data(registry):
    rows = [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"],
        ["产出指标", "数量指标", "改造小区数合计", "≥16个", "16个", "90"],
    ]

    sheet = parse_rows(registry, [[f"项目名称：{PROJECT}"], *rows])

    assert [r["level3"] for r in sheet.records] == ["改造小区数合计"]
    assert sheet.problems == []


def test_a_seq_written_any_way_is_read_or_passed_over_and_a_row_of_only_its_seq_is_unused(registry):
    rows = compound_sheet(
        ["一", "棉纺厂东院", "2.8650", "370", "1075.97"],
        ["2、", "市委小区", "1.9320", "249", "725.58"],
        [
            "第三",
            "育源小区",
            "1.2680",
            "164",
            "476.21",
        ],  # no number a reader can be sure of: nothing, no error
        [4],  # a pre-numbered form's unused rows
        ["五"],
    )
    sheet = parse_rows(registry, rows)
    assert sheet.problems == []
    assert column_values(sheet, "seq") == [1, 2, None]
    assert column_values(sheet, "excel_row") == [4, 5, 6]


# --- cell values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("written", "stored"),
    [("1,280", 1280), ("１２８０", 1280), ("200户", 200), (" 200 ", 200), ("200 户 ", 200), (200, 200)],
)
def test_numbers_written_as_text_in_a_sheet(registry, fmt, written, stored):
    sheet = parse_rows(registry, compound_sheet([1, "市委小区", "1.932", written, "725.58"]), fmt=fmt)
    assert sheet.records[0]["households"] == stored
    assert sheet.problems == []


@pytest.mark.parametrize("written", ["—", "-", "/", "无", "", " "])
def test_placeholders_in_a_sheet_mean_no_value(registry, written):
    sheet = parse_rows(registry, compound_sheet([written, "市委小区", "1.932", "249", "725.58", written]))
    assert (sheet.records[0]["seq"], sheet.records[0]["status"]) == (None, None)
    assert sheet.problems == []


# A `—` in a required cell is no value, as submissions.md says, but the clerk wrote it: told 未填写, the clerk looking
# at the cell saw a `—` there and nothing to fill in.
@pytest.mark.parametrize("written", ["—", "-", "/", "无"])
def test_placeholder_in_a_required_column_is_a_required_error_naming_it(registry, written):
    sheet = parse_rows(registry, compound_sheet([1, "市委小区", "1.932", written, "725.58", "在建"]))
    assert problems(sheet) == [("required", 4, "惠及户数（户）", written)]
    assert sheet.problems[0].message_zh == (
        f"第4行「惠及户数（户）」填写为“{written}”，视为未填写，此项为必填项，请补充填写。"
    )
    assert sheet.records[0]["households"] is None


@pytest.mark.parametrize("written", ["", " ", None])
def test_a_required_cell_left_empty_is_told_unfilled(registry, written):
    sheet = parse_rows(registry, compound_sheet([1, "市委小区", "1.932", written, "725.58", "在建"]))
    assert sheet.problems[0].message_zh == "第4行「惠及户数（户）」未填写，此项为必填项，请补充填写。"


NOT_NUMBERS = [
    ("约200", "type", "应为不小于0的整数"),
    ("200左右", "type", "应为不小于0的整数"),
    ("#DIV/0!", "formula_error", "应为数字，不能是公式错误值"),
    ("#REF!", "formula_error", "应为数字，不能是公式错误值"),
]


@pytest.mark.parametrize(("written", "rule", "expected"), NOT_NUMBERS)
def test_text_that_is_not_a_number_is_an_error_naming_excel_row_and_header(registry, written, rule, expected):
    rows = compound_sheet(
        *[[n, f"小区{n}", "1", "100", "10", "在建"] for n in range(1, 6)],
        [6, "宏兴小区", "1.7260", written, "648.21", "在建"],
    )
    for fmt in ("xlsx", "csv"):
        if fmt == "xlsx" and written.startswith("#"):
            continue  # openpyxl writes these as Excel error cells, see the test below
        sheet = parse_rows(registry, rows, fmt=fmt)
        assert problems(sheet) == [(rule, 9, "惠及户数（户）", written)]
        assert (
            sheet.problems[0].message_zh
            == f"第9行「惠及户数（户）」填写为“{written}”，{expected}，请填写确切的惠及户数。"
        )
        assert [r["excel_row"] for r in sheet.records] == [4, 5, 6, 7, 8, 9]
        assert sheet.records[-1]["households"] is None


def test_the_contracts_example_message_is_exact(registry):
    rows = compound_sheet(
        *[[n, f"小区{n}", "1", "100", "10"] for n in range(1, 6)], [6, "宏兴小区", "1.7", "约200", "6"]
    )
    sheet = parse_rows(registry, rows)
    assert (
        sheet.problems[0].message_zh
        == "第9行「惠及户数（户）」填写为“约200”，应为不小于0的整数，请填写确切的惠及户数。"
    )


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
@pytest.mark.parametrize("error", ["#DIV/0!", "#REF!"])
def test_excel_error_cells_are_errors_for_that_cell(registry, error, fmt):
    # Both writers store these strings as real error cells (xlsx t="e", xls BOOLERR), as Excel does for a failing
    # formula; calamine reads those as blanks, which a required column would call 未填写.
    rows = compound_sheet(
        [1, "宏兴小区", "1.7260", "223", "648.21", "在建"], [2, "市委小区", "1.9320", error, "725.58"]
    )
    sheet = parse_rows(registry, rows, fmt=fmt)
    assert problems(sheet) == [("formula_error", 5, "惠及户数（户）", error)]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_an_error_value_in_a_text_column_is_an_error_not_a_name(registry, fmt):
    # A broken VLOOKUP's #N/A in 小区名称 would be stored as a compound named “#N/A”.
    rows = compound_sheet([1, "#N/A", "1.7260", "223", "648.21"], [2, "市委小区", "1.9320", "249", "725.58"])
    sheet = parse_rows(registry, rows, fmt=fmt)
    assert problems(sheet) == [("formula_error", 4, "小区名称", "#N/A")]


def test_names_with_stray_spaces_and_full_width_characters_are_normalised(registry):
    rows = compound_sheet(
        [1, "棉纺厂东院 ", "1", "100", "10"],
        [2, " 市委小区（一期）", "1", "100", "10"],
        [3, "ＡＢＣ 小区\n", "1", "100", "10"],
    )
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "compound_name") == ["棉纺厂东院", "市委小区(一期)", "ABC小区"]


def test_enum_aliases_are_stored_canonical_in_a_sheet(registry):
    rows = compound_sheet(
        [1, "棉纺厂东院", "1", "100", "10", "完工"],
        [2, "市委小区", "1", "100", "10", " 在建 "],
        [3, "石化小区", "1", "100", "10", "停工"],
    )
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "status") == ["已完工", "在建", None]
    assert problems(sheet) == [("enum", 6, "改造状态", "停工")]


def test_missing_required_column_is_an_error_naming_the_template(registry):
    sheet = parse_rows(
        registry, [["序号", "小区名称", "改造面积（㎡）", "计划投资（万元）"], [1, "市委小区", 19320, 725.58]]
    )
    assert sheet.template.id == "compound_list"
    assert problems(sheet) == [("missing_column", 1, "惠及户数", None)]
    assert "缺少必填列「惠及户数」" in sheet.problems[0].message_zh
    assert "《老旧小区改造项目清单》" in sheet.problems[0].message_zh


def test_required_value_empty_is_an_error_per_cell(registry):
    sheet = parse_rows(registry, compound_sheet([1, "", "1.9320", "249", None, "在建"]))
    assert problems(sheet) == [("required", 4, "小区名称", None), ("required", 4, "计划投资（万元）", None)]


def test_negative_count_and_amount_are_errors(registry):
    sheet = parse_rows(registry, compound_sheet([1, "市委小区", "-1.9320", "-249", "-725.58", "在建"]))
    assert problems(sheet) == [
        ("negative", 4, "改造面积（万平方米）", "-1.9320"),
        ("negative", 4, "惠及户数（户）", "-249"),
        ("negative", 4, "计划投资（万元）", "-725.58"),
    ]


def test_month_13_is_a_month_range_error(registry):
    sheet = parse_rows(
        registry,
        [PROGRESS_HEADER, [PROJECT, 2022, 13, 18000, 1500, 1500], [PROJECT, 2022, "12月", 18000, 1, 1]],
    )
    assert problems(sheet) == [("month_range", 2, "月份", "13")]
    assert column_values(sheet, "month") == [None, 12]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_a_month_written_with_its_year_is_its_month_the_year_kept_for_the_year_check(registry, fmt):
    written = ["2022年4月", "2022-03", "2022/3", "2022.4", dt.datetime(2021, 4, 1), "2022-04-15"]
    rows = [PROGRESS_HEADER, *[[PROJECT, 2022, value, 18000, 1, 1] for value in written]]
    sheet = parse_rows(registry, rows, fmt=fmt)
    assert sheet.problems == []
    assert column_values(sheet, "month") == [4, 3, 3, 4, 4, 4]
    # The year is held to the row's 年度 by parse_file, once the file's year is settled: here only kept.
    assert {
        row: (dated.year, dated.month, dated.day) for (row, _), (dated, _) in sheet.dated_months.items()
    } == {
        2: (2022, 4, 1),
        3: (2022, 3, 1),
        4: (2022, 3, 1),
        5: (2022, 4, 1),
        6: (2021, 4, 1),
        7: (2022, 4, 15),
    }


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_year_and_month_typed_as_a_number_in_a_month_cell_is_an_error(registry, fmt):
    rows = [PROGRESS_HEADER, [PROJECT, 2022, 2022.10, 18000, 1, 1], [PROJECT, 2022, 2022.4, 18000, 1, 1]]
    sheet = parse_rows(registry, rows, fmt=fmt)
    assert problems(sheet) == [("type", 2, "月份", "2022.1"), ("type", 3, "月份", "2022.4")]
    assert sheet.problems[0].message_zh == (
        "第2行「月份」填写为“2022.1”，应为1至12之间的月份；该单元格是数字，2022.1与2022.10是同一个数，无法确定月份，"
        "请只填写月份：1月填“1”，10月填“10”。"
    )
    assert column_values(sheet, "month") == [None, None]
    assert sheet.dated_months == {}


def test_a_csv_month_2022_1_is_an_error_since_excel_writes_2022_10_so(registry):
    rows = [PROGRESS_HEADER, [PROJECT, 2022, "2022.1", 18000, 1, 1], [PROJECT, 2022, "2022.10", 18000, 1, 1]]
    sheet = parse_rows(registry, rows, fmt="csv")
    assert problems(sheet) == [("type", 2, "月份", "2022.1")]
    assert column_values(sheet, "month") == [None, 10]


def test_enum_outside_the_list_in_a_fund_ledger(registry):
    rows = [LEDGER_HEADER, ["2022-03-01", PROJECT, "国债资金", "到位", "100"]]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("enum", 2, "资金来源", "国债资金")]


@pytest.mark.parametrize(
    ("written", "source"),
    [
        ("发改资金", "中央预算内投资"),
        ("中央预算内投资（发改资金）", "中央预算内投资"),
        ("专项债券", "专项债券资金"),
    ],
)
def test_fund_source_aliases_in_a_fund_ledger(registry, written, source):
    sheet = parse_rows(registry, [LEDGER_HEADER, ["2022-03-01", PROJECT, written, "到位", "100"]])
    assert column_values(sheet, "fund_source") == [source]


def test_every_date_form_in_a_fund_ledger(registry):
    written = [
        dt.date(2022, 3, 1),
        dt.datetime(2022, 3, 1, 9, 30),
        "2022-03-01",
        "2022/3/1",
        "2022.3.1",
        "2022.3",
        "2022年3月",
        "2022年3月1日",
    ]
    rows = [LEDGER_HEADER, *[[value, PROJECT, "中央补助资金", "到位", "100"] for value in written]]
    for fmt in ("xlsx", "xls"):
        sheet = parse_rows(registry, rows, fmt=fmt)
        assert sheet.problems == [], fmt
        assert column_values(sheet, "date") == [dt.date(2022, 3, 1)] * len(written), fmt


def test_an_unreadable_date_is_an_error(registry):
    sheet = parse_rows(registry, [LEDGER_HEADER, ["3月1日", PROJECT, "中央补助资金", "到位", "100"]])
    assert problems(sheet) == [("type", 2, "日期", "3月1日")]


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_year_and_month_typed_as_a_number_is_an_error_asking_for_a_real_date(registry, fmt):
    # Excel stores 2022.10 typed into a number cell as 2022.1; read as a date it would silently be January.
    rows = [
        LEDGER_HEADER,
        [2022.10, PROJECT, "中央补助资金", "到位", "100"],
        [2022.3, PROJECT, "中央补助资金", "到位", "1"],
    ]
    sheet = parse_rows(registry, rows, fmt=fmt)
    assert problems(sheet) == [("type", 2, "日期", "2022.1"), ("type", 3, "日期", "2022.3")]
    assert sheet.problems[0].message_zh == (
        "第2行「日期」填写为“2022.1”，应为日期；该单元格是数字，2022.1与2022.10是同一个数，无法确定月份，"
        "请填写完整日期，如2022-10-01或2022年10月。"
    )
    assert column_values(sheet, "date") == [None, None]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_year_and_month_written_as_text_is_still_that_month(registry, fmt):
    rows = [
        LEDGER_HEADER,
        ["2022.10", PROJECT, "中央补助资金", "到位", "100"],
        ["2022.3", PROJECT, "中央补助资金", "到位", "1"],
    ]
    sheet = parse_rows(registry, rows, fmt=fmt)
    assert sheet.problems == []
    assert column_values(sheet, "date") == [dt.date(2022, 10, 1), dt.date(2022, 3, 1)]


@pytest.mark.parametrize("written", ["2022.1", " ２０２２．１ ", "2022 . 1"])
def test_a_csv_date_2022_1_is_an_error_since_excel_writes_2022_10_so(registry, written):
    # A CSV holds what Excel showed: 2022.10 in the General format is saved as `2022.1`, the format lost.
    rows = [LEDGER_HEADER, [written, PROJECT, "中央补助资金", "到位", "100"]]
    sheet = parse_rows(registry, rows, fmt="csv")
    assert problems(sheet) == [("type", 2, "日期", written.strip())]
    assert sheet.problems[0].message_zh == (
        f"第2行「日期」填写为“{written.strip()}”，应为日期；CSV文件中的“2022.1”也可能是Excel把2022.10（10月）末尾的0"
        "省略后写成的，无法确定月份，请改写为2022-01或2022-10（或2022年1月、2022年10月）。"
    )
    assert column_values(sheet, "date") == [None]


def test_a_csv_date_that_no_dropped_zero_can_make_is_read_as_written(registry):
    # 2022.20 is no month, so `2022.2` is February; `2022.10` kept its zero, so it is what the sheet showed.
    written = {
        "2022.2": dt.date(2022, 2, 1),
        "2022.9": dt.date(2022, 9, 1),
        "2022.10": dt.date(2022, 10, 1),
        "2022.01": dt.date(2022, 1, 1),
        "2022.11": dt.date(2022, 11, 1),
        "2022.1.5": dt.date(2022, 1, 5),
        "2022-1": dt.date(2022, 1, 1),
        "2022年1月": dt.date(2022, 1, 1),
    }
    rows = [LEDGER_HEADER, *[[text, PROJECT, "中央补助资金", "到位", "100"] for text in written]]
    sheet = parse_rows(registry, rows, fmt="csv")
    assert sheet.problems == []
    assert column_values(sheet, "date") == list(written.values())


def test_a_date_typed_as_the_text_2022_1_in_an_xlsx_is_january(registry):
    # A text cell keeps what was typed: 2022.10 typed as text stays `2022.10`, so `2022.1` there is January.
    sheet = parse_rows(registry, [LEDGER_HEADER, ["2022.1", PROJECT, "中央补助资金", "到位", "100"]])
    assert sheet.problems == []
    assert column_values(sheet, "date") == [dt.date(2022, 1, 1)]


@pytest.mark.parametrize("written", ["拨付", "拨款", "下达"])
def test_an_entry_type_that_could_mean_either_is_an_error_listing_both(registry, written):
    rows = [
        LEDGER_HEADER,
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "100"],
        ["2022-03-09", PROJECT, "中央补助资金", written, "50"],
    ]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("enum_ambiguous", 3, "类型", written)]
    assert column_values(sheet, "entry_type") == ["到位", None]
    problem = sheet.problems[0]
    assert problem.severity == "error"
    assert problem.expected.startswith("应为以下之一：到位、支付；")
    assert f"“{written}”" in problem.expected
    assert problem.message_zh.endswith("无法确定是哪一个，请按实际情况改填“到位”或“支付”。")


# --- performance_targets --------------------------------------------------------------------------

TARGETS_HEADER = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]


def targets_rows(*indicators: tuple[str, object]) -> list[list[object]]:
    """Return a 绩效目标 sheet: a project line, the header, and one indicator row per (target, reported)."""
    rows = [[f"项目名称：{PROJECT}"], TARGETS_HEADER]
    for number, (target, reported) in enumerate(indicators, start=1):
        rows.append(["产出指标", "质量指标", f"指标{number}", target, reported, 10])
    return rows


@pytest.mark.parametrize("reported", ["0.95", 0.95, "95", 95, "95%"])
def test_a_percentage_reported_in_any_form_is_read_without_a_problem(registry, reported):
    sheet = parse_rows(registry, targets_rows(("≥95%", reported)))
    assert sheet.problems == []


@pytest.mark.parametrize(("target", "chosen"), [("100%", "100%"), ("≥5%", "1%")])
@pytest.mark.parametrize("reported", ["1", 1])
def test_a_bare_1_under_a_percent_target_is_a_warning_naming_the_reading_chosen(
    registry, target, chosen, reported
):
    sheet = parse_rows(registry, targets_rows(("≥95%", "95%"), (target, reported)))
    assert problems(sheet) == [("percent_ambiguous", 4, "实际完成值", "1")]
    problem = sheet.problems[0]
    assert (problem.severity, problem.sheet) == ("warning", SHEET)
    assert f"对照年度指标值“{target}”，已按{chosen}计算" in problem.message_zh
    assert column_values(sheet, "reported_value") == ["95%", "1"]  # kept as written


def test_bare_1s_in_both_cells_under_percent_headers_each_get_their_warning(registry):
    rows = targets_rows(("≥1", "1"))
    rows[1] = [*TARGETS_HEADER[:3], "年度指标值（%）", "实际完成值", "分值"]

    sheet = parse_rows(registry, rows)

    # The target's reading (≥1 under （%） as ≥100 %) is told on its own cell, not lost behind the value's.
    assert sorted(problems(sheet)) == [
        ("percent_ambiguous", 3, "实际完成值", "1"),
        ("percent_ambiguous", 3, "年度指标值（%）", "≥1"),
    ]
    assert any("年度指标值“≥1”的表头注明（%）" in p.message_zh for p in sheet.problems)


def test_a_rates_target_without_a_unit_is_told_on_its_own_cell(registry):
    rows = targets_rows(("≥90", "93"))
    rows[2][2] = "居民满意度"  # bound to satisfaction_rate (rules.yaml), a rate

    sheet = parse_rows(registry, rows)

    assert problems(sheet) == [("indicator_unit_assumed", 3, "年度指标值", "≥90")]
    assert "已读作“≥90%”" in sheet.problems[0].message_zh


@pytest.mark.parametrize(("target", "shown"), [("≥0.9", "≥90%"), ("0.8", "≥80%"), ("≥0.955", "≥95.5%")])
def test_a_fraction_target_read_in_the_values_percent_is_told_in_plain_digits(registry, target, shown):
    # `≥0.9` against `95%` was told as read “≥9E+1%”.
    sheet = parse_rows(registry, targets_rows((target, "95%")))

    assert problems(sheet) == [("indicator_unit_assumed", 3, "实际完成值", "95%")]
    assert f"已按实际完成值的单位读作“{shown}”" in sheet.problems[0].message_zh


@pytest.mark.parametrize(
    ("level3", "target", "reported"),
    [
        ("居民满意度（%）", "≥90", "93"),
        ("改造面积（万平方米）", "≥24.4", "20.1"),
        ("惠及户数（户）", "≥3148", "3148"),
    ],
)
def test_a_unit_the_indicators_name_states_is_that_of_its_bare_numbers_and_nothing_is_told(
    registry, level3, target, reported
):
    rows = targets_rows((target, reported))
    rows[2][2] = level3

    assert parse_rows(registry, rows).problems == []


def test_a_bare_target_of_a_count_the_data_compute_is_read_in_its_count_and_nothing_is_told(registry):
    # `≥3148` of 惠及户数 is 户: nobody's 万户, so it is compared with the data's count as it always was.
    rows = targets_rows(("≥3148", "3148"))
    rows[2][2] = "惠及户数"

    assert parse_rows(registry, rows).problems == []


# The models compare such a target with the value reported, not the data's (㎡ or 万㎡, 元 or 万元).
@pytest.mark.parametrize(
    ("level3", "measure"),
    [("改造面积", "area"), ("计划投资", "money")],
)
@pytest.mark.parametrize("reported", ["20.1", None])
def test_a_bare_target_of_an_amount_the_data_compute_is_told_on_its_own_cell(
    registry, level3, measure, reported
):
    units = "、".join(registry.units.measures[measure].units)  # 平方米、万平方米…, 万元、元、亿元
    rows = targets_rows(("≥24.4", reported), ("≥24.4", "20.1"), ("≥24.4万平方米", "20.1"))
    rows[2][2] = level3
    rows[4][2] = "改造面积"

    sheet = parse_rows(registry, rows)

    told = [("indicator_unit_assumed", 3, "年度指标值", "≥24.4")]
    blank = [] if reported else [("indicator_blank", 3, "实际完成值", None)]
    assert sorted(problems(sheet), key=str) == sorted(told + blank, key=str)  # 指标2 is bound to nothing
    problem = next(p for p in sheet.problems if p.rule == "indicator_unit_assumed")
    assert f"未写单位，不知是{units}中的哪一种，不能与由数据计算的数值对照，已按填报的实际完成值计分" in (
        problem.message_zh
    )


# `≥24.4万` names no measure the models can tell from its text: compared with the value reported, and asked about.
@pytest.mark.parametrize(
    ("level3", "target", "meant"),
    [("改造面积", "≥2.4万", "万平方米"), ("计划投资", "≥1.5亿", "亿元"), ("计划投资", "≥1.5万", "万元")],
)
def test_a_target_written_in_a_magnitude_alone_of_an_amount_the_data_compute_is_told_its_unit(
    registry, level3, target, meant
):
    rows = targets_rows(
        (target, f"2.5{target[-1]}"), (target, "25000㎡" if meant == "万平方米" else "16000万元")
    )
    rows[2][2] = rows[3][2] = level3

    sheet = parse_rows(registry, rows)

    # Beside a value naming its unit, the magnitude is of that measure (2.4 万平方米, 1.5 亿元): nothing is asked.
    assert problems(sheet) == [("indicator_unit_assumed", 3, "年度指标值", target)]
    expected = f"年度指标值“{target}”只写了数量级“{target[-1]}”，未写计量单位，不能与由数据计算的数值对照"
    assert expected in sheet.problems[0].message_zh
    assert f"请在年度指标值中写明单位（如“{meant}”）" in sheet.problems[0].message_zh


def test_a_blank_actual_is_warned_unless_the_data_compute_it(registry):
    rows = targets_rows(("100%", None), ("建立", ""), ("≥90%", None))
    rows[4][2] = "群众满意度"  # bound to satisfaction_rate: the survey gives it

    sheet = parse_rows(registry, rows)

    # Scored 0 without a word, one project fell from 良 to 中 in the report.
    assert problems(sheet) == [
        ("indicator_blank", 3, "实际完成值", None),
        ("indicator_blank", 4, "实际完成值", None),
    ]
    assert "已按0分计" in sheet.problems[0].message_zh


def test_a_bare_1_under_a_count_target_is_no_percentage(registry):
    sheet = parse_rows(registry, targets_rows(("1个", "1")))
    assert sheet.problems == []


# --- scale_and_cost ------------------------------------------------------------------------------


def test_parts_get_the_item_above_as_parent(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "改造面积", "1.5", "万平方米"],
        [PROJECT, "建设规模", "其中：住宅", "1.2", "万平方米"],
        [PROJECT, "投资构成", "建安工程费", "12,501,000", "元"],
        [PROJECT, "投资构成", "其中:主体工程", "10000000", "元"],
        [PROJECT, "投资构成", "其中：附属工程", "250.1", "万元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
    ]
    sheet = parse_rows(registry, rows)
    assert sheet.problems == []
    assert column_values(sheet, "parent_item") == [None, "改造面积", None, "建安工程费", "建安工程费", None]
    assert column_values(sheet, "quantity") == [
        Decimal(15000),
        Decimal(12000),
        Decimal("1250.1"),
        Decimal(1000),
        Decimal("250.1"),
        Decimal(3360),
    ]
    assert column_values(sheet, "quantity_unit") == ["平方米", "平方米", "万元", "万元", "万元", "万元"]


def test_a_quantity_written_with_its_rows_unit_is_read_and_with_another_is_an_error(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "改造面积", "15000平方米", "平方米"],
        [PROJECT, "建设规模", "安置面积", "26880平方米", "万平方米"],
        [PROJECT, "建设规模", "配套面积", "40.8923万", "平方米"],
        [PROJECT, "建设规模", "征收户数", "1280左右", "户"],
        [PROJECT, "建设规模", "安置户数", "1280套", "户"],  # one measure and factor, but 套 are no 户
        [PROJECT, "建设规模", "改造楼栋", "12栋", "栋"],
        [PROJECT, "建设规模", "新建楼栋", "3幢", "栋"],  # 幢 and 栋 count alike (registry/units.yaml)
        [PROJECT, "建设规模", "改造管网", "2.5", "公里"],  # stored in metres, as an area in 平方米
        [PROJECT, "建设规模", "加装电梯", "12台", "部"],  # 部 and 台 count elevators alike
        [PROJECT, "建设规模", "加装电梯", "12户", "部"],  # households are no elevators
    ]
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "quantity")[0] == Decimal(15000)
    assert column_values(sheet, "quantity")[-5:-1] == [Decimal(12), Decimal(3), Decimal(2500), Decimal(12)]
    assert column_values(sheet, "quantity_unit")[-3:-1] == ["米", "部"]
    assert [(p.rule, p.excel_row, p.column_header, p.value) for p in sheet.problems] == [
        ("quantity_unit", 3, "数量", "26880平方米"),
        ("type", 4, "数量", "40.8923万"),
        ("type", 5, "数量", "1280左右"),
        ("quantity_unit", 6, "数量", "1280套"),
        ("quantity_unit", 11, "数量", "12户"),
    ]


def test_a_rows_money_unit_nobody_listed_is_an_error_on_its_unit_cell_and_a_note_after_a_unit_is_no_part(
    registry,
):
    rows = [
        SCALE_HEADER,
        [PROJECT, "投资构成", "建安工程费", "763139.3", "千元"],  # stored as written, it would read as 万元
        [PROJECT, "投资构成", "其他费用", "5210.21", "万元（含税）"],
        [PROJECT, "建设规模", "改造面积", "1.2", "万平方米(建筑面积)"],
    ]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("unit", 2, "单位", "千元")]
    assert column_values(sheet, "quantity")[1:] == [Decimal("5210.21"), Decimal(12000)]
    assert column_values(sheet, "quantity_unit")[1:] == ["万元", "平方米"]


def test_a_row_unit_naming_a_size_and_no_unit_is_an_error_on_its_unit_cell(registry):
    # 76313.93 万 was stored in 万, added to no 投资构成 total and checked against no 计划总投资.
    rows = [SCALE_HEADER, [PROJECT, "投资构成", "工程费用", "76313.93", "万"]]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("unit", 2, "单位", "万")]


def test_counted_quantities_keep_their_row_unit(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "惠及户数", "300", "户"],
        [PROJECT, "建设规模", "改造楼栋", "12", "栋"],
    ]
    sheet = parse_rows(registry, rows)
    assert column_values(sheet, "quantity") == [Decimal(300), Decimal(12)]
    assert column_values(sheet, "quantity_unit") == ["户", "栋"]


def test_a_count_of_a_part_of_one_is_an_error_on_its_quantity(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "新建安置住房套数", "2560.5", "套"],
        [PROJECT, "建设规模", "征收户数", "0.128", "万户"],  # 1280户
    ]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("type", 2, "数量", "2560.5")]
    assert column_values(sheet, "quantity") == [None, Decimal("0.128")]


def test_a_correct_investment_total_below_scale_rows_is_accepted(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "改造面积", "1.5", "万平方米"],
        [PROJECT, "建设规模", "惠及户数", "300", "户"],
        [PROJECT, "投资构成", "建安工程费", "1250.1", "万元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
        [PROJECT, "投资构成", "合计", "4610.1", "万元"],
    ]
    assert parse_rows(registry, rows).problems == []


def test_an_investment_total_written_in_yuan_is_accepted(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "投资构成", "建安工程费", "12,501,000", "元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
        [PROJECT, "投资构成", "合计", "46,101,000", "元"],
    ]
    assert parse_rows(registry, rows).problems == []


def test_a_wrong_investment_total_written_in_yuan_is_told_in_yuan(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "投资构成", "建安工程费", "12,501,000", "元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
        [PROJECT, "投资构成", "合计", "46,101,000.02", "元"],
    ]
    sheet = parse_rows(registry, rows)
    # The cell and the rows' sum as the row has them, in 元, checked to the 0.01 元 (not to 0.01 万元 stored).
    assert problems(sheet) == [("total_mismatch", 4, "数量", "46,101,000.02")]
    assert sheet.problems[0].expected == "应等于上方各行之和46101000"
    rows[-1][3] = "46,200,000"  # not `填写为“4620”，应等于上方各行之和4610.1`, figures the sheet never shows
    [error] = parse_rows(registry, rows).problems
    assert (error.value, error.expected) == ("46,200,000", "应等于上方各行之和46101000")


def test_a_correct_total_without_a_unit_below_rows_of_one_unit_is_accepted(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "投资构成", "建安工程费", "1250.1", "万元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
        [PROJECT, "投资构成", "合计", "4610.1", None],
    ]
    assert parse_rows(registry, rows).problems == []


def test_a_wrong_investment_total_is_still_an_error(registry):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "改造面积", "1.5", "万平方米"],
        [PROJECT, "投资构成", "建安工程费", "1250.1", "万元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
        [PROJECT, "投资构成", "合计", "4610.2", "万元"],
    ]
    sheet = parse_rows(registry, rows)
    assert problems(sheet) == [("total_mismatch", 5, "数量", "4610.2")]
    assert sheet.problems[0].expected == "应等于上方各行之和4610.1"


@pytest.mark.parametrize(
    ("total", "wrong"), [("4610.1", False), ("300", False), ("0", True), ("4910.1", True)]
)
def test_a_total_without_a_unit_below_rows_of_several_units_is_checked_against_each_units_sum(
    registry, total, wrong
):
    rows = [
        SCALE_HEADER,
        [PROJECT, "建设规模", "惠及户数", "300", "户"],
        [PROJECT, "投资构成", "建安工程费", "1250.1", "万元"],
        [PROJECT, "投资构成", "其他费用", "3360", "万元"],
        ["合计", None, None, total, None],
    ]
    sheet = parse_rows(registry, rows)
    # Not against the rows naming no unit, none: a 合计 of 0 passed and the investment's own was refused.
    if not wrong:
        assert sheet.problems == []
        return
    assert problems(sheet) == [("total_mismatch", 5, "数量", total)]
    assert sheet.problems[0].expected == "应等于上方同一单位各行之和（300户、4610.1万元）之一"


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_row_repeating_the_header_is_passed_over_and_told_once(registry, fmt):
    rows = compound_sheet(
        [1, "市委小区", "1.932", "249", "725.58", "在建"],
        COMPOUND_HEADER,  # a page's header pasted along with its rows
        [2, "石化小区", "1.1", "120", "300", "在建"],
        unit_line=None,
    )

    # It was read as a data row: four errors, each a header told as a value that does not parse.
    sheet = parse_rows(registry, rows, fmt=fmt)

    [problem] = sheet.problems
    assert (problem.rule, problem.severity, problem.excel_row) == ("repeated_header", "warning", 4)
    assert problem.expected == "第4行与第2行的表头相同，已视为重复的表头行，未作为数据读取"
    assert column_values(sheet, "excel_row") == [3, 5]


def test_a_merged_name_is_each_rows_but_a_merged_amount_stays_in_its_first_row(registry):
    rows = compound_sheet(
        [1, "市委小区", "1.932", "249", "725.58", "在建"],
        [2, "石化小区", "1.1", "120", None, None],
        unit_line=None,
    )
    # Excel rows 3 and 4: the status merged over both is each row's; the amount merged over both may be their
    # shared total, so copying it would count it twice.
    sheet = parse_rows(registry, rows, merges=["E3:E4", "F3:F4"])
    assert column_values(sheet, "status") == ["在建", "在建"]
    assert column_values(sheet, "planned_investment_wan")[1] is None


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_bad_value_merged_over_rows_is_told_once_at_its_first_row_naming_the_range(registry, fmt):
    rows = compound_sheet(
        [1, "市委小区", "1.932", "249", "725.58", "进行中"],
        [2, "石化小区", "1.1", "120", "300", None],
        [3, "育源小区", "1.0", "100", "100", None],
        unit_line=None,
    )

    # It was told on each of rows 3, 4 and 5, three faults for the one cell the clerk sees.
    sheet = parse_rows(registry, rows, fmt=fmt, merges=["F3:F5"])

    [problem] = sheet.problems
    assert (problem.rule, problem.excel_row, problem.column_header, problem.value) == (
        "enum",
        3,
        "改造状态",
        "进行中",
    )
    assert problem.expected.endswith("（F3:F5是合并单元格，第3至5行都按此值读取，此处一并说明）")
    assert column_values(sheet, "status") == [None, None, None]


def test_a_required_amount_under_a_merge_is_an_error_saying_the_merge_is_the_first_rows(registry):
    rows = compound_sheet(
        [1, "市委小区", "1.932", "249", "725.58", "在建"],
        [2, "石化小区", "1.1", None, "300", "在建"],
        unit_line=None,
    )

    sheet = parse_rows(registry, rows, merges=["D3:D4"])  # 惠及户数 merged over both compounds

    [problem] = sheet.problems
    assert (problem.rule, problem.excel_row, problem.column_header) == ("required", 4, "惠及户数（户）")
    assert "与第3行合并" in problem.expected and problem.fix == "请取消合并单元格，为每一行分别填写"


@pytest.mark.parametrize(
    ("target", "reported", "header", "value"),
    [
        ("≥100%", "90%左右", "实际完成值", "90%左右"),
        ("100%", "约100%", "实际完成值", "约100%"),
        ("≥5个", "1,2个", "实际完成值", "1,2个"),
        ("≤5个工作日", "3天", "实际完成值", "3天"),
        ("约90%", "93%", "年度指标值", "约90%"),
    ],
)
def test_an_indicator_value_that_is_not_exact_is_an_error_on_its_own_cell(
    registry, target, reported, header, value
):
    sheet = parse_rows(registry, targets_rows(("≥95%", "95%"), (target, reported)))
    assert [(p.severity, p.excel_row, p.column_header, p.value) for p in sheet.problems] == [
        ("error", 4, header, value)
    ]


@pytest.mark.parametrize(
    ("target", "reported", "rule", "words"),
    [
        ("≥90", "93%", "indicator_unit_assumed", "读作“≥90%”"),
        ("≥90", "0.93", "indicator_scale", "一个像百分数、一个像小数"),
        (
            "≥24.4万㎡",
            "244000",
            "indicator_scale",
            "的单位读作244000万平方米，与目标相差千倍以上",
        ),
        # 833 times 3 公里 was under a thousandfold: scored in full, unasked, though 2500 米 is 83 % of the target.
        ("≥3公里", "2500", "indicator_scale", "读作2500公里，若按米读作2500米则更接近目标"),
        ("≥95%", "95%以上", "indicator_bound", "已按95%计"),
        ("≥95%", "95%+", "indicator_bound", "已按95%计"),  # read as 95 % with nothing said
        ("16个", "很好", "indicator_not_number", "不能计分"),
        ("16个", "已完成", "indicator_outcome_word", "已按其所写的完成情况计分"),
        ("≥15年", "达成预期指标", "indicator_outcome_word", "已按其所写的完成情况计分"),
    ],
)
def test_an_indicator_read_one_way_of_two_is_a_warning_naming_the_reading(
    registry, target, reported, rule, words
):
    sheet = parse_rows(registry, targets_rows((target, reported)))
    assert problems(sheet) == [(rule, 3, "实际完成值", reported)]
    assert sheet.problems[0].severity == "warning"
    assert words in sheet.problems[0].message_zh


# `95%以上` under 群众满意度 was told 已按95%计 while the report scored the survey's 93.12 %: of an indicator the data
# compute, the reading named stands only without them, and the clerk is told so; of any other, as before.
@pytest.mark.parametrize(
    ("level3", "target", "reported", "rule", "computed"),
    [
        ("群众满意度", "≥90%", "95%以上", "indicator_bound", True),
        ("群众满意度", "≥90%", "1", "percent_ambiguous", True),
        ("改造面积", "≥24.4万㎡", "244000", "indicator_scale", True),
        ("外墙保温合格率", "≥90%", "95%以上", "indicator_bound", False),
    ],
)
def test_a_reading_of_an_indicator_the_data_compute_says_the_data_score_it(
    registry, level3, target, reported, rule, computed
):
    rows = targets_rows((target, reported))
    rows[-1][2] = level3

    sheet = parse_rows(registry, rows)

    assert problems(sheet) == [(rule, 3, "实际完成值", reported)]
    said = "该指标能由已报送的数据算出时，按数据计算的数值计分" in sheet.problems[0].message_zh
    assert said == computed


@pytest.mark.parametrize(
    ("target", "reported"),
    [
        ("90%以上", "93%"),
        ("不低于90%", "0.93"),
        ("≧95%", "100%"),
        ("≥24.4万㎡", "244000㎡"),
        ("2023年11月底前", "达成"),
    ],
)
def test_targets_written_in_words_offices_use_read_without_a_problem(registry, target, reported):
    assert parse_rows(registry, targets_rows((target, reported))).problems == []


@pytest.mark.parametrize(
    ("target", "reported", "read_as"),
    [("＞95%", "95%", "≥95%"), ("<5%", "5%", "≤5%"), ("高于90%", "93%", "≥90%"), ("少于3次", "1次", "≤3次")],
)
def test_a_strict_target_is_scored_as_the_inclusive_one_and_said_so(registry, target, reported, read_as):
    # The rules know ≥, ≤ and = only: `＞95%` was scored as ≥95% with nothing said, so 95% itself got full marks.
    sheet = parse_rows(registry, targets_rows((target, reported)))
    folded = target.replace("＞", ">")  # the cell is stored width-folded
    assert problems(sheet) == [("indicator_strict", 3, "年度指标值", folded)]
    assert sheet.problems[0].severity == "warning"
    assert f"已按“{read_as}”计分" in sheet.problems[0].message_zh
    assert f"恰为{read_as[1:]}时，只有按此读法才计满分" in sheet.problems[0].message_zh


@pytest.mark.parametrize("reported", ["如期", "已通过"])
def test_a_qualitative_value_the_rules_cannot_score_is_a_warning_that_it_scores_nothing(registry, reported):
    sheet = parse_rows(registry, targets_rows(("2023年11月底前", reported)))
    assert problems(sheet) == [("indicator_qualitative", 3, "实际完成值", reported)]
    assert "按0分计" in sheet.problems[0].message_zh and "“达成”" in sheet.problems[0].fix


@pytest.mark.parametrize(
    "reported", ["达成", "达成预期指标", "基本达成", "按期完成（质量合格）", "已按期完成（质量合格）"]
)
def test_a_qualitative_value_the_rules_score_or_the_target_itself_reads_without_a_problem(registry, reported):
    assert parse_rows(registry, targets_rows(("按期完成（质量合格）", reported))).problems == []


def test_a_unit_line_naming_money_in_a_unit_nobody_listed_is_an_error_not_read_in_wan(registry):
    rows = [
        ["单位：千元"],
        LEDGER_HEADER[:-1] + ["金额"],
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "12,501"],
    ]

    sheet = parse_rows(registry, rows)

    assert [(p.severity, p.rule, p.value) for p in sheet.problems] == [("error", "unit", "千元")]


@pytest.mark.parametrize(
    "footer",
    [
        ["单位：元"],
        ["填表人：张三        单位：元"],
        ["注：金额单位为元"],
        ["（本表单位为元）"],
        ["金额单位：元"],
        ["（单位：元）"],
    ],
)
def test_a_unit_line_below_the_table_is_an_error_not_read_past(registry, footer):
    # The sheet's only unit, under its rows: the amounts in 元 were read as 万元, ten thousand times each, warned only
    # that the header named no unit (alone on its line, 单位：元 was read as a data row and told as no date; so were
    # （本表单位为元）, 金额单位：元 and （单位：元）, no footer's line but for the first words of `单位：`).
    rows = [
        ["日期", "项目名称", "资金来源", "类型", "金额"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "5000000"],
        footer,
    ]

    sheet = parse_rows(registry, rows)

    assert [(p.rule, p.excel_row, p.column_header) for p in sheet.problems if p.severity == "error"] == [
        ("unit_below_table", 3, "金额")
    ]
    assert "请把“单位：元”移到表格上方，或在表头注明单位，如「金额（元）」" in sheet.problems[-1].message_zh


@pytest.mark.parametrize("line", ["注：金额单位为元", "（本表单位为元）", "金额单位为：元"])
def test_a_unit_stated_in_a_sentence_above_the_table_is_the_sheets_unit(registry, line):
    # `注：金额单位为元` was no unit line: the amounts in 元 were read as 万元, warned only that no unit was named.
    rows = [
        [line],
        ["日期", "项目名称", "资金来源", "类型", "金额"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "5000000"],
    ]

    sheet = parse_rows(registry, rows)

    assert [r["amount_wan"] for r in sheet.records] == [Decimal("500")]
    assert not [p for p in sheet.problems if p.severity == "error"]


@pytest.mark.parametrize(
    "header",
    [
        ["日期", "项目名称", "资金来源", "类型", "金额", "单位：元"],
        ["日期", "项目名称", "资金来源", "类型", "金额", None, "（单位：元）"],
    ],
)
def test_a_unit_in_a_cell_of_the_header_row_is_the_sheets_unit(registry, header):
    # Beside the last header, the unit was not read: amounts in 元 were read as 万元, warned only that no unit was named.
    rows = [header, ["2022-03-10", PROJECT, "中央补助资金", "到位", "5000000"]]

    sheet = parse_rows(registry, rows)

    assert [r["amount_wan"] for r in sheet.records] == [Decimal("500")]
    assert sheet.problems == []


@pytest.mark.parametrize(
    ("above", "error"),
    [
        ([["单位：万元"], ["单位：元"]], "第1行和第2行写了万元、元两种单位，无法确定本列按哪一种读取"),
        (
            [["台账（单位：万元）"], ["金额单位：元"]],
            "第1行和第2行写了万元、元两种单位，无法确定本列按哪一种读取",
        ),
        ([["台账（单位：元）"], ["单位：元"]], None),
    ],
    ids=["two-lines", "title-and-measure-line", "one-unit-twice"],
)
def test_two_unit_lines_naming_two_units_of_money_are_an_error_not_the_first_taken(registry, above, error):
    # The first `单位：` line was taken, the second passed over without a word: 5000000 元 read as 5000000 万元.
    rows = [
        *above,
        ["日期", "项目名称", "资金来源", "类型", "金额"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "5000000"],
    ]

    sheet = parse_rows(registry, rows)

    assert [p.expected for p in sheet.problems if p.severity == "error"] == ([error] if error else [])
    if error is None:
        assert [r["amount_wan"] for r in sheet.records] == [Decimal("500")]


def test_a_unit_line_below_the_table_naming_the_unit_read_is_no_error(registry):
    rows = [
        ["日期", "项目名称", "资金来源", "类型", "金额"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "500"],
    ]

    sheet = parse_rows(registry, [*rows, ["单位：万元"]])

    assert [p.rule for p in sheet.problems] == ["unit_assumed"]


def test_a_total_right_under_the_header_is_checked_against_the_rows_below_it(registry):
    rows = compound_sheet([None, "合计", "4.797", "619", "1801.55", None], *DATA)

    sheet = parse_rows(registry, rows)

    assert sheet.problems == []
    assert column_values(sheet, "excel_row") == [5, 6]
    rows[3][3] = "620"
    [error] = parse_rows(registry, rows).problems
    assert (error.rule, error.excel_row) == ("total_mismatch", 4)
    assert "应等于下方各行之和619" in error.message_zh


@pytest.mark.parametrize("label", [None, "单位", "计量单位"])
@pytest.mark.parametrize("bracketed", [True, False])
def test_a_row_of_units_under_the_header_gives_the_columns_their_units(registry, bracketed, label):
    # Labelled `单位` in its 序号 cell, the row was read as data: 万平方米 was told as no number, and the row as one
    # split over two.
    header = ["序号", "小区名称", "改造面积", "惠及户数", "计划投资", "改造状态"]
    units = [label, None, "万平方米", "户", "万元", None]
    units = [f"（{u}）" if u and bracketed and u != label else u for u in units]

    sheet = parse_rows(registry, [header, units, DATA[0]])

    assert sheet.problems == []
    assert sheet.header_rows == (1, 2)
    assert column_values(sheet, "area_m2") == [Decimal(28650)]
    assert column_values(sheet, "excel_row") == [3]


@pytest.mark.parametrize(
    "rows",
    [
        # The first 投资构成 row a part: the row above is an area of 建设规模.
        [
            [PROJECT, "建设规模", "安置区总建筑面积", "408923", "平方米"],
            [PROJECT, "投资构成", "其中：征地费用", "3115.39", "万元"],
        ],
        # A part as the very first row.
        [
            [PROJECT, "投资构成", "其中：征地费用", "3115.39", "万元"],
            [PROJECT, "投资构成", "工程费用", "76313.93", "万元"],
        ],
    ],
)
def test_a_part_with_no_row_of_its_own_category_above_it_is_an_error(registry, rows):
    sheet = parse_rows(registry, [SCALE_HEADER, *rows])

    [error] = sheet.problems
    assert (error.rule, error.column_header, error.value) == ("part_without_parent", "内容", "其中：征地费用")


def test_a_part_belongs_to_the_row_above_it_of_its_own_category(registry):
    rows = [
        [PROJECT, "投资构成", "工程建设其他费用", "27890.17", "万元"],
        [PROJECT, "建设规模", "征收户数", "1280", "户"],
        [PROJECT, "投资构成", "其中：征地费用", "3115.39", "万元"],
    ]

    sheet = parse_rows(registry, [SCALE_HEADER, *rows])

    assert sheet.problems == []
    assert column_values(sheet, "parent_item") == [None, None, "工程建设其他费用"]


# --- group headings --------------------------------------------------------------------------------

LIST_HEADER = ["序号", "小区名称", "改造面积（平方米）", "惠及户数（户）", "计划投资（万元）"]


@pytest.mark.parametrize(
    ("first", "second"),
    [(["一", "东片区"], ["二", "西片区"]), ([None, "一、东片区"], [None, "（二）西片区"])],
    ids=["in 序号", "in the name"],
)
def test_a_group_heading_over_a_lists_rows_is_told_and_not_stored(registry, first, second):
    # Read as a compound with its area, households and investment missing, it had the whole list returned.
    rows = [
        ["枣林街道办事处2022年老旧小区改造项目清单"],
        LIST_HEADER,
        [*first, None, None, None],
        [1, "棉纺厂东院", 28650, 370, 1075.97],
        [2, "市委小区", 19320, 249, 725.58],
        [*second, None, None, None],
        [3, "石化小区", 24150, 312, 906.97],
        ["合计", None, 72120, 931, 2708.52],
    ]
    sheet = parse_rows(registry, rows)

    assert column_values(sheet, "compound_name") == ["棉纺厂东院", "市委小区", "石化小区"]
    assert problems(sheet) == [
        ("group_heading", 3, "小区名称", first[1]),
        ("group_heading", 6, "小区名称", second[1]),
    ]
    assert all(p.severity == "warning" for p in sheet.problems)


@pytest.mark.parametrize(
    "rows",
    [
        # Compounds numbered 一、二、三: a 三 with nothing else is a compound left unfilled, not a heading.
        [
            ["一", "棉纺厂东院", 28650, 370, 1075.97],
            ["二", "市委小区", 19320, 249, 725.58],
            ["三", "石化小区"],
        ],
        # No number at all: a compound whose figures were left out.
        [[1, "棉纺厂东院", 28650, 370, 1075.97], [None, "石化小区"]],
        # A number and an amount: a compound missing the rest.
        [["一", "东片区", 24150], [1, "棉纺厂东院", 28650, 370, 1075.97]],
    ],
    ids=["numbered in Chinese", "no number", "an amount written"],
)
def test_a_row_that_is_no_heading_still_has_its_empty_required_cells_told(registry, rows):
    sheet = parse_rows(registry, [LIST_HEADER, *rows])
    assert {rule for rule, *_ in problems(sheet)} == {"required"}


@pytest.mark.parametrize(
    ("received_total", "told"),
    [(10, []), (11, [("total_mismatch", 4, "金额（万元）", "11")])],
)
def test_a_total_naming_a_type_may_total_that_types_rows(registry, received_total, told):
    # `合计 | 到位 | 10` under 到位 10 and 支付 4 was returned as differing from every row's sum, 14.
    rows = [
        LEDGER_HEADER,
        ["2022-01-05", PROJECT, "专项债券", "到位", 10],
        ["2022-02-05", PROJECT, "专项债券", "支付", 4],
        ["合计", None, None, "到位", received_total],
        ["合计", None, None, "支付", 4],
    ]
    sheet = parse_rows(registry, rows)

    assert problems(sheet) == told
    if told:
        [problem] = sheet.problems
        assert problem.expected == "应等于上方各行之和14，或“到位”各行之和10"


@pytest.mark.parametrize(
    "item",
    [
        "其中征地费用",
        "其中 征地费用",
        "其中，征地费用",
        "其 中：征地费用",
        "（其中）征地费用",
        "含：征地费用",
        "含:征地费用",
    ],
)
def test_a_part_written_without_its_colon_is_still_a_part(registry, item):
    # Read as a cost of its own, it was added to the top-level total and told as a gap from 计划总投资.
    rows = [
        [PROJECT, "投资构成", "工程建设其他费用", "27890.17", "万元"],
        [PROJECT, "投资构成", item, "3115.39", "万元"],
        [PROJECT, "投资构成", "基本预备费", "5210.21", "万元"],
    ]

    sheet = parse_rows(registry, [SCALE_HEADER, *rows])

    assert sheet.problems == []
    assert column_values(sheet, "parent_item") == [None, "工程建设其他费用", None]


def test_an_item_beginning_with_han_without_a_colon_is_no_part(registry):
    rows = [
        [PROJECT, "投资构成", "工程费用", "76313.93", "万元"],
        [PROJECT, "投资构成", "含税安装工程费", "3115.39", "万元"],
    ]

    sheet = parse_rows(registry, [SCALE_HEADER, *rows])

    assert column_values(sheet, "parent_item") == [None, None]
