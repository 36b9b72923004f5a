"""A black-box round on the report's 数据质量提示 and 注: a year of files from two offices, taken in by `pipeline ingest`
and reported by `pipeline report`, each sentence held against a hand calculation from the files written here (figures,
projects named, months), alike in the page, the Word file and the workbook."""

from __future__ import annotations

import re

import pytest

from pipeline.cli import main
from tests.pipeline.test_open_warnings import notes
from tests.pipeline.test_report_world import SHIYE, ZAOLIN, Project, csv_files, ledger, printed, wan

YEAR = 2022
LEDGER, PROGRESS = "项目资金到位及支付台账", "投资完成情况月报"
WORLD = (
    # Paid 0.5 元 more than received; its 月报 stops at April.
    Project(
        "A-1", "甲小区改造", "老旧小区改造", ZAOLIN, "1000",
        compounds=(("东院", "1000", 10, "100"),),
        ledger_yuan=(("2022-03-10", "中央补助资金", "到位", "1000000"), ("2022-04-12", "中央补助资金", "支付", "1000000.5")),
        plan="500", monthly=("100", "100", "100", "50.333"),
        targets=(("年度计划投资完成率", "≥90%", 30), ("工程质量", "合格", 30), ("资金支付率", "≥90%", 30)),
    ),
    # No ledger: its 预算执行率 has nothing to be computed from, nor its indicators.
    Project(
        "B-1", "乙棚改", "棚户区改造", SHIYE, "2000", plan="1200", monthly=("100",) * 12,
        targets=(("改造户数", "≥3户", 45), ("工程进度", "按计划", 45)),
    ),
    # No 月报.
    Project(
        "C-1", "丙小区", "老旧小区改造", ZAOLIN, "300",
        ledger_yuan=(("2022-03-10", "发改资金", "到位", "2000000"), ("2022-04-12", "发改资金", "支付", "600000")),
        targets=(("完成数", "≥3个", 30), ("完成数二", "≥3个", 30), ("完成数三", "≥3个", 30)),
    ),
    # A 月报 planning 0 for the year, through February; another office's of January alone (EXTRA).
    Project(
        "E-1", "戊小区", "老旧小区改造", ZAOLIN, "300",
        ledger_yuan=(("2022-03-10", "发改资金", "到位", "2000000"), ("2022-04-12", "发改资金", "支付", "600000")),
        plan="0", monthly=("10", "20"),
        targets=(("年度计划投资完成率", "≥90%", 30), ("完成", "≥3个", 30), ("四", "达成", 30)),
    ),
)  # fmt: skip
EXTRA = (
    f"{SHIYE}/2022戊月报.csv",
    f"戊小区2022年投资完成情况月报\n填报单位：{SHIYE}\n"
    "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）\n戊小区,2022,1,0,5,5\n",
)


def measured(p: Project, indicator: str) -> bool | None:
    """Say whether the files give an indicator's 实际完成值 (None: they are there but divide by 0)."""
    if "投资完成率" in indicator:
        return (None if p.plan == "0" else True) if p.monthly else False
    return ("支付率" in indicator and bool(p.ledger_yuan)) or ("户数" in indicator and bool(p.compounds))


def expected() -> list[str]:
    """Return the year's 数据质量提示 and 注 as worked out by hand from WORLD and EXTRA."""
    said = []
    over = [p for p in WORLD if sum(ledger(p, "支付")) > sum(ledger(p, "到位"))]
    said.append(
        "数据质量提示："
        + "；".join(
            f"{p.name}累计支付{wan(ledger(p, '支付'))}超过累计到位{wan(ledger(p, '到位'))}" for p in over
        )
        + "，资金支付率超过100%，请核实资金台账。"
    )
    for what, form, has in (
        ("全年到位资金和支付资金", LEDGER, "ledger_yuan"),
        ("完成投资", PROGRESS, "monthly"),
    ):
        left = "、".join(f"{p.name}（未报送{form}）" for p in WORLD if not getattr(p, has))
        said.append(f"数据质量提示：总体情况中的{what}只是已报送项目之和，不含{left}，请核实是否漏报。")
    said.append(
        f"数据质量提示：戊小区{YEAR}年度1月的{PROGRESS}由{SHIYE}、{ZAOLIN}各自报送，报告数字包括各单位数据之和；"
        "如其中一份是代报或转报的同一份数据，相关数字会重复计算，已在回执中请报送单位核实。"
    )
    said.append(
        f"数据质量提示：戊小区{YEAR}年度的{PROGRESS}由多个单位报送，{SHIYE}未报送2月，这些月份按其1月的累计完成投资"
        "和年度计划投资计入项目的投资进度、预警和完成投资，请核实是否漏报。"
    )
    for p in WORLD:
        unfed = [name for name, _, _ in p.targets if measured(p, name) is False]
        if not p.ledger_yuan:
            # Every indicator of it unfed: its total is 0, graded 差.
            assert len(unfed) == len(p.targets)
            said.append(
                f"数据质量提示：{p.name}未报送{LEDGER}，自评表也未填写执行率、全年执行数和全年预算数，预算执行率无法计算，"
                "按0分计；自评总分0.00分和评价等级差均按该项0分得出，而该项0分是缺少数据所致，并非资金未支出，请核实是否漏报。"
            )
        for name, _, _ in p.targets:
            if measured(p, name) is None:
                said.append(
                    f"数据质量提示：{p.name}{PROGRESS}中年度计划投资为0，无法计算自评表中的{name}（得分0.00分），"
                    "自评总分按这些得分计入，请核实是否填报有误。"
                )
        if unfed:
            listed = "、".join(f"{name}（得分0.00分）" for name in unfed)
            said.append(
                f"数据质量提示：{p.name}自评表中{len(unfed)}项指标没有填报实际完成值，也没有可据以计算的数据：{listed}，"
                "自评总分按这些得分计入，请核实是否漏报。"
            )
    partial = "、".join(f"{p.name}截至{len(p.monthly)}月" for p in WORLD if 0 < len(p.monthly) < 12)
    said.append(f"注：总体情况和本表中的完成投资按各项目{PROGRESS}的最新月份计，其中{partial}。")
    return said


@pytest.mark.slow  # 5 s or more on two cores
def test_every_note_of_the_year_says_what_the_files_give_in_the_page_word_file_and_workbook(
    tmp_path, monkeypatch, registry
):
    monkeypatch.setenv("PIPELINE_HOME", str(tmp_path))
    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    assert main(["init"]) == 0
    for name, text in [*csv_files(YEAR, WORLD).items(), EXTRA]:
        path = tmp_path / "inbox" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert main(["ingest"]) == 0
    assert main(["report", "--year", str(YEAR)]) == 0
    report = printed(tmp_path / "reports" / str(YEAR))

    def found(text: str) -> list[str]:
        return sorted(notes(text) + re.findall(r"注：总体情况[^。]*。", text))

    sheets = "\n".join(str(row[0]) for rows in report.workbook.values() for row in rows if row and row[0])
    for where, text in {"page": report.page, "word": "\n".join(report.word), "workbook": sheets}.items():
        assert found(text) == sorted(expected()), where
