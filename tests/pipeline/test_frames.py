"""The frames a suite validates, built from parsed sheets without Great Expectations: the data rows, each derived
frame from given rows, the cells the parser reported kept out of them, and the cumulative gap's tolerance."""

from __future__ import annotations

import copy
import dataclasses
import json
from decimal import Decimal

import pytest

import pipeline.suites as suites_module
from pipeline.cumulative_frame import gap_tolerance
from pipeline.derived_frames import DERIVED_FRAMES, OVER_PLANNED
from pipeline.frames import LINEAGE, Context, Frame, Sheet, data_rows, span
from pipeline.parsed_sheet import ParsedSheet
from pipeline.suites import EXPECTATIONS_DIR
from tests.pipeline.test_layout import GROUP_MERGES, group_rows, parse_rows
from tests.pipeline.test_validate import CLEAN, CONTEXT, SHUANGPU, ZAOLIN, changed, parse


def sheet_of(registry, template: str, text: str | None = None, *, batch: int = 0) -> Sheet:
    """Parse a template's clean sheet (or `text`) and wrap it for validation."""
    parsed = parse(template, CLEAN[template] if text is None else text, registry)
    return Sheet.of(batch, template, batch, parsed.sheets[0])


def built(kind: str, sheets: list[Sheet], registry, context: Context = CONTEXT) -> list[dict]:
    """Build a derived frame and return its rows as dicts, however the builder holds them."""
    frame = DERIVED_FRAMES[kind](sheets, context, registry)
    return [frame.row(i) for i in range(len(frame))] if isinstance(frame, Frame) else frame


# --- Sheet: what the parser reported stays out -------------------------------------------------------


def test_a_sheet_indexes_its_headers_and_columns_as_written(registry):
    sheet = sheet_of(registry, "compound_list")

    assert sheet.headers["planned_investment_wan"] == "计划投资（万元）"
    assert sheet.positions["planned_investment_wan"] == 4
    assert sheet.lineage(5) == {"_batch": 0, "_sheet": "compound_list", "_excel_row": 5}


def test_a_cell_the_parser_reported_is_unreadable_on_its_row_only(registry):
    sheet = sheet_of(registry, "compound_list", changed("compound_list", "2.8650,370,", "2.8650,约370,"))
    first, second, _ = sheet.parsed.records

    assert not sheet.readable(first, "households")
    assert sheet.values(first, "households") is None
    assert sheet.readable(first, "area_m2") and sheet.readable(second, "households")
    assert sheet.values(second, "households", "area_m2") == (249, Decimal(19320))


def test_a_header_unit_nobody_listed_makes_its_whole_column_unreadable(registry):
    sheet = sheet_of(
        registry, "compound_list", changed("compound_list", "计划投资（万元）", "计划投资（千元）")
    )

    assert [p.rule for p in sheet.parsed.problems] == ["unit"]
    assert not any(sheet.readable(record, "planned_investment_wan") for record in sheet.parsed.records)
    assert all(sheet.readable(record, "area_m2") for record in sheet.parsed.records)


def test_a_unit_told_on_a_group_headers_row_still_makes_its_whole_column_unreadable(registry):
    # 计划投资（千元） over 合计 | 其中：中央补助: the unit is told on row 1, the header's first row, not its last.
    parsed: ParsedSheet = parse_rows(registry, group_rows("计划投资（千元）", "合计"), merges=GROUP_MERGES)
    sheet = Sheet.of(0, "group", 0, parsed)

    assert [(p.rule, p.excel_row) for p in parsed.problems] == [("unit", 1)]
    assert parsed.header_rows == (1, 2)
    assert not any(sheet.readable(record, "planned_investment_wan") for record in parsed.records)


def test_a_cell_is_shown_as_written_in_its_headers_unit(registry):
    text = changed("compound_list", "计划投资（万元）", "计划投资（元）").replace("1075.97", "10759700")
    sheet = sheet_of(registry, "compound_list", text)
    record = sheet.parsed.records[0]

    assert record["planned_investment_wan"] == Decimal("1075.97")
    assert sheet.as_written("planned_investment_wan", record["planned_investment_wan"]) == "10759700"
    assert sheet.as_written("planned_investment_wan", None) is None


def test_a_quantity_is_shown_as_written_in_its_rows_unit(registry):
    sheet = sheet_of(registry, "scale_and_cost")
    record = next(r for r in sheet.parsed.records if r["item"] == "其他费用")  # 33600000 on a row of 元

    assert (record["quantity"], record["quantity_unit"]) == (Decimal(3360), "万元")
    assert sheet.as_written("quantity", record["quantity"], record["excel_row"]) == "33600000"
    assert sheet.written_unit("quantity", record["excel_row"]).name == "元"
    # A row written in the unit stored has nothing to undo.
    first = sheet.parsed.records[0]
    assert sheet.written_unit("quantity", first["excel_row"]) is None
    assert sheet.as_written("quantity", first["quantity"], first["excel_row"]) == "408923"


# --- data rows and Frame -------------------------------------------------------------------------------


def test_data_rows_hold_every_template_column_with_lineage_across_sheets(registry):
    template = registry.templates["fund_ledger"]
    # The second sheet has no 摘要 column: its rows hold None there.
    without_summary = "\n".join(line.rsplit(",", 1)[0] for line in CLEAN["fund_ledger"].splitlines()[1:])
    sheets = [
        sheet_of(registry, "fund_ledger"),
        sheet_of(
            registry, "fund_ledger", CLEAN["fund_ledger"].splitlines()[0] + "\n" + without_summary, batch=1
        ),
    ]

    frame = data_rows(sheets, template)

    assert list(frame.columns) == [*LINEAGE, *(c.name for c in template.columns)]
    records = sum(len(s.parsed.records) for s in sheets)
    assert len(frame) == records == 6
    assert frame.columns["_batch"] == [0, 0, 0, 1, 1, 1]
    assert frame.columns["_excel_row"] == [3, 4, 5, 3, 4, 5]
    assert frame.columns["summary"] == ["第一批", "进度款", "补偿款", None, None, None]
    assert frame.columns["amount_wan"][:3] == [Decimal(10000), Decimal(5000), Decimal(4200)]


def test_a_frame_of_rows_holds_every_key_in_first_seen_order():
    frame = Frame.of_rows(
        [
            {"_batch": 0, "_sheet": "甲", "_excel_row": 3, "a": 1},
            {"_batch": 0, "_sheet": "甲", "_excel_row": 5, "b": 2},
        ]
    )

    assert list(frame.columns) == ["_batch", "_sheet", "_excel_row", "a", "b"]
    assert len(frame) == 2
    assert frame.row(1) == {"_batch": 0, "_sheet": "甲", "_excel_row": 5, "a": None, "b": 2}
    assert frame.positions() == {(0, "甲", 3): 0, (0, "甲", 5): 1}
    assert len(Frame({})) == 0


@pytest.mark.parametrize(("rows", "shown"), [([7], "7"), ([12, 7, 9], "7至12")])
def test_span_names_rows_as_a_clerk_reads_them(rows, shown):
    assert span(rows) == shown


# --- derived frames ------------------------------------------------------------------------------------


def test_responses_per_row_sums_the_answers_a_blank_one_as_nothing(registry):
    sheet = sheet_of(registry, "satisfaction_survey")

    rows = built("responses_per_row", [sheet], registry)

    # Row 6 leaves 基本满意 blank: 58 + 0 + 17.
    assert [(r["_excel_row"], r["valid_responses"], r["responses_sum"]) for r in rows] == [
        (5, 111, 84 + 19 + 8),
        (6, 75, 58 + 17),
    ]


def test_responses_per_row_leaves_out_a_row_with_a_reported_count(registry):
    text = changed("satisfaction_survey", "111,84,", "111,约84,")

    rows = built("responses_per_row", [sheet_of(registry, "satisfaction_survey", text)], registry)

    assert [r["_excel_row"] for r in rows] == [6]


def test_weight_total_per_sheet_adds_every_rows_weight_blaming_them_all(registry):
    text = changed("performance_targets", "93%,40", "93%,35")

    [row] = built("weight_total_per_sheet", [sheet_of(registry, "performance_targets", text)], registry)

    assert (row["_excel_row"], row["_rows"], row["weight_total"]) == (5, "5至6", Decimal(85))


def test_parts_per_parent_row_sums_the_parts_under_each_row(registry):
    rows = built("parts_per_parent_row", [sheet_of(registry, "scale_and_cost")], registry)

    assert [(r["_excel_row"], r["parent_quantity"], r["parts_sum"], r["part_rows"]) for r in rows] == [
        (4, Decimal(408923), Decimal(307200) + Decimal(101723), "5至6"),
        (8, Decimal("27890.17"), Decimal("3115.39"), "9"),
    ]
    assert rows[1]["parts_excess"] == Decimal("3115.39") - Decimal("27890.17")


def test_investment_total_per_project_sums_top_level_costs_in_wan_yuan(registry):
    sheet = sheet_of(registry, "scale_and_cost")

    [row] = built("investment_total_per_project", [sheet], registry)

    # Rows 7, 8, 10 and 11; row 9 is a part of row 8, and row 11's 33600000 元 is 3360 万元.
    costs = Decimal("76313.93") + Decimal("27890.17") + Decimal("5210.21") + Decimal(3360)
    assert (row["_rows"], row["cost_total"], row["planned_total"]) == ("7至11", costs, Decimal("112774.31"))
    assert row["cost_gap"] == costs - Decimal("112774.31")
    assert built("investment_total_per_project", [sheet], registry, Context()) == []  # no 计划总投资 known


def outlined(*items: str) -> str:
    """Return the clean 建设规模及投资构成表 with its 投资构成 rows' 内容 written as given, in order."""
    text = CLEAN["scale_and_cost"]
    for old, new in zip(
        ["工程费用", "工程建设其他费用", "其中：征地费用", "基本预备费", "其他费用"], items, strict=True
    ):
        text = text.replace(f",投资构成,{old},", f",投资构成,{new},")
    return text


@pytest.mark.parametrize(
    ("items", "hint"),
    [
        # 1.征地费用 under 二、: its part, written without 其中; the rest adds up to 计划总投资.
        (
            ("一、工程费用", "二、工程建设其他费用", "1.征地费用", "三、基本预备费", "四、其他费用"),
            "；第9行按下一级编号，如是上一行的组成部分，请在其内容前加“其中：”（不计这几行，合计为112774.31万元，正等于计划总投资）",
        ),
        (
            (
                "（一）工程费用",
                "（二）工程建设其他费用",
                "（1）征地费用",
                "（三）基本预备费",
                "（四）其他费用",
            ),
            "；第9行按下一级编号，如是上一行的组成部分，请在其内容前加“其中：”（不计这几行，合计为112774.31万元，正等于计划总投资）",
        ),
        # Numbered alike, or not at all: nothing to point at.
        (("1.工程费用", "2.工程建设其他费用", "3.征地费用", "4.基本预备费", "5.其他费用"), ""),
        (("工程费用", "工程建设其他费用", "征地费用", "基本预备费", "其他费用"), ""),
    ],
)
def test_investment_total_per_project_names_rows_numbered_a_level_below_the_row_above(registry, items, hint):
    [row] = built(
        "investment_total_per_project", [sheet_of(registry, "scale_and_cost", outlined(*items))], registry
    )

    assert row["cost_gap"] == Decimal("3115.39")
    assert row["cost_hint"] == hint


def test_funds_per_project_sets_paid_beside_received(registry):
    sheet = sheet_of(registry, "fund_ledger")

    [row] = built("funds_per_project", [sheet], registry)

    assert (row["_rows"], row["received"], row["paid"]) == ("3至5", Decimal(10000), Decimal(5000 + 4200))
    assert row["paid_excess"] == Decimal(9200 - 10000)
    assert built("funds_per_project", [sheet], registry, Context(known_projects={ZAOLIN})) == []


def test_money_per_row_sets_each_amount_beside_its_projects_planned_total(registry):
    sheet = sheet_of(registry, "compound_list")
    planned = CONTEXT.planned_total(ZAOLIN, 2022)

    rows = built("money_per_row", [sheet], registry)

    assert [r["_excel_row"] for r in rows] == [5, 6, 7]
    assert {r["planned_total"] for r in rows} == {planned}
    assert rows[0]["planned_investment_wan"] == Decimal("1075.97")
    assert rows[0]["planned_investment_wan" + OVER_PLANNED] == Decimal("1075.97") - planned
    assert built("money_per_row", [sheet], registry, Context()) == []


def test_money_per_row_leaves_a_reported_amount_out(registry):
    text = changed("compound_list", "725.58", "约725.58")

    rows = built("money_per_row", [sheet_of(registry, "compound_list", text)], registry)

    assert [r["planned_investment_wan"] for r in rows] == [Decimal("1075.97"), None, Decimal("906.97")]
    assert rows[1]["planned_investment_wan" + OVER_PLANNED] is None


def test_area_per_household_divides_the_area_by_households_in_the_headers_unit(registry):
    text = changed("compound_list", "1.9320,249,", "1.9320,0,")

    rows = built("area_per_household", [sheet_of(registry, "compound_list", text)], registry)

    # Row 6 has no households: no ratio to judge.
    assert [r["_excel_row"] for r in rows] == [5, 7]
    first = rows[0]
    assert first["area_m2_per_household"] == Decimal(28650) / 370
    assert (first["area_m2_shown"], first["area_m2_unit"], first["area_m2_written"]) == (
        Decimal(77),
        "万平方米",
        "2.865万平方米",
    )


def test_cumulative_per_row_sets_each_months_cumulative_beside_the_sum_of_its_months(registry):
    rows = built("cumulative_per_row", [sheet_of(registry, "investment_progress")], registry)

    assert [(r["_excel_row"], r["month"], r["expected_cumulative"]) for r in rows] == [
        (3, 1, Decimal(2600)),
        (4, 2, Decimal(2600 + 3150)),
        (5, 3, Decimal("10030.50")),
    ]
    assert {r["cumulative_gap"] for r in rows} == {0}
    assert {r["months_from_run"] for r in rows} == {""}


# Wrong cells of the months: (each change, the Excel row of every gap the suite's tolerance flags).
WRONG_MONTHS = {
    # February's 本月 in 元: every later 累计 is off by the same amount; only February is blamed for it.
    "monthly_in_yuan": ([("2,18000,3150,5750", "2,18000,31500000,5750")], [4]),
    # February's 累计 mistyped: March's is right again, and is not blamed.
    "cumulative_typo": ([("3150,5750", "3150,5760")], [4]),
    # February's 累计 mistyped and carried into March's: blamed once, where it began.
    "typo_carried": ([("3150,5750", "3150,5760"), ("10030.50", "10040.50")], [4]),
    # Two errors, February's and another in March: each is blamed.
    "two_errors": ([("3150,5750", "3150,5760"), ("10030.50", "10050.50")], [4, 5]),
}


@pytest.mark.parametrize("case", WRONG_MONTHS)
def test_a_wrong_month_is_blamed_once_not_in_every_later_month(registry, case):
    changes, blamed = WRONG_MONTHS[case]
    text = CLEAN["investment_progress"]
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)

    rows = built("cumulative_per_row", [sheet_of(registry, "investment_progress", text)], registry)

    tolerance = gap_tolerance("investment_progress")
    assert [r["_excel_row"] for r in rows if abs(r["cumulative_gap"]) > tolerance] == blamed


def test_cumulative_per_row_says_which_months_were_never_sent(registry):
    text = "\n".join(line for line in CLEAN["investment_progress"].splitlines() if ",2022,1," not in line)

    rows = built("cumulative_per_row", [sheet_of(registry, "investment_progress", text)], registry)

    # January sent nowhere: counted as nothing, so February's 累计 5750 is 2600 over its months' 3150.
    assert [(r["month"], r["expected_cumulative"], r["cumulative_gap"]) for r in rows] == [
        (2, Decimal(3150), Decimal(2600)),
        (3, Decimal("7430.50"), Decimal(0)),
    ]
    assert {r["months_from_run"] for r in rows} == {"（其中1月未报送，按0计）"}


SHUANGPU_UNIT = "南阳市城乡一体化示范区建设实业有限公司"


def _earlier_years(*years: tuple[int, dict[int, str]]) -> Context:
    """The clean context with the 本月 in force of earlier years of 双铺's progress, as the warehouse holds them."""
    history = {
        ("investment_progress", SHUANGPU_UNIT, SHUANGPU, str(year)): {
            m: Decimal(v) for m, v in months.items()
        }
        for year, months in years
    }
    return dataclasses.replace(CONTEXT, monthly_history=history)


def test_a_cumulative_written_since_the_project_began_is_told_so(registry):
    # 累计 of 2022 written from 2020's start: 14000 over its months, read as sent the completion rate counted
    # 2020 and 2021 as 2022's. Told only as a gap, the clerk was not shown where the 14000 came from.
    text = CLEAN["investment_progress"]
    for cumulative in ("2600", "5750", "10030.50"):
        text = text.replace(f",{cumulative}\n", f",{Decimal(cumulative) + 14000}\n")
    context = _earlier_years((2020, {11: "6000", 12: "2000"}), (2021, {3: "6000"}), (2023, {1: "99"}))

    rows = built("cumulative_per_row", [sheet_of(registry, "investment_progress", text)], registry, context)

    assert [(r["month"], r["cumulative_gap"]) for r in rows] == [(1, 14000), (2, 0), (3, 0)]
    assert rows[0]["since_start"] == (
        "；多出的14000正是本项目2021年及以前各月本月完成投资之和，本表的累计似按开工以来累计填写，应填写2022年1月起的累计"
    )
    assert {r["since_start"] for r in rows[1:]} == {""}
    # A gap of another size is not said to be the earlier years' (nor is a later year's counted).
    other = built(
        "cumulative_per_row",
        [sheet_of(registry, "investment_progress", text)],
        registry,
        _earlier_years((2021, {3: "13999"}), (2023, {1: "1"})),
    )
    assert [(r["cumulative_gap"], r["since_start"]) for r in other][0] == (14000, "")


def test_every_derived_frame_a_suite_declares_has_a_builder(registry):
    declared = {
        kind
        for template in registry.templates
        for kind in json.loads((EXPECTATIONS_DIR / f"{template}.json").read_text(encoding="utf-8"))[
            "meta"
        ].get("derived_frames", {})
    }

    assert declared and declared <= set(DERIVED_FRAMES)


# --- the cumulative gap's tolerance ------------------------------------------------------------------


def test_gap_tolerance_is_the_suites_own_bound(registry):
    suite = json.loads((EXPECTATIONS_DIR / "investment_progress.json").read_text(encoding="utf-8"))
    [bound] = [
        e["kwargs"]["max_value"]
        for e in suite["expectations"]
        if e["kwargs"].get("column") == "cumulative_gap"
    ]

    assert gap_tolerance("investment_progress") == Decimal(str(bound)) > 0


def test_gap_tolerance_is_nothing_where_the_suite_sets_no_upper_bound(monkeypatch):
    original = suites_module.suite_documents

    def unbounded(template_id: str) -> dict[str, dict]:
        documents = copy.deepcopy(original(template_id))
        for expectation in documents["cumulative_per_row"]["expectations"]:
            if expectation["kwargs"].get("column") == "cumulative_gap":
                expectation["kwargs"]["max_value"] = None
        return documents

    monkeypatch.setattr(suites_module, "suite_documents", unbounded)

    assert gap_tolerance("investment_progress") == 0


def test_a_context_knows_no_planned_total_by_default():
    # Without a project register nothing is checked against a 计划总投资, rather than against a guessed one.
    assert Context().planned_total(SHUANGPU, 2022) is None
