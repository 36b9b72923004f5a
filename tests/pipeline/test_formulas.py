"""Formula cells an .xlsx or .xls saved without their result (pipeline/formulas.py), and what the receipt says of
them."""

from __future__ import annotations

import io
import struct
import zipfile
from decimal import Decimal

from pipeline.formulas import unsaved_formulas
from pipeline.parse import parse_file
from pipeline.problems import Severity
from pipeline.xlsx_parts import OpenXlsx
from tests.pipeline.workbooks import (
    COMPOUND_HEADER,
    national_self_evaluation,
    xls,
    xls_formula,
    xlsx,
    zips_opened,
)

SHEET = "清单"
ROWS = [["年度：2022"], COMPOUND_HEADER, [1, "棉纺厂东院", "2.8650", "370", "=1000+75.97", "在建"]]


def _with_values(content: bytes, old: bytes, new: bytes) -> bytes:
    """Return the workbook with `old` replaced by `new` in its worksheets' XML, as Excel would have saved it."""
    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as written:
        for info in source.infolist():
            data = source.read(info)
            written.writestr(info, data.replace(old, new) if "worksheets/" in info.filename else data)
    return target.getvalue()


def test_a_formula_saved_without_its_result_is_found_by_its_cell():
    assert unsaved_formulas(xlsx({SHEET: ROWS}), SHEET) == {"E3"}
    assert unsaved_formulas(xlsx({SHEET: ROWS}), "另一张") == set()


def test_a_formula_saved_with_its_result_is_not():
    saved = _with_values(xlsx({SHEET: ROWS}), b"<v></v>", b"<v>1075.97</v>")
    assert unsaved_formulas(saved, SHEET) == set()


def test_a_formula_excel_computed_to_the_empty_string_is_no_unsaved_one():
    # `=IF(B3="","",B3*2)` saved by Excel: a text result, `t="str"`, with an empty value; the cell shows blank.
    computed = _with_values(xlsx({SHEET: ROWS}), b'<c r="E3"', b'<c t="str" r="E3"')
    assert unsaved_formulas(xlsx({SHEET: ROWS}), SHEET) == {"E3"}
    assert unsaved_formulas(computed, SHEET) == set()


def test_a_required_cell_read_empty_for_an_unsaved_formula_tells_the_clerk_why(registry):
    parsed = parse_file(xlsx({SHEET: ROWS}), "枣林街道办事处/清单.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header) == ("required", 3, "计划投资（万元）")
    assert "该单元格是公式，但文件中没有保存公式的计算结果" in error.message_zh
    assert "未填写" not in error.message_zh


def test_an_xlsx_is_opened_once_for_its_error_values_and_unsaved_formulas(registry, monkeypatch):
    content = xlsx({SHEET: [*ROWS, [2, "市委小区", "1.9320", "#REF!", "725.58", "在建"]]})
    opened = zips_opened(monkeypatch)

    parsed = parse_file(content, "枣林街道办事处/清单.xlsx", registry)

    assert [(e.rule, e.excel_row, e.value) for e in parsed.errors] == [
        ("required", 3, None),
        ("formula_error", 4, "#REF!"),
    ]
    assert "该单元格是公式，但文件中没有保存公式的计算结果" in parsed.errors[0].message_zh
    # The limits survey's opening serves the error values and the formulas too: openpyxl opened it again, and so
    # did the search for unsaved formulas.
    assert len(opened) == 1


def test_the_open_zip_given_finds_what_the_content_does():
    content = xlsx({SHEET: ROWS, "另一张": ROWS})

    for sheet in (SHEET, "另一张", "没有的表"):
        assert unsaved_formulas(content, sheet, xlsx=OpenXlsx(content)) == unsaved_formulas(content, sheet)


def test_an_optional_cell_read_empty_for_an_unsaved_formula_is_an_error_not_a_blank(registry):
    # 基本满意 computed as 有效问卷 less the rest: read as blank it would count 0, and the sums would blame 有效问卷.
    header = ["小区名称", "有效问卷（份）", "满意（份）", "基本满意（份）", "不满意（份）"]
    rows = [["年度：2022"], header, ["棉纺厂东院", 100, 80, "=B3-C3-E3", 5], ["市委小区", 60, 50, 5, 5]]

    parsed = parse_file(xlsx({"调查": rows}), "枣林街道办事处/满意度调查.xlsx", registry)

    assert parsed.templates == ["satisfaction_survey"]
    assert [(e.rule, e.excel_row, e.column_header) for e in parsed.errors] == [
        ("formula_unsaved", 3, "基本满意（份）")
    ]
    assert "请在Excel或WPS中打开该文件并保存后重新报送" in parsed.errors[0].message_zh


def test_a_forms_figures_read_empty_for_unsaved_formulas_are_errors_on_their_cells_not_blanks(registry, demo):
    # Read as blank, 全年执行数 and 执行率 were lost, 预算执行率 scored 0 and 总分 went unchecked, the file accepted.
    rows, merges = national_self_evaluation(demo.TARGETS)
    budget = next(n for n, row in enumerate(rows, start=1) if row[1] == "年度资金总额")
    total = next(n for n, row in enumerate(rows, start=1) if row[0] == "总分")
    rows[budget - 1][4] = "=1500+72.36"
    rows[budget - 1][6] = f"=E{budget}/D{budget}"
    rows[total - 1][7] = f"=SUM(H{budget}:H{total - 1})"

    parsed = parse_file(
        xlsx({"自评表": rows}, merges={"自评表": merges}), "枣林街道办事处/自评表.xlsx", registry
    )

    assert sorted((e.rule, e.excel_row, e.column_header) for e in parsed.errors) == [
        ("formula_unsaved", budget, "年度资金总额·执行率（G列）"),
        ("formula_unsaved", total, "总分·得分（H列）"),
    ]
    # 全年执行数 is read from the 其中 row under it, and its formula told as a total that could not be checked.
    assert parsed.sheets[0].records[0]["budget_executed_wan"] == Decimal("1570.00")
    # Not told 未填写 as well: the clerk sees a number in each of these cells.
    assert [(p.rule, p.column_header) for p in parsed.warnings if p.excel_row == budget] == [
        ("total_unsaved", "年度资金总额·全年执行数（E列）")
    ]


def test_a_forms_field_left_blank_is_no_unsaved_formula(registry, demo):
    rows, merges = national_self_evaluation(demo.TARGETS)
    budget = next(n for n, row in enumerate(rows, start=1) if row[1] == "年度资金总额")
    rows[budget - 1][6] = None  # 执行率 left blank, beside a formula elsewhere in the workbook
    rows[budget - 1][8] = "=1+1"

    parsed = parse_file(
        xlsx({"自评表": rows}, merges={"自评表": merges}), "枣林街道办事处/自评表.xlsx", registry
    )

    assert parsed.errors == []
    assert [(w.rule, w.excel_row) for w in parsed.warnings] == [("rate_blank", budget)]


def test_a_total_row_of_formulas_saved_without_results_is_told_unchecked_and_its_rows_are_read(registry):
    # Passed over as a 合计 and read as blank, the total went unchecked without a word.
    rows = [
        ["年度：2022"],
        COMPOUND_HEADER,
        [1, "棉纺厂东院", "2.8650", "370", "1075.97", "在建"],
        [2, "市委小区", "1.2000", "150", "500", "在建"],
        ["合计", None, "=SUM(C3:C4)", "=SUM(D3:D4)", "=SUM(E3:E4)", None],
    ]

    parsed = parse_file(xlsx({SHEET: rows}), "枣林街道办事处/清单.xlsx", registry)

    assert parsed.errors == []
    [sheet] = parsed.sheets
    assert [r["excel_row"] for r in sheet.records] == [3, 4]
    told = [(p.rule, p.excel_row, p.column_header) for p in parsed.warnings if p.rule == "total_unsaved"]
    assert told == [
        ("total_unsaved", 5, COMPOUND_HEADER[2]),
        ("total_unsaved", 5, COMPOUND_HEADER[3]),
        ("total_unsaved", 5, COMPOUND_HEADER[4]),
    ]
    assert "无法与明细行之和核对" in parsed.warnings[-1].message_zh


def test_a_total_row_left_blank_is_not_told_as_a_formula(registry):
    rows = [["年度：2022"], COMPOUND_HEADER, [1, "棉纺厂东院", "2.8650", "370", "1075.97", "在建"], ["合计"]]

    parsed = parse_file(xlsx({SHEET: rows}), "枣林街道办事处/清单.xlsx", registry)

    assert [p.rule for p in parsed.problems if p.rule == "total_unsaved"] == []


# --- an .xls (BIFF8): a FORMULA record whose result is an empty string, as xlwt and other programs save them -------
XLS_EMPTY_RESULT = b"\x03\x00\x00\x00\x00\x00\xff\xff"  # result type 3, an empty string, then 0xFFFF
XLS_ROWS = [
    ["年度：2022"],
    COMPOUND_HEADER,
    [1, "棉纺厂东院", "2.8650", "370", xls_formula("1000+75.97"), "在建"],
]


def test_an_xls_formula_saved_with_an_empty_result_is_found_by_its_cell():
    assert unsaved_formulas(xls({SHEET: XLS_ROWS, "另一张": [["备注"]]}), SHEET, "xls") == {"E3"}
    assert unsaved_formulas(xls({SHEET: XLS_ROWS, "另一张": [["备注"]]}), "另一张", "xls") == set()


def test_an_xls_formula_saved_with_its_result_is_not(registry):
    content = xls({SHEET: XLS_ROWS})
    assert content.count(XLS_EMPTY_RESULT) == 1
    saved = content.replace(XLS_EMPTY_RESULT, struct.pack("<d", 1075.97))  # as Excel saves it, computed
    assert unsaved_formulas(saved, SHEET, "xls") == set()
    assert parse_file(saved, "枣林街道办事处/清单.xls", registry).errors == []


def test_an_xls_required_cell_read_empty_for_an_unsaved_formula_tells_the_clerk_why(registry):
    # The clerk sees 1075.97 in Excel or WPS, which compute it on opening; the file holds no result.
    parsed = parse_file(xls({SHEET: XLS_ROWS}), "枣林街道办事处/清单.xls", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header) == ("required", 3, "计划投资（万元）")
    # The record cannot tell it from a formula Excel computed to "": the clerk is told both.
    assert "该单元格是公式，文件中保存的计算结果为空" in error.message_zh
    assert "如它在Excel或WPS中显示有数值，请打开文件保存后重新报送" in error.message_zh


def test_an_xls_optional_cell_and_total_row_of_unsaved_formulas_are_told_as_in_an_xlsx_but_asked(registry):
    # Read as blank, 基本满意 counted 0 and the sums blamed 有效问卷; the 合计 went unchecked without a word.
    header = ["小区名称", "有效问卷（份）", "满意（份）", "基本满意（份）", "不满意（份）"]
    rows = [
        ["年度：2022"],
        header,
        ["棉纺厂东院", 100, 80, "=B3-C3-E3", 5],
        ["市委小区", 60, 50, 5, 5],
        ["合计", "=SUM(B3:B4)", "=SUM(C3:C4)", "=SUM(D3:D4)", "=SUM(E3:E4)"],
    ]
    as_xls = [
        [xls_formula(c[1:]) if isinstance(c, str) and c.startswith("=") else c for c in r] for r in rows
    ]

    told = []
    for content, name in (
        (xlsx({"调查": rows}), "满意度调查.xlsx"),
        (xls({"调查": as_xls}), "满意度调查.xls"),
    ):
        parsed = parse_file(content, f"枣林街道办事处/{name}", registry)
        told.append([(p.rule, p.severity, p.excel_row, p.column_header) for p in parsed.all_problems])

    # The same cells; an .xls's optional one asked (a warning), as it may be Excel's computed "" (`=IF(…,"",…)`).
    assert [(t[0], t[2], t[3]) for t in told[1]] == [(t[0], t[2], t[3]) for t in told[0]]
    assert ("formula_unsaved", Severity.ERROR, 3, "基本满意（份）") in told[0]
    assert ("formula_unsaved", Severity.WARNING, 3, "基本满意（份）") in told[1]
    assert [t[3] for t in told[1] if t[0] == "total_unsaved"] == header[1:]
