"""A column named twice, or headed as a read column's revision, beside the column read
(pipeline/repeated_columns.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.pipeline.test_header_checks import checked
from tests.pipeline.test_layout import LEDGER_HEADER, PROJECT, column_values


def _ledger_twice(second: list[object]) -> list[list[object]]:
    """A fund ledger with a second 金额（万元） column in F holding `second`, row by row."""
    amounts = ["1250.1", "1786"]
    return [
        [*LEDGER_HEADER, "金额（万元）"],
        *(
            ["2022-03-01", PROJECT, "中央补助资金", "到位", amount, other]
            for amount, other in zip(amounts, second, strict=True)
        ),
    ]


def test_a_column_named_twice_whose_cells_differ_is_an_error_naming_both_columns(registry):
    sheet = checked(registry, _ledger_twice(["1250.1", "1800"]))

    [error] = sheet.problems
    assert (error.severity, error.rule, error.excel_row, error.column_header) == (
        "error", "repeated_column", 1, "金额（万元）"
    )  # fmt: skip
    assert "在E列和F列各出现一次，两列的值不同（第3行：E列为“1786”，F列为“1800”）" in error.message_zh


@pytest.mark.parametrize("second", [["1250.1", "1786"], [None, None], ["1250.1", None]])
def test_a_column_named_twice_with_the_same_cells_or_none_reads_as_one(registry, second):
    sheet = checked(registry, _ledger_twice(second))

    assert sheet.problems == []
    assert column_values(sheet, "amount_wan") == [Decimal("1250.1"), Decimal("1786")]


def test_a_first_column_left_empty_beside_a_filled_one_of_the_same_name_is_an_error(registry):
    rows = _ledger_twice(["1250.1", "1786"])
    for row in rows[1:]:
        row[4] = None

    sheet = checked(registry, rows)

    [repeated] = [p for p in sheet.problems if p.rule == "repeated_column"]
    assert "E列为空，F列为“1250.1”" in repeated.message_zh


def _ledger_revised(header: str, second: list[object]) -> list[list[object]]:
    """A fund ledger with a column F headed `header` beside its 金额（万元） in E, holding `second` row by row."""
    rows = _ledger_twice(second)
    rows[0][-1] = header
    return rows


@pytest.mark.parametrize(
    ("header", "word"),
    [
        ("金额（调整后）（万元）", "调整后"),
        ("金额（万元）（调整后）", "调整后"),
        ("调整后金额（万元）", "调整后"),
        ("核定金额", "核定"),
        ("金额审定数（万元）", "审定数"),
    ],
)
def test_a_filled_column_headed_as_a_read_columns_revision_that_differs_is_an_error(registry, header, word):
    sheet = checked(registry, _ledger_revised(header, ["1250.1", "1800"]))

    [error] = sheet.problems
    assert (error.severity, error.rule, error.excel_row, error.column_header) == (
        "error", "repeated_column", 1, header
    )  # fmt: skip
    assert f"F列“{header}”是E列“金额（万元）”的{word}数，两列的值不同（第3行：E列为“1786”，F列为“1800”）" in (
        error.message_zh
    )
    assert "将F列的表头改为“金额”" in error.fix


@pytest.mark.parametrize("second", [["1250.1", "1786"], [None, None]])
def test_a_revised_column_holding_the_read_ones_values_or_nothing_says_nothing(registry, second):
    sheet = checked(registry, _ledger_revised("金额（调整后）（万元）", second))

    assert sheet.problems == []
    assert column_values(sheet, "amount_wan") == [Decimal("1250.1"), Decimal("1786")]


def test_a_column_whose_header_holds_a_read_ones_without_revising_it_is_no_error(registry):
    sheet = checked(registry, _ledger_revised("上年金额（万元）", ["1000", "1800"]))

    assert [p.severity for p in sheet.problems if p.severity == "error"] == []
    assert column_values(sheet, "amount_wan") == [Decimal("1250.1"), Decimal("1786")]
