"""What a sheet's header leaves unread (pipeline/header_checks.py): a column named twice, a filled column no column
reads, a second table below the first."""

from __future__ import annotations

import pytest

from pipeline.header import find_header
from pipeline.header_checks import check_header
from pipeline.layout import parse_sheet
from pipeline.parse import parse_file
from pipeline.parsed_sheet import ParsedSheet
from tests.pipeline.test_layout import DATA, LEDGER_HEADER, PROJECT, column_values, grid_of
from tests.pipeline.test_ticks import HEADER_ROW, MONITORING, UNIT, ticked_monitoring
from tests.pipeline.workbooks import COMPOUND_HEADER, compound_sheet, xlsx


def checked(registry, rows, fmt: str = "xlsx") -> ParsedSheet:
    """Read rows as one sheet and check its header, as parse_file does."""
    grid = grid_of(rows, fmt=fmt)
    match = find_header(grid, registry)
    sheet = parse_sheet(grid, match, registry)
    check_header(grid, match, sheet)
    return sheet


def test_a_required_column_missing_names_every_filled_column_it_may_be(registry):
    rows = [
        [*LEDGER_HEADER[:-1], "金额（调整前）（万元）", "金额（调整后）（万元）"],
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "1250.1", "1250.1"],
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "1786", "1800"],
    ]

    sheet = checked(registry, rows)

    [error] = [p for p in sheet.problems if p.rule == "missing_column"]
    assert (
        "E列“金额（调整前）（万元）”、F列“金额（调整后）（万元）”都不是本表的栏目，均未读取"
        in error.message_zh
    )
    assert error.fix == "请将应读取的一列的表头改为“金额”，并删去其余各列（或清空其内容）"


def test_amounts_split_into_a_column_per_kind_are_asked_to_be_one_column_beside_the_kind(registry):
    # A ledger kept as 到位金额 | 支付金额 was asked to keep one column and delete the other, losing every payment.
    rows = [
        ["日期", "项目名称", "资金来源", "到位金额（万元）", "支付金额（万元）", "余额（万元）"],
        ["2024-03-01", PROJECT, "中央补助资金", "1280.5", None, "1280.5"],
        ["2024-03-15", PROJECT, "中央补助资金", None, "560.25", "720.25"],
    ]

    sheet = checked(registry, rows)

    [error] = [p for p in sheet.problems if p.rule == "missing_column" and p.column_header == "金额"]
    assert error.message_zh == (
        "表头（第1行）缺少必填列「金额」；D列“到位金额（万元）”、E列“支付金额（万元）”是按「类型」分列填写的金额，"
        "均未读取，请增加「类型」列，在各行填写“到位”或“支付”，并把这几列合为一列「金额」（一行中几列都有数的，分成几行填写）。"
    )
    assert [p.column_header for p in sheet.problems if p.rule == "missing_column"] == ["类型", "金额"]


@pytest.mark.parametrize("rate", ["满意度（%）", "满意率(%)", "满意度"])
def test_a_survey_of_rates_alone_is_asked_for_its_counts_not_to_rename_the_rate(registry, rate):
    rows = [["年度：2022"], ["小区名称", "有效问卷（份）", rate], ["棉纺厂东院", "111", "92.79"]]

    sheet = checked(registry, rows)

    # Told 如C列即“不满意”，请将表头改为“不满意”, a clerk renaming it had 92 (%) read as 92 questionnaires.
    errors = [p for p in sheet.problems if p.rule == "missing_column"]
    assert [(p.column_header, p.fix) for p in errors] == [
        (head, f"请增加「{head}（份）」列，按行填写其数目（比率由数目计算，原列可保留，仅供核对）")
        for head in ("满意", "不满意")
    ]
    assert f"C列“{rate}”是比率，不能代替「满意」的数目" in errors[0].message_zh


def test_a_filled_column_headed_like_a_column_not_found_is_a_warning_naming_it(registry):
    header = [
        *COMPOUND_HEADER[:-1],
        "完工时间",
        "楼栋数",
    ]  # 完工日期 written otherwise; 楼栋数 like no column
    rows = [header, [1, "棉纺厂东院", "2.8650", "370", "1075.97", "2022-10-31", 12]]

    sheet = checked(registry, rows)

    [warning] = sheet.problems
    assert (warning.severity, warning.rule, warning.excel_row, warning.column_header) == (
        "warning", "unread_lookalike_column", 1, "完工时间"
    )  # fmt: skip
    assert "F列的表头不是本表的栏目，该列未读取；本表的“完工日期”未找到" in warning.message_zh


def test_an_unread_column_under_a_two_row_header_is_told_on_the_row_excel_shows_it_with_its_months(registry):
    rows, merges = ticked_monitoring(MONITORING)
    header = rows[HEADER_ROW - 1]
    # Merged over both header rows; 计划 is the plan, no 实际 (累计, once this test's word, now reads as 实际).
    header[header.index("1-7月实际完成情况")] = "1-7月计划完成情况"

    parsed = parse_file(xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/监控表.xlsx", registry)

    [warning] = [p for p in parsed.all_problems if p.rule == "unread_lookalike_column"]
    assert (warning.excel_row, warning.column_header) == (HEADER_ROW, "1-7月计划完成情况")
    assert warning.fix == "如该列即“1-7月实际完成情况”，请将表头改为“1-7月实际完成情况”"
    assert "本表的“1-7月实际完成情况”未找到" in warning.message_zh


def test_an_empty_column_headed_like_a_column_not_found_says_nothing(registry):
    rows = [[*COMPOUND_HEADER[:-1], "完工时间"], [1, "棉纺厂东院", "2.8650", "370", "1075.97", None]]

    assert checked(registry, rows).problems == []


def test_a_second_table_below_the_first_ones_footer_is_an_error_not_dropped(registry):
    rows = compound_sheet(
        *DATA, footer=[["填表人：张三"], [], COMPOUND_HEADER, [1, "石化小区", "1.1", "120", "300", "在建"]]
    )

    sheet = checked(registry, rows)

    assert [(p.severity, p.rule, p.excel_row) for p in sheet.problems] == [("error", "second_table", 8)]
    assert "第8行起还有一张“老旧小区改造项目清单”" in sheet.problems[0].message_zh
    assert column_values(sheet, "excel_row") == [4, 5]


@pytest.mark.parametrize("second", ["the same", "another"])
def test_a_second_list_beside_the_first_is_an_error_naming_where_it_starts(registry, second):
    # A second list pasted right of the first: the same figures were passed over without a word, other ones told as
    # columns named twice, which they are not.
    beside = [[2, "石化小区", "1.1", "120", "300", "在建"], [3, "棉纺厂家属院", "0.8", "96", "210", "已完工"]]
    other = DATA if second == "the same" else beside
    rows = [[*COMPOUND_HEADER, None, *COMPOUND_HEADER]] + [
        [*a, None, *b] for a, b in zip(DATA, other, strict=True)
    ]

    sheet = checked(registry, rows)

    assert [(p.severity, p.rule, p.excel_row) for p in sheet.problems] == [("error", "second_table", 1)]
    letter = "ABCDEFGHIJKLMNOP"[len(COMPOUND_HEADER) + 1]  # its 序号, after a gap
    assert f"第1行{letter}列起还有一张“老旧小区改造项目清单”" in sheet.problems[0].message_zh
    assert column_values(sheet, "excel_row") == [2, 3]


def test_columns_beside_the_table_naming_one_required_column_are_no_second_table(registry):
    rows = [[*COMPOUND_HEADER, None, "小区名称", "备注"]] + [[*row, None, row[1], "已核"] for row in DATA]

    sheet = checked(registry, rows)

    assert "second_table" not in {p.rule for p in sheet.problems}


@pytest.mark.parametrize("column", [0, 1])
@pytest.mark.parametrize("header_again", [False, True])
def test_a_second_projects_list_under_the_first_ones_rows_is_an_error_not_counted_as_the_first(
    registry, column, header_again
):
    # Its `项目名称：` line in the 序号 column was passed over as an unused row: the second project's compounds were
    # read as the first's with nothing said (in the 小区名称 column, it was told as a row split over two).
    line = [None] * column + ["项目名称：新华街道老旧小区改造"]
    rows = [
        ["填报单位：枣林街道办事处"],
        ["项目名称：枣林街道办事处改造老旧小区"],
        COMPOUND_HEADER,
        *DATA,
        line,
        *([COMPOUND_HEADER] if header_again else []),
        [1, "石化小区", "1.1", "120", "300", "在建"],
    ]

    sheet = checked(registry, rows)

    [error] = [p for p in sheet.problems if p.severity == "error"]
    assert (error.rule, error.excel_row) == ("second_table", 6)
    assert (
        "第6行“项目名称：新华街道老旧小区改造”写在表格中间，与表格上方的“项目名称：枣林街道办事处改造老旧小区”不同"
        in (error.message_zh)
    )


def test_the_project_line_repeated_under_its_rows_as_a_pages_heading_is_passed_over(registry):
    rows = [
        ["项目名称：枣林街道办事处改造老旧小区"],
        COMPOUND_HEADER,
        DATA[0],
        ["项目名称：枣林街道办事处改造老旧小区"],
        DATA[1],
    ]

    sheet = checked(registry, rows)

    assert sheet.problems == []
    assert column_values(sheet, "excel_row") == [3, 5]


def test_a_footer_naming_a_column_in_a_sentence_is_no_second_table(registry):
    rows = compound_sheet(*DATA, footer=[["说明：小区名称、改造面积、惠及户数按实填写"]])

    assert checked(registry, rows).problems == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_finer_grade_beside_a_read_count_is_a_warning_naming_the_column_read(registry, fmt):
    header = [
        "小区名称",
        "有效问卷（份）",
        "非常满意（份）",
        "满意（份）",
        "基本满意（份）",
        "不满意（份）",
        "非常不满意",
    ]
    rows = [header, ["棉纺厂东院", 111, 42, 42, 19, 6, "2份"], ["市委小区", 75, 29, 29, 12, 5, 0]]

    sheet = checked(registry, rows, fmt)

    told = {p.column_header: p for p in sheet.problems if p.rule == "unread_finer_column"}
    assert set(told) == {"非常满意（份）", "非常不满意"}
    assert (
        "C列的表头不是本表的栏目，该列未读取；本表的“满意”只读取了D列“满意（份）”"
        in told["非常满意（份）"].message_zh
    )
    assert (
        told["非常不满意"].fix == "如该列的数应计入“不满意”，请将其并入F列后删去该列；如不应计入，请删去该列"
    )


def test_a_rate_or_words_beside_the_counts_read_is_no_finer_grade(registry):
    header = [
        "小区名称",
        "有效问卷（份）",
        "满意（份）",
        "基本满意（份）",
        "不满意（份）",
        "满意度",
        "满意率",
        "不满意原因",
    ]
    rows = [
        header,
        ["棉纺厂东院", 111, 84, 19, 8, "92.79%", 93, "停车难"],
        ["市委小区", 75, 58, 12, 5, 0.9333, 93.33, None],
    ]

    assert [p for p in checked(registry, rows).problems if p.rule.startswith("unread_")] == []
