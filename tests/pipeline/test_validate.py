"""Validation with the Great Expectations suites: every rule reported once, on the right sheet, row and header.

GX takes seconds to import, so one module-scoped validation covers every sheet below; each test reads
its own batch key from it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import pipeline.gx_runtime as gx_runtime
import pipeline.suites as suites_module
import pipeline.validate as validate_module
from pipeline.frames import Context
from pipeline.parse import parse_file
from pipeline.problems import Problem, Severity
from pipeline.registry import REGISTRY_DIR, load_registry
from pipeline.registry_columns import ColumnType
from pipeline.rules import load_rules
from pipeline.suite_places import at_place
from pipeline.suites import EXPECTATIONS_DIR, SuiteError
from pipeline.validate import Batch, validate, write_data_docs
from tests.pipeline.workbooks import xlsx

ZAOLIN = "枣林街道办事处改造老旧小区"
SHUANGPU = "示范区双铺棚户区改造项目"
NEGATIVE_LIST = [
    "楼堂馆所建设",
    "发放津贴补贴",
    "偿还债务",
    "弥补部门经费",
    "购置公务用车",
    "对外投资",
    "其他负面清单事项",
]
CONTEXT = Context(
    known_projects={ZAOLIN, SHUANGPU},
    planned_total=lambda name, year: {SHUANGPU: Decimal("112774.31"), ZAOLIN: Decimal("9163.6")}.get(name),
    negative_list=set(NEGATIVE_LIST),
)

# One clean sheet per template, as CSV text. Excel rows: line 1 of the text is row 1.
CLEAN = {
    "compound_list": f"""填报单位：枣林街道办事处
年度：2022
项目名称：{ZAOLIN}
序号,小区名称,改造面积（万平方米）,惠及户数（户）,计划投资（万元）,改造状态
1,棉纺厂东院,2.8650,370,1075.97,在建
2,市委小区,1.9320,249,725.58,已完工
3,石化小区,2.4150,312,906.97,未开工
""",
    "project_register": f"""填报单位：区财政局
年度：2022
项目编码,项目名称,项目类型,实施单位,计划总投资（万元）
P001,{SHUANGPU},棚户区改造,南阳市城乡一体化示范区建设实业有限公司,112774.31
P002,{ZAOLIN},老旧小区改造,枣林街道办事处,9163.6
""",
    "fund_ledger": f"""填报单位：南阳市城乡一体化示范区建设实业有限公司
日期,项目名称,资金来源,类型,金额（万元）,支出用途,摘要
2022-01-18,{SHUANGPU},专项债券,到位,10000,,第一批
2022-02-15,{SHUANGPU},专项债券,支付,5000,工程款,进度款
2022-03-15,{SHUANGPU},专项债券资金,支付,4200,征收补偿款,补偿款
""",
    "investment_progress": f"""填报单位：南阳市城乡一体化示范区建设实业有限公司
项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）
{SHUANGPU},2022,1,18000,2600,2600
{SHUANGPU},2022,2,18000,3150,5750
{SHUANGPU},2022,3,18000,4280.50,10030.50
""",
    "performance_targets": f"""填报单位：枣林街道办事处
项目名称：{ZAOLIN}
年度：2022
一级指标,二级指标,三级指标,年度指标值,实际完成值,分值
产出指标,数量指标,改造小区数量,=16个,16个,50
满意度指标,服务对象满意度指标,群众满意度,≥90%,93%,40
""",
    "satisfaction_survey": f"""填报单位：枣林街道办事处
年度：2022
项目名称：{ZAOLIN}
小区名称,有效问卷（份）,满意（份）,基本满意（份）,不满意（份）
棉纺厂东院,111,84,19,8
市委小区,75,58,,17
""",
    "scale_and_cost": f"""填报单位：南阳市城乡一体化示范区建设实业有限公司
年度：2022
项目名称,类别,内容,数量,单位
{SHUANGPU},建设规模,安置区总建筑面积,408923,平方米
{SHUANGPU},建设规模,其中：新建安置住房,307200,平方米
{SHUANGPU},建设规模,其中：配套商业,101723,平方米
{SHUANGPU},投资构成,工程费用,76313.93,万元
{SHUANGPU},投资构成,工程建设其他费用,27890.17,万元
{SHUANGPU},投资构成,其中：征地费用,3115.39,万元
{SHUANGPU},投资构成,基本预备费,5210.21,万元
{SHUANGPU},投资构成,其他费用,33600000,元
{SHUANGPU},建设规模,新建安置住房套数,2560,套
""",
    "report_narrative": f"""填报单位：枣林街道办事处
年度：2022
项目名称,章节,内容
{ZAOLIN},主要做法,成立工作专班，实行挂图作战。
{ZAOLIN},未完成情况及原因,部分小区雨季施工延误；已于四季度完成。
""",
}


def changed(template: str, old: str, new: str) -> str:
    """Return a clean sheet with one cell (or line) changed."""
    assert CLEAN[template].count(old) == 1, old
    return CLEAN[template].replace(old, new)


# case: (template, text, the one problem expected as (rule, severity, Excel row, header as written)).
DEFECTS = {
    "required": (
        "compound_list",
        changed("compound_list", "1.9320,249,", "1.9320,,"),
        ("required", "error", 6, "惠及户数（户）"),
    ),
    "type": (
        "compound_list",
        changed("compound_list", "1.9320,249,", "1.9320,约200,"),
        ("type", "error", 6, "惠及户数（户）"),
    ),
    "negative_count": (
        "compound_list",
        changed("compound_list", "1.9320,249,", "1.9320,-249,"),
        ("negative", "error", 6, "惠及户数（户）"),
    ),
    "negative_quantity": (
        "scale_and_cost",
        changed("scale_and_cost", "套数,2560,", "套数,-2560,"),
        ("negative", "error", 12, "数量"),
    ),
    "enum": (
        "project_register",
        changed("project_register", "棚户区改造,", "危房改造,"),
        ("enum", "error", 4, "项目类型"),
    ),
    "unique_compound": (
        "compound_list",
        changed("compound_list", "3,石化小区", "3,棉纺厂东院"),
        ("unique_compound", "error", 7, "小区名称"),
    ),
    # Two compounds on one row were counted as one (the report's compound count one short), unsaid.
    "compound_several": (
        "compound_list",
        changed("compound_list", "3,石化小区", "3,石化小区、育源小区"),
        ("compound_several", "error", 7, "小区名称"),
    ),
    "unique_month": (
        "investment_progress",
        changed("investment_progress", "2022,3,18000,4280.50,10030.50", "2022,2,18000,3150,5750"),
        ("unique_month", "error", 5, "月份"),
    ),
    "unique_respondent": (
        "satisfaction_survey",
        changed("satisfaction_survey", "市委小区,75,58,,17", "棉纺厂东院,75,58,,17"),
        ("unique_respondent", "error", 6, "小区名称"),
    ),
    "month_range": (
        "investment_progress",
        changed("investment_progress", "2022,3,", "2022,13,"),
        ("month_range", "error", 5, "月份"),
    ),
    "satisfaction_sum": (
        "satisfaction_survey",
        changed("satisfaction_survey", "市委小区,75,", "市委小区,76,"),
        ("satisfaction_sum", "error", 6, "有效问卷（份）"),
    ),
    "satisfaction_sum_typed": (
        "satisfaction_survey",
        changed("satisfaction_survey", "市委小区,75,", '市委小区,"1,076",'),
        ("satisfaction_sum", "error", 6, "有效问卷（份）"),
    ),
    "weight_total": (
        "performance_targets",
        changed("performance_targets", "93%,40", "93%,35"),
        ("weight_total", "error", 5, "分值"),
    ),
    # A compound finished before it began: two cells swapped, or a year mistyped; stored as written, and asked about.
    "dates_reversed": (
        "compound_list",
        changed(
            "compound_list",
            "改造状态\n1,棉纺厂东院,2.8650,370,1075.97,在建",
            "改造状态,开工日期,完工日期\n1,棉纺厂东院,2.8650,370,1075.97,在建,2022-10-01,2022-03-01",
        ),
        ("dates_reversed", "warning", 5, "完工日期"),
    ),
    "part_exceeds_row": (
        "scale_and_cost",
        changed("scale_and_cost", "配套商业,101723,", "配套商业,101724,"),
        ("part_exceeds_row", "error", 4, "数量"),
    ),
    # Not summed with its row's parts, and not passed over either: a part of an area in 户 is asked about.
    "part_unit": (
        "scale_and_cost",
        changed("scale_and_cost", "配套商业,101723,平方米", "配套商业,101723,户"),
        ("part_unit", "warning", 6, "单位"),
    ),
    "unknown_project": (
        "fund_ledger",
        changed("fund_ledger", f"2022-02-15,{SHUANGPU}", "2022-02-15,双铺安置房项目"),
        ("unknown_project", "error", 4, "项目名称"),
    ),
    "unknown_project_line": (
        "compound_list",
        changed("compound_list", f"项目名称：{ZAOLIN}", "项目名称：枣林小区改造"),
        ("unknown_project", "error", 3, "项目名称"),  # the `项目名称：` line is Excel row 3
    ),
    "cumulative_mismatch": (
        "investment_progress",
        changed("investment_progress", "4280.50,10030.50", "4280.50,10030.52"),
        ("cumulative_mismatch", "warning", 5, "累计完成投资（万元）"),
    ),
    # The same in a 月报 kept in 元: 200 元 off (over the ±0.01 万元), told in 元 as the header has it.
    "cumulative_mismatch_yuan": (
        "investment_progress",
        changed("investment_progress", "2022,1,18000,2600,2600", "2022,1,180000000,26000000,26000000")
        .replace("2022,2,18000,3150,5750", "2022,2,180000000,31500000,57500000")
        .replace("2022,3,18000,4280.50,10030.50", "2022,3,180000000,42805000,100305200")
        .replace("（万元）", "（元）"),
        ("cumulative_mismatch", "warning", 5, "累计完成投资（元）"),
    ),
    # The same typed with thousands separators: quoted as typed.
    "cumulative_mismatch_typed": (
        "investment_progress",
        changed("investment_progress", "4280.50,10030.50", '4280.50,"10,030.52"'),
        ("cumulative_mismatch", "warning", 5, "累计完成投资（万元）"),
    ),
    # A row's money unit nobody listed leaves its 数量 unread: told on the 单位 cell, never as 数量 未填写 too.
    "row_unit_unlisted": (
        "scale_and_cost",
        changed("scale_and_cost", "其他费用,33600000,元", "其他费用,3360000,千元"),
        ("unit", "error", 11, "单位"),
    ),
    # Left out of the sum checked against 计划总投资, and told: a cost in 平方米 is most likely a slip of 单位 or 类别.
    "cost_unit": (
        "scale_and_cost",
        changed(
            "scale_and_cost",
            "基本预备费,5210.21,万元\n",
            f"基本预备费,5210.21,万元\n{SHUANGPU},投资构成,安置房,408923,平方米\n",
        ),
        ("cost_unit", "warning", 11, "单位"),
    ),
    "cost_vs_total": (
        "scale_and_cost",
        changed("scale_and_cost", "基本预备费,5210.21,", "基本预备费,5200.21,"),
        ("cost_vs_total", "warning", 7, "数量"),
    ),
    # An item kept in 元 (33601234.56元): the sum is 112774.433456万元, told as the report rounds 万元.
    "cost_vs_total_yuan": (
        "scale_and_cost",
        changed("scale_and_cost", "其他费用,33600000,", "其他费用,33601234.56,"),
        ("cost_vs_total", "warning", 7, "数量"),
    ),
    "negative_list": (
        "fund_ledger",
        changed("fund_ledger", "支付,5000,工程款", "支付,5000,偿还债务"),
        ("negative_list", "warning", 4, "支出用途"),
    ),
    # Nobody answered: a satisfaction rate of 0 ÷ 0 must never pass as full marks.
    "no_responses": (
        "satisfaction_survey",
        changed("satisfaction_survey", "市委小区,75,58,,17", "市委小区,0,0,,0"),
        ("no_responses", "error", 6, "有效问卷（份）"),
    ),
    # A line pasted twice: identical in every column, its amount would be counted twice. Asked, not refused.
    "duplicate_row": (
        "fund_ledger",
        CLEAN["fund_ledger"] + f"2022-01-18,{SHUANGPU},专项债券,到位,10000,,第一批\n",
        ("duplicate_row", "warning", 6, "金额（万元）"),
    ),
    # The year so far: paying 9,200 out of 9,000 received means a receipt is missing or an amount is wrong.
    "paid_exceeds_received": (
        "fund_ledger",
        changed("fund_ledger", "到位,10000,", "到位,9000,"),
        ("paid_exceeds_received", "warning", 3, "金额（万元）"),
    ),
    # The same in a ledger kept in 元: told in 元 as written, not as the 万元 stored.
    "paid_exceeds_received_yuan": (
        "fund_ledger",
        changed("fund_ledger", "金额（万元）", "金额（元）").replace("到位,10000,", "到位,9000,"),
        ("paid_exceeds_received", "warning", 3, "金额（元）"),
    ),
    # An amount over the whole project: typed in 元 under a 万元 header, or a wrong project; asked, and counted.
    "exceeds_planned_total_ledger": (
        "fund_ledger",
        changed("fund_ledger", "到位,10000,", "到位,200000,"),
        ("exceeds_planned_total", "warning", 3, "金额（万元）"),
    ),
    # The same in a ledger kept in 元: the receipt shows the cell as the clerk wrote it, in 元.
    "exceeds_planned_total_yuan": (
        "fund_ledger",
        changed("fund_ledger", "金额（万元）", "金额（元）")
        .replace("到位,10000,", "到位,2000000000,")
        .replace("支付,5000,", "支付,50000000,")
        .replace("支付,4200,", "支付,42000000,"),
        ("exceeds_planned_total", "warning", 3, "金额（元）"),
    ),
    # The same with 分: told as typed in 元, its 万元 beside to two places, not as 123456.789012万元.
    "exceeds_planned_total_yuan_cents": (
        "fund_ledger",
        changed("fund_ledger", "金额（万元）", "金额（元）")
        .replace("到位,10000,", "到位,1234567890.12,")
        .replace("支付,5000,", "支付,50000000,")
        .replace("支付,4200,", "支付,42000000,"),
        ("exceeds_planned_total", "warning", 3, "金额（元）"),
    ),
    # Typed with thousands separators under a 万元 header: quoted as typed.
    "exceeds_planned_total_typed": (
        "fund_ledger",
        changed("fund_ledger", "到位,10000,", '到位,"200,000.50",'),
        ("exceeds_planned_total", "warning", 3, "金额（万元）"),
    ),
    "exceeds_planned_total_progress": (
        "investment_progress",
        changed("investment_progress", "2022,1,18000,", "2022,1,180000,"),
        ("exceeds_planned_total", "warning", 3, "年度计划投资（万元）"),
    ),
    # An amount in 元 under a 万元 header is ten thousand times too large: more than ten times the whole project is
    # no amount at all, and a warning let the report publish it (全年到位资金30,379,000万元). Returned, and told once.
    "exceeds_planned_tenfold_ledger": (
        "fund_ledger",
        changed("fund_ledger", "到位,10000,", "到位,100000000,"),
        ("exceeds_planned_tenfold", "error", 3, "金额（万元）"),
    ),
    "exceeds_planned_tenfold_progress": (
        "investment_progress",
        changed("investment_progress", "2022,1,18000,", "2022,1,180000000,"),
        ("exceeds_planned_tenfold", "error", 3, "年度计划投资（万元）"),
    ),
    # A header in a unit nobody listed (千元): its amounts were read in 万元 and prove nothing, so the suites judge
    # none of them (an amount over the project's whole total would be told in the wrong unit).
    "unit_unknown_judges_nothing": (
        "investment_progress",
        changed("investment_progress", "2022,1,18000,", "2022,1,180000000,").replace(
            "年度计划投资（万元）", "年度计划投资（千元）"
        ),
        ("unit", "error", 2, "年度计划投资（千元）"),
    ),
    # A plan of 0 leaves no progress to light: allowed, and the clerk asked whether it is meant.
    "plan_zero": (
        "investment_progress",
        changed("investment_progress", "2022,1,18000,", "2022,1,0,"),
        ("plan_zero", "warning", 3, "年度计划投资（万元）"),
    ),
    "exceeds_planned_total_compound": (
        "compound_list",
        changed("compound_list", ",1075.97,", ",10759.7,"),
        ("exceeds_planned_total", "warning", 5, "计划投资（万元）"),
    ),
    "exceeds_planned_tenfold_compound": (
        "compound_list",
        changed("compound_list", ",1075.97,", ",10759700,"),
        ("exceeds_planned_tenfold", "error", 5, "计划投资（万元）"),
    ),
    # The register is what the others are checked against: its own total is only checked for size. A project
    # of its own, so that intake's run of every case (test_intake) checks the others against the clean totals.
    "amount_implausible": (
        "project_register",
        CLEAN["project_register"]
        + "P003,示范区大型安置项目,棚户区改造,南阳市城乡一体化示范区建设实业有限公司,1127743100\n",
        ("amount_implausible", "warning", 6, "计划总投资（万元）"),
    ),
    # An area over 1,000 平方米 a household (286.5 for 28.65万平方米): asked, and counted.
    "area_implausible": (
        "compound_list",
        changed("compound_list", "2.8650,370,", "286.5,370,"),
        ("area_implausible", "warning", 5, "改造面积（万平方米）"),
    ),
    # An area in 平方米 under a 万平方米 header is ten thousand times too large: some 77万平方米 a household, no
    # household's at all. As a warning the report published it; returned, and told once.
    "area_impossible": (
        "compound_list",
        changed("compound_list", "2.8650,370,", "28650,370,"),
        ("area_impossible", "error", 5, "改造面积（万平方米）"),
    ),
    # The reverse: under 1 平方米 a household (193.2平方米 for 249 households), asked.
    "area_implausible_small": (
        "compound_list",
        changed("compound_list", "改造面积（万平方米）", "改造面积（平方米）")
        .replace("2.8650,370,", "28650,370,")
        .replace("1.9320,249,", "193.2,249,")
        .replace("2.4150,312,", "24150,312,"),
        ("area_implausible", "warning", 6, "改造面积（平方米）"),
    ),
    # 万平方米 under a 平方米 header, 1.932平方米 for 249 households: no household's area; returned.
    "area_impossible_wan_under_m2": (
        "compound_list",
        changed("compound_list", "改造面积（万平方米）", "改造面积（平方米）")
        .replace("2.8650,370,", "28650,370,")
        .replace("2.4150,312,", "24150,312,"),
        ("area_impossible", "error", 6, "改造面积（平方米）"),
    ),
    # An unreadable optional count is the parser's type error, not also a satisfaction mismatch.
    "unreadable_part_of_a_sum": (
        "satisfaction_survey",
        changed("satisfaction_survey", "84,19,8", "84,约19,8"),
        ("type", "error", 5, "基本满意（份）"),
    ),
}
# Sheets that must pass: every clean sheet, and edge cases on the right side of a rule.
PASSING = {
    **{f"clean_{template}": (template, text) for template, text in CLEAN.items()},
    "cumulative_within_tolerance": (
        "investment_progress",
        changed("investment_progress", "4280.50,10030.50", "4280.50,10030.51"),
    ),
    "amount_equal_to_planned_total": (
        "compound_list",
        changed("compound_list", ",1075.97,", ",9163.6,"),
    ),
    "negative_list_only_counts_payments": (
        "fund_ledger",
        changed("fund_ledger", "到位,10000,,", "到位,10000,偿还债务,"),
    ),
    # Two payments of one day and amount, told apart by their 摘要: two payments.
    "same_day_and_amount_told_apart": (
        "fund_ledger",
        CLEAN["fund_ledger"] + f"2022-01-18,{SHUANGPU},专项债券,到位,10000,,第二批\n",
    ),
    "area_in_m2_under_a_m2_header": (
        "compound_list",
        changed("compound_list", "改造面积（万平方米）", "改造面积（平方米）")
        .replace("2.8650,", "28650,")
        .replace("1.9320,", "19320,")
        .replace("2.4150,", "24150,"),
    ),
    # 1000平方米 a household under a 万平方米 header, 1平方米 under a 平方米 one: the bounds themselves pass.
    "area_on_its_bounds": ("compound_list", changed("compound_list", "2.8650,370,", "37,370,")),
    "area_on_its_lower_bound": (
        "compound_list",
        changed("compound_list", "改造面积（万平方米）", "改造面积（平方米）")
        .replace("2.8650,370,", "370,370,")
        .replace("1.9320,", "19320,")
        .replace("2.4150,", "24150,"),
    ),
    # No households, no ratio to judge.
    "area_of_no_households": ("compound_list", changed("compound_list", "2.8650,370,", "28650,0,")),
}
THREE_ERRORS = (
    CLEAN["compound_list"]
    .replace(f"项目名称：{ZAOLIN}", "项目名称：枣林小区改造")
    .replace("2.8650,370,", "2.8650,约370,")
    .replace("3,石化小区", "3,市委小区")
)


def parse(name: str, text: str, registry):
    # At the inbox root the `填报单位：` line decides, so every sheet's own line is its unit.
    parsed = parse_file(text.encode("utf-8"), f"{name}.csv", registry)
    assert parsed.sheets, [p.message_zh for p in parsed.all_problems]
    return parsed


# One compound twice, typed with half-width brackets in row 5 and full-width ones in row 7: the same name once read.
TYPED_TWICE = changed("compound_list", "1,棉纺厂东院,", "1,棉纺厂东院(二期),").replace(
    "3,石化小区,", "3,棉纺厂东院（二期）,"
)


@pytest.fixture(scope="module")
def checked(registry):
    """Every sheet of this module, parsed and validated in one call: (parsed files, validation)."""
    texts = {name: text for name, (_, text, _) in DEFECTS.items()} | {
        name: text for name, (_, text) in PASSING.items()
    }
    texts["three_errors"] = THREE_ERRORS
    texts["typed_twice"] = TYPED_TWICE
    parsed = {name: parse(name, text, registry) for name, text in texts.items()}
    batches = [Batch(name, sheet) for name, file in parsed.items() for sheet in file.sheets]
    return parsed, validate(batches, registry, CONTEXT)


def problems_of(checked, name: str) -> list[Problem]:
    """Everything reported for a file: the parser's problems, then validation's."""
    parsed, validation = checked
    return [*parsed[name].all_problems, *validation.problems[name]]


@pytest.mark.parametrize("case", DEFECTS)
def test_each_defect_is_reported_once_on_its_cell(checked, case):
    template, _, (rule, severity, excel_row, header) = DEFECTS[case]

    problems = problems_of(checked, case)

    assert checked[0][case].sheets[0].template.id == template
    assert [(p.rule, p.severity, p.sheet, p.excel_row, p.column_header) for p in problems] == [
        (rule, severity, case, excel_row, header)
    ]


@pytest.mark.parametrize("case", PASSING)
def test_clean_sheets_pass(checked, case):
    assert problems_of(checked, case) == []


def test_a_name_matched_after_normalising_is_quoted_as_its_own_cell_has_it(checked):
    [duplicate] = problems_of(checked, "typed_twice")

    assert (duplicate.rule, duplicate.excel_row, duplicate.value) == (
        "unique_compound",
        7,
        "棉纺厂东院（二期）",
    )
    assert "填写为“棉纺厂东院（二期）”" in duplicate.message_zh and "第5行已填写" in duplicate.message_zh


def test_messages_name_the_cell_the_value_and_the_fix(checked):
    _, validation = checked
    [duplicate] = validation.problems["unique_compound"]
    [survey] = validation.problems["satisfaction_sum"]
    [weights] = validation.problems["weight_total"]
    [cumulative] = validation.problems["cumulative_mismatch"]
    [cost] = validation.problems["cost_vs_total"]

    assert duplicate.message_zh == (
        "第7行「小区名称」填写为“棉纺厂东院”，同一清单中小区名称不能重复，第5行已填写该小区名称，请删除重复的行，或核对名称。"
    )
    assert survey.message_zh == (
        "第6行「有效问卷（份）」填写为“76”，应等于满意、基本满意、不满意份数之和75，请核对有效问卷数及各项份数。"
    )
    assert (weights.value, weights.message_zh) == (
        "85",
        "第5至6行「分值」合计为85，各指标分值合计应为90（另10分为预算执行率），请调整各指标的分值。",
    )
    assert cumulative.expected == "应等于1至3月本月完成投资之和10030.5"
    [scale] = validation.problems["exceeds_planned_total_compound"]
    assert scale.message_zh == (
        "第5行「计划投资（万元）」为10759.7万元，不应超过项目基本信息表中该项目的计划总投资9163.6万元，"
        "请核对金额是否按万元填写（1万元＝10000元）、是否填错项目；如确实超过计划总投资，"
        "请说明原因或请区财政局更正项目基本信息表。"
    )
    assert (cost.value, cost.expected) == ("112764.31", "应等于项目计划总投资112774.31万元")
    [part] = validation.problems["part_unit"]
    assert (part.value, part.message_zh) == (
        "户",
        "第6行「单位」填写为“户”，单位应与所属的第4行“安置区总建筑面积”相同（平方米），否则不计入该行“其中”各项之和的核对，"
        "如单位填错，请更正后重新报送；如确为不同单位的数量，无需处理。",
    )
    [cost_unit] = validation.problems["cost_unit"]
    assert (cost_unit.value, cost_unit.message_zh) == (
        "平方米",
        "第11行「单位」填写为“平方米”，投资构成应为金额，单位应为万元、元等金额单位，否则不计入投资构成合计与计划总投资的核对，"
        "如单位或类别填错，请更正后重新报送；如确为投资构成以外的说明，请改填在“建设规模”类别下。",
    )
    [area] = validation.problems["area_impossible"]
    assert (area.value, area.message_zh) == (
        "28650",
        "第5行「改造面积（万平方米）」为28650万平方米，惠及户数370户，折合每户约774324平方米，"
        "一户的改造面积不可能超过10000平方米，也不可能小于0.1平方米，改造面积或惠及户数必有一处填错，"
        "请核对面积单位（1万平方米＝10000平方米）和惠及户数：平方米数填在“万平方米”表头下、"
        "或万平方米数填在“平方米”表头下的，请按表头的单位改正数值，或改正表头的单位。",
    )
    [asked] = validation.problems["area_implausible"]
    assert asked.message_zh.startswith(
        "第5行「改造面积（万平方米）」为286.5万平方米，惠及户数370户，折合每户约"
    )
    assert "不应超过1000平方米，改造面积是否按平方米填写在“万平方米”表头下？" in asked.message_zh
    [reverse] = validation.problems["area_impossible_wan_under_m2"]
    assert reverse.value == "1.932" and reverse.message_zh.startswith(
        "第6行「改造面积（平方米）」为1.932平方米，惠及户数249户，折合每户约0.0078平方米，"
        "一户的改造面积不可能超过10000平方米，也不可能小于0.1平方米"
    )
    [small] = validation.problems["area_implausible_small"]
    assert "改造面积是否按万平方米填写，而本列按平方米读取？" in small.message_zh
    [yuan] = validation.problems["exceeds_planned_total_yuan"]
    assert yuan.value == "2000000000"
    assert yuan.message_zh.startswith(
        "第3行「金额（元）」为2000000000元（合200000万元），不应超过项目基本信息表中该项目的计划总投资"
    )
    [tenfold] = validation.problems["exceeds_planned_tenfold_compound"]
    assert tenfold.message_zh == (
        "第5行「计划投资（万元）」为10759700万元，超过项目基本信息表中该项目计划总投资9163.6万元的十倍，"
        "不可能是一笔真实的金额，请核对金额单位（1万元＝10000元）：按元填写的，请将表头的单位改为元，"
        "或将数值换算为万元；如填错项目，请改正项目名称；如项目基本信息表的计划总投资有误，请区财政局更正后重新报送。"
    )


def test_an_amount_over_the_planned_total_is_told_as_the_clerk_wrote_it(checked):
    # Told 为123456.789012万元 under 「金额（元）」, a figure the clerk never wrote, in a unit his header does not name.
    [cents] = problems_of(checked, "exceeds_planned_total_yuan_cents")
    [typed] = problems_of(checked, "exceeds_planned_total_typed")

    assert cents.value == "1234567890.12"
    assert cents.message_zh.startswith(
        "第3行「金额（元）」为1234567890.12元（约合123456.79万元），不应超过项目基本信息表中该项目的计划总投资112774.31万元，"
    )
    assert typed.value == "200,000.50"
    assert typed.message_zh.startswith("第3行「金额（万元）」为200,000.50万元，不应超过")


def test_rows_alike_only_in_cells_that_could_not_be_read_are_not_told_as_the_same(registry):
    # Two payments whose dates cannot be read, written differently: not `与第6行各栏完全相同…算了两次`.
    text = CLEAN["fund_ledger"] + "".join(
        f"{day},{SHUANGPU},专项债券,支付,100,工程款,进度款\n" for day in ("2022.13.1", "2022年2月30日")
    )
    parsed = parse("unread_alike", text, registry)

    validation = validate([Batch("unread_alike", s) for s in parsed.sheets], registry, CONTEXT)

    found = [*parsed.all_problems, *validation.problems.get("unread_alike", [])]
    assert [(p.rule, p.excel_row) for p in found] == [("type", 6), ("type", 7)]


def test_a_name_merged_over_two_rows_is_told_as_the_merge_not_as_typed_twice(registry):
    # A compound's name merged over its two rows (A5:A6) read as the name on each: told 第6行填写为“棉纺厂东院”，
    # 请删除重复的行, the clerk was sent to delete a row of data for a name he typed once.
    rows = [
        ["填报单位：枣林街道办事处"],
        ["项目名称：" + ZAOLIN],
        ["年度：2022"],
        ["小区名称", "改造面积（万平方米）", "惠及户数（户）", "计划投资（万元）"],
        ["棉纺厂东院", "2.865", "370", "1075.97"],
        [None, "1.1", "120", "300"],
    ]
    parsed = parse_file(xlsx({"清单": rows}, merges={"清单": ["A5:A6"]}), "清单.xlsx", registry)

    validation = validate([Batch("merged", s) for s in parsed.sheets], registry, CONTEXT)

    [duplicate] = [*parsed.all_problems, *validation.problems.get("merged", [])]
    assert (duplicate.rule, duplicate.excel_row) == ("unique_compound", 6)
    assert duplicate.expected.endswith("（该单元格属于合并单元格A5:A6，按第5行所填读取）")
    assert duplicate.fix.startswith("请取消合并单元格，为每一行分别填写；")


def test_a_cumulative_under_a_yuan_header_is_told_in_yuan_not_in_the_wan_stored(checked):
    [cumulative] = problems_of(checked, "cumulative_mismatch_yuan")

    assert (cumulative.value, cumulative.expected) == ("100305200", "应等于1至3月本月完成投资之和100305000")
    assert cumulative.message_zh.startswith("第5行「累计完成投资（元）」填写为“100305200”，")


def test_a_cost_total_of_items_in_yuan_is_told_to_two_places_of_wan_not_to_six(checked):
    [cost] = problems_of(checked, "cost_vs_total_yuan")

    assert cost.value == "112774.43"
    assert cost.message_zh.startswith(
        "第7至11行「数量」投资构成各项合计约为112774.43万元，应等于项目计划总投资112774.31万元，"
    )


def test_paid_beyond_received_in_a_yuan_ledger_is_told_in_yuan_not_in_the_wan_stored(checked):
    # Told 累计支付为0.92万元…累计到位0.9万元, and 0.92 shown as found under 金额（元）: the clerk wrote 元.
    [paid] = problems_of(checked, "paid_exceeds_received_yuan")

    assert (paid.value, paid.expected) == ("9200", "累计支付不应超过累计到位9000元")
    assert paid.message_zh.startswith(
        "第3至5行「金额（元）」累计支付为9200元，累计支付不应超过累计到位9000元，"
    )


def test_a_cumulative_typed_with_thousands_separators_is_quoted_as_typed(checked):
    # It was quoted as 10030.52, a figure the clerk never wrote.
    [cumulative] = problems_of(checked, "cumulative_mismatch_typed")

    assert (cumulative.value, cumulative.expected) == ("10,030.52", "应等于1至3月本月完成投资之和10030.5")
    assert cumulative.message_zh.startswith("第5行「累计完成投资（万元）」填写为“10,030.52”，")


def test_an_unbalanced_survey_count_typed_with_thousands_separators_is_quoted_as_typed(checked):
    # It was quoted as 1076, a figure the clerk never wrote.
    [survey] = problems_of(checked, "satisfaction_sum_typed")

    assert survey.value == "1,076"
    assert survey.message_zh.startswith(
        "第6行「有效问卷（份）」填写为“1,076”，应等于满意、基本满意、不满意份数之和75，"
    )


def test_a_part_exceeding_its_row_is_told_as_the_row_was_written_in_its_own_unit(registry):
    # Row 7 written in 元, its part (row 8) in 万元: the receipt quotes the cell, not the 76313.93 万元 stored.
    in_yuan = changed(
        "scale_and_cost",
        "工程费用,76313.93,万元\n",
        f"工程费用,763139300,元\n{SHUANGPU},投资构成,其中：建安工程费,80000,万元\n",
    )
    in_m2 = changed("scale_and_cost", "配套商业,101723,", "配套商业,101724,")
    parsed = {name: parse(name, text, registry) for name, text in (("元", in_yuan), ("平方米", in_m2))}

    validation = validate(
        [Batch(name, s) for name, file in parsed.items() for s in file.sheets], registry, CONTEXT
    )

    [yuan] = [p for p in validation.problems["元"] if p.rule == "part_exceeds_row"]
    assert (yuan.excel_row, yuan.value) == (7, "763139300")
    assert yuan.message_zh == (
        "第7行「数量」填写为“763139300”元，应不小于其下“其中”各项（第8行）之和800000000元，"
        "请核对本行及“其中”各项的数量。"
    )
    assert not [
        p for p in validation.problems["元"] if p.rule == "part_unit"
    ]  # 元 and 万元: one unit, stored alike
    [m2] = [p for p in validation.problems["平方米"] if p.rule == "part_exceeds_row"]
    assert (m2.value, m2.expected) == ("408923", "应不小于其下“其中”各项（第5至6行）之和408924平方米")


def test_each_duplicated_line_names_its_own_first_row_not_one_of_the_same_amount(registry):
    # Rows 4 and 6 are one payment pasted twice, rows 7 and 8 another of the same amount: each copy names its own.
    payment = f"2022-02-15,{SHUANGPU},专项债券,支付,5000,工程款,进度款\n"
    text = (
        changed("fund_ledger", "到位,10000,", "到位,30000,")
        + payment
        + f"2022-04-01,{SHUANGPU},专项债券,支付,5000,工程款,二期进度款\n" * 2
    )
    parsed = parse("pasted_twice", text, registry)

    validation = validate([Batch("pasted_twice", s) for s in parsed.sheets], registry, CONTEXT)

    problems = validation.problems["pasted_twice"]
    assert [(p.rule, p.severity, p.excel_row, p.value) for p in problems] == [
        ("duplicate_row", "warning", 6, "5000"),
        ("duplicate_row", "warning", 8, "5000"),
    ]
    assert problems[0].message_zh == (
        "第6行「金额（万元）」填写为“5000”，与第4行各栏完全相同，两行都已计入，这笔金额算了两次，"
        "如是重复录入，请删除其中一行后重新报送；如确为两笔同额款项，请在「摘要」中注明区别后重新报送。"
    )
    assert "与第7行各栏完全相同" in problems[1].message_zh


@pytest.mark.parametrize(
    ("bounds", "rows"),
    [
        ({}, [4, 5]),
        ({"min_value": -0.5, "max_value": 0.5}, []),
        # No upper bound: the gaps above the months' sum pass, and reading the bound must not fail the validation.
        ({"max_value": None}, []),
    ],
)
def test_a_carried_gap_is_judged_by_the_suites_own_tolerance(registry, monkeypatch, bounds, rows):
    # February's 累计 0.3 over its months' sum, March's 0.6: within ±0.5 each month moves the gap by less than
    # the bound, so neither is blamed; at the suite's ±0.01 both are. The frame must read the bound the check uses.
    text = CLEAN["investment_progress"].replace("3150,5750", "3150,5750.3").replace("10030.50", "10031.10")
    original = suites_module.suite_documents

    def suite(template_id: str) -> dict[str, dict]:
        documents = copy.deepcopy(original(template_id))
        gaps = documents.get("cumulative_per_row")
        if gaps and bounds:
            # GX keeps a suite by its name for the process: a patched one is registered under a name of its own.
            gaps["name"] += "." + "_".join(f"{k}_{v}" for k, v in bounds.items()).replace("-", "m")
            for expectation in gaps["expectations"]:
                if expectation["kwargs"].get("column") == "cumulative_gap":
                    expectation["kwargs"] |= bounds
        return documents

    # validate() checks with the suites it imported, the frame reads its tolerance from pipeline.suites.
    for module in (validate_module, suites_module):
        monkeypatch.setattr(module, "suite_documents", suite)
    parsed = parse("carried_gap", text, registry)

    validation = validate([Batch("carried_gap", s) for s in parsed.sheets], registry, CONTEXT)

    problems = validation.problems.get("carried_gap", [])
    assert [p.excel_row for p in problems if p.rule == "cumulative_mismatch"] == rows


def test_a_suite_checking_a_derived_frame_no_code_builds_is_refused_naming_its_file_and_frame(
    registry, monkeypatch
):
    original = suites_module.suite_documents

    def suite(template_id: str) -> dict[str, dict]:
        documents = copy.deepcopy(original(template_id))
        if (
            "cumulative_per_row" in documents
        ):  # declared under a name pipeline/derived_frames.py does not build
            documents["楼栋_per_row"] = documents["cumulative_per_row"] | {
                "name": f"{template_id}.楼栋_per_row"
            }
        return documents

    monkeypatch.setattr(validate_module, "suite_documents", suite)
    parsed = parse("unbuilt", CLEAN["investment_progress"], registry)

    with pytest.raises(
        SuiteError,
        match=r"investment_progress\.json: meta\.derived_frames\.楼栋_per_row: 声明了派生表 '楼栋_per_row'.*请写其中之一（.*（第\d+行第\d+列）",
    ):
        validate([Batch("unbuilt", s) for s in parsed.sheets], registry, CONTEXT)


def _renamed_column(original, template: str, old: str, new: str):
    """Return suite_documents with one column of a template's rows suite renamed, as a registry edit leaves it."""

    def suite(template_id: str) -> dict[str, dict]:
        documents = copy.deepcopy(original(template_id))
        if template_id == template:
            for expectation in documents["rows"]["expectations"]:
                if expectation["kwargs"].get("column") == old:
                    expectation["kwargs"]["column"] = new
        return documents

    return suite


def test_a_suite_naming_a_column_its_template_lacks_is_refused_naming_file_and_column(registry, monkeypatch):
    # Met only while validating a file of the template, it stopped the night with "list index out of range".
    suite = _renamed_column(suites_module.suite_documents, "compound_list", "households", "household_count")
    monkeypatch.setattr(validate_module, "suite_documents", suite)

    with pytest.raises(SuiteError) as raised:
        validate_module.check_sources(registry)

    message = str(raised.value)
    # The renamed column is in the suite read, not in its file: the expectation is not found there to be placed, and
    # is named by its suite and rule (before: `expectations: ` alone).
    assert re.match(
        rf"{re.escape(str(EXPECTATIONS_DIR / 'compound_list.json'))}: expectations（suite 'compound_list' 的检查 "
        r"expect_\w+（规则 \w+），文件中没有这一条（not in the file））: ",
        message,
    ), message
    # Before: `registry/sources/compound_list.yaml`, wherever the registry was, in English.
    assert f"'household_count' 不是 {registry.directory / 'sources' / 'compound_list.yaml'} 中的列" in message
    assert (
        "（not a column of the template），请写 'households'（多半是它的笔误），或改用该文件的列名（"
        in message
    )
    # A generated check: regenerating rewrites it by the registry's columns.
    assert "，或运行 `pipeline new-source compound_list --regenerate` 重新生成" in message


@pytest.mark.parametrize(
    ("blame", "says"),
    [
        (
            None,
            '涉及几列，回执不知道该点名哪一列的表头（checks several columns: name the one whose header its problems are told on as meta.blame），请在 meta 中加上 "blame"',
        ),
        ("compund_name", "'compund_name' 不是 "),
    ],
)
def test_a_hand_written_check_of_several_columns_must_name_a_template_column_to_blame(
    registry, monkeypatch, blame, says
):
    # docs/adding-a-source.md's own rule (检查日期 and 小区名称 unique together), written with the meta it listed,
    # passed the suite's loading and stopped `pipeline check` and the night with a KeyError once a file repeated a row.
    original = suites_module.suite_documents

    def suite(template_id: str) -> dict[str, dict]:
        documents = copy.deepcopy(original(template_id))
        if template_id == "compound_list":
            meta = {"severity": "error", "rule": "compound_repeated", "rule_zh": "小区重复", "reason": "重复"}
            meta |= {"expected_zh": "不能重复", "fix_zh": "请删除重复的行"} | (
                {"blame": blame} if blame else {}
            )
            kwargs = {"column_list": ["_batch", "_sheet", "project_name", "compound_name"]}
            expectation = {"type": "expect_compound_columns_to_be_unique", "kwargs": kwargs, "meta": meta}
            documents["rows"]["expectations"].append(expectation)
        return documents

    monkeypatch.setattr(validate_module, "suite_documents", suite)

    with pytest.raises(SuiteError) as raised:
        validate_module.check_sources(registry)

    message = str(raised.value)
    assert message.startswith(
        f"{EXPECTATIONS_DIR / 'compound_list.json'}: expectations（suite 'compound_list' 的检查 "
        "expect_compound_columns_to_be_unique（规则 compound_repeated），文件中没有这一条（not in the file））: "
        "检查 expect_compound_columns_to_be_unique（规则 compound_repeated）"
    )
    assert says in message
    # Before: a hand-written check's unknown column suggested `--regenerate`, which keeps it as written.
    assert "--regenerate` 重新生成" not in message
    if blame:
        assert message.endswith(
            "）；这是手写的检查，--regenerate 不会改它"
            + at_place(EXPECTATIONS_DIR / "compound_list.json", ("expectations",))
        )


def test_the_checked_in_suites_name_only_their_templates_columns(registry):
    validate_module.check_sources(registry)


@pytest.mark.parametrize("missing", ["sql/staging/stg_compound_list.sql", "expectations/compound_list.json"])
def test_a_template_without_its_staging_model_or_suite_is_refused_saying_how_to_write_them(
    registry, monkeypatch, tmp_path, missing
):
    # A registry entry written by hand, without `new-source`: its files were stored in raw only, no staging view showed
    # them (and without a suite the night died on a traceback).
    import pipeline.warehouse_schema as warehouse_module
    from pipeline.registry import RegistryError

    root = tmp_path / "repo"
    for folder, source in (("sql", warehouse_module.SQL_DIR), ("expectations", EXPECTATIONS_DIR)):
        shutil.copytree(source, root / folder)
    (root / missing).unlink()
    monkeypatch.setattr(validate_module, "SQL_DIR", root / "sql")
    monkeypatch.setattr(validate_module, "EXPECTATIONS_DIR", root / "expectations")

    with pytest.raises(RegistryError) as raised:
        validate_module.check_sources(registry)

    assert str(raised.value) == (
        f"{registry.directory / 'sources' / 'compound_list.yaml'}: 缺少 {root / missing}：每个模板都要有它的 staging "
        "模型和校验规则（suite），请运行 `pipeline new-source compound_list --regenerate` 生成"
    )


def test_a_suite_for_no_template_is_refused_naming_it(registry, monkeypatch, tmp_path):
    # A suite kept beside its template as a backup (compound_list.orig.json), or left behind when a source was renamed
    # or removed, was passed over without a word: no file of it is checked, yet its scale checks reach
    # config.amount_checks under the template it names, where a second copy counts each flagged amount twice.
    root = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, root)
    shutil.copy(root / "compound_list.json", root / "compound_list.orig.json")
    monkeypatch.setattr(validate_module, "EXPECTATIONS_DIR", root)

    with pytest.raises(SuiteError) as raised:
        validate_module.check_sources(registry)

    assert str(raised.value) == (
        f"{root / 'compound_list.orig.json'}: 没有对应的报表模板，"
        f"{registry.directory / 'sources' / 'compound_list.orig.yaml'} 不存在（a suite for no template），"
        "请删去这个文件（备份请移出 expectations/），或按它所检查的模板 id 命名"
    )


def test_a_registry_entry_edited_without_regenerating_its_suite_stops_the_night_naming_the_command(tmp_path):
    # Noticed only by `make test`: the night went on checking 工程状态 by the suite's old values, returning every
    # file that used the one the registry had just allowed.
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    entry = tmp_path / "registry" / "sources" / "compound_list.yaml"
    text = entry.read_text(encoding="utf-8")
    assert "      未开工: []\n" in text
    entry.write_text(
        text.replace("      未开工: []\n", "      未开工: []\n      停工: []\n"), encoding="utf-8"
    )

    with pytest.raises(SuiteError) as raised:
        validate_module.check_sources(load_registry(tmp_path / "registry"))

    assert str(raised.value) == (
        f"{EXPECTATIONS_DIR / 'compound_list.json'}: 生成之后 registry/sources/compound_list.yaml 又改过，已不相符"
        "（out of date with registry/sources/compound_list.yaml），请运行 `pipeline new-source compound_list "
        "--regenerate` 重新生成（手写的检查和措辞会保留；生成的检查请在登记文件中修改，不要改在这里）"
    )


def test_a_suite_with_an_expectation_type_gx_does_not_know_is_refused_naming_it(tmp_path):
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    suite["expectations"][0]["type"] = "expect_column_values_to_be_in_typelist"
    (tmp_path / "compound_list.json").write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)

    assert str(raised.value) == (
        f"{tmp_path / 'compound_list.json'}: expectations.0.type: type 'expect_column_values_to_be_in_typelist' 不是"
        "逐行检查的 Great Expectations 检查（no Great Expectations check of rows），"
        "请写 'expect_column_values_to_be_in_type_list'（多半是它的笔误）（第1行第57列）"
    )


@pytest.mark.parametrize(
    ("meta", "stated"), [("error", "warning"), ("warning", "critical"), ("error", "info")]
)
def test_an_expectation_whose_gx_severity_disagrees_with_its_meta_severity_is_refused(tmp_path, meta, stated):
    # Only meta.severity decides; GX's own field beside it, the one GX documents, was edited to `warning` and the
    # check went on returning files, or the other way round, without a word.
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    suite["expectations"][0]["meta"]["severity"], suite["expectations"][0]["severity"] = meta, stated
    (tmp_path / "compound_list.json").write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)

    assert str(raised.value).startswith(
        f"{tmp_path / 'compound_list.json'}: expectations.0.severity: severity {stated!r} 与决定文件是否退回的 "
        f"meta.severity {meta!r} 不一致"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda s: [],
            "suite 应是一个对象，其 expectations 是一个列表（a suite is an object whose `expectations`",
        ),
        (
            lambda s: s | {"expectations": {"a": 1}},
            "expectations: suite 应是一个对象，其 expectations 是一个列表（a suite is an object whose `expectations`",
        ),
        (
            lambda s: s | {"expectations": [*s["expectations"], "expect_column_values_to_not_be_null"]},
            "expectations.{last}: 每条检查应是一个对象，含 type，以及 kwargs 和 meta 两个对象（an object with `type`",
        ),
        (
            lambda s: s | {"expectations": [s["expectations"][0] | {"meta": "error"}]},
            "expectations.0: 每条检查应是一个对象，含 type，以及 kwargs 和 meta 两个对象（an object with `type`",
        ),
    ],
)
def test_a_suite_of_another_shape_is_refused_naming_it(tmp_path, edit, message):
    # Each crashed `pipeline check` with an AttributeError traceback.
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    path = tmp_path / "compound_list.json"
    path.write_text(json.dumps(edit(suite), ensure_ascii=False), encoding="utf-8")

    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)

    assert str(raised.value).startswith(f"{path}: " + message.format(last=len(suite["expectations"])))
    assert "，请写成 {" in str(raised.value)


def test_a_suite_not_in_utf8_is_refused_saying_so_in_chinese(tmp_path):
    path = tmp_path / "compound_list.json"
    path.write_bytes((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8").encode("gbk"))

    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)

    assert str(raised.value).startswith(f"{path}: 不是UTF-8编码（第")
    assert str(raised.value).endswith("个字节起无法读取），请用UTF-8编码另存后重试")


def test_the_row_expectations_are_the_map_expectations_gx_registers():
    gx_runtime.import_great_expectations()
    from great_expectations.expectations import registry as gx_registry
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    maps = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    registered = gx_registry.list_registered_expectation_implementations()
    assert {
        name for name in registered if issubclass(gx_registry.get_expectation_impl(name), maps)
    } == suites_module.ROW_EXPECTATIONS


def test_a_file_with_three_errors_reports_all_three(checked):
    problems = problems_of(checked, "three_errors")

    assert sorted(
        (p.rule, p.excel_row, p.column_header) for p in problems if p.severity == "error"
    ) == sorted(
        [
            ("type", 5, "惠及户数（户）"),
            ("unique_compound", 7, "小区名称"),
            ("unknown_project", 3, "项目名称"),
        ]
    )


def test_one_gx_validation_per_template_and_derived_frame(checked, registry):
    parsed, validation = checked
    # The templates this module's sheets cover, and the derived frames their suites declare: a source added
    # to the registry later has no sheet here and takes no validation.
    templates = {sheet.template.id for file in parsed.values() for sheet in file.sheets}
    derived = {
        (template, kind)
        for template in templates
        for kind in json.loads((EXPECTATIONS_DIR / f"{template}.json").read_text(encoding="utf-8"))[
            "meta"
        ].get("derived_frames", {})
    }

    assert validation.gx_validations == len(templates) + len(derived)


def test_three_sheets_of_one_template_take_one_gx_validation_per_frame(registry):
    sheets = [
        Batch(f"file{i}", parse(f"list{i}", CLEAN["compound_list"], registry).sheets[0]) for i in range(3)
    ]
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))

    validation = validate(sheets, registry, CONTEXT)

    # The data rows, and each derived frame the suite declares (the project has a 计划总投资 here).
    assert validation.gx_validations == 1 + len(suite["meta"]["derived_frames"])
    assert validation.problems == {"file0": [], "file1": [], "file2": []}


def test_a_validation_builds_its_gx_batch_once_and_never_fingerprints_the_frame(registry, monkeypatch):
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    validate([Batch("warm", parse("warm", CLEAN["compound_list"], registry).sheets[0])], registry, CONTEXT)
    built = []
    get_batch = PandasExecutionEngine.get_batch_data_and_markers

    def counted(self, batch_spec):
        built.append(batch_spec)
        return get_batch(self, batch_spec)

    def fingerprint(frame):
        raise AssertionError("GX fingerprinted a frame: seconds of a large load, for a marker nothing reads")

    monkeypatch.setattr(PandasExecutionEngine, "get_batch_data_and_markers", counted)
    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", fingerprint)
    sheets = [Batch("file0", parse("list0", CLEAN["compound_list"], registry).sheets[0])]

    validation = validate(sheets, registry, CONTEXT)

    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    assert len(built) == validation.gx_validations == 1 + len(suite["meta"]["derived_frames"])
    assert validation.problems == {"file0": []}


def test_a_configuration_builds_its_expectation_once_within_a_validation_and_afresh_outside(registry):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    gx = gx_runtime._great_expectations()
    configuration = ExpectationConfiguration(
        type="expect_column_values_to_not_be_null", kwargs={"column": "a"}
    )
    assert configuration.to_domain_obj() is not configuration.to_domain_obj()
    with gx.configurations.active():
        first = configuration.to_domain_obj()
        assert configuration.to_domain_obj() is first
        assert first.configuration is first.configuration
    assert configuration.to_domain_obj() is not first
    assert first.configuration is not first.configuration


def test_only_failed_expectations_are_checked_again_and_each_finds_what_one_complete_pass_finds(
    checked, registry, monkeypatch
):
    parsed, first_then_failed = checked
    batches = [Batch(name, sheet) for name, file in parsed.items() for sheet in file.sheets]
    again = []
    validate_expectation = gx_runtime._great_expectations().validator.validate_expectation

    def counted(self, expectation, expectation_parameters=None):
        again.append(expectation)
        return validate_expectation(self, expectation, expectation_parameters)

    monkeypatch.setattr(gx_runtime._great_expectations().validator, "validate_expectation", counted)
    monkeypatch.setattr(gx_runtime, "FIRST_FORMAT", gx_runtime.RESULT_FORMAT)  # one complete pass

    complete = validate(batches, registry, CONTEXT)

    assert first_then_failed.problems == complete.problems
    failed = sum(not r.success for _, result in complete.results for r in result.results)
    assert failed and len(again) == failed  # each failed expectation once more, no passing one
    assert failed < sum(len(result.results) for _, result in complete.results)
    # The patch took: the complete pass listed the rows of passing expectations too, the two passes none.
    assert _rows_listed_passing(complete) and not _rows_listed_passing(first_then_failed)


def _rows_listed_passing(validation) -> int:
    """Count the passing expectations whose rows GX listed."""
    return sum(
        "unexpected_index_list" in r.result
        for _, result in validation.results
        for r in result.results
        if r.success
    )


def test_validation_leaves_the_parsed_values_exact(checked):
    parsed, _ = checked
    record = parsed["clean_compound_list"].sheets[0].records[0]

    assert record["planned_investment_wan"] == Decimal("1075.97")
    assert isinstance(record["area_m2"], Decimal)


def test_data_docs_are_written_as_static_html(checked, tmp_path):
    _, validation = checked

    index = write_data_docs(validation, tmp_path / "data_docs")

    assert index.is_file()
    pages = {p.name for p in (tmp_path / "data_docs" / "validations").rglob("*.html")}
    assert "compound_list.html" in pages
    assert "performance_targets.weight_total_per_sheet.html" in pages


# The suites themselves: versioned GX JSON that agrees with the registry and the spec.


def suites(registry) -> dict[str, dict]:
    return {
        template: json.loads((EXPECTATIONS_DIR / f"{template}.json").read_text(encoding="utf-8"))
        for template in registry.templates
    }


def by_type(suite: dict, expectation_type: str) -> list[dict]:
    return [e for e in suite["expectations"] if e["type"] == expectation_type]


def test_every_suite_is_gx_json_with_complete_meta(registry, checked):
    import great_expectations as gx

    gx_severity = {"error": "critical", "warning": "warning"}
    for template, suite in suites(registry).items():
        assert suite["name"] == template
        assert (
            isinstance(suite["meta"]["suite_version"], int) and suite["meta"]["suite_version"] >= 1
        )  # bumped by hand (expectations/README.md)
        assert gx.ExpectationSuite(**suite).to_json_dict() == suite
        for expectation in suite["expectations"]:
            meta = expectation["meta"]
            assert {"severity", "rule", "reason", "expected_zh", "fix_zh"} <= meta.keys(), expectation
            assert expectation["severity"] == gx_severity[meta["severity"]]
            if "derived" in meta:
                assert meta["derived"] in suite["meta"]["derived_frames"]


def test_suites_encode_the_registry(registry):
    for template, suite in suites(registry).items():
        columns = registry.template(template).columns
        not_null = {
            e["kwargs"]["column"]
            for e in by_type(suite, "expect_column_values_to_not_be_null")
            if e["meta"]["rule"]
            == "required"  # not a check of a column's own, on some rows (indicator_unexplained)
        }
        in_set = {
            e["kwargs"]["column"]: e["kwargs"]["value_set"]
            for e in by_type(suite, "expect_column_values_to_be_in_set")
            if e["meta"]["rule"] == "enum"
        }
        non_negative = {
            e["kwargs"]["column"]
            for e in by_type(suite, "expect_column_values_to_be_between")
            if e["meta"]["rule"] == "negative"
        }
        typed = {e["kwargs"]["column"] for e in by_type(suite, "expect_column_values_to_be_in_type_list")}
        # A `multiple` enum holds some of its values joined by `、`: checked by a pattern, not a set.
        several = {
            e["kwargs"]["column"]
            for e in by_type(suite, "expect_column_values_to_match_regex")
            if e["meta"]["rule"] == "enum"
        }

        assert not_null == {c.name for c in columns if c.required}
        enums = [c for c in columns if c.type is ColumnType.ENUM]
        assert in_set == {c.name: list(c.values) for c in enums if not c.multiple}
        assert several == {c.name for c in enums if c.multiple}
        amounts = {ColumnType.COUNT, ColumnType.MONEY, ColumnType.AREA, ColumnType.DECIMAL}
        assert non_negative == {c.name for c in columns if c.type in amounts}
        assert typed == {c.name for c in columns}


def test_the_fund_ledger_suite_takes_the_negative_list_from_the_rules(registry):
    [check] = by_type(suites(registry)["fund_ledger"], "expect_column_values_to_not_match_regex_list")

    assert check["kwargs"]["regex_list"] == {"$PARAMETER": "negative_list_patterns"}
    assert sorted(load_rules().negative_list_any_year) == sorted(NEGATIVE_LIST)
    assert check["meta"] | {"severity": "warning", "rule": "negative_list"} == check["meta"]


@pytest.mark.parametrize(
    "written",
    [
        "偿还 债务",
        "偿还债务（银行贷款）",
        "偿还　债务（利息）",
        "用于偿还债务",
        "工程款；偿还债务",
        "购置公务用车1辆",
    ],
)
def test_a_negative_list_item_written_with_spaces_or_a_note_is_warned_quoting_the_cell(registry, written):
    # Only the exact spelling was warned; `偿还 债务` and `偿还债务（银行贷款）` went unseen, and so did an item within
    # longer words (`用于偿还债务`, `工程款；偿还债务`).
    parsed = parse("ledger", CLEAN["fund_ledger"].replace(",征收补偿款,", f",{written},"), registry)

    validation = validate([Batch("ledger", s) for s in parsed.sheets], registry, CONTEXT)

    [found] = [p for p in validation.problems["ledger"] if p.rule == "negative_list"]
    assert (found.excel_row, found.column_header, found.value) == (5, "支出用途", written)


@pytest.mark.parametrize(("finish", "warned"), [("2021-12-31", True), ("2022-03-01", False), ("", False)])
def test_a_register_planned_to_finish_before_it_starts_is_warned_on_its_finish(registry, finish, warned):
    # Accepted untold, the reversed span was what every other form's year was held to.
    text = (
        CLEAN["project_register"]
        .replace("计划总投资（万元）", "计划开工日期,计划完工日期,计划总投资（万元）")
        .replace(",112774.31", f",2022-03-01,{finish},112774.31")
        .replace(",9163.6", ",2022-01-01,2022-12-31,9163.6")
    )
    parsed = parse("register", text, registry)

    validation = validate([Batch("register", s) for s in parsed.sheets], registry, CONTEXT)

    found = [p for p in validation.problems["register"] if p.rule == "planned_dates_reversed"]
    assert [(p.severity, p.excel_row, p.column_header, p.value) for p in found] == (
        [(Severity.WARNING, 4, "计划完工日期", finish)] if warned else []
    )
    if warned:
        assert "计划完工日期不应早于计划开工日期2022-03-01" in found[0].message_zh


@pytest.mark.parametrize(("cumulative", "warned"), [("4280.50", False), ("5000", True)])
def test_a_project_begun_in_march_has_its_cumulative_checked_with_the_unsent_months_as_nothing(
    registry, cumulative, warned
):
    # No January or February anywhere: 累计 is still checked, against March alone, and the receipt says why.
    text = "\n".join(
        line
        for line in CLEAN["investment_progress"]
        .replace("4280.50,10030.50", f"4280.50,{cumulative}")
        .splitlines()
        if ",2022,1," not in line and ",2022,2," not in line
    )
    parsed = parse("begun_in_march", text, registry)

    validation = validate([Batch("begun_in_march", s) for s in parsed.sheets], registry, CONTEXT)

    found = [p for p in validation.problems["begun_in_march"] if p.rule == "cumulative_mismatch"]
    assert [p.excel_row for p in found] == ([3] if warned else [])
    if warned:
        assert found[0].expected == "应等于1至3月本月完成投资之和4280.5（其中1、2月未报送，按0计）"


@pytest.mark.parametrize(
    ("old", "new", "row", "told"),
    [
        (
            "4280.50,10030.50",
            ",10030.50",
            5,
            "按第5行累计完成投资10030.5减去1至2月本月完成投资之和5750推算应为4280.5",
        ),
        ("2022,1,18000,2600,2600", "2022,1,18000,,2600", 3, "按第3行累计完成投资2600推算应为2600"),
    ],
)
def test_a_blank_monthly_figure_is_refused_and_told_what_its_cumulative_makes_it(
    registry, old, new, row, told
):
    # Refused as before (never filled in for the clerk), but the receipt names the figure 累计 gives and its cells.
    parsed = parse("worked_back", changed("investment_progress", old, new), registry)

    validation = validate([Batch("worked_back", s) for s in parsed.sheets], registry, CONTEXT)

    [required] = parsed.errors
    [worked] = validation.problems["worked_back"]
    assert (required.rule, required.excel_row) == ("required", row)
    assert (worked.rule, worked.severity, worked.excel_row, worked.column_header, worked.value) == (
        "monthly_from_cumulative",
        "warning",
        row,
        "本月完成投资（万元）",
        None,
    )
    assert told in worked.message_zh and "未代为填入" in worked.message_zh


def test_a_blank_monthly_figure_is_worked_back_from_the_months_another_file_of_the_run_sends(registry):
    # March alone, its 本月 blank; January and February come in another file of the same run.
    march = "\n".join(
        line
        for line in changed("investment_progress", "4280.50,10030.50", ",10030.50").splitlines()
        if ",2022,1," not in line and ",2022,2," not in line
    )
    earlier = "\n".join(line for line in CLEAN["investment_progress"].splitlines() if ",2022,3," not in line)
    files = {"甲": parse("甲", earlier, registry), "march": parse("march", march, registry)}
    context = dataclasses.replace(CONTEXT, run_files={"甲": "甲.csv", "march": "march.csv"})

    validation = validate([Batch(k, s) for k, f in files.items() for s in f.sheets], registry, context)

    [worked] = validation.problems["march"]
    assert worked.expected == (
        "按第3行累计完成投资10030.5减去1至2月本月完成投资之和5750（其中1、2月取自本次同时报送的“甲.csv”）推算应为"
        "4280.5；为免误算，未代为填入"
    )


def test_a_blank_monthly_figure_beside_a_blank_cumulative_is_told_only_as_required(registry):
    parsed = parse("both_blank", changed("investment_progress", "4280.50,10030.50", ","), registry)

    validation = validate([Batch("both_blank", s) for s in parsed.sheets], registry, CONTEXT)

    assert validation.problems["both_blank"] == []


@pytest.mark.parametrize("name", ["纺织厂一、二号家属院", "市委小区1、2号楼", "市委小区1号楼、2号楼"])
def test_a_compound_whose_own_name_holds_a_pause_mark_is_one_compound_not_several(registry, name):
    # Only two names each ending as a compound does (小区, 院, 村…) are asked about: buildings of one are not.
    parsed = parse("one", changed("compound_list", "3,石化小区", f"3,{name}"), registry)

    validation = validate([Batch("one", s) for s in parsed.sheets], registry, CONTEXT)

    assert parsed.errors == [] and validation.problems.get("one", []) == []


def _suite_with_rule(directory: Path, rule: str, title: str | None) -> Path:
    """Write compound_list's suite with its first check given `rule` (and `meta.rule_zh`, unless None)."""
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    meta = suite["expectations"][0]["meta"]
    meta["rule"] = rule
    if title is not None:
        meta["rule_zh"] = title
    path = directory / "compound_list.json"
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rule", "title", "refused"),
    [
        (
            "compound_code",
            None,
            "meta.rule: 规则 'compound_code' 是本 suite 自己的规则，回执上要显示它的中文名称",
        ),
        (
            "type",
            "类型不对",
            "meta.rule_zh: 规则 'type' 由流水线命名为 '填写格式不符'，与 rule_zh '类型不对' 不一致",
        ),
    ],
)
def test_a_suites_own_rule_needs_one_chinese_title(tmp_path, rule, title, refused):
    # A rule of a new source's own showed its id on the clerk's receipt unless Python gave it a title.
    path = _suite_with_rule(tmp_path, rule, title)
    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)
    assert str(raised.value).startswith(f"{path}: expectations.0.{refused}")


def test_a_check_standing_instead_of_a_misspelt_rule_is_refused(tmp_path):
    # A misspelt meta.instead_of dropped nothing: both problems stood on the cell, with nothing said.
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    position, expectation = next(
        (i, e) for i, e in enumerate(suite["expectations"]) if e["meta"].get("instead_of")
    )
    expectation["meta"]["instead_of"] = "exceeds_planed_total"
    path = tmp_path / "compound_list.json"
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)
    assert str(raised.value) == (
        f"{path}: expectations.{position}.meta.instead_of: meta.instead_of 写的 'exceeds_planed_total' 不是流水线的规则"
        "（meta.instead_of names 'exceeds_planed_total', no rule of the pipeline's），"
        f"请写 'exceeds_planned_total'（多半是它的笔误）{at_place(path, ('expectations', position, 'meta', 'instead_of'))}"
    )


def test_a_suites_own_rule_is_titled_on_the_receipt_by_its_suite(tmp_path, monkeypatch):
    from pipeline.receipt_facts import ReceiptFacts, ReceiptIssue
    from pipeline.receipt_render import render_html, render_text

    _suite_with_rule(tmp_path, "compound_code", "小区编码有误")
    suites_module.suite_documents("compound_list", tmp_path)  # taken: the title is given
    monkeypatch.setattr(suites_module, "EXPECTATIONS_DIR", tmp_path)
    issue = ReceiptIssue("清单", 5, "小区编码", "X1", "error", "compound_code", "第5行…", "应为…", "请改")
    facts = ReceiptFacts(
        1, "清单.xlsx", "枣林", "2023-01-05 09:00:00+0800", "0" * 64, "rejected", [], None, None, [issue]
    )

    assert "[错误·小区编码有误]" in render_text(facts)
    assert "<td>小区编码有误</td>" in render_html(facts)
    assert facts.as_json()["problems"][0]["rule_zh"] == "小区编码有误"


def test_an_expectation_whose_kwargs_gx_refuses_is_named_not_a_traceback(tmp_path, monkeypatch):
    # A misspelt `min_value` passed every check made before the inbox is read, then stopped the night at its first
    # validation with pydantic's traceback.
    suite = json.loads((EXPECTATIONS_DIR / "compound_list.json").read_text(encoding="utf-8"))
    suite["name"] = "kwargs_probe"  # a suite name no other test registers in this process's GX
    position, expectation = next(
        (i, e)
        for i, e in enumerate(suite["expectations"])
        if e["type"] == "expect_column_values_to_be_between"
    )
    expectation["kwargs"]["min_valu"] = expectation["kwargs"].pop("min_value")
    path = tmp_path / "kwargs_probe.json"
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(gx_runtime, "EXPECTATIONS_DIR", tmp_path)
    documents = suites_module.suite_documents("kwargs_probe", tmp_path)

    with pytest.raises(SuiteError) as raised:
        gx_runtime._great_expectations().suite(documents["rows"])

    message = str(raised.value)
    assert message.startswith(
        f"{path}: expectations.{position}.kwargs.min_valu: Great Expectations 不接受这条检查的 kwargs "
    )
    assert message.endswith(f"{at_place(path, ('expectations', position, 'kwargs', 'min_valu'))}")
    assert "min_valu" in message and "extra fields not permitted" in message


def test_a_year_with_no_negative_list_checks_no_payment_against_one(registry):
    # The list became a GX regex list, which may not be empty: a context without one stopped the validation.
    parsed = parse("ledger", CLEAN["fund_ledger"].replace(",征收补偿款,", ",偿还债务,"), registry)

    validation = validate(
        [Batch("ledger", s) for s in parsed.sheets],
        registry,
        dataclasses.replace(CONTEXT, negative_list=set()),
    )

    assert [p for p in validation.problems["ledger"] if p.rule == "negative_list"] == []


@pytest.mark.parametrize(("received", "warned"), [("500", False), ("100", True)])
def test_a_ledger_kept_a_sheet_a_month_is_held_to_its_year_so_far_across_its_sheets(
    registry, received, warned
):
    # 到位 in January's sheet, 支付 in February's: February's alone was told 累计支付不应超过累计到位0万元.
    header = ["日期", "项目名称", "资金来源", "类型", "金额（万元）"]
    sheets = {
        "1月": [
            ["填报单位：枣林街道办事处"],
            header,
            ["2022-01-10", ZAOLIN, "中央补助资金", "到位", received],
        ],
        "2月": [["填报单位：枣林街道办事处"], header, ["2022-02-10", ZAOLIN, "中央补助资金", "支付", "120"]],
    }
    parsed = parse_file(xlsx(sheets), "枣林街道办事处/台账.xlsx", registry)

    validation = validate([Batch("months", s) for s in parsed.sheets], registry, CONTEXT)

    told = [
        (p.sheet, p.excel_row) for p in validation.problems["months"] if p.rule == "paid_exceeds_received"
    ]
    assert told == ([("2月", 3)] if warned else [])


@pytest.mark.parametrize(
    ("dropped", "says"),
    [
        ("severity", '"severity": "error"（整份文件退回报送单位）或 "warning"'),
        ("reason", '"reason": 这条规则为什么要紧（why），一句中文'),
    ],
)
def test_a_check_whose_meta_lacks_a_key_says_what_to_write_there(tmp_path, dropped, says):
    # `meta lacks ['severity']` was all an engineer adding a check by hand was told.
    path = _suite_with_rule(tmp_path, "required", None)
    suite = json.loads(path.read_text(encoding="utf-8"))
    del suite["expectations"][0]["meta"][dropped]
    path.write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(SuiteError) as raised:
        suites_module.suite_documents("compound_list", tmp_path)

    assert str(raised.value).startswith(f"{path}: expectations.0.meta: meta 缺少 {dropped}，")
    assert f"（meta lacks [{dropped!r}]），请在 meta 中加上 {says}" in str(raised.value)


def test_a_check_of_an_unknown_severity_says_what_to_write():
    with pytest.raises(SuiteError, match='（severity must be error or warning），请写 "error".*或 "warning"'):
        suites_module._check_meta(Path("x.json"), 0, {k: "x" for k in suites_module.REQUIRED_META}, {})
