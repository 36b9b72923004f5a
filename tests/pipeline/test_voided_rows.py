"""Data rows a remark calls void (pipeline/voided_rows.py): read as any other row unless the clerk is asked."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from pipeline.problems import Severity
from tests.pipeline.workbooks import COMPOUND_HEADER, compound_sheet, xlsx

UNIT = "枣林街道办事处"
DATA = [
    [1, "棉纺厂东院", "2.8650", 370, 1075.97, "完工"],
    [2, "市委小区", "1.9320", 249, 725.58, "在建"],
]


def parsed_with(registry, remarks: list[object], header: str = "备注"):
    """Parse a compound list (header on row 3, data from row 4) with a remark column holding `remarks`."""
    rows = compound_sheet(
        *([*row, remark] for row, remark in zip(DATA, remarks, strict=True)),
        header=[*COMPOUND_HEADER, header],
    )
    return parse_file(xlsx({"清单": rows}), f"{UNIT}/2022年清单.xlsx", registry)


@pytest.mark.parametrize(
    "remark", ["已作废", "作废", "此行取消", "项目已撤销", "删除", "作废（重复填报）", " 已作废。"]
)
@pytest.mark.parametrize("header", ["备注", "说明", "备 注"])
def test_a_row_its_remark_calls_void_is_an_error_on_its_row(registry, remark, header):
    parsed = parsed_with(registry, [None, remark], header)

    [error] = parsed.errors
    assert (error.severity, error.rule, error.excel_row, error.value) == (
        Severity.ERROR, "voided_row", 5, remark.strip()
    )  # fmt: skip
    assert "G列" in error.message_zh and "注明该行作废，但该行仍会按有效数据读取并计入" in error.message_zh


@pytest.mark.parametrize("remark", ["不再改造，取消", "取消外墙保温，改为屋面防水"])
def test_a_remark_that_may_void_the_row_is_a_warning_and_the_row_counts(registry, remark):
    parsed = parsed_with(registry, [remark, None])

    assert parsed.errors == []
    [warning] = parsed.warnings
    assert (warning.rule, warning.excel_row) == ("voided_row_maybe", 4)
    assert len(parsed.sheets[0].records) == len(DATA)


@pytest.mark.parametrize("remark", ["已验收", "新增加装电梯", "2022年12月完工", 2022])
def test_other_remarks_say_nothing(registry, remark):
    parsed = parsed_with(registry, [remark, None])

    assert parsed.all_problems == []
