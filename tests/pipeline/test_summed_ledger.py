"""A ledger kept as one row a month, 到位 and 支付 in columns of their own beside a 余额 (pipeline/summed_ledger.py)."""

from __future__ import annotations

import pytest

from pipeline.parse import parse_file
from tests.pipeline.workbooks import csv_bytes, xlsx

UNIT = "南阳市城乡一体化示范区建设实业有限公司"
PROJECT = "示范区双铺棚户区改造项目"
SUMMED = [
    [f"填报单位：{UNIT}"],
    ["年度：2022"],
    ["月份", "项目名称", "资金来源", "到位资金（万元）", "支付资金（万元）", "余额（万元）"],
    ["2022年1月", PROJECT, "中央补助资金", "1000", "400", "600"],
    ["2022年2月", PROJECT, "中央补助资金", None, "300", "300"],
]


@pytest.mark.parametrize("write", [xlsx, csv_bytes])
def test_a_ledger_summed_by_month_with_a_balance_is_told_how_the_template_wants_it(registry, write):
    content = xlsx({"台账": SUMMED}) if write is xlsx else csv_bytes(SUMMED)

    parsed = parse_file(content, f"{UNIT}/资金台账.{'xlsx' if write is xlsx else 'csv'}", registry)

    # Told only 请使用统一下发的模板, the office could not tell what was wrong with its ledger.
    [error] = parsed.errors
    template = registry.template("fund_ledger")
    required = "、".join(f"「{c.header}」" for c in template.columns if c.required)
    assert (error.rule, error.excel_row) == ("unknown_template", 3)
    assert "第3行的表头按月汇总、把「类型」（到位、支付）分列填写，并有「余额」列" in error.message_zh
    assert error.fix == (
        f"请按模板《{template.name_zh}》逐笔填写：每笔一行，填写{required}，「类型」填“到位”或“支付”；"
        "余额由各笔计算，无需填写"
    )


def test_a_sheet_matching_no_template_otherwise_is_told_as_before(registry):
    rows = [["序号", "月份", "小区名称", "备注"], [1, "2022年1月", "棉纺厂东院", None]]

    parsed = parse_file(csv_bytes(rows), f"{UNIT}/其他.csv", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.fix) == ("unknown_template", None, None)
