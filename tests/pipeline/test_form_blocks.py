"""The national 自评表's blocks as clerks lay them out: funds written on their 其中 rows, goals over several rows or
beside stacked labels, and 得分 rounded as written, read and judged as a careful reader would; the 运行监控表's funds
total checked against its 其中 rows."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import duckdb
import pytest

from pipeline.indicators import build_indicators
from pipeline.parse import parse_file
from pipeline.report import write_report_files
from tests.pipeline.test_national_forms import (
    GOALS,
    MONITORING,
    PROJECT,
    UNIT,
    _night,
    _row,
    _where,
    as_national,
    workbook,
)
from tests.pipeline.test_report import _Page
from tests.pipeline.workbooks import csv_bytes, national_monitoring, national_self_evaluation, xls, xlsx

# The 项目资金 block with its 年度资金总额 row holding only the printed 分值: the figures are on the rows under it.
BLANK_TOTAL = (None, None, None, 10, None, None)


def _funds(rows: list[list[object]], *parts: tuple[object, ...]) -> None:
    """Write the block's rows under 年度资金总额 as given: (label, 年初预算数, 全年预算数, 全年执行数, 执行率)."""
    first = _row(rows, "年度资金总额")
    for offset, (label, initial, annual, executed, rate) in enumerate(parts, start=1):
        rows[first - 1 + offset][1:8] = [label, initial, annual, executed, "—", rate, "—"]


def _parse(rows, merges, registry):
    return parse_file(workbook((rows, merges)), f"{UNIT}/2022年度项目支出绩效自评表.xlsx", registry)


def _stored(parsed, *names: str) -> tuple:
    record = parsed.sheets[0].records[0]
    return tuple(record[name] for name in names)


AMOUNTS = ("budget_initial_wan", "budget_annual_wan", "budget_executed_wan")


def test_funds_written_only_on_the_sole_part_row_are_that_row_read_and_said(registry, demo):
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(rows, ("其中：本年财政拨款", "1570", "1570", "1541.2", "98.17%"))
    total, part = _row(rows, "年度资金总额"), _row(rows, "其中：本年财政拨款")

    parsed = _parse(rows, merges, registry)

    assert parsed.errors == []
    assert _stored(parsed, *AMOUNTS, "budget_execution_rate", "budget_points") == (
        Decimal(1570),
        Decimal(1570),
        Decimal("1541.2"),
        Decimal("0.9817"),
        Decimal(10),
    )
    [told] = [p for p in parsed.all_problems if p.rule == "total_row_from_parts"]
    assert (told.severity, told.excel_row, told.column_header) == (
        "warning", total, _where(rows, "年度资金总额", "年初预算数")
    )  # fmt: skip
    assert f"只填在其下第{part}行“其中：本年财政拨款”，已按该行读取：" in told.message_zh
    assert (
        "全年执行数1541.2、执行率98.17%" in told.message_zh
        and "请在“年度资金总额”行填写合计" in told.message_zh
    )
    # The cells read are the ones the marts trace the rate to; the 分值 stays the total row's.
    cells = parsed.sheets[0].field_cells
    assert [c[:2] for c in cells["budget_execution_rate"]] == [(part, "G")]
    assert [c[:2] for c in cells["budget_points"]] == [(total, "F")]
    assert {p.rule for p in parsed.all_problems} == {"total_row_from_parts"}


# The sole row's 执行率 is the block's: checked against its 执行数 and budget, a bare 1 settled by them, as on the
# total row.
@pytest.mark.parametrize(
    ("rate", "rule", "stored"),
    [("90%", "rate_mismatch", Decimal("0.9")), (1, "percent_ambiguous", Decimal(1))],
    ids=["mismatch", "bare-1"],
)
def test_the_sole_part_rows_rate_is_checked_as_the_total_rows_is(registry, demo, rate, rule, stored):
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(rows, ("其中：本年财政拨款", "1300", "1300", "1300", rate))
    part = _row(rows, "其中：本年财政拨款")

    parsed = _parse(rows, merges, registry)

    [checked] = [p for p in parsed.all_problems if p.rule == rule]
    assert (checked.excel_row, checked.column_header) == (part, "其中：本年财政拨款·执行率（G列）")
    assert _stored(parsed, "budget_execution_rate") == (stored,)


def test_funds_on_several_part_rows_are_added_up_and_the_rate_is_theirs(registry, demo):
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(
        rows,
        ("其中：本年财政拨款", "1500", "1500", "1480", "98.67%"),
        ("上年结转资金", None, "70", "61.2", "87.43%"),
        ("其他资金", "—", "无", "—", None),
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse(rows, merges, registry)

    # Each amount over the rows that state it; neither row's own 执行率 is the block's.
    assert _stored(parsed, *AMOUNTS, "budget_execution_rate") == (
        Decimal(1500),
        Decimal(1570),
        Decimal("1541.2"),
        None,
    )
    by_rule = {p.rule: p for p in parsed.all_problems}
    assert set(by_rule) == {"total_row_from_parts", "rate_blank"}
    summed = by_rule["total_row_from_parts"]
    assert summed.excel_row == total
    assert (
        f"第{total + 1}行“其中：本年财政拨款”、第{total + 2}行“上年结转资金”，已按各行之和读取"
        in summed.message_zh
    )
    assert "年初预算数1500、全年预算数1570、全年执行数1541.2，" in summed.message_zh
    assert "全年执行数÷全年预算数＝1541.2÷1570≈98.17%" in by_rule["rate_blank"].message_zh


SEVERAL_PARTS = (
    ("其中：本年财政拨款", "1500", "1500", "1480", None),
    ("上年结转资金", None, "70", "61.2", None),
    ("其他资金", "—", "无", "—", None),
)


def test_an_amount_added_up_from_part_rows_keeps_every_row_it_came_from(registry, demo):
    """warehouse.md: lineage down to the Excel row of every value. A sum named only its first 其中 row."""
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(rows, *SEVERAL_PARTS)
    total = _row(rows, "年度资金总额")
    first, carried = total + 1, total + 2

    parsed = _parse(rows, merges, registry)

    cells = parsed.sheets[0].field_cells
    # Each amount from the rows that state it, under its own column; 其他资金 states none, 年初预算数 one row only.
    assert cells["budget_annual_wan"] == [
        (first, "D", "其中：本年财政拨款·全年预算数"),
        (carried, "D", "上年结转资金·全年预算数"),
    ]
    assert [c[:2] for c in cells["budget_executed_wan"]] == [(first, "E"), (carried, "E")]
    assert [c[:2] for c in cells["budget_initial_wan"]] == [(first, "C")]
    assert [c[:2] for c in cells["budget_points"]] == [(total, "F")]
    # The warning still names one cell: the block's first amount on its total row.
    [told] = [p for p in parsed.all_problems if p.rule == "total_row_from_parts"]
    assert told.excel_row == total


@pytest.mark.slow
def test_a_budget_scored_from_summed_part_rows_traces_to_every_row(settings, registry, register, demo):
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), budget=BLANK_TOTAL, total=(100, 90))
    _funds(rows, *SEVERAL_PARTS)
    total = _row(rows, "年度资金总额")
    path = settings.inbox / UNIT / "2022年度项目支出绩效自评表.xlsx"
    path.write_bytes(workbook((rows, merges)))

    [outcome] = _night(settings, registry, [path])
    build_indicators(settings, registry)

    assert outcome.status == "accepted"
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        actual, lineage = con.execute(
            "select actual_value, lineage from mart.self_evaluation "
            "where project_name = ? and year = 2022 and position = 0",
            [PROJECT],
        ).fetchone()
        stored = con.execute(
            "select excel_row, excel_column from ops.sheet_fields where submission_id = ? "
            "and field_name = 'budget_executed_wan' order by excel_row",
            [outcome.submission_id],
        ).fetchall()
    # No ledger, no rate written: 全年执行数 over 全年预算数, each summed from both rows, and traced to both.
    assert actual == (Decimal("1541.2") / Decimal(1570)).quantize(actual)
    assert [cell["excel_row"] for cell in lineage] == [total + 1, total + 2]
    assert stored == [(total + 1, "E"), (total + 2, "E")]


# A 项目资金 amount added up from its 其中 rows was never held against the project's 计划总投资: 1570万元 typed in 元
# under （万元） on two rows was stored as 15,700,000 万元 with nothing on the receipt.
@pytest.mark.slow
@pytest.mark.parametrize("form", ["自评表", "运行监控表"])
def test_a_budget_added_up_from_part_rows_above_the_planned_total_is_told_with_the_rows_it_adds(
    settings, registry, register, demo, form
):
    if form == "自评表":  # (label, 年初预算数, 全年预算数, 全年执行数, 执行率)
        rows, merges = national_self_evaluation(
            as_national(demo.TARGETS), budget=BLANK_TOTAL, total=(100, 90)
        )
        _funds(
            rows,
            ("其中：本年财政拨款", "10000000", "10000000", "9000000", "90%"),
            ("上年结转资金", "5700000", "5700000", "5130000", "90%"),
        )
        path, sheet = settings.inbox / UNIT / "2022年度项目支出绩效自评表.xlsx", "自评表"
    else:  # (label, 年初预算数, 1-7月执行数, 执行率, 全年预计执行数)
        rows, merges = _monitoring_parts(
            ("其中：财政拨款", "10000000", "9000000", "90%", "10000000"),
            ("其他资金", "5700000", "5130000", "90%", "5700000"),
            budget=(None, None, None, None),
        )
        path, sheet = settings.inbox / UNIT / "2022年1-7月监控表.xlsx", "监控表"
    path.write_bytes(workbook((rows, merges), sheet))

    [outcome] = _night(settings, registry, [path])

    first = _row(rows, "年度资金总额") + 1
    # Over ten times the whole project: returned (exceeds_planned_tenfold), the warning not told beside it.
    assert not [p for p in outcome.problems if p.rule == "exceeds_planned_total"]
    told = [p for p in outcome.problems if p.rule == "exceeds_planned_tenfold"]
    assert [(p.excel_row, p.severity) for p in told] == [(first, "error")] * 3
    assert (
        f"为15700000万元（第{first}至{first + 1}行之和），超过项目基本信息表中该项目计划总投资9163.6万元的十倍"
        in told[0].message_zh
    )


def test_parts_of_a_part_are_not_added_up_and_the_block_is_said_unscorable(registry, demo):
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(
        rows,
        ("其中：本年财政拨款", "1570", "1570", "1541.2", "98.17%"),
        ("其中：中央补助", "1000", "1000", "1000", "100%"),
    )

    parsed = _parse(rows, merges, registry)

    assert _stored(parsed, *AMOUNTS, "budget_execution_rate") == (None, None, None, None)
    [told] = parsed.all_problems
    assert (told.rule, told.severity, told.excel_row) == (
        "total_row_parts_unclear", "warning", _row(rows, "年度资金总额")
    )  # fmt: skip
    assert "无法确定哪几行相加为合计" in told.message_zh and "预算执行率无法据本表计算" in told.message_zh


@pytest.mark.slow
def test_funds_on_the_part_row_score_the_budget_without_a_ledger(settings, registry, register, demo):
    rows, merges = national_self_evaluation(as_national(demo.TARGETS), budget=BLANK_TOTAL, total=(100, 90))
    _funds(rows, ("其中：本年财政拨款", "1570", "1570", "1541.2", "98.17%"))
    path = settings.inbox / UNIT / "2022年度项目支出绩效自评表.xlsx"
    path.write_bytes(workbook((rows, merges)))

    [outcome] = _night(settings, registry, [path])
    build_indicators(settings, registry)

    assert outcome.status == "accepted" and "total_row_from_parts" in {p.rule for p in outcome.problems}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        actual, source, score, lineage = con.execute(
            "select actual_value, actual_source, score, lineage from mart.self_evaluation "
            "where project_name = ? and year = 2022 and position = 0",
            [PROJECT],
        ).fetchone()
    assert (actual, source, score) == (Decimal("0.9817"), "reported", Decimal("9.817"))
    assert [cell["excel_row"] for cell in lineage] == [_row(rows, "其中：本年财政拨款")]


# A stated total against its 其中 rows: a 合计 that is not its rows' sum is an error (submissions.md); it was read
# without a look at the rows under it, so a 1570 over 1500 and 60 went into mart.monitoring_findings unasked.


def _monitoring_parts(*parts: tuple[object, ...], budget=("1570", "800", "50.96%", "1570")):
    """Return a 1–7月 运行监控表 with rows under its 年度资金总额: (label, 年初预算数, 1-7月执行数, 执行率, 全年预计执行数)."""
    rows, merges = national_monitoring(MONITORING, budget=budget)
    total = _row(rows, "年度资金总额")
    for offset, part in enumerate(parts):
        rows.insert(total + offset, [None, *part, *[None] * (len(rows[0]) - 1 - len(part))])

    def moved(merge: str) -> str:
        # The block's label grows over the rows put under its total; every merge below them moves down.
        (first_col, first), (last_col, last) = (
            re.match(r"([A-Z]+)(\d+)", end).groups() for end in merge.split(":")
        )
        first, last = int(first), int(last)
        return f"{first_col}{first + len(parts) * (first > total)}:{last_col}{last + len(parts) * (last >= total)}"

    merges = [moved(m) for m in merges]
    return rows, merges


def _parse_monitoring(rows, merges, registry):
    return parse_file(workbook((rows, merges), "监控表"), f"{UNIT}/2022年1-7月监控表.xlsx", registry)


def test_a_funds_total_other_than_its_rows_sum_is_an_error_naming_both_in_wan(registry):
    rows, merges = _monitoring_parts(
        ("其中：财政拨款", "1500", "760", "50.67%", "1500"), ("其他资金", "60", "40", "57.14%", "70")
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges, registry)

    [error] = parsed.all_problems
    assert (error.severity, error.rule, error.sheet, error.excel_row, error.column_header, error.value) == (
        "error", "total_mismatch", "监控表", total, _where(rows, "年度资金总额", "年初预算数"), "1570"
    )  # fmt: skip
    assert (
        f"读作1570万元，应等于其下各行之和：第{total + 1}行“其中：财政拨款”1500万元＋第{total + 2}行“其他资金”60万元"
        "＝1560万元" in error.message_zh
    )


@pytest.mark.parametrize(
    "parts",
    [
        (("其中：财政拨款", "1500", "760", "50.67%", "1500"), ("其他资金", "70", "40", "57.14%", "70")),
        (
            ("其中：财政拨款", "1500.004", "760", "50.67%", "1500"),
            ("其他资金", "70.004", "40", "57.14%", "70"),
        ),
        (("其中：财政拨款", "1500", "760", "50.67%", "1500"), ("其他资金", None, "—", None, None)),
        (("其中：财政拨款", "1500", "760", "50.67%", "1500"),),
        (("其中：财政拨款", None, None, None, None), ("其他资金", None, None, None, None)),
    ],
    ids=["sum", "within-0.01", "part-blank", "sole-share", "parts-blank"],
)
def test_a_funds_total_its_rows_bear_out_or_do_not_fill_passes(registry, parts):
    parsed = _parse_monitoring(*_monitoring_parts(*parts), registry)

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[0]["budget_initial_wan"] == Decimal(1570)


def test_rows_stating_more_than_their_total_are_an_error_though_one_is_blank(registry):
    rows, merges = _monitoring_parts(
        ("其中：财政拨款", "1600", "760", "47.5%", "1500"), ("其他资金", None, None, None, "70")
    )

    parsed = _parse_monitoring(rows, merges, registry)

    [error] = parsed.all_problems
    assert error.column_header == _where(rows, "年度资金总额", "年初预算数")
    assert (
        f"不应小于其下已填各行之和：第{_row(rows, '年度资金总额') + 1}行“其中：财政拨款”1600万元，"
        in error.message_zh
    )


def test_executed_above_budget_added_up_from_part_rows_names_the_rows_it_sums(registry, demo):
    # Told on the first part row's cell, the sum 1700 read as if that cell (1100) said it.
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(
        rows,
        ("其中：本年财政拨款", "1000", "1000", "1100", "110%"),
        ("上年结转资金", "570", "570", "600", "105%"),
    )

    parsed = _parse(rows, merges, registry)

    [warning] = [p for p in parsed.all_problems if p.rule == "executed_exceeds_budget"]
    first = _row(rows, "年度资金总额") + 1
    parts = f"（第{first}至{first + 1}行之和）"
    assert f"全年执行数{parts}1700超过全年预算数{parts}1570，执行率108.28%超过100%" in warning.message_zh


def test_a_funds_total_in_yuan_is_checked_and_told_in_wan(registry, demo):
    rows, merges = national_self_evaluation(
        demo.TARGETS, budget=("15700000", "15700000", "15700000", 10, "100%", 10)
    )
    _funds(
        rows,
        ("其中：本年财政拨款", "15000000", "15000000", "15000000", "100%"),
        ("上年结转资金", "600000", "700000", "700000", "100%"),
        ("其他资金", "0", "0", "0", None),
    )
    rows[_row(rows, "年度资金总额") - 2][0] = "项目资金（元）"

    parsed = _parse(rows, merges, registry)

    [error] = parsed.all_problems
    assert (error.rule, error.column_header, error.value) == (
        "total_mismatch", _where(rows, "年度资金总额", "年初预算数"), "15700000"
    )  # fmt: skip
    assert (
        "读作1570万元，" in error.message_zh
        and "1500万元＋" in error.message_zh
        and "＝1560万元" in error.message_zh
    )


def test_part_rows_under_a_total_labelled_in_yuan_are_read_in_yuan(registry, demo):
    """年度资金总额（元）: its 其中 rows, naming no unit, are in 元 too; they were read as 万元 with a warning."""
    rows, merges = national_self_evaluation(demo.TARGETS, budget=BLANK_TOTAL, total=(100, 90))
    _funds(rows, ("其中：本年财政拨款", "15700000", "15700000", "15412000", "98.17%"))
    total = _row(rows, "年度资金总额")
    rows[total - 1][1] = "年度资金总额（元）"
    rows[total - 2][0] = "项目资金"

    parsed = _parse(rows, merges, registry)

    assert {p.rule for p in parsed.all_problems} == {"total_row_from_parts"}
    assert _stored(parsed, *AMOUNTS) == (Decimal(1570), Decimal(1570), Decimal("1541.2"))


# A total row stating its budget but leaving 执行数 to the rows under it (written per source) was read as no 执行数,
# and its blank rate told there was no 1-7月执行数 nor 年初预算数 to compute it from, though both were written.
def test_an_amount_the_total_row_leaves_to_its_rows_is_read_from_them_beside_those_it_states(registry):
    rows, merges = _monitoring_parts(
        ("其中：财政拨款", "1500", "760", "50.67%", "1500"),
        ("其他资金", "70", "40", "57.14%", "70"),
        budget=("1570", None, None, "1570"),
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges, registry)

    assert _stored(parsed, "budget_initial_wan", "budget_executed_wan", "budget_execution_rate") == (
        Decimal(1570), Decimal(800), None
    )  # fmt: skip
    by_rule = {p.rule: p for p in parsed.all_problems}
    assert set(by_rule) == {"total_row_from_parts", "rate_blank"}
    assert by_rule["total_row_from_parts"].column_header == _where(rows, "年度资金总额", "1-7月执行数")
    assert "1-7月执行数只填在其下" in by_rule["total_row_from_parts"].message_zh
    assert "1-7月执行数÷年初预算数＝800÷1570≈50.96%" in by_rule["rate_blank"].message_zh
    cells = parsed.sheets[0].field_cells
    assert [c[:2] for c in cells["budget_executed_wan"]] == [(total + 1, "D"), (total + 2, "D")]
    assert [c[:2] for c in cells["budget_initial_wan"]] == [(total, "C")]


# 年度资金总额 as formulas over the rows under it (=C7+C8), saved without their results by a program: the amounts were
# read from those rows, but the clerk was told the total row was left blank and asked to fill in what they see there.
def test_a_total_row_of_formulas_saved_without_results_is_told_as_such_not_as_blank(registry):
    rows, merges = _monitoring_parts(
        ("其中：财政拨款", "1500", "760", "50.67%", "1500"),
        ("其他资金", "70", "40", "57.14%", "70"),
        budget=("=C7+C8", "=D7+D8", "50.96%", "=F7+F8"),
    )

    parsed = _parse_monitoring(rows, merges, registry)

    assert _stored(parsed, "budget_initial_wan", "budget_executed_wan", "budget_expected_wan") == (
        Decimal(1570), Decimal(800), Decimal(1570)
    )  # fmt: skip
    told = [(p.rule, p.severity, p.column_header) for p in parsed.all_problems]
    assert told == [
        ("total_unsaved", "warning", _where(rows, "年度资金总额", header))
        for header in ("年初预算数", "1-7月执行数", "全年预计执行数")
    ]


# The block's row labels merged over A:B as its own label is, 年度总体目标 under it in column A: that row was taken for
# a 其中 row, its 全年目标 and 1-7月执行情况 read as amounts, and a good form returned (since 94ebbd1 with its total
# stated too). Parts labelled in B under 年度资金总额 merged over A:B were not read at all.
@pytest.mark.parametrize(
    "budget", [("1570", "800", "50.96%", "1570"), (None, None, None, None)], ids=["stated", "blank"]
)
@pytest.mark.parametrize("indented", [False, True], ids=["parts-in-A", "parts-in-B"])
def test_row_labels_merged_over_two_columns_end_the_block_at_the_next_one(registry, budget, indented):
    rows, merges = _monitoring_parts(
        ("其中：财政拨款", "1500", "760", "50.67%", "1500"),
        ("其他资金", "70", "40", "57.14%", "70"),
        budget=budget,
    )
    total = _row(rows, "年度资金总额")
    shifted = range(total, total + 1 if indented else total + 3)  # Excel rows whose label moves from B to A
    for row in shifted:
        rows[row - 1][:2] = [rows[row - 1][1], None]
    merges = [m for m in merges if not m.startswith(f"A{total - 1}:")]
    merges += [f"A{row}:B{row}" for row in (total - 1, *shifted)]

    parsed = _parse_monitoring(rows, merges, registry)

    assert parsed.errors == []
    assert _stored(parsed, "budget_initial_wan", "budget_executed_wan") == (Decimal(1570), Decimal(800))
    summed = [p for p in parsed.all_problems if p.rule == "total_row_from_parts"]
    assert len(summed) == (budget[0] is None)


def test_a_part_row_stating_none_with_a_dash_merged_over_its_figures_is_one_of_the_blocks_rows(registry):
    rows, merges = _monitoring_parts(
        ("其中：财政拨款", "1500", "760", None, "1500"),
        ("上年结转资金", "—", None, None, None),
        ("其他资金", "70", "40", None, "70"),
        budget=(None, None, None, None),
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges + [f"C{total + 2}:F{total + 2}"], registry)

    assert _stored(parsed, "budget_initial_wan", "budget_executed_wan") == (Decimal(1570), Decimal(800))
    [summed] = [p for p in parsed.all_problems if p.rule == "total_row_from_parts"]
    assert f"第{total + 3}行“其他资金”" in summed.message_zh


# A blank line between 年度资金总额 and its 其中 rows ended the block: with the total left blank, 1570 and 800 on the
# rows below were read as no budget at all, and nothing was said.
def test_a_blank_line_inside_the_funds_block_does_not_end_it(registry):
    rows, merges = _monitoring_parts(
        (None, None, None, None, None),
        ("其中：财政拨款", "1500", "760", None, "1500"),
        ("其他资金", "70", "40", None, "70"),
        budget=(None, None, None, None),
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges, registry)

    assert _stored(parsed, "budget_initial_wan", "budget_executed_wan", "budget_expected_wan") == (
        Decimal(1570), Decimal(800), Decimal(1570)
    )  # fmt: skip
    [summed] = [p for p in parsed.all_problems if p.rule == "total_row_from_parts"]
    assert (
        f"第{total + 2}行“其中：财政拨款”、第{total + 3}行“其他资金”，已按各行之和读取" in summed.message_zh
    )


# The funds block's words on each of its rows: 偏差原因分析 (ticks under its causes, or the words), 是否偏离 (√ or □),
# 原因说明. They were read nowhere: a block saying its funds deviate, with or without a reason, passed unasked.

NOTES = ("偏差原因分析", "是否偏离", "原因说明")


def _with_notes(total_notes: tuple[object, object, object], *parts: tuple[object, ...]):
    """Return `_monitoring_parts` with the block's G–I columns headed 偏差原因分析 | 是否偏离 | 原因说明."""
    rows, merges = _monitoring_parts(*parts)
    total = _row(rows, "年度资金总额")
    rows[total - 2][6:9] = NOTES
    rows[total - 1][6:9] = total_notes
    return rows, merges


def _stored_notes(parsed) -> tuple:
    return _stored(parsed, "budget_deviation_cause", "budget_deviates", "budget_reason")


def test_the_funds_blocks_reasons_are_read_from_every_row_with_their_cells(registry):
    rows, merges = _with_notes(
        ("经费保障", "√", None),
        ("其中：财政拨款", "1500", "760", "50.67%", "1500", None, "□", None),
        ("其他资金", "70", "40", "57.14%", "70", "其他", "√", "自筹资金到位慢"),
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges, registry)

    assert _stored_notes(parsed) == ("经费保障、其他", "是", "其他资金：自筹资金到位慢")
    cells = parsed.sheets[0].field_cells
    assert cells["budget_deviation_cause"] == [
        (total, "G", "年度资金总额·偏差原因分析"),
        (total + 2, "G", "其他资金·偏差原因分析"),
    ]
    assert [c[:2] for c in cells["budget_deviates"]] == [(total, "H"), (total + 1, "H"), (total + 2, "H")]
    assert cells["budget_reason"] == [(total + 2, "I", "其他资金·原因说明")]
    # The total row says its funds deviate and gives no reason: asked once, on its first word of it.
    [asked] = parsed.all_problems
    assert (asked.severity, asked.rule, asked.excel_row, asked.column_header, asked.value) == (
        "warning", "deviation_unexplained", total, "年度资金总额·偏差原因分析（G列）", "经费保障"
    )  # fmt: skip
    assert "标明“年度资金总额”资金执行存在偏差，但该行未填写原因说明" in asked.message_zh


@pytest.mark.parametrize("mark", ["√", "✔", "✔️", "是"])
def test_a_deviation_marked_in_one_cell_is_read_as_tick_columns_read_it(registry, mark):
    rows, merges = _with_notes((None, mark, "上级资金下达滞后"))

    parsed = _parse_monitoring(rows, merges, registry)

    assert parsed.all_problems == []
    assert _stored_notes(parsed) == (None, "是", "上级资金下达滞后")


@pytest.mark.parametrize(
    ("total_notes", "other", "asked"),
    [
        (("经费保障", "√", "上级资金下达滞后"), ("其他", "√", None), None),
        ((None, "□", None), (None, "√", None), "其他资金·是否偏离（H列）"),
        ((None, None, None), (None, "否", None), None),
    ],
    ids=["total-row-explains", "part-unexplained", "no-deviation"],
)
def test_a_deviation_is_asked_about_where_neither_its_row_nor_the_total_gives_a_reason(
    registry, total_notes, other, asked
):
    rows, merges = _with_notes(
        total_notes,
        ("其中：财政拨款", "1500", "760", "50.67%", "1500"),
        ("其他资金", "70", "40", "57.14%", "70", *other),
    )

    parsed = _parse_monitoring(rows, merges, registry)

    assert [p.column_header for p in parsed.all_problems] == ([asked] if asked else [])
    if asked:
        assert "但该行及“年度资金总额”行均未填写原因说明" in parsed.all_problems[0].message_zh


# 完成目标可能性 on the block's rows, as on each indicator's: the worst any row states is the block's.
@pytest.mark.parametrize(
    ("total", "parts", "stored"),
    [
        ("确定能", ("确定能", "有可能"), "有可能"),
        ("有可能", ("完全不可能", None), "完全不可能"),
        (None, (None, None), None),
    ],
)
def test_the_funds_blocks_likelihood_is_the_worst_its_rows_state(registry, total, parts, stored):
    rows, merges = _with_notes(
        (None, None, "拨付滞后"),
        ("其中：财政拨款", "1500", "760", "50.67%", "1500", None, None, None, parts[0]),
        ("其他资金", "70", "40", "57.14%", "70", None, None, None, parts[1]),
    )
    at = _row(rows, "年度资金总额")
    rows[at - 2][9], rows[at - 1][9] = "完成目标可能性", total

    parsed = _parse_monitoring(rows, merges, registry)

    assert parsed.all_problems == []
    assert _stored(parsed, "budget_likelihood") == (stored,)


def test_funds_deviation_ticked_under_its_causes_is_read_and_a_bad_mark_is_an_error(registry):
    rows, merges = _with_notes(
        (None, "√", None), ("其中：财政拨款", "1500", "760", "50.67%", "1500", None, None, "资金拨付滞后")
    )
    total = _row(rows, "年度资金总额")
    # 偏差原因分析 over 经费保障 | 其他 (G–H), 是否偏离 and 原因说明 beside them (I, J): the header over two rows.
    header = rows[total - 2]
    header[6:10] = ["偏差原因分析", None, "是否偏离", "原因说明"]
    rows.insert(total - 1, [None] * 6 + ["经费保障", "其他", None, None])
    total += 1
    rows[total - 1][6:10] = ["√", "?", "√", None]
    rows[total][6:10] = ["√", None, "√", "资金拨付滞后"]

    def moved(merge: str) -> str:
        (first_col, first), (last_col, last) = (
            re.match(r"([A-Z]+)(\d+)", end).groups() for end in merge.split(":")
        )
        first, last = int(first), int(last)
        return f"{first_col}{first + (first >= total)}:{last_col}{last + (last >= total - 1)}"

    merges = [moved(m) for m in merges] + [f"G{total - 2}:H{total - 2}"]
    merges += [f"{c}{total - 2}:{c}{total - 1}" for c in "CDEFIJ"]

    parsed = _parse_monitoring(rows, merges, registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "tick_mark", total, "年度资金总额·其他（H列）", "?"
    )  # fmt: skip
    rows[total - 1][7] = None
    parsed = _parse_monitoring(rows, merges, registry)
    # The total row deviates: a reason on a 其中 row under it is that row's, not the total's.
    assert [(p.rule, p.excel_row, p.value) for p in parsed.all_problems] == [
        ("deviation_unexplained", total, "√")
    ]
    assert _stored_notes(parsed) == ("经费保障", "是", "其中：财政拨款：资金拨付滞后")
    assert [c[:2] for c in parsed.sheets[0].field_cells["budget_deviation_cause"]] == [
        (total, "G"),
        (total + 1, "G"),
    ]


# A sentence in the funds block's 偏差原因分析 (`受上级资金下达滞后影响…`) was refused (enum), the form sent back, where
# the same words on an indicator's row are kept as its 原因说明 (`prose_kept`). Now kept alike, on the block's rows.

CAUSE = "受上级资金下达滞后影响，执行进度偏慢"


def _written(rows, merges, write: str) -> tuple[bytes, str]:
    if write == "csv":
        return csv_bytes(rows, "gb18030"), "csv"
    return workbook((rows, merges), "监控表", xlsx if write == "xlsx" else xls), write


@pytest.mark.parametrize("write", ["xlsx", "xls", "csv"])
def test_a_sentence_for_the_funds_cause_is_kept_as_its_reason_and_the_cause_asked_for(registry, write):
    rows, merges = _with_notes((CAUSE, "√", None))
    total = _row(rows, "年度资金总额")
    content, ext = _written(rows, merges, write)

    parsed = parse_file(content, f"{UNIT}/2022年1-7月监控表.{ext}", registry)

    assert parsed.errors == []
    [kept] = [p for p in parsed.warnings if p.rule != "merges_carried"]  # its words explain the deviation
    assert (kept.rule, kept.excel_row, kept.column_header, kept.value) == (
        "prose_kept", total, "年度资金总额·偏差原因分析（G列）", CAUSE
    )  # fmt: skip
    assert "所填文字已作为「原因说明」保留，原因类别未填写" in kept.message_zh
    assert "经费保障、制度保障、人员保障、硬件条件保障、其他" in kept.message_zh
    assert kept.fix == "请在本栏填写原因类别，并把说明移至「原因说明」栏"
    assert _stored_notes(parsed) == (None, "是", CAUSE)
    assert parsed.sheets[0].field_cells["budget_reason"] == [(total, "G", "年度资金总额·偏差原因分析")]


def test_a_sentence_on_a_funds_row_is_kept_before_that_rows_reason(registry):
    rows, merges = _with_notes(
        ("经费保障", "√", "拨付滞后"),
        ("其中：财政拨款", "1500", "760", "50.67%", "1500", CAUSE, "√", "四季度加快拨付"),
        ("其他资金", "70", "40", "57.14%", "70", "其他：自筹资金到位慢", "√", None),
    )
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges, registry)

    [kept] = parsed.all_problems  # 其他：… names its cause: kept with its words, nothing asked
    assert (kept.rule, kept.excel_row, kept.value) == ("prose_kept", total + 1, CAUSE)
    assert _stored_notes(parsed) == (
        "经费保障、其他",
        "是",
        f"拨付滞后\n其中：财政拨款：{CAUSE}\n四季度加快拨付\n其他资金：自筹资金到位慢",
    )
    assert [c[:2] for c in parsed.sheets[0].field_cells["budget_reason"]] == [
        (total, "I"),
        (total + 1, "I"),
        (total + 2, "G"),
    ]


def test_on_a_funds_block_without_a_reason_the_sentence_is_its_explanation(registry):
    rows, merges = _monitoring_parts()
    total = _row(rows, "年度资金总额")
    rows[total - 2][6:8], rows[total - 1][6:8] = ("偏差原因分析", "是否偏离"), (CAUSE, "√")

    parsed = _parse_monitoring(rows, merges, registry)

    assert parsed.all_problems == []
    assert _stored_notes(parsed) == (None, "是", CAUSE)


def test_a_funds_cause_mistyped_is_still_refused_not_kept_as_words(registry):
    rows, merges = _with_notes(("资金保障", "√", "拨付滞后"))
    total = _row(rows, "年度资金总额")

    parsed = _parse_monitoring(rows, merges, registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("enum", total, "资金保障")


# The 年度总体目标 block.

GOAL_LINES = (
    ["1、完成16个老旧小区改造；", "2、惠及居民3148户；", "3、群众满意度达到90%以上。"],
    ["1、16个小区全部完工并通过验收；", "2、惠及居民3148户；", "3、群众满意度93%。"],
)


def _goal_rows(rows, merges, lines: tuple[list[str], list[str]]):
    """Write the goals one line a row, each row's two cells merged as the block's first, the label down all."""
    g = _row(rows, "年度总体目标")
    width = len(rows[g])
    text = g + 1  # Excel row of the first line
    rows[text - 1][1], rows[text - 1][5] = lines[0][0], lines[1][0]
    for offset, (expected, achieved) in enumerate(zip(lines[0][1:], lines[1][1:], strict=True), start=1):
        row = [None] * width
        row[1], row[5] = expected, achieved
        rows.insert(text - 1 + offset, row)
    added = len(lines[0]) - 1
    moved = []
    for merge in merges:
        start, end = merge.split(":")
        rs, re_ = int(start.lstrip("ABCDEFGHI")), int(end.lstrip("ABCDEFGHI"))
        if merge == f"A{g}:A{text}":
            moved.append(f"A{g}:A{text + added}")
            continue
        shift = lambda n: n + added if n > text else n  # noqa: E731
        moved.append(f"{start.rstrip('0123456789')}{shift(rs)}:{end.rstrip('0123456789')}{shift(re_)}")
    for row in range(text + 1, text + added + 1):
        moved += [f"B{row}:E{row}", f"F{row}:I{row}"]
    return rows, moved


# 年度总体目标's 实际完成情况 headed 实际完成值 (the indicator table's word) was not found, its words lost unsaid: the
# report's 完成情况 took none of them.
def test_goal_words_under_a_label_nothing_reads_are_a_warning_naming_the_label_meant(registry, demo):
    rows, merges = national_self_evaluation(demo.TARGETS, goals=GOALS)
    label = _row(rows, "年度总体目标")
    rows[label - 1][5] = "实际完成值"

    parsed = _parse(rows, merges, registry)

    [warning] = parsed.all_problems
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "unread_header", label + 1, "年度总体目标·实际完成值（F列）", GOALS[1]
    )  # fmt: skip
    assert (
        "本块应有的“实际完成情况”未找到，如其下的文字即“实际完成情况”，请将表头改为“实际完成情况”"
        in warning.message_zh
    )
    assert _stored(parsed, "goal_expected", "goal_achieved") == (GOALS[0], None)


def test_a_goal_written_right_of_its_label_is_never_named_as_a_header(registry, demo):
    # Goals right of their labels, the second label one nothing reads: the first goal's words were named as a header.
    rows, merges = national_self_evaluation(demo.TARGETS, goals=GOALS)
    label = _row(rows, "年度总体目标")
    rows[label - 1] = ["年度总体目标", "预期目标", GOALS[0], *[None] * 6]
    rows[label] = [None, "完成情况", GOALS[1], *[None] * 6]
    merges = [
        m for m in merges if not re.fullmatch(rf"[BF]{label}:[EI]{label}|[BF]{label + 1}:[EI]{label + 1}", m)
    ]
    merges += [f"C{label}:I{label}", f"C{label + 1}:I{label + 1}"]

    parsed = _parse(rows, merges, registry)

    assert not any(GOALS[0] in (p.column_header or "") for p in parsed.all_problems)


# The block's right half headed 完成情况 was no label: with the goals right of their labels, the word 完成情况 under
# 预期目标 was stored as the goal and both goals were lost with nothing said.
@pytest.mark.parametrize("layout", ["side_by_side", "stacked"])
def test_the_block_s_half_headed_完成情况_is_its_实际完成情况(registry, demo, layout):
    rows, merges = national_self_evaluation(demo.TARGETS, goals=GOALS)
    label = _row(rows, "年度总体目标")
    if layout == "side_by_side":
        rows[label - 1][5] = "完成情况"
    else:
        rows[label - 1] = ["年度总体目标", "预期目标", GOALS[0], *[None] * 6]
        rows[label] = [None, "完成情况", GOALS[1], *[None] * 6]
        merges = [
            m
            for m in merges
            if not re.fullmatch(rf"[BF]{label}:[EI]{label}|[BF]{label + 1}:[EI]{label + 1}", m)
        ]
        merges += [f"C{label}:I{label}", f"C{label + 1}:I{label + 1}"]

    parsed = _parse(rows, merges, registry)

    assert parsed.all_problems == []
    assert _stored(parsed, "goal_expected", "goal_achieved") == GOALS


def test_the_table_s_完成情况_column_is_never_the_block_s(registry, demo):
    # The block's right half left without its label: 实际完成情况 was looked for down to the table's header.
    rows, merges = national_self_evaluation(demo.TARGETS, goals=GOALS)
    rows[_row(rows, "年度总体目标") - 1][5] = None
    header = _row(rows, "一级指标") - 1
    rows[header][rows[header].index("实际完成值")] = "完成情况"

    parsed = _parse(rows, merges, registry)

    assert parsed.sheets[0].blank_fields == []  # not row 14's F cell, the first indicator's value
    assert _stored(parsed, "goal_expected", "goal_achieved") == (GOALS[0], None)


# With the second label one nothing reads, the goals right of their labels: that label's word, under 预期目标, was
# stored as the 预期目标 and both goals were lost with nothing said. Words both under and right of 预期目标 cannot
# be told apart (the same words side by side under their labels read the same way): neither is stored, and asked.
@pytest.mark.parametrize("layout", ["side_by_side", "stacked"])
def test_goal_words_both_under_and_right_of_预期目标_are_asked_never_stored(registry, demo, layout):
    rows, merges = national_self_evaluation(demo.TARGETS, goals=GOALS)
    label = _row(rows, "年度总体目标")
    if layout == "side_by_side":
        rows[label - 1][5] = "执行情况"
        under, beside = GOALS[0], "执行情况"
    else:
        rows[label - 1] = ["年度总体目标", "预期目标", GOALS[0], *[None] * 6]
        rows[label] = [None, "执行情况", GOALS[1], *[None] * 6]
        merges = [
            m
            for m in merges
            if not re.fullmatch(rf"[BF]{label}:[EI]{label}|[BF]{label + 1}:[EI]{label + 1}", m)
        ]
        merges += [f"C{label}:I{label}", f"C{label + 1}:I{label + 1}"]
        under, beside = "执行情况", GOALS[0]

    parsed = _parse(rows, merges, registry)

    [warning] = parsed.all_problems
    assert (warning.rule, warning.excel_row, warning.column_header) == (
        "unread_header", label, "年度总体目标·预期目标（B列）"
    )  # fmt: skip
    assert (
        f"“预期目标”的下方（“{under}”）和右侧（“{beside}”）都写有文字，无法确定哪一处是预期目标，均未读取；"
        "本块应有的“实际完成情况”未找到，请将本块另一处的标签写为“实际完成情况”"
    ) in warning.message_zh
    assert _stored(parsed, "goal_expected", "goal_achieved") == (None, None)


# The block's right half left without its label: the 实际完成情况 written under it was lost with nothing said.
def test_goal_words_under_no_label_are_a_warning_naming_the_label_missing(registry, demo):
    rows, merges = national_self_evaluation(demo.TARGETS, goals=GOALS)
    label = _row(rows, "年度总体目标")
    rows[label - 1][5] = None

    parsed = _parse(rows, merges, registry)

    [warning] = parsed.all_problems
    assert (warning.rule, warning.excel_row, warning.column_header, warning.value) == (
        "unread_header", label + 1, "年度总体目标（F列）", GOALS[1]
    )  # fmt: skip
    assert "这段文字没有标签，未读取；本块应有的“实际完成情况”未找到" in warning.message_zh
    assert _stored(parsed, "goal_expected", "goal_achieved") == (GOALS[0], None)


def test_goals_written_one_line_a_row_are_read_whole(registry, demo):
    rows, merges = _goal_rows(*national_self_evaluation(demo.TARGETS), GOAL_LINES)

    parsed = _parse(rows, merges, registry)

    assert parsed.all_problems == []
    assert _stored(parsed, "goal_expected", "goal_achieved") == tuple(
        "\n".join(lines) for lines in GOAL_LINES
    )
    assert len(parsed.sheets[0].records) == len(demo.TARGETS)


@pytest.mark.parametrize(
    ("texts", "stored"),
    [
        (
            ("完成背街小巷12条提升改造。", "12条背街小巷全部完工。"),
            ("完成背街小巷12条提升改造。", "12条背街小巷全部完工。"),
        ),
        ((None, None), (None, None)),
    ],
    ids=["written", "blank"],
)
def test_goal_labels_stacked_one_over_the_other_are_read_beside_them_never_as_each_other(
    registry, demo, texts, stored
):
    rows, merges = national_self_evaluation(demo.TARGETS)
    g = _row(rows, "年度总体目标")
    width = len(rows[g - 1])
    rows[g - 1] = ["年度总体目标", "预期目标", texts[0], *[None] * (width - 3)]
    rows[g] = [None, "实际完成情况", texts[1], *[None] * (width - 3)]
    merges = [
        m for m in merges if m not in {f"B{g}:E{g}", f"F{g}:I{g}", f"B{g + 1}:E{g + 1}", f"F{g + 1}:I{g + 1}"}
    ]
    merges += [f"C{g}:I{g}", f"C{g + 1}:I{g + 1}"]

    parsed = _parse(rows, merges, registry)

    assert parsed.errors == []
    assert _stored(parsed, "goal_expected", "goal_achieved") == stored  # not `实际完成情况`, not `一级指标`


# A 得分 as rounded as written is the computed one, on the receipt and in the report; a whole one is full marks
# claimed.
@pytest.mark.slow
def test_scores_rounded_as_written_are_not_told_and_a_claimed_full_score_is(
    settings, registry, register, demo
):
    targets = [list(t) for t in as_national(demo.TARGETS)]
    by_name = {t[2]: t for t in targets}
    by_name["工程验收合格率"][3:5] = ["≥95百分比", "90百分比"]  # 10 × 90/95 = 9.4737: written 9.5
    by_name["群众满意度"][3:5] = ["≥90百分比", "85百分比"]  # 10 × 85/90 = 9.4444: written 10
    written = {"工程验收合格率": "9.5", "群众满意度": 10}
    scores = [written.get(t[2], t[5]) for t in targets]
    budget = ("1570", "1570", "1541.2", 10, "98.17%", "9.8")  # 10 × 98.17 % = 9.817
    rows, merges = national_self_evaluation([tuple(t) for t in targets], budget=budget, scores=scores)
    path = settings.inbox / UNIT / "2022年度项目支出绩效自评表.xlsx"
    path.write_bytes(workbook((rows, merges)))

    _night(settings, registry, [path])
    year = build_indicators(settings, registry)
    text = _Page(write_report_files(settings, year, registry).html.read_text(encoding="utf-8")).text

    receipt = json.loads((settings.receipts / UNIT / f"{path.name}.回执.json").read_text(encoding="utf-8"))
    told = [(p["excel_row"], p["value"]) for p in receipt["problems"] if p["rule"] == "stated_score_differs"]
    assert told == [(next(n for n, row in enumerate(rows, start=1) if "群众满意度" in row), "10")]
    said = text.split(f"{PROJECT}自评表中")[1].split("请核实自评得分")[0]
    assert said == "1项指标填报的得分与按数据计算的得分不同：群众满意度（填报10分，计算为9.44分），", said


def test_a_new_sources_fields_beside_no_funds_block_are_read_not_a_traceback(tmp_path):
    import shutil

    from pipeline.registry import REGISTRY_DIR, load_registry
    from tests.pipeline.workbooks import xlsx

    # `fields:` as docs/adding-a-source.md describes them, on a source of the registry's own: every file of it
    # stopped `pipeline check` and the night with KeyError 'budget_executed_wan', the 执行率 check asking for the
    # national forms' 项目资金 block, which the source has none of.
    shutil.copytree(REGISTRY_DIR, tmp_path / "registry")
    (tmp_path / "registry" / "sources" / "repair_spending.yaml").write_text(
        "id: repair_spending\nname_zh: 维修资金支出月报\nslice: [unit, project, year]\nproject: {line: true}\n"
        "year_from: [line, title, filename]\nfields:\n  - {name: inspector, header: 检查人, type: name}\ncolumns:\n"
        "  - {name: compound_name, header: 小区名称, type: name, required: true}\n"
        "  - {name: repair_amount_wan, header: 维修支出金额, type: money, required: true}\n",
        encoding="utf-8",
    )
    registry = load_registry(tmp_path / "registry")
    rows = [
        ["2022年维修资金支出表"],
        [f"项目名称：{PROJECT}"],
        ["检查人", "张三"],
        ["小区名称", "维修支出金额（万元）"],
        ["棉纺厂东院", "1.5"],
    ]

    parsed = parse_file(xlsx({"表": rows}), f"{UNIT}/2022年维修资金支出表.xlsx", registry)

    assert parsed.errors == [], [p.message_zh for p in parsed.errors]
    assert _stored(parsed, "inspector", "repair_amount_wan") == ("张三", Decimal("1.5"))
