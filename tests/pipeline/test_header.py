from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from pipeline.cell_refs import column_letter
from pipeline.header import _Matcher, find_header
from pipeline.header_match import header_text
from pipeline.parse import parse_file
from pipeline.registry import REGISTRY_DIR, load_registry
from tests.pipeline.test_layout import LEDGER_HEADER, SCALE_HEADER, column_values, grid_of, parse_rows
from tests.pipeline.workbooks import COMPOUND_HEADER, PROGRESS_HEADER, compound_sheet

# --- finding the header -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "template_id"),
    [
        (["项目编码", "项目名称", "项目类型", "实施单位", "计划总投资（万元）"], "project_register"),
        (COMPOUND_HEADER, "compound_list"),
        (LEDGER_HEADER, "fund_ledger"),
        (PROGRESS_HEADER, "investment_progress"),
        (["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"], "performance_targets"),
        (
            ["调查对象", "有效问卷（份）", "满意（份）", "基本满意（份）", "不满意（份）"],
            "satisfaction_survey",
        ),
        (SCALE_HEADER, "scale_and_cost"),
    ],
)
def test_each_template_is_recognised_by_its_header_row(registry, header, template_id):
    match = find_header(grid_of([header]), registry)
    assert match is not None
    assert match.template.id == template_id
    assert (match.first_row, match.last_row) == (0, 0)


def test_header_on_row_1_binds_every_column_with_its_letter_and_unit(registry):
    sheet = parse_rows(registry, [COMPOUND_HEADER, [1, "市委小区", "1.932", "249", "725.58", "在建"]])
    assert sheet.header_rows == (1, 1)
    assert [(b.column.name, b.letter, b.header, b.unit) for b in sheet.bindings] == [
        ("seq", "A", "序号", None),
        ("compound_name", "B", "小区名称", None),
        ("area_m2", "C", "改造面积（万平方米）", "万平方米"),
        ("households", "D", "惠及户数（户）", "户"),
        ("planned_investment_wan", "E", "计划投资（万元）", "万元"),
        ("status", "F", "改造状态", None),
    ]
    assert column_values(sheet, "excel_row") == [2]


def test_header_on_row_10_below_title_metadata_and_blank_rows(registry):
    rows = [
        ["枣林街道办事处2022年老旧小区改造项目清单"],
        [],
        ["填报单位：枣林街道办事处（盖章）"],
        ["填报日期：2023年1月5日"],
        ["项目名称：枣林街道办事处改造老旧小区"],
        [],
        ["单位：万元"],
        [],
        [],
        COMPOUND_HEADER,
        [1, "市委小区", "1.932", "249", "725.58", "在建"],
    ]
    sheet = parse_rows(registry, rows)
    assert sheet.header_rows == (10, 10)
    assert column_values(sheet, "excel_row") == [11]
    assert (sheet.meta.unit, sheet.meta.project, sheet.meta.title_year, sheet.meta.money_unit) == (
        "枣林街道办事处",
        "枣林街道办事处改造老旧小区",
        2022,
        "万元",
    )


def test_header_on_row_13_is_matched_and_beyond_row_30_is_not(registry):
    data = [1, "市委小区", "1.932", "249", "725.58", "在建"]
    assert find_header(grid_of([["说明文字"]] * 12 + [COMPOUND_HEADER, data]), registry).first_row == 12
    assert find_header(grid_of([["说明文字"]] * 30 + [COMPOUND_HEADER, data]), registry) is None


def test_header_on_row_31_is_not_matched(registry):
    rows = [["说明文字"]] * 30 + [COMPOUND_HEADER, [1, "市委小区", "1.932", "249", "725.58", "在建"]]
    assert find_header(grid_of(rows), registry) is None


def test_header_on_row_31_below_a_unit_note_is_not_matched(registry):
    rows = [["说明文字"]] * 29 + [
        [None] * 7 + ["单位：万元"],
        COMPOUND_HEADER,
        [1, "市委小区", "1.932", "249", "725.58", "在建"],
    ]
    assert find_header(grid_of(rows), registry) is None


def test_a_unit_note_right_of_the_table_just_above_the_header_is_metadata(registry):
    rows = [
        ["老旧小区改造项目清单"],
        [None, None, None, None, "单位：元"],
        ["小区名称", "改造面积（㎡）", "惠及户数", "计划投资"],
        ["市委小区", 19320, 249, 7255800],
    ]
    sheet = parse_rows(registry, rows)
    assert sheet.header_rows == (3, 3)
    assert sheet.meta.money_unit == "元"
    assert column_values(sheet, "planned_investment_wan") == [Decimal("725.58")]


def test_sheet_without_enough_template_columns_is_not_matched(registry):
    assert find_header(grid_of([["序号", "小区名称", "备注"], [1, "市委小区", ""]]), registry) is None


def test_title_merged_across_the_width_is_a_title_not_a_header(registry):
    rows = compound_sheet([1, "市委小区", "1.932", "249", "725.58", "在建"], unit_line=None)
    sheet = parse_rows(registry, rows, merges=["A1:F1"])
    assert sheet.header_rows == (2, 2)
    assert sheet.meta.title_year == 2022
    assert column_values(sheet, "compound_name") == ["市委小区"]


def test_header_cells_with_line_breaks_and_spaces_still_match_and_keep_their_text(registry):
    header = ["序号", "小区\n名称", "改造面积\n（万平方米）", "惠及 户数（户）", "计划投资 (万元)"]
    sheet = parse_rows(registry, [header, [1, "市委小区", "1.932", "249", "725.58"]])
    assert [b.header for b in sheet.bindings] == [
        "序号",
        "小区名称",
        "改造面积（万平方米）",
        "惠及 户数（户）",
        "计划投资 (万元)",
    ]
    assert sheet.records[0]["households"] == 249


def test_header_with_required_marks_and_aliases_matches(registry):
    header = ["*小区名", "*改造建筑面积（㎡）", "*涉及户数", "*投资额（万元）"]
    sheet = parse_rows(registry, [header, ["市委小区", "19320", "249", "725.58"]])
    assert [b.column.name for b in sheet.bindings] == [
        "compound_name",
        "area_m2",
        "households",
        "planned_investment_wan",
    ]
    assert sheet.problems == []


# --- two-row headers ----------------------------------------------------------------------------

TWO_ROW_TOP = ["序号", "小区名称", "改造规模", None, "计划投资（万元）"]
TWO_ROW_BOTTOM = [None, None, "改造面积（万平方米）", "惠及户数（户）", None]
TWO_ROW_SHEET = [
    ["枣林街道办事处2022年老旧小区改造项目清单"],
    TWO_ROW_TOP,
    TWO_ROW_BOTTOM,
    [1, "棉纺厂东院", "2.8650", "370", "1075.97"],
    [2, "市委小区", "1.9320", "249", "725.58"],
]
TWO_ROW_MERGES = ["A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"]


@pytest.mark.parametrize(
    ("fmt", "merges"),
    [("xlsx", TWO_ROW_MERGES), ("xls", TWO_ROW_MERGES), ("csv", ()), ("xlsx", ())],
    ids=["xlsx-merged", "xls-merged", "csv-unmerged", "xlsx-unmerged"],
)
def test_two_row_header_binds_sub_headers_and_vertically_merged_columns(registry, fmt, merges):
    sheet = parse_rows(registry, TWO_ROW_SHEET, fmt=fmt, merges=merges)
    assert [(b.column.name, b.header) for b in sheet.bindings] == [
        ("seq", "序号"),
        ("compound_name", "小区名称"),
        ("area_m2", "改造面积（万平方米）"),
        ("households", "惠及户数（户）"),
        ("planned_investment_wan", "计划投资（万元）"),
    ]
    assert sheet.header_rows[1] == 3
    assert column_values(sheet, "excel_row") == [4, 5]
    assert column_values(sheet, "area_m2") == [Decimal(28650), Decimal(19320)]
    assert column_values(sheet, "households") == [370, 249]
    assert sheet.problems == []


def test_two_row_header_without_merges_reports_both_rows(registry):
    sheet = parse_rows(registry, TWO_ROW_SHEET, fmt="csv")
    assert sheet.header_rows == (2, 3)


def test_two_row_merged_header_reports_both_rows(registry):
    sheet = parse_rows(registry, TWO_ROW_SHEET, merges=TWO_ROW_MERGES)
    assert sheet.header_rows == (2, 3)


def test_sub_headers_named_only_with_their_group_header_are_read_with_it(registry):
    # 完成投资（万元） merged over 本月 | 自年初累计: the columns are 本月完成投资 and 自年初累计完成投资, in 万元.
    rows = [
        ["项目名称", "年度", "月份", "年度计划投资（万元）", "完成投资（万元）", None],
        [None, None, None, None, "本月", "自年初累计"],
        ["甲项目", 2022, 1, "15000", "3000", "3000"],
        ["甲项目", 2022, 2, "15000", "4000", "7000"],
    ]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:F1"]
    sheet = parse_rows(registry, rows, merges=merges)
    assert sheet.template.id == "investment_progress" and sheet.problems == []
    assert [(b.column.name, b.header, b.unit) for b in sheet.bindings if b.index >= 4] == [
        ("monthly_completed_wan", "本月完成投资（万元）", "万元"),
        ("cumulative_completed_wan", "自年初累计完成投资（万元）", "万元"),
    ]
    assert column_values(sheet, "cumulative_completed_wan") == [Decimal(3000), Decimal(7000)]


@pytest.mark.parametrize("total", ["合计", "小计", "合 计"])
def test_a_group_header_over_its_total_and_parts_is_read_from_the_total(registry, total):
    # 计划投资（万元） merged over 合计 | 其中：中央补助: the column is the 合计, in 万元; the part is no column of the
    # template. Read as a one-row header, the sub-header row was data and the file returned for `合计` as a number.
    rows = [
        ["序号", "小区名称", "改造面积（平方米）", "惠及户数（户）", "计划投资（万元）", None, "改造状态"],
        [None, None, None, None, total, "其中：中央补助", None],
        [1, "棉纺厂东院", 12000, 300, 500, 200, "已完工"],
        [2, "机械厂家属院", 8000, 200, 300, 100, "在建"],
    ]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "G1:G2", "E1:F1"]
    sheet = parse_rows(registry, rows, merges=merges)
    assert sheet.template.id == "compound_list" and sheet.problems == []
    assert sheet.header_rows == (1, 2)
    planned = next(b for b in sheet.bindings if b.column.name == "planned_investment_wan")
    assert (planned.index, planned.header, planned.unit) == (4, "计划投资（万元）", "万元")
    assert 5 not in {i for b in sheet.bindings for i in b.indices}
    assert column_values(sheet, "planned_investment_wan") == [Decimal(500), Decimal(300)]
    assert column_values(sheet, "excel_row") == [3, 4]


def test_a_group_header_over_parts_alone_names_no_column(registry):
    # 其中 parts without their total: no column holds the group's amount, so none is read as it.
    rows = [
        ["序号", "小区名称", "改造面积（平方米）", "惠及户数（户）", "计划投资（万元）", None, "改造状态"],
        [None, None, None, None, "其中：中央补助", "其中：区级配套", None],
        [1, "棉纺厂东院", 12000, 300, 200, 300, "已完工"],
    ]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:D2", "G1:G2", "E1:F1"]
    match = find_header(grid_of(rows, merges=merges), registry)
    assert match is not None and match.template.id == "compound_list"
    assert "planned_investment_wan" not in {b.column.name for b in match.bindings}


# A header whose row names one label of its own: the others reach it through cells merged down from above.
MERGED_DOWN_SHEET = [
    ["枣林街道办事处2022年老旧小区改造项目清单"],
    ["序号", "小区名称", "改造规模", "惠及户数（户）", "计划投资（万元）"],
    [None, None, "改造面积（万平方米）", None, None],
    [1, "棉纺厂东院", "2.8650", "370", "1075.97"],
]
MERGED_DOWN_MERGES = ["A1:E1", "A2:A3", "B2:B3", "D2:D3", "E2:E3"]


@pytest.mark.parametrize(
    ("rows", "merges"),
    [
        (TWO_ROW_SHEET, TWO_ROW_MERGES),
        (TWO_ROW_SHEET, ()),
        (MERGED_DOWN_SHEET, MERGED_DOWN_MERGES),
        (compound_sheet([1, "市委小区", "1.932", "249", "725.58", "在建"]), ["A1:F1"]),
        ([["说明文字"]] * 12 + [COMPOUND_HEADER, [1, "市委小区", "1.932", "249", "725.58", "在建"]], ()),
        ([["序号", "小区名称", "备注"], [1, "市委小区", ""]], ()),
    ],
    ids=["two-row-merged", "two-row", "merged-down", "titled", "row-13", "unmatched"],
)
def test_rows_passed_over_for_naming_too_few_labels_change_no_match(registry, monkeypatch, rows, merges):
    grid = grid_of(rows, merges=merges)
    quick = find_header(grid, registry)
    # Every row pair built and bound, as before rows were passed over.
    monkeypatch.setattr(_Matcher, "label_columns", lambda self, grid, row, merged: set(range(99)))
    full = find_header(grid, registry)
    assert (quick is None) == (full is None)
    if full is not None:
        assert (quick.template.id, quick.first_row, quick.last_row, quick.bindings) == (
            full.template.id,
            full.first_row,
            full.last_row,
            full.bindings,
        )


def test_labels_merged_down_into_the_header_row_count_for_it(registry):
    match = find_header(grid_of(MERGED_DOWN_SHEET, merges=MERGED_DOWN_MERGES), registry)
    assert match is not None
    assert {"compound_name", "area_m2", "households", "planned_investment_wan"} <= {
        b.column.name for b in match.bindings
    }


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter_counts_like_excel(index, letter):
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("惠及\n户数（户）", "惠及户数（户）"),
        ("惠及\n户数", "惠及户数"),
        ("资金\n来源", "资金来源"),
        (" 小区名称 ", "小区名称"),
        (None, ""),
        (2022, ""),
        # A last line that is a unit alone is kept apart, for split_header to read as the unit.
        ("改造面积\n万平方米", "改造面积 万平方米"),
        ("计划\n投资\n万元", "计划投资 万元"),
        ("完成率\n%", "完成率 %"),
    ],
)
def test_header_text_removes_line_breaks_inside_a_cell_but_before_a_unit(cell, text):
    assert header_text(cell) == text


def test_a_header_two_templates_fit_equally_is_read_as_neither_naming_both(tmp_path):
    # Only a registry edited by hand does it: fund_ledger's aliases repeat investment_progress's columns.
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    ledger = tmp_path / "registry" / "sources" / "fund_ledger.yaml"
    text = ledger.read_text(encoding="utf-8")
    for old, new in (
        ("aliases: [资金金额]", "aliases: [资金金额, 本月完成投资]"),
        ("aliases: [到位日期, 支付日期, 发生日期]", "aliases: [到位日期, 支付日期, 发生日期, 月份]"),
        ("    header: 资金来源\n", "    header: 资金来源\n    aliases: [年度]\n"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    ledger.write_text(text, encoding="utf-8")
    edited = load_registry(tmp_path / "registry")
    content = "填报单位：枣林街道办事处\n项目名称,年度,月份,本月完成投资\n测试项目,2024,3,10\n".encode()

    parsed = parse_file(content, "枣林街道办事处/2024年3月投资完成情况月报.csv", edited)

    # Before, the first template by id was taken with nothing said: read as a 项目资金到位及支付台账.
    assert parsed.sheets == []
    [error] = parsed.errors
    assert (error.rule, error.excel_row) == ("template_tied", 2)
    assert "同时符合“项目资金到位及支付台账”和“投资完成情况月报”两种报表模板" in error.message_zh
