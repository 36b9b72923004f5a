"""An enum problem tells the clerk to pick from a drop-down list only where the sheet offers one."""

from __future__ import annotations

import io
import json

import openpyxl

from pipeline.drop_downs import worded_for_file
from pipeline.enum_values import DROP_DOWN, WITHOUT_DROP_DOWN
from pipeline.intake import ingest
from pipeline.parse import parse_file
from pipeline.templates import template_workbook
from tests.pipeline.test_intake import drop
from tests.pipeline.test_templates import fill, rows_for

# A fund source written in the 类型 column: no value of it, and no word that could mean two.
NOT_A_TYPE = "中央补助资金"


def ledger_workbook(registry, *, drop_downs: bool) -> bytes:
    """Fill the blank ledger `pipeline templates` issues, its first 类型 wrong; without its drop-downs if asked."""
    template = registry.template("fund_ledger")
    rows = rows_for(template)
    rows[0]["entry_type"] = NOT_A_TYPE
    filled = fill(template_workbook(template, registry), registry, rows)
    if drop_downs:
        return filled
    # As a form exported from another system, or copied into a workbook of the clerk's own, comes: no list.
    book = openpyxl.load_workbook(io.BytesIO(filled))
    for sheet in book.worksheets:
        sheet.data_validations.dataValidation = []
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def enum_fixes(parsed) -> list[tuple[str, str]]:
    return [(p.fix, p.message_zh) for p in worded_for_file(parsed) if p.value == NOT_A_TYPE]


def test_a_blank_template_we_issued_is_told_to_pick_from_its_drop_down_list(registry):
    parsed = parse_file(ledger_workbook(registry, drop_downs=True), "台账.xlsx", registry)

    [(fix, message)] = enum_fixes(parsed)
    assert fix == DROP_DOWN and message.endswith(f"{DROP_DOWN}。")


def test_a_workbook_without_drop_down_lists_is_told_to_write_one_of_the_values(registry):
    parsed = parse_file(ledger_workbook(registry, drop_downs=False), "台账.xlsx", registry)

    [(fix, message)] = enum_fixes(parsed)
    assert fix == WITHOUT_DROP_DOWN and DROP_DOWN not in message
    assert "应为以下之一：到位、支付" in message


def test_a_csvs_receipt_never_tells_of_a_drop_down_list(settings, registry, register):
    drop(
        settings,
        "枣林街道办事处/台账.csv",
        "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
        f"2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,{NOT_A_TYPE},100\n",
    )

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    receipt = json.loads(
        (settings.receipts / "枣林街道办事处" / "台账.csv.回执.json").read_text(encoding="utf-8")
    )
    [problem] = [p for p in receipt["problems"] if p["rule"] == "enum"]
    assert (problem["excel_row"], problem["fix"]) == (3, WITHOUT_DROP_DOWN)
    assert DROP_DOWN not in problem["message_zh"] and DROP_DOWN not in receipt["reason"]
