"""A row whose required cells are all merged down from the row above, adding text alone (pipeline/merged_rows.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.workbooks import COMPOUND_HEADER, compound_sheet, xls, xlsx

UNIT = "枣林街道办事处"
HEADER = [*COMPOUND_HEADER[:5], "改造内容", "改造状态"]
# 棉纺厂东院 over rows 4 and 5, its 序号, name, area, households and investment merged down, row 5 adding a 改造内容.
ROWS = compound_sheet(
    [1, "棉纺厂东院", "1.25", "320", "410.5", "屋面防水", "在建"],
    [None, None, None, None, None, "雨污管网改造", None],
    [2, "纺机小区", "2.1", "508", "702.35", "加装电梯", "已完工"],
    ["合计", None, "3.35", "828", "1112.85"],
    header=HEADER,
)
MERGES = {"清单": ["A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:E5", "G4:G5"]}


@pytest.mark.parametrize("write", [xlsx, xls])
def test_a_row_adding_only_text_under_a_merged_compound_is_that_compounds(registry, write):
    parsed = parse_file(write({"清单": ROWS}, merges=MERGES), f"{UNIT}/2022年清单.xlsx", registry)

    # It was returned: 棉纺厂东院 named twice, and row 5's 面积, 户数 and 投资 unfilled, to be unmerged and filled in
    # each row, which would have counted the compound twice. The join is said, so a second compound under figures
    # merged too far is not lost unsaid.
    assert parsed.errors == []
    [joined] = parsed.all_problems
    assert (joined.severity, joined.rule, joined.excel_row, joined.column_header) == (
        "warning",
        "merged_row_joined",
        5,
        "改造内容",
    )
    assert "第4行“棉纺厂东院”的一部分" in joined.message_zh
    assert "“屋面防水；雨污管网改造”" in joined.message_zh and "请取消合并单元格" in joined.message_zh
    [sheet] = parsed.sheets
    assert [
        (r["excel_row"], r["compound_name"], r["area_m2"], r["households"], r["renovation_content"])
        for r in sheet.records
    ] == [
        (4, "棉纺厂东院", Decimal("12500"), 320, "屋面防水；雨污管网改造"),
        (6, "纺机小区", Decimal("21000"), 508, "加装电梯"),
    ]


def test_a_row_under_merged_figures_with_a_figure_of_its_own_is_still_asked_about(registry):
    # Its own 改造状态 may be another compound's, or the same compound's part: not read into the row above.
    rows = [list(row) for row in ROWS]
    rows[4][6] = "未开工"
    merges = {"清单": [m for m in MERGES["清单"] if not m.startswith("G")]}

    parsed = parse_file(xlsx({"清单": rows}, merges=merges), f"{UNIT}/2022年清单.xlsx", registry)

    assert [(p.rule, p.excel_row, p.column_header) for p in parsed.errors] == [
        ("required", 5, header) for header in HEADER[2:5]
    ]
