"""The indicator marts, tested on fixture rows in an in-memory DuckDB, at the edges of every rule."""

from __future__ import annotations

import dataclasses
import re
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from pipeline import written_units
from pipeline.catalog import SCHEMAS_ZH
from pipeline.config_tables import amount_checks
from pipeline.indicator_values import read_indicator
from pipeline.indicators import (
    build_indicators,
    data_years,
    models,
    rebuild,
    register_functions,
)
from pipeline.intake import ingest
from pipeline.registry import REGISTRY_DIR, RegistryError, load_registry, load_units
from pipeline.rules import load_rules
from pipeline.warehouse_schema import ensure_schema

YEAR = 2022
D = Decimal


class Warehouse:
    """An in-memory warehouse that takes fixture rows as accepted submissions, one per call.

    Rows name their project as offices do; each gets the code the register below gave that name (as ingest
    resolves it), unless the row states its own `project_code`.
    """

    def __init__(self, registry):
        self.con = duckdb.connect()
        ensure_schema(self.con, registry)
        self.registry = registry
        self.next_id = 1
        self.codes: dict[str, str] = {}

    def submit(
        self, template: str, rows: list[dict], unit: str = "单位", slice_fields=("project_code",)
    ) -> int:
        """Store rows as one accepted submission of one slice per distinct slice value; return its id."""
        submission_id, self.next_id = self.next_id, self.next_id + 1
        self.con.execute(
            "insert into ops.submissions (submission_id, sha256, original_name, inbox_path, unit, templates, year, "
            "received_at, status, error_count, warning_count, archive_path) "
            "values (?, ?, ?, ?, ?, ?, ?, now(), 'accepted', 0, 0, 'archive')",
            [
                submission_id,
                f"sha{submission_id}",
                f"{template}{submission_id}.xlsx",
                "x",
                unit,
                [template],
                YEAR,
            ],
        )
        for number, row in enumerate(rows, start=5):
            row = {"year": YEAR, **row}
            if template == "project_register":
                self.codes[row["project_name"]] = row["project_code"]
                row.setdefault("project_code_derived", False)
            row.setdefault("project_code", self.codes.get(row.get("project_name")))
            key = "|".join([template, unit, *(str(row.get(f, "")) for f in slice_fields), str(row["year"])])
            record = {"submission_id": submission_id, "sheet": "表1", "excel_row": number, "slice_key": key}
            record |= {"unit": unit, **row}
            columns = ", ".join(record)
            self.con.execute(
                f"insert into raw.{template} ({columns}) values ({', '.join('?' * len(record))})",
                list(record.values()),
            )
            self.con.execute(
                "insert into ops.slices (submission_id, template, slice_key, unit, project_name, year, month, "
                "project_code, row_count) select ?, ?, ?, ?, ?, ?, ?, ?, 1 where not exists "
                "(select 1 from ops.slices where submission_id = ? and slice_key = ?)",
                [
                    submission_id,
                    template,
                    key,
                    unit,
                    row.get("project_name"),
                    row["year"],
                    row.get("month"),
                    row["project_code"],
                    submission_id,
                    key,
                ],
            )
        return submission_id

    def build(self, rules=None):
        rebuild(self.con, rules or load_rules(), self.registry)
        return self

    def rows(self, sql: str, params=None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def one(self, sql: str, params=None):
        [(value,)] = self.rows(sql, params)
        return value


def register(wh: Warehouse, *projects: str, planned: str = "1000") -> None:
    wh.submit(
        "project_register",
        [
            {
                "project_code": f"P{i}",
                "project_name": name,
                "project_type": "老旧小区改造",
                "implementing_unit": "单位",
                "planned_total_investment_wan": D(planned),
            }
            for i, name in enumerate(projects, 1)
        ],
    )


def progress(
    wh: Warehouse, project: str, plan: str, cumulative_by_month: dict[int, str], unit: str = "单位"
) -> None:
    """Submit monthly progress, one submission per month as offices send it."""
    previous = D(0)
    for month, cumulative in sorted(cumulative_by_month.items()):
        wh.submit(
            "investment_progress",
            [
                {
                    "project_name": project,
                    "month": month,
                    "annual_planned_investment_wan": D(plan),
                    "monthly_completed_wan": D(cumulative) - previous,
                    "cumulative_completed_wan": D(cumulative),
                }
            ],
            unit=unit,
            slice_fields=("project_code", "month"),
        )
        previous = D(cumulative)


def ledger(wh: Warehouse, project: str, received: str, paid: str, purpose: str = "工程款") -> None:
    wh.submit(
        "fund_ledger",
        [
            {
                "project_name": project,
                "date": f"{YEAR}-03-01",
                "fund_source": "中央补助资金",
                "entry_type": "到位",
                "amount_wan": D(received),
            },
            {
                "project_name": project,
                "date": f"{YEAR}-04-01",
                "fund_source": "中央补助资金",
                "entry_type": "支付",
                "amount_wan": D(paid),
                "expense_purpose": purpose,
            },
        ],
    )


def targets(wh: Warehouse, project: str, *indicators: tuple[str, str, str | None, int]) -> None:
    wh.submit(
        "performance_targets",
        [
            {
                "project_name": project,
                "level1": "产出指标",
                "level2": "数量指标",
                "level3": level3,
                "target_text": target,
                "reported_value": reported,
                "weight": D(weight),
            }
            for level3, target, reported, weight in indicators
        ],
    )


def test_indicators_of_one_name_get_details_of_their_own_in_the_report_figures(wh):
    register(wh, "甲")
    wh.submit(
        "performance_targets",
        [
            {
                "project_name": "甲",
                "level1": "产出指标",
                "level2": level2,
                "level3": "完成率",
                "target_text": target,
                "reported_value": reported,
                "weight": D(30),
            }
            for level2, target, reported in (
                ("质量指标", "≥95%", "80%"),
                ("时效指标", "≥90%", "90%"),
                ("时效指标", "≥90%", "45%"),
            )
        ],
    )

    wh.build()

    # The report looks figures up by (key, detail): one name for three indicators printed the first one's thrice.
    assert wh.rows(
        "select detail, display_text from mart.report_figures where figure_key = 'indicator_actual' and position > 200 order by position"
    ) == [
        ("完成率（质量指标）", "80%"),
        ("完成率（时效指标，第1项）", "90%"),
        ("完成率（时效指标，第2项）", "45%"),
    ]
    assert wh.rows(
        "select count(*) from (select figure_key, detail from mart.report_figures "
        "where figure_key like 'indicator_%' group by all having count(*) > 1)"
    ) == [(0,)]


def compounds(
    wh: Warehouse, project: str, count: int, planned_each: str = "250", status: str = "在建"
) -> int:
    return wh.submit(
        "compound_list",
        [
            {
                "project_name": project,
                "compound_name": f"小区{i}",
                "area_m2": D("1000"),
                "households": 10,
                "planned_investment_wan": D(planned_each),
                "status": status,
            }
            for i in range(count)
        ],
    )


@pytest.fixture
def wh(registry):
    return Warehouse(registry)


@pytest.mark.parametrize(
    ("cumulative", "gap", "light"),
    [
        ("600", D("0"), "none"),  # exactly on schedule
        ("599.9", D("0.008333"), "blue"),
        ("480", D("10"), "blue"),  # exactly 10 points behind
        ("479.9", D("10.008333"), "yellow"),
        ("360", D("20"), "yellow"),  # exactly 20 points behind
        ("359.9", D("20.008333"), "red"),
        ("700", D("-8.333333"), "none"),  # ahead of schedule
    ],
)
def test_lights_at_the_edges_of_each_band(wh, cumulative, gap, light):
    register(wh, "甲")
    progress(wh, "甲", "1200", {6: cumulative})

    wh.build()

    assert wh.rows("select gap_points, light from mart.monitoring_lights") == [(gap, light)]


@pytest.mark.parametrize(
    ("cumulative", "shown", "light"),
    [
        ("359.99", "20.001", "red"),  # 20.000833: "20.00" beside 红灯 would be yellow's bound
        ("360", "20.00", "yellow"),
        ("479.99", "10.001", "yellow"),
        ("480.05", "10.00", "blue"),  # 9.995833 rounds to blue's bound, and is blue
        ("359.9", "20.01", "red"),
        ("599.9", "0.01", "blue"),
        ("600", "0.00", "none"),
        # 0.000833 points ahead of time progress: -0.00 beside 无, a sign on nothing
        ("600.01", "0.00", "none"),
        ("600.06", "-0.01", "none"),
    ],
)
def test_a_gap_prints_with_the_decimals_its_light_needs(wh, cumulative, shown, light):
    register(wh, "甲")
    progress(wh, "甲", "1200", {6: cumulative})

    wh.build()

    assert wh.rows("select light from mart.monitoring_lights") == [(light,)]
    assert wh.rows("select display_text from mart.report_figures where figure_key = 'gap_points'") == [
        (shown,)
    ]


def test_a_month_planned_at_0_has_no_gap_and_no_light_and_stops_no_model(wh):
    register(wh, "甲")
    progress(wh, "甲", "0", {3: "0", 4: "50"})  # 0 over 0, then 50 over 0: no progress to lag behind

    wh.build()

    assert wh.rows("select month, gap_points, light from mart.monitoring_lights order by month") == [
        (3, None, None),
        (4, None, None),
    ]
    assert wh.rows("select investment_completion_rate, worst_light from mart.project_year") == [(None, None)]


def test_a_lagging_year_lights_each_month_and_keeps_the_worst(wh):
    register(wh, "甲")
    # Plan 1,200: time progress m/12 against cumulative/1,200, worked out by hand.
    progress(wh, "甲", "1200", {1: "100", 2: "150", 3: "180", 4: "220", 5: "250", 6: "600"})

    wh.build()

    assert wh.rows("select month, light from mart.monitoring_lights order by month") == [
        (1, "none"),  # 8.33 − 8.33 = 0
        (2, "blue"),  # 16.67 − 12.5 = 4.17
        (3, "blue"),  # 25 − 15 = 10
        (4, "yellow"),  # 33.33 − 18.33 = 15
        (5, "red"),  # 41.67 − 20.83 = 20.83
        (6, "none"),  # 50 − 50 = 0
    ]
    assert wh.rows(
        "select worst_light, completed_investment_wan, investment_completion_rate from mart.project_year"
    ) == [("red", D("600"), D("0.5"))]


def test_a_year_only_a_monitoring_form_reports_on_is_a_year_of_its_project(wh):
    # Registered in 2022 to run into 2023, the project's first 2023 file is its 1-6月 运行监控表: the year was no year
    # of the project, so the mart named no project and `pipeline report --year 2023` said no 2023 file was accepted.
    register(wh, "甲")
    wh.submit(
        "performance_monitoring",
        [
            {
                "project_name": "甲",
                "year": 2023,
                "month": 6,
                "level1": "产出指标",
                "level2": "时效指标",
                "level3": "年度计划投资完成率",
                "target_text": "≥100%",
                "likelihood": "有可能",
                "reason": "资金拨付慢",
                "budget_initial_wan": D("1800"),
                "budget_executed_wan": D("600"),
            }
        ],
        slice_fields=("project_code", "month"),
    )

    wh.build()

    assert data_years(wh.con) == [2022, 2023]
    assert wh.rows("select project_name, year, month, finding_count from mart.monitoring_findings") == [
        ("甲", 2023, 6, 1)
    ]
    assert wh.rows(
        "select distinct project_name from mart.report_figures where year = 2023 and figure_key like 'monitoring%'"
    ) == [("甲",)]


def test_monitoring_findings_of_one_name_are_told_apart_in_the_report(wh):
    # 完成率 under 质量指标 and twice under 时效指标, none sure to be met: the report printed three rows 6月·完成率, and
    # which was 有可能 and which 完全不可能 no reader could tell.
    register(wh, "甲")
    finding = {"project_name": "甲", "year": 2022, "month": 6, "level1": "产出指标", "level3": "完成率"}
    finding |= {"target_text": "≥95%", "budget_initial_wan": D("1800"), "budget_executed_wan": D("600")}
    wh.submit(
        "performance_monitoring",
        [
            finding | {"level2": "质量指标", "likelihood": "有可能", "reason": "验收推迟"},
            finding | {"level2": "时效指标", "likelihood": "完全不可能", "reason": "停工"},
            finding | {"level2": "时效指标", "likelihood": "有可能", "reason": "雨季"},
            finding | {"level3": "开工率", "level2": "时效指标", "likelihood": "有可能", "reason": "审批慢"},
        ],
        slice_fields=("project_code", "month"),
    )

    wh.build()

    assert wh.rows(
        "select detail, display_text from mart.report_figures where figure_key = 'monitoring_finding' order by detail"
    ) == [
        ("6月·完成率（时效指标，第1项）", "完成目标可能性：完全不可能；原因说明：停工"),
        ("6月·完成率（时效指标，第2项）", "完成目标可能性：有可能；原因说明：雨季"),
        ("6月·完成率（质量指标）", "完成目标可能性：有可能；原因说明：验收推迟"),
        ("6月·开工率", "完成目标可能性：有可能；原因说明：审批慢"),
    ]


@pytest.mark.parametrize(
    ("executed", "printed"),
    [
        # 583.325 of 1,000 by July is 58.3325 %, behind 7/12 (58.3333 %): both printed 58.33%, read as on time.
        ("583.325", ("58.3325%", "58.3333%")),
        # Ahead by a hair: 58.3334 % printed 58.33% beside 58.33%.
        ("583.334", ("58.3334%", "58.3333%")),
        # Apart at two decimals, or alike: two decimals.
        ("600", ("60%", "58.33%")),
        # 58.333 % printed 58.33% beside 58.33%, and 58.333% beside 58.333% at three decimals.
        ("583.33", ("58.333%", "58.3333%")),
    ],
)
def test_a_monitoring_execution_rate_and_the_time_progress_beside_it_print_apart_where_they_are(
    wh, executed, printed
):
    register(wh, "甲")
    row = {"project_name": "甲", "year": YEAR, "month": 7, "level1": "产出指标", "level2": "时效指标"}
    row |= {"level3": "完成率", "target_text": "≥100%", "likelihood": "确定能"}
    wh.submit(
        "performance_monitoring",
        [row | {"budget_initial_wan": D("1000"), "budget_executed_wan": D(executed)}],
        slice_fields=("project_code", "month"),
    )

    wh.build()

    rate, time = D(executed) / 1000, D(7) / 12
    shown_rate, shown_time = (D(text.rstrip("%")) for text in printed)
    assert (rate > time, rate < time) == (
        shown_rate > shown_time,
        shown_rate < shown_time,
    )  # as a reader compares
    assert wh.rows(
        "select display_text from mart.report_figures where figure_key in "
        "('monitoring_execution_rate', 'monitoring_time_progress') order by figure_key"
    ) == [(text,) for text in printed]


def monitoring_lights_stated(
    wh: Warehouse, stated: dict[int, list[str | None]], block: dict[int, str] | None = None
) -> None:
    """Submit 甲's 运行监控表 for each month, one indicator row a light its 预警情况 column states (None: blank),
    and the light its 项目资金 block states, if `block` gives that month one."""
    for month, lights in stated.items():
        row = {"project_name": "甲", "year": YEAR, "month": month, "level1": "产出指标", "level2": "时效指标"}
        row |= {"target_text": "≥100%", "likelihood": "确定能", "budget_initial_wan": D("1200")}
        row |= {"budget_stated_light": (block or {}).get(month)}
        wh.submit(
            "performance_monitoring",
            [row | {"level3": f"指标{i}", "stated_light": light} for i, light in enumerate(lights, 1)],
            slice_fields=("project_code", "month"),
        )


def test_a_units_own_light_is_kept_and_set_against_the_light_computed_for_its_month(wh):
    # A local 运行监控表's 预警情况 column was not read: its 红灯 stood unremarked beside the report's 无.
    register(wh, "甲")
    # Plan 1,200 (test_a_lagging_year_lights_each_month_and_keeps_the_worst): 4月 yellow, 5月 red, 6月 none.
    progress(wh, "甲", "1200", {4: "220", 5: "250", 6: "600"})
    monitoring_lights_stated(
        wh, {4: ["黄灯"], 5: ["绿灯", None], 6: ["蓝灯", "红灯", "红灯"], 7: ["黄灯"], 8: ["绿灯"], 9: [None]}
    )

    wh.build()

    assert wh.rows(
        "select month, stated_light, progress_light, stated_light_against_progress, "
        "[r.excel_row for r in stated_light_lineage] from mart.monitoring_findings order by month"
    ) == [
        (4, "yellow", "yellow", "same", [5]),
        (5, "none", "red", "milder", [5]),
        (6, "red", "none", "harsher", [6, 7]),  # the worst any row states, cited by the rows stating it
        (7, "yellow", None, None, [5]),
        (8, "none", None, None, [5]),
        (9, None, None, None, []),
    ]
    assert wh.rows(
        "select figure_key, detail, display_text from mart.report_figures "
        "where figure_key like 'monitoring_light%' order by detail"
    ) == [
        ("monitoring_light_milder", "5月", "绿灯"),
        ("monitoring_light_harsher", "6月", "红灯"),
        ("monitoring_light_uncomputed", "7月", "黄灯"),
    ]


def test_a_light_the_funds_block_states_counts_with_the_tables(wh):
    # 预警情况 beside the 项目资金 block's amounts was dropped unsaid: its 红灯 never reached the marts.
    register(wh, "甲")
    progress(wh, "甲", "1200", {6: "600"})  # 6月 none (50 − 50)
    monitoring_lights_stated(wh, {6: ["绿灯", "黄灯"], 7: ["红灯", None]}, block={6: "红灯", 7: "绿灯"})

    wh.build()

    assert wh.rows(
        "select month, stated_light, stated_light_against_progress, [r.excel_row for r in stated_light_lineage] "
        "from mart.monitoring_findings order by month"
    ) == [(6, "red", "harsher", [5]), (7, "red", None, [5])]  # the block cited at the form's first row


ZAOLIN, XINHUA = "枣林街道办事处", "新华街道办事处"


def _progress_rows(wh: Warehouse, unit: str, *months: int) -> set[tuple[int, int]]:
    """Return the (submission, Excel row) cells of an office's progress rows of those months."""
    return set(
        wh.rows(
            "select submission_id, excel_row from raw.investment_progress where unit = ? and list_contains(?, month)",
            [unit, list(months)],
        )
    )


def _cells(lineage) -> set[tuple[int, int]]:
    return {(cell["submission_id"], cell["excel_row"]) for cell in lineage}


def test_two_offices_progress_counts_each_offices_latest_month_when_one_is_behind(wh):
    register(wh, "甲")
    progress(wh, "甲", "1200", {m: str(100 * m) for m in range(1, 13)}, unit=ZAOLIN)
    progress(wh, "甲", "600", {m: str(50 * m) for m in range(1, 12)}, unit=XINHUA)  # no December yet

    wh.build()

    # By hand: 枣林 1,200 of 1,200 to December, 新华 550 of 600 to November: 1,750 of 1,800.
    assert wh.rows(
        "select completed_investment_wan, annual_planned_investment_wan, investment_completion_rate, worst_light "
        "from mart.project_year"
    ) == [(D("1750"), D("1800"), D("0.9722222222"), "blue")]
    # November: both on schedule (150 a month of 1,800); December: 100 − 97.22 = 2.78 points behind, blue.
    assert wh.rows(
        "select month, cumulative_completed_wan, annual_planned_investment_wan, gap_points, light "
        "from mart.monitoring_lights where month >= 11 order by month"
    ) == [(11, D("1650"), D("1800"), D("0"), "none"), (12, D("1750"), D("1800"), D("2.777778"), "blue")]
    # Both say 新华's figure is its November's.
    assert wh.rows(
        "select month, carried_forward from mart.monitoring_lights where month >= 11 order by month"
    ) == [
        (11, []),
        (12, [{"unit": XINHUA, "month": 11}]),
    ]
    assert wh.one("select progress_carried_forward from mart.project_year") == [{"unit": XINHUA, "month": 11}]
    december = _progress_rows(wh, ZAOLIN, 12) | _progress_rows(wh, XINHUA, 11)
    assert _cells(wh.one("select lineage from mart.monitoring_lights where month = 12")) == december
    assert _cited(wh, "gap_points", "12月") == december
    figures = wh.rows(
        "select figure_key, display_text, lineage from mart.report_figures where project_name = '甲' "
        "and figure_key in ('completed_investment_wan', 'annual_planned_investment_wan', "
        "'investment_completion_rate', 'progress_unit_missing') order by figure_key"
    )
    assert [(key, text) for key, text, _ in figures] == [
        ("annual_planned_investment_wan", "1,800万元"),
        ("completed_investment_wan", "1,750万元"),
        ("investment_completion_rate", "97.22%"),
        ("progress_unit_missing", "12月"),
    ]
    cited = {
        key: {(s["submission_id"], r) for s in lineage for r in s["excel_rows"]}
        for key, _, lineage in figures
    }
    assert cited["completed_investment_wan"] == cited["investment_completion_rate"] == december
    assert _cited(wh, "progress_unit_missing", f"{XINHUA}|11") == _progress_rows(wh, XINHUA, 11)


def test_an_office_that_starts_later_is_left_out_of_its_earlier_months_and_carried_over_its_gaps(wh):
    register(wh, "甲")
    progress(wh, "甲", "1200", {m: str(100 * m) for m in range(1, 6)}, unit=ZAOLIN)
    progress(wh, "甲", "600", {3: "150", 5: "250"}, unit=XINHUA)  # from March, April not sent

    wh.build()

    assert wh.rows(
        "select month, cumulative_completed_wan, annual_planned_investment_wan from mart.monitoring_lights "
        "order by month"
    ) == [
        (1, D("100"), D("1200")),  # nothing says what 新华 had done: 枣林's alone, and said below
        (2, D("200"), D("1200")),
        (3, D("450"), D("1800")),
        (4, D("550"), D("1800")),  # 新华's March, not 枣林 alone
        (5, D("750"), D("1800")),
    ]
    assert wh.rows(
        "select month, carried_forward, units_not_counted from mart.monitoring_lights order by month"
    ) == [
        (1, [], [XINHUA]),
        (2, [], [XINHUA]),
        (3, [], []),
        (4, [{"unit": XINHUA, "month": 3}], []),
        (5, [], []),
    ]
    assert wh.rows(
        "select detail, display_text from mart.report_figures where figure_key = 'progress_unit_missing' "
        "order by detail"
    ) == [(f"{XINHUA}|", "1、2月"), (f"{XINHUA}|3", "4月")]
    # Each note cites the row it counts from; left out, the office's first month, which says where it starts.
    for detail in (f"{XINHUA}|", f"{XINHUA}|3"):
        assert _cited(wh, "progress_unit_missing", detail) == _progress_rows(wh, XINHUA, 3)
    assert wh.rows("select completed_investment_wan, progress_carried_forward from mart.project_year") == [
        (D("750"), [])
    ]


@pytest.mark.parametrize("units", [(ZAOLIN,), (ZAOLIN, XINHUA)])
def test_offices_reporting_the_same_months_add_up_month_by_month_as_before(wh, units):
    register(wh, "甲")
    for unit in units:
        progress(wh, "甲", "1200", {1: "100", 2: "150", 4: "400"}, unit=unit)  # March not sent by anyone

    wh.build()

    n = len(units)
    assert wh.rows(
        "select month, cumulative_completed_wan, annual_planned_investment_wan, light "
        "from mart.monitoring_lights order by month"
    ) == [
        (1, 100 * n, 1200 * n, "none"),
        (2, 150 * n, 1200 * n, "blue"),
        (4, 400 * n, 1200 * n, "none"),  # no month of no office's: no row, as for one office
    ]
    assert wh.rows(
        "select completed_investment_wan, annual_planned_investment_wan from mart.project_year"
    ) == [(400 * n, 1200 * n)]
    assert _cells(wh.one("select lineage from mart.monitoring_lights where month = 4")) == set().union(
        *(_progress_rows(wh, unit, 4) for unit in units)
    )
    assert wh.rows("select 1 from mart.report_figures where figure_key = 'progress_unit_missing'") == []
    # Nothing carried, nothing left out (the columns the fix added).
    assert wh.rows("select distinct carried_forward, units_not_counted from mart.monitoring_lights") == [
        ([], [])
    ]
    assert wh.one("select progress_carried_forward from mart.project_year") == []


def test_targets_score_by_operator_and_qualitative_outcome(wh):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="100")
    compounds(wh, "甲", 5)  # 5 compounds, 1,250万元 planned
    wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": "小区0",
                "valid_responses": 100,
                "satisfied": 70,
                "basically_satisfied": 10,
                "dissatisfied": 20,
            }
        ],
    )
    targets(
        wh,
        "甲",
        ("群众满意度", "≥90%", "80%", 20),  # 0.8 / 0.9 of 20
        ("计划投资", "≤1000万元", None, 20),  # 1,250 > 1,000: 20 × 1000/1250 = 16
        ("改造小区数量", "=4个", "5个", 20),  # 20 × 4/5 = 16
        ("居民居住条件改善", "按期完成", "基本达成", 15),  # 80 %
        ("工程验收合格率", "≥100%", "95%", 15),  # not bound: the reported 95 %
    )

    wh.build()

    scores = dict(wh.rows("select level3, round(score, 6) from mart.self_evaluation"))
    assert scores == {
        "预算执行率": D("10"),
        "群众满意度": D("17.777778"),
        "计划投资": D("16"),
        "改造小区数量": D("16"),
        "居民居住条件改善": D("12"),
        "工程验收合格率": D("14.25"),
    }
    sources = dict(wh.rows("select level3, actual_source from mart.self_evaluation"))
    assert sources["工程验收合格率"] == "reported" and sources["改造小区数量"] == "computed"
    assert wh.rows("select round(self_evaluation_score, 6), grade from mart.project_year") == [
        (D("86.027778"), "良")
    ]


@pytest.mark.parametrize("target", ["≥90", "≥0.9", "≥90%"])
def test_a_rates_target_without_a_unit_is_a_percentage(wh, target):
    register(wh, "甲")
    wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": "小区0",
                "valid_responses": 100,
                "satisfied": 85,
                "basically_satisfied": 8,
                "dissatisfied": 7,
            }
        ],
    )
    # The national form puts the unit in the name (`居民满意度（%）`); the data give 0.93, which is 93 %, not 0.93.
    targets(wh, "甲", ("居民满意度（%）", target, "93", 90))

    wh.build()

    assert wh.rows(
        "select target_value, target_unit, actual_value, score from mart.self_evaluation where position > 0"
    ) == [(D("0.9"), "%", D("0.93"), D("90"))]


def test_a_numbers_target_met_with_an_outcomes_words_scores_as_the_words_say(wh):
    register(wh, "甲")
    targets(
        wh,
        "甲",
        ("设施使用年限", "≥15年", "达成预期指标", 30),  # submissions.md: 达成预期指标 means 达成, 100 %
        ("维修响应时间", "≤24小时", "基本达成", 30),  # 80 %
        ("绿化面积", "≥500平方米", "良好", 30),  # no outcome the rules know: nothing
    )

    wh.build()

    assert wh.rows("select level3, round(score, 6) from mart.self_evaluation where position > 0") == [
        ("设施使用年限", D("30")),
        ("维修响应时间", D("24")),
        ("绿化面积", D("0")),
    ]


def test_the_national_forms_footnote_grades_score_as_their_outcomes(wh):
    # The 自评表's 注 names its three grades in these words, and clerks copy them: the second scored 0, unjudged.
    register(wh, "甲")
    targets(
        wh,
        "甲",
        ("长效管理机制", "建立", "达成预期指标", 30),
        ("物业管理覆盖", "全覆盖", "部分达成预期指标并具有一定效果", 30),
        ("居民议事制度", "建立", "未达成预期指标且效果较差", 30),
    )

    wh.build()

    assert wh.rows("select level3, round(score, 6) from mart.self_evaluation where position > 0") == [
        ("长效管理机制", D("30")),
        ("物业管理覆盖", D("18")),
        ("居民议事制度", D("0")),
    ]


def test_done_worded_as_units_word_it_scores_as_done(wh):
    # 全部完成, 如期完成, 按时完成 and 达标 scored 0 as wordings nobody could judge, where 已完成 scored in full.
    register(wh, "甲")
    targets(
        wh,
        "甲",
        ("工程进度", "按期完成", "全部完成", 20),
        ("竣工验收", "按期完成", "已如期完成", 20),
        ("管线迁改", "年内完成", "按时完成", 20),
        ("消防设施", "符合规范", "达标", 15),
        ("绿化面积", "≥500平方米", "已全部完成", 15),  # a number's target: scored by the words, and told
    )

    wh.build()

    assert wh.rows("select level3, round(score, 6) from mart.self_evaluation where position > 0") == [
        ("工程进度", D("20")),
        ("竣工验收", D("20")),
        ("管线迁改", D("20")),
        ("消防设施", D("15")),
        ("绿化面积", D("15")),
    ]


def test_a_percentage_below_zero_meets_a_target_below_it_and_scores_nothing_against_one_above(wh):
    # `-2%` was no number and scored 0 against ≤5%, which it meets; read, against ≥90% it would score below 0.
    register(wh, "甲")
    targets(
        wh,
        "甲",
        ("成本超支率", "≤5%", "-2%", 30),
        ("工程质量合格率", "≥90%", "-5%", 30),
        ("资金节约率", "=3%", "−3%", 30),
    )

    wh.build()

    assert wh.rows(
        "select level3, actual_value, round(score, 6) from mart.self_evaluation where position > 0"
    ) == [
        ("成本超支率", D("-0.02"), D("30")),
        ("工程质量合格率", D("-0.05"), D("0")),
        ("资金节约率", D("-0.03"), D("0")),
    ]


def test_a_qualitative_target_worded_as_an_outcome_scores_the_outcome_written(wh):
    # warehouse.md grades the actual's word: 基本达成 met by 基本达成 scored 100 % as the target's own words (达成).
    register(wh, "甲")
    targets(
        wh,
        "甲",
        ("居民满意", "基本达成", "基本达成", 20),  # 80 %
        ("设施完好", "未达成", "未达成", 20),  # 0 %
        ("管理规范", "部分达成", "部分达到预期", 20),  # words for 部分达成: 60 %
        ("工程进度", "按期完成", "按期完成", 15),  # the target's own words: met
        ("制度建设", "建立", "已建立", 15),  # them said done: met
    )

    wh.build()

    assert wh.rows("select level3, round(score, 6) from mart.self_evaluation where position > 0") == [
        ("居民满意", D("16")),
        ("设施完好", D("0")),
        ("管理规范", D("12")),
        ("工程进度", D("15")),
        ("制度建设", D("15")),
    ]


def test_a_reported_value_differing_from_the_data_is_kept_and_flagged(wh):
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", ("改造小区数量", "≥5个", "6个", 45), ("惠及户数", "≥50户", "50户", 45))

    wh.build()

    assert wh.rows(
        "select level3, reported_value, actual_value, differs_from_reported from mart.self_evaluation "
        "where position > 0 order by position"
    ) == [("改造小区数量", "6个", D("5"), True), ("惠及户数", "50户", D("50"), False)]


def test_an_indicator_of_one_compound_is_scored_on_its_reported_value_not_the_projects_measure(wh):
    # Bound by 户数, the project's 50 households stood as 小区3's own: full marks for a compound that reported 8 of
    # its 10, and the report's data-quality note said the unit's 8户 differed from the data's 50.
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", ("小区3惠及户数", "≥10户", "8户", 45), ("惠及户数", "≥50户", "50户", 45))

    wh.build()

    assert wh.rows(
        "select level3, measure, actual_source, actual_value, round(score, 2), differs_from_reported "
        "from mart.self_evaluation where position > 0 order by position"
    ) == [
        ("小区3惠及户数", None, "reported", D("8"), D("36.00"), False),
        ("惠及户数", "households", "computed", D("50"), D("45.00"), False),
    ]


def test_a_percentage_rounded_as_reported_is_not_a_difference(wh):
    register(wh, "甲")
    wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": "小区0",
                "valid_responses": 10000,
                "satisfied": 9312,
                "basically_satisfied": 0,
                "dissatisfied": 688,
            }
        ],
    )
    targets(wh, "甲", ("群众满意度", "≥90%", "93%", 90))

    wh.build()

    assert wh.one("select differs_from_reported from mart.self_evaluation where position = 1") is False


@pytest.mark.parametrize(
    ("first", "second", "paid", "score", "grade"),
    [
        ("基本达成", "达成", "100", D("90"), "优"),  # 10 + 40 + 40
        ("基本达成", "达成", "99", D("89.9"), "良"),  # 9.9 + 40 + 40
        ("部分达成", "达成", "100", D("80"), "良"),  # 10 + 30 + 40
        ("达成", "未达成", "100", D("60"), "中"),  # 10 + 50 + 0
        ("达成", "未达成", "99", D("59.9"), "差"),  # 9.9 + 50 + 0
    ],
)
def test_grades_at_their_bounds(wh, first, second, paid, score, grade):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid=paid)
    targets(wh, "甲", ("社会效益", "按期完成", first, 50), ("可持续影响", "长期发挥作用", second, 40))

    wh.build()

    assert wh.rows("select self_evaluation_score, grade from mart.project_year") == [(score, grade)]


def _grade_of(score: Decimal) -> str:
    """Return the grade the year's rules give a total, read from rules.yaml as the models are."""
    return next(g.grade for g in load_rules().for_year(YEAR).grades if score >= g.from_score)


@pytest.mark.parametrize(
    ("target", "reported", "score"),
    [
        ("≥3栋", "3幢", D(9)),
        ("≥3栋", "2幢", D(6)),
        ("≥3公里", "2000米", D(6)),
        ("≥3公里", "3000延米", D(9)),
        ("≥12部", "12台", D(9)),
        ("≥12部", "8台", D(6)),
    ],
)
def test_a_value_reported_in_another_word_for_its_targets_unit_is_scored_and_printed_as_reported(
    wh, target, reported, score
):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="100")
    targets(wh, "甲", ("改造规模", target, reported, D(9)))

    wh.build()

    assert wh.one("select score from mart.self_evaluation where level3 = '改造规模'") == score
    printed = wh.one(
        "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '改造规模'"
    )
    assert printed == reported


@pytest.mark.parametrize("total", [D(60), D(80), D(90)])
@pytest.mark.parametrize(("done", "of"), [(1, 3), (2, 7), (4, 9)])
def test_a_total_exactly_on_a_grade_bound_reached_through_a_fraction_gets_that_grade(wh, done, of, total):
    # 分值 of × m scores done × m exactly; with a 达成 worth the rest of 90 and the budget's full 10, the total is
    # 100 − (of − done) × m: m is picked to land on the bound.
    m = (100 - total) / (of - done)
    weight = of * m
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="100")
    targets(
        wh,
        "甲",
        ("安置楼栋数", f"≥{of}个", f"{done}个", weight),
        ("工程进度", "按计划推进", "达成", 90 - weight),
    )

    wh.build()

    assert wh.one("select score from mart.self_evaluation where level3 = '安置楼栋数'") == done * m
    assert wh.rows("select self_evaluation_score, grade from mart.project_year") == [
        (total, _grade_of(total))
    ]
    assert wh.one("select display_text from mart.report_figures where figure_key = 'grade'") == _grade_of(
        total
    )


def test_a_score_on_a_rate_computed_from_the_data_is_exact(wh, tmp_path):
    # A budget worth 15: 15 × 1/3 is 5, which 15 × 0.3333333333 is not.
    rules_file = tmp_path / "rules.yaml"
    rules = load_rules()
    scoring = {"budget_execution_points": 15, "indicator_points": 85}
    rules = rules.model_validate_json(rules.model_dump_json(by_alias=True)).model_copy(
        update={"years": {YEAR: {"scoring": scoring}}}
    )
    rules_file.write_text(rules.model_dump_json(by_alias=True), encoding="utf-8")
    register(wh, "甲")
    ledger(wh, "甲", received="300", paid="100")
    progress(wh, "甲", "900", {12: "300"})  # 1/3 of the plan
    wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": "小区0",
                "valid_responses": 3,
                "satisfied": 1,
                "basically_satisfied": 1,
                "dissatisfied": 1,
            }
        ],
    )
    targets(wh, "甲", ("群众满意度", "≥100%", None, 30), ("年度计划投资完成率", "≥100%", None, 45))

    wh.build(load_rules(rules_file))

    assert wh.rows("select level3, score from mart.self_evaluation order by position") == [
        ("预算执行率", D(5)),  # 15 × 100 / 300
        ("群众满意度", D(20)),  # 30 × 2/3
        ("年度计划投资完成率", D(15)),  # 45 × 300 / 900
    ]
    assert wh.one("select self_evaluation_score from mart.project_year") == D(40)


@pytest.mark.parametrize(
    ("stated", "points"), [(D(1), D(10)), (D("0.8"), D(8)), (D("1.05"), D(10)), (None, D(0))]
)
def test_without_a_ledger_the_budget_execution_scores_by_the_forms_stated_rate(wh, stated, points):
    # A national 自评表 states 执行率 in its 项目资金 block; with no ledger to compute it from, that is the actual.
    register(wh, "甲")
    wh.submit(
        "performance_targets",
        [
            {
                "project_name": "甲",
                "level1": "产出指标",
                "level2": "数量指标",
                "level3": "工程进度",
                "target_text": "按计划推进",
                "reported_value": "达成",
                "weight": D(90),
                "budget_execution_rate": stated,
            }
        ],
    )
    wh.build()

    assert wh.rows(
        "select actual_value, actual_source, score from mart.self_evaluation where level3 = '预算执行率'"
    ) == [(stated, "reported", points)]  # nothing to compute from: not `computed`, whatever the form states
    assert wh.one("select self_evaluation_score from mart.project_year") == D(90) + points
    # A ledger, once sent, is what the rate is computed from.
    ledger(wh, "甲", received="100", paid="50")
    wh.build()
    assert wh.rows(
        "select actual_value, actual_source, score from mart.self_evaluation where level3 = '预算执行率'"
    ) == [(D("0.5"), "computed", D(5))]


def test_without_a_ledger_or_a_stated_rate_the_budget_execution_is_the_forms_executed_over_budget(wh):
    # The 执行率 cell left blank beside 全年执行数 1256 of 全年预算数 1570 (the receipt says so: rate_blank).
    register(wh, "甲")
    row = {
        "project_name": "甲",
        "level1": "产出指标",
        "level2": "数量指标",
        "level3": "工程进度",
        "target_text": "按计划推进",
        "reported_value": "达成",
        "weight": D(90),
        "budget_annual_wan": D(1570),
        "budget_executed_wan": D(1256),
    }
    wh.submit("performance_targets", [row])
    wh.build()

    assert wh.rows(
        "select actual_value, actual_source, score from mart.self_evaluation where level3 = '预算执行率'"
    ) == [(D("0.8"), "computed", D(8))]
    assert wh.one("select self_evaluation_score from mart.project_year") == D(98)


# The ledger as the registry names it, as every message about it does.
LEDGER = load_registry().templates["fund_ledger"].name_zh
NOTHING_TO_RATE = f"未报送{LEDGER}，自评表也未填写执行率、全年执行数和全年预算数，预算执行率无法计算，按0分计"


@pytest.mark.parametrize(
    ("block", "sent", "rate", "points", "note"),
    [
        ({}, None, None, D(0), NOTHING_TO_RATE),
        # The counter-cases: a rate from the ledger, the form's 执行率, or its 全年执行数 ÷ 全年预算数 is no guess.
        ({}, ("100", "50"), D("0.5"), D(5), None),
        ({"budget_execution_rate": D("0.8")}, None, D("0.8"), D(8), None),
        ({"budget_annual_wan": D(1570), "budget_executed_wan": D(1256)}, None, D("0.8"), D(8), None),
        (
            {"budget_annual_wan": D(1570)},
            None,
            None,
            D(0),
            f"未报送{LEDGER}，自评表的执行率、全年执行数和全年预算数不足以计算预算执行率，按0分计",
        ),
        # A ledger sent whose 到位 add up to 0: its own note in the report names the sum.
        ({}, ("0", "50"), None, D(0), f"{LEDGER}的到位资金合计为0，预算执行率无法计算，按0分计"),
    ],
)
def test_a_budget_execution_nothing_gives_scores_0_and_says_why(wh, block, sent, rate, points, note):
    # Scored 0 of 10 and graded 优 on its indicators' 90, with nothing to tell the 0 from nothing spent.
    register(wh, "甲")
    row = {"project_name": "甲", "level1": "产出指标", "level2": "数量指标", "level3": "工程进度"}
    wh.submit(
        "performance_targets",
        [row | {"target_text": "按计划推进", "reported_value": "达成", "weight": D(90)} | block],
    )
    if sent:
        ledger(wh, "甲", *sent)
    wh.build()

    assert wh.rows(
        "select actual_value, score, deviation_note from mart.self_evaluation where position = 0"
    ) == [(rate, points, note)]  # unknown, not 0 %
    total = D(90) + points
    assert wh.rows("select self_evaluation_score, grade from mart.project_year") == [
        (total, _grade_of(total))
    ]
    # The report is told only where no ledger was sent: one whose 到位 add up to 0 is named with its sum.
    told = [(note,)] if note is not None and not sent else []
    assert (
        wh.rows("select display_text from mart.report_figures where figure_key = 'budget_execution_unrated'")
        == told
    )


def test_a_ledger_with_nothing_paid_scores_a_payment_rate_of_0_not_the_forms_claim(wh):
    # 500 万元 received, no 支付 row: 资金支付率 and 预算执行率 are 0 %, whatever the 自评表 states (100 %).
    register(wh, "甲")
    wh.submit(
        "fund_ledger",
        [
            {
                "project_name": "甲",
                "date": f"{YEAR}-03-01",
                "fund_source": "中央补助资金",
                "entry_type": "到位",
                "amount_wan": D(500),
            }
        ],
    )
    wh.submit(
        "performance_targets",
        [
            {
                "project_name": "甲",
                "level1": "产出指标",
                "level2": "时效指标",
                "level3": "资金支付率",
                "target_text": "≥90%",
                "reported_value": "100%",
                "weight": D(10),
                "budget_execution_rate": D(1),
            },
            {
                "project_name": "甲",
                "level1": "效益指标",
                "level2": "社会效益指标",
                "level3": "工程进度",
                "target_text": "按计划推进",
                "reported_value": "达成",
                "weight": D(80),
            },
        ],
    )
    wh.build()

    assert wh.rows("select payment_rate, budget_execution_rate from mart.project_year") == [(D(0), D(0))]
    assert wh.rows(
        "select level3, actual_source, actual_value, score from mart.self_evaluation order by position"
    ) == [
        ("预算执行率", "computed", D(0), D(0)),
        ("资金支付率", "computed", D(0), D(0)),
        ("工程进度", "reported", None, D(80)),
    ]
    assert wh.one("select grade from mart.project_year") == "良"


def test_no_mart_or_staging_column_is_a_float_or_a_hugeint(wh):
    # Money and rates are exact DECIMAL, counts BIGINT (as docs/querying.md and the Parquet export say).
    register(wh, "甲")
    wh.build()

    assert (
        wh.rows(
            "select table_schema || '.' || table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema in ('staging', 'intermediate', 'mart') and data_type in ('DOUBLE', 'FLOAT', 'HUGEINT')"
        )
        == []
    )


# Every scale check of the suites (expectations/), as config.amount_checks lists them: the report's note re-checked
# four templates' amounts, hand-listed, and the national forms' 项目资金, warned on the receipt, never reached it.
def test_every_amount_the_suites_check_for_scale_is_rechecked_in_the_reports_note(wh, registry):
    planned, expected = D(100), {}
    checks = {f"项目{n}": check for n, check in enumerate(amount_checks(), 1)}
    register(
        wh,
        *(n for n, (template, *_) in checks.items() if template != "project_register"),
        planned=str(planned),
    )
    for name, (template, column, rule, max_value) in checks.items():
        # One project per check, its amount just past the check's bound: each is the one doubt of its project.
        amount = max_value + 1 + (planned if rule == "exceeds_planned_total" else 0)
        if template == "project_register":
            row = {"project_code": name, "project_type": "老旧小区改造", "implementing_unit": "单位"}
            row |= {"planned_total_investment_wan": planned, column: amount}
            submission = wh.submit(template, [{"project_name": name, **row}])
        else:
            monthly = "month" in registry.templates[template].slice
            submission = wh.submit(
                template,
                [{"project_name": name, column: amount, **({"month": 1} if monthly else {})}],
                slice_fields=("project_code", "month") if monthly else ("project_code",),
            )
        expected[wh.codes.get(name, name)] = (1, [(f"{template}{submission}.xlsx", [5])])

    wh.build()

    flagged = wh.rows(
        "select project_code, value, lineage from mart.report_figures where figure_key = 'amount_doubts'"
    )
    assert {
        code: (value, [(c["original_name"], c["excel_rows"]) for c in cited])
        for code, value, cited in flagged
    } == (expected)


def test_an_amount_past_the_exact_range_is_divided_all_the_same(wh):
    # 900,000,000,000 万元, 元 written under 万元 many times over: the suites flag it; the marts must still build.
    register(wh, "甲")
    ledger(wh, "甲", received="900000000000", paid="300000000000")
    targets(wh, "甲", ("工程进度", "按计划推进", "达成", 90))

    wh.build()

    assert wh.one("select payment_rate from mart.project_year") == D("0.3333333333")
    assert wh.one("select display_text from mart.report_figures where figure_key = 'grade'") == _grade_of(
        wh.one("select round(self_evaluation_score, 8) from mart.project_year")
    )


@pytest.mark.parametrize(
    ("indicators", "paid", "printed", "grade"),
    [
        # Three times 10 × 1/3: each score stops at its 10th decimal, the total at 59.9999999999, which is 60.
        (
            [("安置楼栋数", "≥3个", "1个", 10)] * 3 + [("工程进度", "按计划推进", "达成", 40)],
            "100",
            "60.00",
            "中",
        ),
        # 10 × 99.95 % = 9.995: the total is 59.995, below 60, and printed so: 60.00分 beside 差 misled the reader.
        ([("工程进度", "按计划推进", "达成", 50)], "99.95", "59.995", "差"),
        # 89.995 is 良, short of 优's 90, and 99.9999 short of full marks.
        ([("工程进度", "按计划推进", "达成", 80)], "99.95", "89.995", "良"),
        ([("工程进度", "按计划推进", "达成", 90)], "99.999", "99.9999", "优"),
        # 9.995 + 9.9999999999 + 40 = 59.9949999999: printed 59.99, not 60.00 by way of 59.995000.
        (
            [("安置楼栋数", "≥3个", "1个", 10)] * 3 + [("工程进度", "按计划推进", "达成", 40)],
            "99.95",
            "59.99",
            "差",
        ),
        # 10 × 99.94 % = 9.994: printed 59.99.
        ([("工程进度", "按计划推进", "达成", 50)], "99.94", "59.99", "差"),
    ],
)
def test_the_grade_is_that_of_the_total_not_of_the_total_as_printed(wh, indicators, paid, printed, grade):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid=paid)
    targets(wh, "甲", *indicators)

    wh.build()

    figures = dict(
        wh.rows(
            "select figure_key, display_text from mart.report_figures "
            "where figure_key in ('self_evaluation_score', 'grade')"
        )
    )
    assert figures == {"self_evaluation_score": f"{printed}分", "grade": grade}
    assert wh.one("select grade from mart.project_year") == grade


@pytest.mark.parametrize(
    ("paid", "printed"), [("99.99999", "99.99999%"), ("100", "100%"), ("93.124", "93.12%")]
)
def test_a_rate_short_of_100_percent_never_prints_as_100(wh, paid, printed):
    # 99,999.99 paid of 100,000 received printed as 100%.
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid=paid)

    wh.build()

    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'payment_rate' and project_name = '甲'"
        )
        == printed
    )


def test_a_payment_one_yuan_short_of_a_large_receipt_prints_neither_100_percent_nor_the_next_grade(wh):
    # 29,999.9999 of 30,000 万元 paid: a rate of 0.9999999967 and a total of 89.999999967 (良) printed as 100% and
    # 90.000000分, six decimals being all the report printed.
    register(wh, "甲")
    ledger(wh, "甲", received="30000", paid="29999.9999")
    targets(wh, "甲", ("工程进度", "按计划推进", "达成", 80), ("群众反映", "按计划推进", "未达成", 10))

    wh.build()

    figures = dict(
        wh.rows(
            "select figure_key, display_text from mart.report_figures "
            "where figure_key in ('payment_rate', 'self_evaluation_score', 'grade')"
        )
    )
    # Ten decimals, the marts' own, where six would round onto the bound: exact, and rare enough to print long.
    assert figures == {
        "payment_rate": "99.99999967%",
        "self_evaluation_score": "89.9999999667分",
        "grade": "良",
    }


def test_a_rate_short_of_its_percent_target_never_prints_as_the_target(wh):
    # 资金支付率 89.9999 % against ≥90%: printed 90% beside a score short of full marks; and wherever else the same
    # rate is printed (预算执行率's row, 资金执行情况), not 90% there and 89.9999% here.
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="89.9999")
    targets(wh, "甲", ("资金支付率", "≥90%", None, 90))

    wh.build()

    assert wh.rows(
        "select figure_key, detail, display_text from mart.report_figures where unit = '%' "
        "and figure_key <> 'indicator_target' and project_name = '甲' order by position, figure_key"
    ) == [
        ("payment_rate", None, "89.9999%"),
        ("budget_execution_rate", None, "89.9999%"),
        ("indicator_actual", "预算执行率", "89.9999%"),
        ("indicator_actual", "资金支付率", "89.9999%"),
    ]


@pytest.mark.parametrize(
    ("target", "paid", "printed"),
    [
        # 99.9955 % against ≥99.996%: two decimals printed 100% over it, three 99.996% on it.
        ("≥99.996%", "199991", "99.9955%"),
        # 99.9961 % against ≤99.996%: three decimals printed 99.996%, on the target it exceeds.
        ("≤99.996%", "199992.2", "99.9961%"),
        ("≥99.996%", "199992", "99.996%"),
    ],
)
def test_a_rate_never_prints_on_or_past_a_target_written_with_three_decimals_it_misses(
    wh, target, paid, printed
):
    register(wh, "甲")
    ledger(wh, "甲", received="200000", paid=paid)
    targets(wh, "甲", ("资金支付率", target, None, 90))

    wh.build()

    assert wh.rows(
        "select figure_key, display_text from mart.report_figures where figure_key in ('payment_rate', 'indicator_actual') "
        "and coalesce(detail, '资金支付率') = '资金支付率' order by position"
    ) == [("payment_rate", printed), ("indicator_actual", printed)]


def test_a_survey_short_of_its_target_prints_alike_under_satisfaction_and_in_the_indicator_table(wh):
    # 899,999 of 1,000,000 against ≥90%: 群众满意度 90% under （4）群众满意度, 89.9999% in the indicator table.
    register(wh, "甲")
    wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": "小区0",
                "valid_responses": 1000000,
                "satisfied": 899999,
                "basically_satisfied": 0,
                "dissatisfied": 100001,
            }
        ],
    )
    targets(wh, "甲", ("群众满意度", "≥90%", None, 90))

    wh.build()

    assert wh.rows(
        "select figure_key, display_text from mart.report_figures where project_name = '甲' "
        "and figure_key in ('satisfaction_rate', 'indicator_actual') and coalesce(detail, '') <> '预算执行率' order by 1"
    ) == [("indicator_actual", "89.9999%"), ("satisfaction_rate", "89.9999%")]


def test_a_rate_short_of_100_percent_never_prints_as_100_against_a_lower_target(wh):
    # 资金支付率 99.9999 % against ≥90% printed 100% in the indicator table, 99.9999% under 资金执行情况.
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="99.9999")
    targets(wh, "甲", ("资金支付率", "≥90%", None, 90))

    wh.build()

    assert wh.rows(
        "select figure_key, detail, display_text from mart.report_figures where project_name = '甲' "
        "and (figure_key = 'payment_rate' or detail = '资金支付率') and figure_key <> 'indicator_target' order by 1"
    ) == [
        ("indicator_actual", "资金支付率", "99.9999%"),
        ("indicator_score", "资金支付率", "90.00"),
        ("indicator_weight", "资金支付率", "90"),
        ("payment_rate", None, "99.9999%"),
    ]


def test_binding_takes_the_first_match_in_rule_order(wh):
    register(wh, "甲")
    progress(wh, "甲", "1000", {12: "900"})
    compounds(wh, "甲", 4)  # 计划投资 1,000万元
    targets(wh, "甲", ("年度计划投资完成率", "≥100%", "100%", 45), ("计划投资", "≤1000万元", "1000万元", 45))

    wh.build()

    assert wh.rows("select level3, measure, actual_value from mart.self_evaluation where position > 0") == [
        ("年度计划投资完成率", "investment_completion_rate", D("0.9")),
        ("计划投资", "planned_investment", D("1000")),
    ]


def test_a_target_in_a_unit_its_bound_measure_is_not_in_is_scored_by_its_reported_value(wh):
    register(wh, "甲")
    compounds(wh, "甲", 4)  # 计划投资 1,000万元
    wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": "小区0",
                "valid_responses": 100,
                "satisfied": 40,
                "basically_satisfied": 10,
                "dissatisfied": 50,
            }
        ],
    )  # 满意度 50 %
    targets(
        wh,
        "甲",
        ("项目总投资控制率", "≤100%", "98%", 30),  # 总投资 binds to an amount in 万元
        ("满意度调查覆盖户数", "≥500户", "520户", 30),  # 满意度 binds to a rate
        ("群众满意度", "≥90分", "93分", 30),
    )

    wh.build()

    assert wh.rows(
        "select level3, measure, actual_value, score from mart.self_evaluation where position > 0"
    ) == [
        ("项目总投资控制率", None, D("0.98"), D("30")),
        ("满意度调查覆盖户数", None, D("520"), D("30")),
        ("群众满意度", None, D("93"), D("30")),
    ]


def test_a_count_target_of_something_else_than_its_measure_counts_is_scored_by_its_reported_value(wh):
    register(wh, "甲")
    compounds(wh, "甲", 4)
    # 9000 people were compared with the list's households, and scored a third of the points with nothing said.
    targets(wh, "甲", ("惠及户数", "≥9000人", "9500人", 45), ("受益户数", "≥0.01万户", "100户", 45))

    wh.build()

    assert wh.rows("select level3, measure from mart.self_evaluation where position > 0") == [
        ("惠及户数", None),
        ("受益户数", "households"),
    ]
    assert wh.rows("select actual_value, score from mart.self_evaluation where position = 1") == [
        (D("9500"), D("45"))
    ]


@pytest.mark.parametrize("level3", ["改造小区\n数量", "改造小区 数量", "改造小区　数量"])
def test_a_name_wrapped_or_spaced_in_its_cell_binds_as_written_whole(wh, level3):
    register(wh, "甲")
    compounds(wh, "甲", 3)
    targets(wh, "甲", (level3, "=4个", "4个", 90))

    wh.build()

    assert wh.rows(
        "select measure, actual_value, round(score, 6) from mart.self_evaluation where position > 0"
    ) == [
        ("compounds", D("3"), D("67.5"))  # 90 × 3/4, not the reported 4 of 4
    ]


def test_area_targets_compare_in_the_unit_they_are_written_in(wh):
    register(wh, "甲")
    compounds(wh, "甲", 5)  # 5,000 平方米
    targets(wh, "甲", ("改造面积", "≥1万平方米", None, 45), ("改造面积（平方米）", "≥5000平方米", None, 45))

    wh.build()

    assert wh.rows(
        "select target_value, actual_value, score from mart.self_evaluation where position > 0"
    ) == [
        (D("10000"), D("5000"), D("22.5")),
        (D("5000"), D("5000"), D("45")),
    ]
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '改造面积'"
        )
        == "0.5万平方米"
    )
    # Each figure's value is in the unit stored beside it, as it prints: 1 and 0.5 万平方米, not 10000 and 5000.
    assert wh.rows(
        "select figure_key, value, unit from mart.report_figures where detail = '改造面积' "
        "and figure_key in ('indicator_target', 'indicator_actual') order by figure_key"
    ) == [("indicator_actual", D("0.5"), "万平方米"), ("indicator_target", D("1"), "万平方米")]


def test_a_percent_target_written_in_the_national_forms_words_prints_with_a_percent_sign(wh):
    # The report printed 年度指标值 ≥95百分比 beside its 实际完成值 90%; the warehouse keeps the text as written.
    register(wh, "甲")
    targets(
        wh,
        "甲",
        ("工程验收合格率", "≥95百分比", "90百分比", 45),
        ("宣传覆盖", "覆盖百分比明显提高", "达成", 45),
    )

    wh.build()

    printed = wh.rows(
        "select detail, figure_key, display_text from mart.report_figures where figure_key in "
        "('indicator_target', 'indicator_actual') and detail <> '预算执行率'"
    )
    assert sorted(printed) == sorted(
        [
            ("工程验收合格率", "indicator_target", "≥95%"),
            ("工程验收合格率", "indicator_actual", "90%"),
            ("宣传覆盖", "indicator_target", "覆盖百分比明显提高"),  # not a percent target: as written
            ("宣传覆盖", "indicator_actual", "达成"),
        ]
    )
    assert wh.rows("select target_text from mart.self_evaluation where position > 0 order by 1") == [
        ("≥95百分比",),
        ("覆盖百分比明显提高",),
    ]


def test_a_unit_the_indicators_name_states_is_that_of_its_bare_target_and_value(wh):
    register(wh, "甲")
    compounds(wh, "甲", 5)  # 5,000 平方米
    # 改造面积（万平方米） ≥2: 2 万㎡, not 2 ㎡ (full marks against the list's 5,000 ㎡).
    targets(wh, "甲", ("改造面积（万平方米）", "≥2", "0.5", 40), ("惠及户数（户）", "≥100", "50", 50))

    wh.build()

    assert wh.rows(
        "select measure, target_value, target_unit, actual_value, score from mart.self_evaluation "
        "where position > 0 order by position"
    ) == [
        ("area", D("20000"), "万平方米", D("5000"), D("10")),
        ("households", D("100"), "户", D("50"), D("25")),
    ]
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' "
            "and detail like '改造面积%'"
        )
        == "0.5万平方米"
    )


# Bound, each would be compared with the list's 5,000 平方米, 1,250 万元 or 50 户 as if written in that unit.
@pytest.mark.parametrize(
    ("level3", "target", "reported", "score"),
    [
        ("改造面积", "≥24.4", "20.1", D("32.950820")),  # 40 × 20.1/24.4; bound: 5,000 ≥ 24.4, 40
        ("计划投资", "≤1000", "900", D("40")),  # bound: 40 × 1000/1250 = 32
        ("改造面积", "≥24.4", None, D("0")),  # nothing reported: nothing to score by
    ],
)
def test_a_bare_target_of_an_amount_the_data_compute_is_scored_by_the_value_reported(
    wh, level3, target, reported, score
):
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", (level3, target, reported, 40))

    wh.build()

    assert wh.rows(
        "select measure, actual_source, actual_value, round(score, 6) from mart.self_evaluation where position > 0"
    ) == [(None, "reported", D(reported) if reported else None, score)]


def test_a_bare_target_of_a_count_the_data_compute_stays_bound_to_the_count(wh):
    # `≥60` of 惠及户数 is 户 (nobody's 万户): compared with the list's 50 户, 40 × 50/60.
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", ("惠及户数", "≥60", "60", 40))

    wh.build()

    assert wh.rows(
        "select measure, actual_source, actual_value, round(score, 6) from mart.self_evaluation where position > 0"
    ) == [("households", "computed", D("50"), D("33.333333"))]


def test_a_bare_value_just_over_1_is_read_as_a_fraction_against_a_target_of_50_percent_or_more(wh):
    register(wh, "甲")
    # =1606.9/1570 in a General cell; against ≤5 %, 1.05 is 1.05 % (105 % would be far off any such target).
    targets(wh, "甲", ("资金到位率", "≥100%", "1.0235", 40), ("成本超支率", "≤5%", "1.05", 40))

    wh.build()

    assert wh.rows(
        "select actual_value, score from mart.self_evaluation where position > 0 order by position"
    ) == [(D("1.0235"), D("40")), (D("0.0105"), D("40"))]


def test_a_bare_value_prints_off_its_percent_target_and_100_percent_at_once(wh):
    register(wh, "甲")
    # 0.999961 against ≤99.996%: two decimals printed 100% (off the target, on 100 %), three 99.996% (on the target).
    targets(wh, "甲", ("成本控制率", "≤99.996%", "0.999961", 40))

    wh.build()

    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '成本控制率'"
        )
        == "99.9961%"
    )


def one_compound(wh, area: str, households: int = 10) -> None:
    """Register project 甲 and list one compound of it, of `area` ㎡, 250万元 planned."""
    register(wh, "甲")
    wh.submit(
        "compound_list",
        [
            {
                "project_name": "甲",
                "compound_name": "小区0",
                "area_m2": D(area),
                "households": households,
                "planned_investment_wan": D("250"),
                "status": "在建",
            }
        ],
    )


def planned_compounds(wh, amounts) -> None:
    """Register project 甲 and list one compound of it per planned amount (万元), each of 10000 ㎡ and 10 户."""
    register(wh, "甲")
    wh.submit(
        "compound_list",
        [
            {
                "project_name": "甲",
                "compound_name": f"小区{n}",
                "area_m2": D("10000"),
                "households": 10,
                "planned_investment_wan": D(amount),
                "status": "在建",
            }
            for n, amount in enumerate(amounts)
        ],
    )


def test_a_bare_value_under_1_is_read_in_points_against_a_target_under_1_percent(wh):
    register(wh, "甲")
    # Against ≤0.5 %, 0.3 is 0.3 % (the receipt warns), not 30 %; against ≤5 % it is 30 %, as any other fraction.
    targets(wh, "甲", ("安全事故发生率", "≤0.5%", "0.3", 40), ("成本超支率", "≤5%", "0.3", 40))

    wh.build()

    assert wh.rows(
        "select actual_value, round(score, 6) from mart.self_evaluation where position > 0 order by position"
    ) == [(D("0.003"), D("40")), (D("0.3"), D("6.666667"))]


def test_an_actual_converted_to_the_target_unit_prints_rounded_from_its_exact_value(wh):
    one_compound(wh, "100000.5")
    targets(wh, "甲", ("改造面积", "≥20万平方米", None, 90))

    wh.build()

    # 10.00005万平方米 to 4 decimals, half up; as a DOUBLE it is 10.0000499… and printed 10万平方米.
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '改造面积'"
        )
        == "10.0001万平方米"
    )


def test_an_actual_just_short_of_its_target_never_prints_as_the_target_nor_its_score_as_full_marks(wh):
    one_compound(wh, "243995")
    targets(wh, "甲", ("改造面积", "≥24.4万平方米", None, 15), ("完成率", "≥90%", "95%", 75))

    wh.build()

    shown = dict(
        wh.rows(
            "select figure_key, display_text from mart.report_figures where detail = '改造面积' "
            "and figure_key in ('indicator_actual', 'indicator_score')"
        )
    )
    # 24.3995 of 24.4 scores 14.99969…: two decimals would print 24.4万平方米 and 15.00 of 15.
    assert shown == {"indicator_actual": "24.3995万平方米", "indicator_score": "14.9997"}
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_score' and detail = '完成率'"
        )
        == "75.00"
    )


@pytest.mark.parametrize(
    ("area", "target", "printed"),
    [
        # 49,999.9 ㎡ against ≥5万平方米: 项目概况 read 5.0000万平方米 (four decimals), the indicator's row 4.99999.
        ("49999.9", "≥5万平方米", "4.99999万平方米"),
        # 49,999.9999 ㎡: six decimals printed 5.000000万平方米 in the indicator's row; past six, its digits.
        ("49999.9999", "≥5万平方米", "4.99999999万平方米"),
        # 4.99899万平方米 against ≥4.999: four decimals printed 4.9990, on the target it misses.
        ("49989.9", "≥4.999万平方米", "4.99899万平方米"),
        ("49989", "≥4.999万平方米", "4.9989万平方米"),
        ("123449.99", "≥12.345万平方米", "12.344999万平方米"),
        # 4.00299 against ≥4.003: two decimals would keep it under, four (the area's) put it on 4.0030.
        ("40029.9", "≥4.003万平方米", "4.00299万平方米"),
        # Over a ≤ target by less than four decimals show: 4.9990 read as met.
        ("49990.1", "≤4.999万平方米", "4.99901万平方米"),
        ("49990", "≤4.999万平方米", "4.999万平方米"),
    ],
)
def test_an_area_never_prints_on_or_past_a_target_it_misses(wh, area, target, printed):
    one_compound(wh, area)
    targets(wh, "甲", ("改造面积", target, None, 15), ("完成率", "≥90%", "95%", 75))

    wh.build()

    assert wh.rows(
        "select figure_key, display_text from mart.report_figures "
        "where figure_key = 'area_wan_m2' or (figure_key = 'indicator_actual' and detail = '改造面积') order by position"
    ) == [("area_wan_m2", printed), ("indicator_actual", printed)]


@pytest.mark.parametrize(
    ("area", "households", "lower", "upper", "printed"),
    [
        # 11,999 户 against ≥1.19万户 and ≤1.2万户: the first row printed 1.2万户, on the bound the actual is under.
        ("20000", 11999, "惠及户数,≥1.19万户", "惠及户数上限,≤1.2万户", "1.1999万户"),
        # 49,999.999 ㎡ against ≥49990平方米 printed 50,000平方米 beside ≤5万平方米.
        (
            "49999.999",
            300,
            "改造面积,≥49990平方米",
            "改造面积上限,≤5万平方米",
            ("49,999.999平方米", "4.9999999万平方米"),
        ),
        # 4.999999万平方米 against ≥4.9万平方米 printed 5.0000万平方米 (and so under 项目概况) beside ≤50000平方米.
        (
            "49999.99",
            300,
            "改造面积,≥4.9万平方米",
            "改造面积上限,≤50000平方米",
            ("4.999999万平方米", "49,999.99平方米"),
        ),
    ],
)
def test_an_actual_prints_off_every_target_of_its_measure_at_once(
    wh, area, households, lower, upper, printed
):
    one_compound(wh, area, households)
    (lower_name, lower_target), (upper_name, upper_target) = lower.split(","), upper.split(",")
    targets(wh, "甲", (lower_name, lower_target, None, 45), (upper_name, upper_target, None, 45))

    wh.build()

    shown = wh.rows(
        "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail in (?, ?) "
        "order by position",
        [lower_name, upper_name],
    )
    assert shown == [(text,) for text in ((printed, printed) if isinstance(printed, str) else printed)]
    if lower_name == "改造面积":
        # 项目概况 prints the area in 万平方米 as the indicator's row in 万平方米 does.
        in_wan = next(text for text in printed if "万" in text)
        assert (
            wh.one("select display_text from mart.report_figures where figure_key = 'area_wan_m2'") == in_wan
        )


@pytest.mark.parametrize(
    ("area", "target", "overview"),
    [
        # 49,999.999 ㎡ against ≤50000平方米: 项目概况 read 5.0000万平方米, on the bound the area is under.
        ("49999.999", "≤50000平方米", "4.9999999万平方米"),
        # Off its bound with four decimals: as before.
        ("43470", "≥40000平方米", "4.347万平方米"),
    ],
)
def test_the_overviews_area_keeps_off_an_area_target_in_square_metres_too(wh, area, target, overview):
    one_compound(wh, area, 300)
    targets(wh, "甲", ("改造面积", target, None, 45), ("完成率", "≥90%", "95%", 45))

    wh.build()

    assert wh.one("select display_text from mart.report_figures where figure_key = 'area_wan_m2'") == overview


@pytest.mark.parametrize(
    ("households", "rows", "indicator", "target"),
    [
        # 619 户 against ≥0.06万户 printed 0.062万户 (620) beside 惠及居民619户.
        (619, 1, "惠及户数", "≥0.06万户"),
        # 105 户 against ≥0.01万户 printed 0.011万户 (110): rounded off the target, onto a count it is not.
        (105, 1, "惠及户数", "≥0.01万户"),
        # 3 小区 against ≤0.001万个 printed 0.00万个: none.
        (300, 3, "改造小区数量", "≤0.001万个"),
    ],
)
def test_a_count_prints_exactly_in_a_target_unit_of_ten_thousands(wh, households, rows, indicator, target):
    register(wh, "甲")
    wh.submit(
        "compound_list",
        [
            {
                "project_name": "甲",
                "compound_name": f"小区{n}",
                "area_m2": D("1000"),
                "households": households // rows,
                "planned_investment_wan": D("250"),
                "status": "在建",
            }
            for n in range(rows)
        ],
    )
    targets(wh, "甲", (indicator, target, None, 90))

    wh.build()

    count = rows if indicator == "改造小区数量" else households
    unit = target[-2:]
    exact = format((D(count) / 10000).normalize(), "f")
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = ?",
            [indicator],
        )
        == f"{exact}{unit}"
    )
    assert wh.one("select display_text from mart.report_figures where figure_key = 'households'") == (
        f"{households:,}户"
    )


def test_the_compounds_area_prints_alike_under_its_overview_and_in_its_indicator_row(wh):
    # 43,470 ㎡ against ≥4.3万平方米: 项目概况 read 4.347万平方米, the indicator's 实际完成值 4.35万平方米.
    one_compound(wh, "43470")
    targets(wh, "甲", ("改造面积", "≥4.3万平方米", "4.35万平方米", 15), ("完成率", "≥90%", "95%", 75))

    wh.build()

    assert wh.rows(
        "select figure_key, display_text from mart.report_figures "
        "where figure_key = 'area_wan_m2' or (figure_key = 'indicator_actual' and detail = '改造面积') order by position"
    ) == [("area_wan_m2", "4.347万平方米"), ("indicator_actual", "4.347万平方米")]


def test_the_lists_planned_investment_prints_alike_under_its_overview_and_in_its_indicator_row(wh):
    # 600.125 + 700 万元 against ≤1400万元: 项目概况 read 清单计划投资1,300.125万元, the 实际完成值 1,300.13万元.
    planned_compounds(wh, ("600.125", "700"))
    targets(wh, "甲", ("计划投资", "≤1400万元", "1300万元", 45), ("完成率", "≥90%", "95%", 45))

    wh.build()

    assert wh.rows(
        "select figure_key, display_text from mart.report_figures where figure_key = 'compound_planned_investment_wan' "
        "or (figure_key = 'indicator_actual' and detail = '计划投资') order by position"
    ) == [("compound_planned_investment_wan", "1,300.125万元"), ("indicator_actual", "1,300.125万元")]


@pytest.mark.parametrize(
    ("amounts", "target"),
    [
        # 1,250.005万元 against ≥0.1亿元 printed 0.13亿元 (1,300万元) beside 清单计划投资1,250.005万元.
        (("1250.005",), "≥0.1亿元"),
        # Three rows of 1,000.0005万元 against ≤0.2亿元: 0.10亿元.
        (("333.333", "333.333", "333.3345"), "≤0.2亿元"),
        # 0.001万元 (10 元) against ≥0.00001亿元 printed 0亿元.
        (("0.001",), "≥0.00001亿元"),
    ],
)
def test_planned_investment_prints_exactly_in_a_target_unit_other_than_wan(wh, amounts, target):
    planned_compounds(wh, amounts)
    targets(wh, "甲", ("计划投资", target, None, 90))

    wh.build()

    in_yi = sum(map(D, amounts)) / written_units.unit_factor("亿元")
    digits = max(0, -in_yi.normalize().as_tuple().exponent)
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '计划投资'"
        )
        == f"{in_yi:,.{digits}f}亿元"
    )


@pytest.mark.parametrize(
    ("score", "total", "printed_score", "printed_total"),
    [
        # 44.9997 of 45 printed 45.00, full marks the form did not claim; its 总分 89.995 printed 90.00分, on 优's 90.
        ("44.9997", "89.995", "44.9997", "89.995分"),
        # Rounded past 分值 and 100: 45.004 printed 45.00, 100.004 printed 100.00分.
        ("45.004", "100.004", "45.004", "100.004分"),
        # Off every bound, two decimals at most, as written where fewer.
        ("44.9", "89.876", "44.9", "89.88分"),
        ("45", "90", "45", "90分"),
    ],
)
def test_a_forms_own_scores_never_print_on_a_bound_they_miss(wh, score, total, printed_score, printed_total):
    register(wh, "甲")
    wh.submit(
        "performance_targets",
        [
            {
                "project_name": "甲",
                "level1": "产出指标",
                "level2": "数量指标",
                "level3": "完成率",
                "target_text": "≥90%",
                "reported_value": "95%",
                "weight": D(45),
                "reported_score": D(score),
                "reported_total_score": D(total),
            }
        ],
    )

    wh.build()

    assert wh.rows(
        "select figure_key, display_text from mart.report_figures "
        "where figure_key in ('indicator_reported_score', 'reported_self_evaluation_score') order by position"
    ) == [("reported_self_evaluation_score", printed_total), ("indicator_reported_score", printed_score)]


def test_a_unit_a_bureau_adds_to_units_yaml_converts_in_the_models(wh, monkeypatch, tmp_path):
    # The models take every factor from the reading, which takes it from units.yaml: no list of units in SQL.
    units = (REGISTRY_DIR / "units.yaml").read_text(encoding="utf-8")
    (tmp_path / "units.yaml").write_text(
        units.replace(
            '      元: {factor: "0.0001"}', '      元: {factor: "0.0001"}\n      千元: {factor: "0.1"}'
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(written_units, "indicator_units", lambda: load_units(tmp_path))
    assert written_units.unit_factor("千元") == D("0.1")
    register(wh, "甲")
    targets(wh, "甲", ("单位造价", "≤5000千元", "4800千元", 45), ("户均投资", "≤5000元", "0.48万元", 45))

    wh.build()

    # 5000千元 is 500万元, reported 4800千元 is 480万元; 5000元 is 0.5万元 against 0.48万元 reported.
    assert wh.rows(
        "select target_value, target_factor, actual_value, score from mart.self_evaluation where position > 0"
    ) == [(D("500"), D("0.1"), D("480"), D("45")), (D("0.5"), D("0.0001"), D("0.48"), D("45"))]


def test_a_correction_recomputes_every_affected_mart(wh):
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", ("改造小区数量", "=5个", "5个", 90))
    wh.build()
    before = wh.rows("select compounds from mart.renovated_compounds")

    compounds(wh, "甲", 4)  # the same slice, corrected: one compound fewer
    wh.build()

    assert before == [(5,)]
    assert wh.rows("select compounds, planned_investment_wan from mart.renovated_compounds") == [
        (4, D("1000"))
    ]
    assert wh.rows("select actual_value, score from mart.self_evaluation where position = 1") == [
        (D("4"), D("72"))
    ]
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'compounds' and project_name = '甲'"
        )
        == "4个"
    )
    assert (
        wh.one("select lineage[1].submission_id from mart.report_figures where figure_key = 'compounds'") == 4
    )


def test_funds_by_source_and_payment_rate(wh):
    register(wh, "甲")
    ledger(wh, "甲", received="1250.1", paid="1000.08")

    wh.build()

    assert wh.rows("select fund_source, received_wan, paid_wan from mart.funds_by_source") == [
        ("中央补助资金", D("1250.1"), D("1000.08"))
    ]
    assert wh.rows(
        "select figure_key, display_text from mart.report_figures where figure_key in "
        "('funds_received_wan', 'payment_rate') and detail is null and project_name = '甲' order by 1"
    ) == [("funds_received_wan", "1,250.1万元"), ("payment_rate", "80%")]


def test_funds_summed_from_yuan_with_cents_print_no_zeros_past_two_decimals(wh):
    # 1,999,999.99元 and 2,000,000.01元: 400.000000万元 printed as 400.00, as the other money figures are.
    register(wh, "甲")
    rows = [("到位", "199.999999"), ("到位", "200.000001"), ("支付", "100.500000")]
    wh.submit(
        "fund_ledger",
        [
            {
                "project_name": "甲",
                "date": f"{YEAR}-03-0{day}",
                "fund_source": "中央补助资金",
                "entry_type": entry_type,
                "amount_wan": D(amount),
            }
            for day, (entry_type, amount) in enumerate(rows, start=1)
        ],
    )

    wh.build()

    assert wh.rows(
        "select figure_key, detail, display_text from mart.report_figures where figure_key in "
        "('funds_received_wan', 'funds_paid_wan') and project_name = '甲' order by 1, 2 nulls first"
    ) == [
        ("funds_paid_wan", None, "100.5万元"),
        ("funds_paid_wan", "中央补助资金", "100.5万元"),
        ("funds_received_wan", None, "400.00万元"),
        ("funds_received_wan", "中央补助资金", "400.00万元"),
    ]


def test_a_district_total_is_printed_by_the_same_decimals_rule_as_each_projects(wh):
    # 0.005 + 1,000.004 + 100.001 = 1,100.010: three decimals written, but the third a zero the sum made.
    paid = {"甲": "0.005", "乙": "1000.004", "丙": "100.001"}
    register(wh, *paid)
    for project, amount in paid.items():
        ledger(wh, project, received="2000.5", paid=amount)

    wh.build()

    figures = wh.rows(
        "select project_name, figure_key, display_text from mart.report_figures where figure_key in "
        "('funds_received_wan', 'funds_paid_wan') and detail is null order by 2, 1 nulls first"
    )
    assert figures == [
        (None, "funds_paid_wan", "1,100.01万元"),
        ("丙", "funds_paid_wan", "100.001万元"),
        ("乙", "funds_paid_wan", "1,000.004万元"),
        ("甲", "funds_paid_wan", "0.005万元"),
        (None, "funds_received_wan", "6,001.5万元"),  # as precise as its rows, no more
        ("丙", "funds_received_wan", "2,000.5万元"),
        ("乙", "funds_received_wan", "2,000.5万元"),
        ("甲", "funds_received_wan", "2,000.5万元"),
    ]


def test_negative_list_payments_are_listed_with_their_cell(wh):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="30", purpose="偿还债务")

    wh.build()

    assert wh.rows("select expense_purpose, amount_wan, sheet, excel_row from mart.negative_list_hits") == [
        ("偿还债务", D("30"), "表1", 6)
    ]


def test_a_project_without_a_ledger_has_no_count_of_negative_list_payments(wh):
    # It printed 支付0笔 with "资金台账中没有…" as its source, for a project that sent no ledger to search.
    register(wh, "甲", "乙")
    ledger(wh, "甲", received="100", paid="30")

    wh.build()

    assert wh.rows(
        "select project_name, display_text from mart.report_figures where figure_key = 'negative_list_hits'"
    ) == [("甲", "0笔")]


@pytest.mark.parametrize(
    "purpose",
    ["偿还 债务", "偿还\n债务", "偿还债务(银行贷款)", "用于偿还债务", "工程款；偿还债务、发放津贴补贴"],
)
def test_a_negative_list_payment_written_with_spaces_or_a_note_is_listed_as_written(wh, purpose):
    # An exact join left these out of the mart and the report's count of 负面清单 payments.
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="30", purpose=purpose)

    wh.build()

    assert wh.rows("select expense_purpose, amount_wan from mart.negative_list_hits") == [(purpose, D("30"))]


def test_rules_can_differ_by_year(wh, tmp_path):
    rules_file = tmp_path / "rules.yaml"
    text = load_rules().model_dump_json(by_alias=True)
    rules = (
        load_rules()
        .model_validate_json(text)
        .model_copy(
            update={
                "years": {
                    YEAR: {
                        "lights": [
                            {"light": "none", "up_to": 5},
                            {"light": "blue", "up_to": 8},
                            {"light": "yellow", "up_to": 9},
                            {"light": "red"},
                        ]
                    }
                }
            }
        )
    )
    rules_file.write_text(rules.model_dump_json(by_alias=True), encoding="utf-8")
    register(wh, "甲")
    progress(wh, "甲", "1200", {6: "540"})  # 5 points behind

    wh.build(load_rules(rules_file))

    assert wh.one("select light from mart.monitoring_lights") == "none"


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        (
            "lights",
            [{"light": "none", "up_to": 10}, {"light": "blue", "up_to": 5}, {"light": "red"}],
            "increase",
        ),
        ("grades", [{"grade": "优", "from": 90}, {"grade": "差", "from": 10}], "grades.1.from: 末级（差）"),
        ("scoring", {"budget_execution_points": 20, "indicator_points": 90}, "100"),
        ("bindings", [{"contains": "率", "measure": "speed"}], "bindings"),
        ("negative_list", ["对外投资", " "], 'negative_list.1: 负面清单中有空白的项 ""'),
        ("qualitative_words", {"": "达成"}, 'qualitative_words."": 有空白的写法 ""'),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_file_and_section(tmp_path, section, value, message):
    import yaml

    document = yaml.safe_load((load_rules.__defaults__[0]).read_text(encoding="utf-8"))
    document["defaults"][section] = value
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    with pytest.raises(RegistryError, match=message) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)


def test_every_mart_table_and_column_has_a_comment(wh):
    register(wh, "甲")
    wh.build()

    tables = wh.rows("select table_name, comment from duckdb_tables() where schema_name = 'mart'")
    columns = wh.rows(
        "select table_name, column_name from duckdb_columns() where schema_name = 'mart' "
        "and coalesce(comment, '') = ''"
    )
    assert {t for t, _ in tables} == {
        "project_year",
        "funds_by_source",
        "renovated_compounds",
        "scale_and_cost",
        "monitoring_lights",
        "monitoring_findings",
        "self_evaluation",
        "negative_list_hits",
        "shared_slices",
        "open_warnings",
        "report_figures",
    }
    assert all(comment for _, comment in tables)
    assert columns == []


def test_the_report_figures_unit_comment_names_every_unit_a_figure_is_printed_with(wh):
    register(wh, "甲")
    progress(wh, "甲", "1200", {6: "600"})
    ledger(wh, "甲", "100", "90")
    compounds(wh, "甲", 3)
    targets(wh, "甲", ("质量安全事故", "=0次", "0次", 30), ("改造小区数", "≥3个", "3个", 30))
    wh.build()

    [(comment,)] = wh.rows(
        "select comment from duckdb_columns() where schema_name = 'mart' and table_name = 'report_figures' "
        "and column_name = 'unit'"
    )
    listed, as_written = comment.removeprefix("单位：").split("；")[:2]
    printed = wh.rows(
        "select distinct figure_key, unit from mart.report_figures where unit is not null and figure_key not in "
        "('scale_and_cost', 'indicator_target', 'indicator_actual', 'indicator_reported_actual')"
    )
    # An analyst filtering on unit = '月' found nothing the comment named: `截至6月` is printed with it.
    assert ("progress_month", "月") in printed
    assert [(key, unit) for key, unit in printed if unit not in listed.split("、")] == []
    # An indicator's unit is the one its target was written in, which no fixed list holds.
    written = {
        unit
        for (unit,) in wh.rows(
            "select distinct unit from mart.report_figures where figure_key like 'indicator_%'"
        )
    }
    assert "次" in written and "次" not in listed.split("、")
    assert "indicator_" in as_written and "scale_and_cost" in as_written


def test_the_report_figures_decimals_comment_says_how_a_percentage_prints_apart_from_them(wh):
    register(wh, "甲", "乙")
    ledger(wh, "甲", "30000", "29999.9999")  # 1 元 short: 99.99999967%, not 100%
    ledger(wh, "乙", "100", "100")  # 100%, not 100.00%
    progress(wh, "甲", "1200", {6: "600.5"})
    wh.build()

    [(comment,)] = wh.rows(
        "select comment from duckdb_columns() where schema_name = 'mart' and table_name = 'report_figures' "
        "and column_name = 'decimals'"
    )
    printed = wh.rows(
        "select unit, decimals, display_text from mart.report_figures where value is not null and decimals is not null "
        "and figure_key <> 'progress_month' and display_text similar to '-?[0-9,]+([.][0-9]+)?[^0-9]*'"
    )

    def places(text: str) -> int:
        decimals = re.match(r"-?[0-9,]+(?:[.]([0-9]+))?", text).group(1)
        return len(decimals or "")

    # Any other figure prints exactly its decimals, as the comment says first.
    assert [(u, d, t) for u, d, t in printed if u != "%" and places(t) != d] == []
    # A percentage does not: the comment says how, with these very cases.
    rates = {(d, t) for u, d, t in printed if u == "%"}
    assert (2, "99.99999967%") in rates and (2, "100%") in rates
    assert "99.99999967%" in comment and "100%" in comment


def test_every_table_and_column_of_every_schema_has_a_comment(wh):
    register(wh, "甲")
    wh.build()

    schemas = {s for (s,) in wh.rows("select schema_name from duckdb_schemas() where not internal")}
    uncommented = wh.rows(
        "select schema_name, table_name, null from duckdb_tables() where not internal and coalesce(comment, '') = '' "
        "union all select schema_name, view_name, null from duckdb_views() "
        "where not internal and coalesce(comment, '') = '' "
        "union all select schema_name, table_name, column_name from duckdb_columns() "
        "where not internal and coalesce(comment, '') = ''"
    )
    assert {"raw", "staging", "intermediate", "mart", "config"} <= schemas
    assert uncommented == []
    # DuckDB cannot comment a schema: the catalog describes each.
    assert schemas <= SCHEMAS_ZH.keys()


def test_a_failing_model_leaves_the_previous_marts_untouched(wh, monkeypatch, tmp_path):
    register(wh, "甲")
    compounds(wh, "甲", 5)
    wh.build()
    compounds(wh, "甲", 3)
    broken = tmp_path / "zz_broken.sql"
    broken.write_text("create or replace table mart.broken as select * from nowhere;", encoding="utf-8")
    monkeypatch.setattr("pipeline.indicators.models", lambda: [*models(), broken])

    with pytest.raises(duckdb.CatalogException):
        wh.build()

    assert wh.rows("select compounds from mart.renovated_compounds") == [(5,)]


def test_models_run_after_the_models_they_read():
    order = [p.stem for p in models()]

    assert order.index("int_project_measures") < order.index("self_evaluation")
    assert order.index("self_evaluation") < order.index("project_year") < order.index("report_figures")


@pytest.mark.slow  # 5 s or more on two cores
def test_the_demo_marts_state_the_2022_report(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)

    assert build_indicators(settings, registry) == YEAR

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        zaolin = "枣林街道办事处改造老旧小区"
        assert con.execute(
            "select compounds, area_m2, households, planned_investment_wan from mart.renovated_compounds "
            "where project_name = ?",
            [zaolin],
        ).fetchall() == [(16, D("244000"), 3148, D("9163.6"))]
        assert con.execute(
            "select fund_source, received_wan from mart.funds_by_source where project_name = ? order by 1",
            [zaolin],
        ).fetchall() == [("中央补助资金", D("1250.1")), ("中央预算内投资", D("1786"))]
        assert con.execute(
            "select completed_investment_wan, worst_light from mart.project_year where project_name = ?",
            [zaolin],
        ).fetchall() == [(D("1572.36"), "none")]
        assert con.execute(
            "select investment_completion_rate, payment_rate from mart.project_year where project_name = ?",
            ["示范区双铺棚户区改造项目"],
        ).fetchall() == [(D("1"), D("1"))]
        assert con.execute(
            "select display_text from mart.report_figures where figure_key = 'scale_and_cost' and detail = '其他费用'"
        ).fetchall() == [("3,360.00万元",)]


def test_a_part_rows_prefix_is_dropped_however_its_colon_is_spaced(wh):
    # The parser takes each of these for a part row (spaces folded away, either colon, a comma, none, brackets): none
    # keeps its prefix.
    spellings = [
        "其中：征地费用",
        "其中 ：拆迁补偿费用",
        "其中: 设计费",
        " 其 中 :监理费",
        "其中\u3000：勘察费",
        "其中造价咨询费",
        "其中，招标代理费",
        "（其中）环评费",
        "含：测绘费",
        "含 : 检测费",
    ]
    register(wh, "甲")
    parent = {"project_name": "甲", "category": "投资构成", "quantity_unit": "万元"}
    wh.submit(
        "scale_and_cost",
        [parent | {"item": "工程建设其他费用", "quantity": D(100)}]
        + [parent | {"item": s, "parent_item": "工程建设其他费用", "quantity": D(1)} for s in spellings],
    )
    wh.build()

    assert wh.rows("select item from mart.scale_and_cost where parent_item is not null order by position") == [
        ("征地费用",), ("拆迁补偿费用",), ("设计费",), ("监理费",), ("勘察费",), ("造价咨询费",), ("招标代理费",),
        ("环评费",), ("测绘费",), ("检测费",)
    ]  # fmt: skip


def test_a_received_figure_traces_to_the_receipt_rows_only(wh):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="30")

    wh.build()

    assert wh.rows(
        "select figure_key, lineage[1].excel_rows from mart.report_figures "
        "where figure_key in ('funds_received_wan', 'funds_paid_wan') and project_name = '甲' and detail is not null "
        "order by 1"
    ) == [("funds_paid_wan", [6]), ("funds_received_wan", [5])]


def test_two_lists_of_cells_with_one_hash_stop_the_rebuild_rather_than_mix_their_lineage(wh):
    register(wh, "甲", "乙")
    ledger(wh, "甲", received="100", paid="30")
    ledger(wh, "乙", received="50", paid="20")
    wh.build()
    before = wh.rows("select figure_key, project_name, lineage from mart.report_figures order by all")
    wh.con.execute("create temp macro hash(x) as 42")  # every list of cells gets one hash

    with pytest.raises(duckdb.Error, match="two lists of cells share one hash"):
        wh.build()

    wh.con.execute("drop macro temp.hash")
    assert wh.rows("select figure_key, project_name, lineage from mart.report_figures order by all") == before


def test_a_list_of_cells_hashed_differently_in_the_second_read_stops_the_rebuild_rather_than_drop_its_lineage(
    wh,
):
    register(wh, "甲")
    ledger(wh, "甲", received="100", paid="30")
    wh.build()
    before = wh.rows("select figure_key, lineage from mart.report_figures order by all")
    # What a list aggregated in another order would do: its hash in the final join matches no list described.
    wh.con.execute("create temp macro hash(x) as (random() * 1e18)::ubigint")

    with pytest.raises(duckdb.Error, match="was not found among those described"):
        wh.build()

    wh.con.execute("drop macro temp.hash")
    assert wh.rows("select figure_key, lineage from mart.report_figures order by all") == before


def _cited(wh: Warehouse, figure_key: str, detail: str) -> set[tuple[int, int]]:
    """Return the (submission, Excel row) cells a figure of project 甲 cites."""
    [(lineage,)] = wh.rows(
        "select lineage from mart.report_figures where figure_key = ? and detail = ? and project_name = '甲'",
        [figure_key, detail],
    )
    return {(source["submission_id"], row) for source in lineage for row in source["excel_rows"]}


def test_a_computed_actual_value_cites_the_rows_it_was_computed_from(wh):
    register(wh, "甲")
    survey = wh.submit(
        "satisfaction_survey",
        [
            {
                "project_name": "甲",
                "respondent": f"小区{i}",
                "valid_responses": 100,
                "satisfied": 90,
                "basically_satisfied": 3,
                "dissatisfied": 7,
            }
            for i in range(2)
        ],
    )
    first = compounds(wh, "甲", 3)
    corrected = compounds(wh, "甲", 4)  # the same slice sent again: the list of 4 replaces the list of 3
    wh.submit(
        "performance_targets",
        [
            {
                "project_name": "甲",
                "level1": "满意度指标",
                "level2": "服务对象满意度指标",
                "level3": level3,
                "target_text": target,
                "reported_value": reported,
                "weight": D(45),
            }
            for level3, target, reported in (("群众满意度", "≥90%", "93%"), ("改造小区数量", "≥3个", "3个"))
        ],
    )
    form = wh.next_id - 1
    survey_rows = {(survey, row) for (row,) in wh.rows("select excel_row from raw.satisfaction_survey")}
    compound_rows = {
        (corrected, row)
        for (row,) in wh.rows("select excel_row from raw.compound_list where submission_id = ?", [corrected])
    }
    form_rows = dict(wh.rows("select level3, excel_row from raw.performance_targets"))

    wh.build()

    for level3, data_rows in (("群众满意度", survey_rows), ("改造小区数量", compound_rows)):
        target_row = {(form, form_rows[level3])}
        assert _cited(wh, "indicator_actual", level3) == data_rows
        assert _cited(wh, "indicator_target", level3) == target_row
        assert _cited(wh, "indicator_weight", level3) == target_row
        assert _cited(wh, "indicator_score", level3) == target_row | data_rows
    assert not any(submission == first for submission, _ in _cited(wh, "indicator_actual", "改造小区数量"))
    assert (
        wh.one(
            "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '改造小区数量'"
        )
        == "4个"
    )


def test_a_reported_actual_value_cites_its_own_row(wh):
    register(wh, "甲")
    targets(wh, "甲", ("工程验收合格率", "≥100%", "95%", 90))  # bound to no measure: the reported 95 %
    [(row,)] = wh.rows("select excel_row from raw.performance_targets")

    wh.build()

    for key in ("indicator_target", "indicator_actual", "indicator_score"):
        assert _cited(wh, key, "工程验收合格率") == {(wh.next_id - 1, row)}


def test_projects_of_one_name_keep_their_own_figures_by_code(wh):
    wh.submit(
        "project_register",
        [
            {
                "project_code": code,
                "project_name": "老旧小区改造项目",
                "project_type": "老旧小区改造",
                "implementing_unit": unit,
                "planned_total_investment_wan": D(planned),
            }
            for code, unit, planned in (("A-1", "甲街道办事处", "100"), ("B-1", "乙街道办事处", "200"))
        ],
    )
    for code, unit, received in (("A-1", "甲街道办事处", "60"), ("B-1", "乙街道办事处", "150")):
        wh.submit(
            "fund_ledger",
            [
                {
                    "project_code": code,
                    "project_name": "老旧小区改造项目",
                    "date": f"{YEAR}-03-01",
                    "fund_source": "中央补助资金",
                    "entry_type": "到位",
                    "amount_wan": D(received),
                }
            ],
            unit=unit,
        )

    wh.build()

    assert wh.rows(
        "select project_code, project_name, implementing_unit, planned_total_investment_wan, funds_received_wan "
        "from mart.project_year order by project_code"
    ) == [
        ("A-1", "老旧小区改造项目", "甲街道办事处", D("100"), D("60")),
        ("B-1", "老旧小区改造项目", "乙街道办事处", D("200"), D("150")),
    ]
    assert wh.rows(
        "select project_code, display_text from mart.report_figures "
        "where figure_key = 'planned_total_investment_wan' order by project_code"
    ) == [("A-1", "100万元"), ("B-1", "200万元")]
    assert wh.one("select value from mart.report_figures where figure_key = 'projects'") == D("2")


def test_a_renamed_project_is_one_project_under_its_latest_name(wh):
    register(wh, "旧名称")  # code P1
    ledger(wh, "旧名称", received="100", paid="50")
    wh.submit(
        "project_register",
        [
            {
                "project_code": "P1",
                "project_name": "新名称",
                "project_type": "老旧小区改造",
                "implementing_unit": "单位",
                "planned_total_investment_wan": D("1000"),
            }
        ],
        unit="区财政局",
    )

    wh.build()

    assert wh.rows("select project_code, project_name, funds_received_wan from mart.project_year") == [
        ("P1", "新名称", D("100"))
    ]
    assert wh.rows("select project_aliases from intermediate.project_years") == [(["旧名称"],)]
    assert wh.rows("select distinct project_name from mart.funds_by_source") == [("新名称",)]
    assert wh.rows(
        "select distinct project_name from mart.report_figures where project_code is not null"
    ) == [("新名称",)]


@pytest.mark.slow
def test_the_marts_are_rebuilt_under_the_memory_limit_setting(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    # DuckDB refuses a limit it cannot read: the setting reaches the rebuild's connection, and a bad one stops it.
    with pytest.raises(duckdb.Error, match="Memory must have a number"):
        build_indicators(dataclasses.replace(settings, marts_memory_limit="plenty"), registry)
    assert build_indicators(dataclasses.replace(settings, marts_memory_limit="64MB"), registry) == YEAR


@pytest.mark.parametrize(
    ("value", "decimals", "number", "percent"),
    [
        ("0", 0, "0", "0%"),
        ("1", 2, "1.00", "100%"),
        ("0.9312", 2, "0.93", "93.12%"),
        ("0.99995", 1, "1.0", "99.995%"),  # short of 100 %: never printed as 100 % (it rounded up to it)
        ("0.014951", 3, "0.015", "1.5%"),  # 1.4951 % → 1.50 % → 1.5 %
        ("-0.00001", 2, "0.00", "0%"),  # no sign on a value that rounds to nothing: -0.00 is no number
        ("-0.00005", 2, "0.00", "-0.01%"),
        ("-0.005", 2, "-0.01", "-0.5%"),
        ("-1234567.125", 2, "-1,234,567.13", "-123,456,712.5%"),
        (
            "99999999999999999.5",
            0,
            "100,000,000,000,000,000",
            "9,999,999,999,999,999,950%",
        ),  # past BIGINT's room
        ("12345678901234567890123.456", 3, "12,345,678,901,234,567,890,123.456", None),
    ],
)
def test_numbers_and_percentages_print_as_official_documents_write_them(value, decimals, number, percent):
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute((models()[0].parent.parent / "macros.sql").read_text(encoding="utf-8"))

    printed = con.execute(
        "select intermediate.format_number(?::decimal(38, 6), ?), intermediate.format_percent(?::decimal(38, 6))",
        [value, decimals, value],
    ).fetchone()

    assert printed[0] == number
    if percent is not None:
        assert printed[1] == percent


@pytest.mark.parametrize(
    ("score", "bound", "printed"),
    [
        ("89.995", "90", "89.995"),
        ("14.9997", "15", "14.9997"),
        # 30 points × 29,999.9999 / 30,000 (a payment 1 元 short of 3亿元): its digits, not ten with zeros after them
        ("29.9999999000", "30", "29.9999999"),
        ("9.9999999667", "10", "9.9999999667"),
        ("99.9999998600", "100", "99.99999986"),
        # a value on its own side of a target, and on it only where it is
        ("1234.5665", "1234.567", "1,234.5665"),  # two decimals: 1,234.57, over the bound it is under
        ("1234.5675", "1234.567", "1,234.57"),  # over it, as two decimals show
        ("1234.5669", "1234.5670", "1,234.5669"),  # three decimals print it on the bound, two over it
        ("1234.567", "1234.567", "1,234.567"),  # on it: as many decimals as the bound, not 1,234.57
        ("12.3449999", "12.34500", "12.34"),
        ("12.3449999", "12.344", "12.345"),  # over 12.344 but not on 12.345, which is no bound here
        ("4.9989999", "4.999", "4.9989999"),
        ("24.3995", "24.4", "24.3995"),
        ("24.41", "24.4", "24.41"),
    ],
)
def test_a_figure_prints_on_its_own_side_of_a_bound_and_past_six_decimals_the_digits_it_has(
    score, bound, printed
):
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute((models()[0].parent.parent / "macros.sql").read_text(encoding="utf-8"))

    [(text,)] = con.execute(
        "select intermediate.format_number(s, intermediate.decimals_apart(s, ?::decimal(38, 10)))"
        " from (select ?::decimal(38, 10) as s)",
        [bound, score],
    ).fetchall()

    assert text == printed


def test_an_indicator_with_nothing_reported_and_no_data_to_compute_it_says_so_in_the_report(wh):
    register(wh, "甲")
    targets(wh, "甲", ("资金支付率", "≥90%", None, 90))  # computed from a ledger that was never sent

    wh.build()

    assert wh.rows(
        "select display_text from mart.report_figures where figure_key = 'indicator_actual' and detail = '资金支付率'"
    ) == [("—（无数据）",)]


def test_a_rebuild_rolled_back_can_be_run_again_on_the_same_connection(wh):
    register(wh, "甲")
    wh.con.execute("set memory_limit = '1MB'")  # too little for any rebuild: it fails and is rolled back
    with pytest.raises(duckdb.OutOfMemoryException):
        wh.build()
    wh.con.execute("reset memory_limit")

    wh.build()  # read_indicator, registered by the failed attempt, is still there to be registered again

    assert wh.rows("select project_name from mart.project_year") == [("甲",)]


def test_a_rebuild_that_runs_out_of_memory_is_tried_once_more_on_one_thread(wh, monkeypatch):
    import pipeline.indicators

    register(wh, "甲")
    wh.con.execute("set threads = 2")
    tried = []  # the threads each attempt ran on

    def short_of_memory_on_two(con, rules, registry):
        tried.append(con.execute("select current_setting('threads')").fetchall()[0][0])
        if len(tried) == 1:
            raise duckdb.OutOfMemoryException(
                "Out of Memory Error: could not allocate block of size 256.0 KiB"
            )
        rebuild(con, rules, registry)

    monkeypatch.setattr(pipeline.indicators, "rebuild", short_of_memory_on_two)
    pipeline.indicators.rebuild_within_memory(wh.con, load_rules(), wh.registry, "64MB")

    assert tried == [2, 1]
    assert wh.rows("select project_name from mart.project_year") == [("甲",)]
    assert wh.one("select current_setting('threads')") == 2  # the connection's own setting again

    tried.clear()
    monkeypatch.setattr(pipeline.indicators, "rebuild", lambda con, rules, registry: (tried.append(1), 1 / 0))
    with pytest.raises(ZeroDivisionError):  # anything but running out of memory is not tried again
        pipeline.indicators.rebuild_within_memory(wh.con, load_rules(), wh.registry, "64MB")
    assert tried == [1]


@pytest.mark.parametrize(
    "args",
    [
        (
            "≥95.123456789049%",
            "96.50000000005%",
            None,
            None,
            False,
            "完成率",
        ),  # past 10 places: down, then up
        ("≥24.4万平方米", "244001.5", None, "平方米", False, "改造面积"),
        ("≥3148户", None, None, None, False, "惠及户数"),
        ("≥90%", "0.95", None, None, True, "群众满意度"),
        ("1E+3", "12,000", None, None, False, "年度计划投资"),
        (None, None, None, None, None, None),
    ],
)
def test_the_models_read_an_indicator_as_the_parser_does_to_the_warehouses_ten_places(args):
    con = duckdb.connect()
    register_functions(con)

    [read] = con.execute("select read_indicator(?, ?, ?, ?, ?, ?)", list(args)).fetchone()

    reading = read_indicator(*args[:4], bool(args[4]), args[5])
    places = Decimal("1E-10")
    expected = {
        name: value.quantize(places, ROUND_HALF_UP) if isinstance(value, Decimal) else value
        for name, value in ((name, getattr(reading, name)) for name in read)
    }
    assert read == expected and list(read) == [
        "operator",
        "target_number",
        "target_unit",
        "reported_number",
        "reported_unit",
        "target_factor",
        "reported_factor",
        "target_measure",
        "target_counts",
    ]


# A magnitude alone is of the measure its value's unit names: so bound, the target is scored against the data.
@pytest.mark.parametrize(
    ("level3", "target", "reported", "measure", "target_value"),
    [
        ("改造面积", "≥0.4万", "0.5万㎡", "area", D(4000)),
        ("改造面积", "≥0.4万㎡", "0.5万", "area", D(4000)),
        ("计划投资", "≥0.1亿", "1250万元", "planned_investment", D(1000)),
        ("惠及户数", "≥0.004万", "50户", "households", D(40)),
        ("惠及户数", "≥0.004万户", "0.005万", "households", D(40)),
    ],
)
def test_a_target_or_value_in_a_magnitude_alone_is_scored_against_the_data_in_its_measure(
    wh, level3, target, reported, measure, target_value
):
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", (level3, target, reported, 10))

    wh.build()

    row = wh.rows(
        "select measure, actual_source, target_value, score from mart.self_evaluation where level3 = ?",
        [level3],
    )
    # Every 5 compounds' data meet the target: 5000 平方米, 1250 万元, 50 户.
    assert row == [(measure, "computed", target_value, D(10))]


def test_a_target_in_wan_counted_in_another_word_is_no_count_of_the_datas(wh):
    register(wh, "甲")
    compounds(wh, "甲", 5)
    targets(wh, "甲", ("惠及户数", "≥0.004万", "60人", 10))

    wh.build()

    # 0.004万 beside 60人 is 40 people, never 40 households: scored by the value reported.
    assert wh.rows(
        "select measure, actual_source, actual_value from mart.self_evaluation where level3 = '惠及户数'"
    ) == [(None, "reported", D(60))]


def test_the_note_on_a_rate_nothing_gives_names_the_ledger_as_the_registry_does(registry):
    # A bureau that renames its ledger form sees the new name in the note as on every receipt, never a fixed word.
    ledger_form = registry.templates["fund_ledger"].model_copy(update={"name_zh": "专项资金收支台账"})
    renamed = registry.model_copy(update={"templates": registry.templates | {"fund_ledger": ledger_form}})
    wh = Warehouse(renamed)
    register(wh, "甲")
    row = {"project_name": "甲", "level1": "产出指标", "level2": "数量指标", "level3": "工程进度"}
    wh.submit(
        "performance_targets",
        [row | {"target_text": "按计划推进", "reported_value": "达成", "weight": D(90)}],
    )
    wh.build()

    assert wh.rows("select deviation_note from mart.self_evaluation where position = 0") == [
        (NOTHING_TO_RATE.replace(LEDGER, "专项资金收支台账"),)
    ]
    assert wh.rows("select name_zh from config.forms where template = 'fund_ledger'") == [
        ("专项资金收支台账",)
    ]
