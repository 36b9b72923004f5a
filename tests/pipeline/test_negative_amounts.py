"""A negative amount taken back in place (pipeline/negative_amounts.py): the 台账's 退回 or 冲减 row is refused with
the row to correct, the amount to write there, and that the corrected file replaces the one sent."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from pipeline.template_instructions import _requirement
from tests.pipeline.test_layout import LEDGER_HEADER, PROJECT
from tests.pipeline.workbooks import csv_bytes, xlsx

SOURCE = "中央补助资金"


def negatives(registry, rows, fmt: str = "xlsx"):
    """Parse a 台账 of these rows under the header (row 2, below a 年度 line); return its `negative` errors by row."""
    sheet = [["年度：2022"], [*LEDGER_HEADER, "摘要"], *rows]
    content = csv_bytes(sheet) if fmt == "csv" else xlsx({"台账": sheet})
    parsed = parse_file(content, f"枣林街道办事处/台账.{fmt}", registry)
    assert parsed.templates == ["fund_ledger"]
    return {e.excel_row: e for e in parsed.errors if e.rule == "negative"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_refund_written_negative_names_the_payment_to_reduce_and_the_amount_left(registry, fmt):
    rows = [
        ["2022-03-01", PROJECT, SOURCE, "到位", 1250.1, None],
        ["2022-04-01", PROJECT, SOURCE, "支付", 300, "工程款"],
        [
            "2022-04-15",
            PROJECT,
            "区级配套资金",
            "支付",
            300,
            "工程款",
        ],  # another source: not the one taken back
        ["2022-05-01", PROJECT, SOURCE, "支付", -50, "退回多付工程款"],
    ]

    [error] = negatives(registry, rows, fmt).values()

    assert (error.excel_row, error.column_header, error.value) == (6, "金额（万元）", "-50")
    assert "退回或冲减不填负数行，而是从原来那笔款项的金额中扣除" in error.expected
    assert error.fix.startswith(
        f"如本行是退回或冲减第4行（2022-04-01，{SOURCE}，支付，300）的款项，请把第4行「金额（万元）」改为扣除后的250，"
        "在其「摘要」中注明退回情况，并删去本行"
    )
    assert "更正后请重新报送整个文件，它将替代此前报送的同一项目同一年度的项目资金到位及支付台账" in error.fix
    assert error.fix in error.message_zh and error.message_zh.startswith("第6行「金额（万元）」填写为“-50”")


def test_a_whole_amount_taken_back_asks_to_delete_its_row_and_names_it_in_the_headers_unit(registry):
    header = [*LEDGER_HEADER[:-1], "金额（元）"]
    sheet = [
        ["年度：2022"],
        header,
        ["2022-03-01", PROJECT, SOURCE, "到位", 500000],
        ["2022-06-01", PROJECT, SOURCE, "到位", -500000],
    ]

    parsed = parse_file(xlsx({"台账": sheet}), "枣林街道办事处/台账.xlsx", registry)

    [error] = [e for e in parsed.errors if e.rule == "negative"]
    assert "第3行（2022-03-01，中央补助资金，到位，500000）" in error.fix
    assert "改为扣除后的0（全部退回的删去该行），并删去本行" in error.fix  # no 摘要 column: no note asked for


def test_a_refund_matching_several_rows_or_none_is_told_where_to_look(registry):
    rows = [
        ["2022-04-01", PROJECT, SOURCE, "支付", 300, None],
        ["2022-04-20", PROJECT, SOURCE, "支付", 120, None],
        ["2022-05-01", PROJECT, SOURCE, "支付", 20, None],  # less than taken back: not it
        ["2022-05-10", PROJECT, SOURCE, "支付", -100, "冲减"],
        ["2022-05-20", PROJECT, SOURCE, "到位", -100, "上级收回"],  # no 到位 row at all
    ]

    told = negatives(registry, rows)

    assert "请找到那一行（可能是第3至4行之一）" in told[6].fix
    assert "（在以前年度的项目资金到位及支付台账中的，请更正该年度的项目资金到位及支付台账）" in told[7].fix


def test_a_negative_amount_of_a_column_not_taken_back_keeps_its_wording(registry):
    amount = registry.templates["fund_ledger"].column("amount_wan")
    # A list's 计划投资 is no amount paid that a later row takes back.
    planned = registry.templates["compound_list"].column("planned_investment_wan")
    assert not planned.taken_back_in_place
    sheet = [
        ["年度：2022"],
        ["小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）"],
        ["棉纺厂东院", 2.865, 370, -10],
    ]

    [error] = parse_file(xlsx({"清单": sheet}), "枣林街道办事处/清单.xlsx", registry).errors

    assert (error.rule, error.fix) == ("negative", "请填写正确的金额")
    # The blank template's 填表说明 says how to take back beside the column that is so, and only there.
    assert "从原来那笔款项的金额中扣除" in _requirement(amount, registry, {amount.name})
    assert "扣除" not in _requirement(planned, registry, {planned.name})


def test_a_refund_in_accounting_brackets_in_a_csv_names_the_payment_to_reduce(registry):
    # Excel saves an accounting-format -50 to CSV as `(50.00)`: it was told 不要带“约”“左右”等文字, not how to take it back.
    rows = [
        ["2022-04-01", PROJECT, SOURCE, "支付", "300.00", "工程款"],
        ["2022-05-01", PROJECT, SOURCE, "支付", "(50.00)", "退回多付工程款"],
    ]

    [error] = negatives(registry, rows, "csv").values()

    assert (error.excel_row, error.value) == (4, "(50.00)")
    assert "退回或冲减不填负数行" in error.expected
    assert "请把第3行「金额（万元）」改为扣除后的250" in error.fix
