"""A 自评表's stated 得分, 总分 and 执行率 judged against the marts: warnings settled after each rebuild, on tables
built here with only the columns the judgement reads."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.problems import RULE_ZH
from pipeline.report_quality import EXECUTION_TOLERANCE, SCORE_TOLERANCE, score_differs
from pipeline.stated import ACTUAL, RATE, RULES, SCORE, TOTAL, settle_stated, stated_differences

PROJECT = ("P1", 2022)


@pytest.fixture
def con():
    """One current 自评表 (submission 7) of project P1, 2022: stated total 100, execution rate 100 %, one
    indicator's score 20, the budget score 10 and the grade 优; the marts say the same until a test changes them."""
    con = duckdb.connect()
    for schema in ("ops", "staging", "mart", "config"):
        con.execute(f"create schema {schema}")
    # No 运行监控表 states a light (pipeline/stated_lights.py, settled with these).
    cell = "struct(submission_id int, sheet varchar, excel_row int)"
    con.execute(
        "create table mart.monitoring_findings (project_code varchar, year int, month int, stated_light varchar, "
        f"progress_light varchar, stated_light_against_progress varchar, stated_light_lineage {cell}[])"
    )
    con.execute(
        "create table mart.monitoring_lights (project_code varchar, year int, month int, "
        "annual_planned_investment_wan decimal(18, 6), cumulative_completed_wan decimal(18, 6), "
        "time_progress decimal(28, 10), investment_progress decimal(28, 10), gap_points decimal(18, 6), "
        f"severity int, lineage {cell}[])"
    )
    con.execute(
        "create table config.light_bands (year int, light varchar, severity int, up_to_points decimal(18, 6))"
    )
    con.execute(
        "create table staging.performance_targets (submission_id int, sheet varchar, project_code varchar, "
        "year int, reported_total_score decimal(18, 4), budget_execution_rate decimal(18, 6), "
        "budget_executed_wan decimal(18, 6), budget_annual_wan decimal(18, 6), reported_grade varchar)"
    )
    con.execute(
        "insert into staging.performance_targets values (7, '自评表', 'P1', 2022, 100, 1, 1570, 1570, '优')"
    )
    con.execute(
        "create table ops.sheet_fields (submission_id int, sheet varchar, field_name varchar, field_header varchar, "
        "excel_row int)"
    )
    con.execute(
        "insert into ops.sheet_fields values (7, '自评表', 'reported_total_score', '总分·得分', 30), "
        "(7, '自评表', 'budget_execution_rate', '年度资金总额·执行率', 7), "
        "(7, '自评表', 'budget_reported_score', '年度资金总额·得分', 7), "
        "(7, '自评表', 'reported_grade', '自评等级', 31)"
    )
    con.execute(
        "create table ops.sheet_columns (submission_id int, sheet varchar, column_name varchar, column_header varchar)"
    )
    con.execute(
        "insert into ops.sheet_columns values (7, '自评表', 'reported_score', '得分'), "
        "(7, '自评表', 'reported_value', '实际完成值')"
    )
    # Where the cells are, as the milder light's warning names them.
    for table in ("sheet_fields", "sheet_columns"):
        con.execute(f"alter table ops.{table} add column excel_column varchar")
    con.execute(
        "create table mart.project_year (project_code varchar, year int, self_evaluation_score decimal(28, 10), "
        "budget_execution_rate decimal(28, 10), grade varchar)"
    )
    con.execute("insert into mart.project_year values ('P1', 2022, 100, 1, '优')")
    con.execute("create table config.grades (year int, grade varchar, from_score decimal(18, 6))")
    con.execute(
        "insert into config.grades values (2022, '优', 90), (2022, '良', 80), (2022, '中', 60), (2022, '差', 0)"
    )
    con.execute(
        "create table mart.self_evaluation (project_code varchar, year int, position int, level3 varchar, "
        "weight decimal(18, 4), score decimal(28, 10), reported_score decimal(18, 6), "
        "reported_score_lineage struct(submission_id int, sheet varchar, excel_row int)[], "
        "actual_value decimal(28, 10), actual_source varchar, reported_value varchar, differs_from_reported boolean, "
        "actual_lineage struct(submission_id int, sheet varchar, excel_row int)[], "
        "target_lineage struct(submission_id int, sheet varchar, excel_row int)[])"
    )
    # The compounds are counted from submission 5's list, which says what the form reports.
    con.execute(
        "insert into mart.self_evaluation values "
        "('P1', 2022, 0, '预算执行率', 10, 10, 10, [{'submission_id': 7, 'sheet': '自评表', 'excel_row': 7}], "
        "1, 'computed', null, false, [], [{'submission_id': 7, 'sheet': '自评表', 'excel_row': 7}]), "
        "('P1', 2022, 1, '改造小区数量', 20, 20, 20, [{'submission_id': 7, 'sheet': '自评表', 'excel_row': 15}], "
        "16, 'computed', '16个', false, [{'submission_id': 5, 'sheet': '清单', 'excel_row': 4}], "
        "[{'submission_id': 7, 'sheet': '自评表', 'excel_row': 15}])"
    )
    con.execute(
        "create table mart.report_figures (project_code varchar, year int, figure_key varchar, position int, "
        "display_text varchar)"
    )
    con.execute("insert into mart.report_figures values ('P1', 2022, 'indicator_actual', 201, '16个')")
    con.execute(
        "create table ops.validation_issues (submission_id int, sheet varchar, excel_row int, column_header varchar, "
        "value varchar, severity varchar, rule varchar, message_zh varchar, expected varchar, fix varchar, "
        "named_submissions int[], stale_note varchar)"
    )
    # As sql/ops/schema.sql has it: the warnings still to be looked at are the ones counted.
    con.execute("create view ops.open_issues as select * from ops.validation_issues where stale_note is null")
    con.execute(
        "insert into ops.validation_issues values "
        "(7, '自评表', 3, '年度', '2022', 'warning', 'unit_assumed', '其他警告', null, null, null, null)"
    )
    con.execute(
        "create table ops.submissions (submission_id int, warning_count int, status varchar, receipt_status varchar, "
        "original_name varchar)"
    )
    con.execute(
        "insert into ops.submissions values (7, 1, 'accepted', 'accepted', '2022年自评表.xlsx'), "
        "(8, 0, 'accepted', 'accepted', '2022年资金台账.xlsx'), (5, 0, 'accepted', 'accepted', '2022年小区清单.xlsx')"
    )
    yield con
    con.close()


def _submission(con) -> tuple:
    return con.execute(
        "select warning_count, receipt_status from ops.submissions where submission_id = 7"
    ).fetchone()


def _stored(con) -> list[tuple]:
    return con.execute(
        "select rule, excel_row, column_header, value from ops.validation_issues where rule like 'stated%' "
        "order by rule, excel_row"
    ).fetchall()


def test_figures_the_marts_bear_out_raise_nothing(con):
    assert stated_differences(con) == []
    assert settle_stated(con) == set()
    assert _submission(con) == (1, "accepted")


def test_each_stated_figure_differing_is_a_warning_on_its_cell_and_reissues_the_receipt(con):
    con.execute(
        "update mart.project_year set self_evaluation_score = 95.1789, budget_execution_rate = 0.517888"
    )
    con.execute("update mart.self_evaluation set score = 5.17888 where position = 0")
    con.execute("update mart.self_evaluation set score = 18.5 where position = 1")

    assert settle_stated(con) == {7}

    assert _stored(con) == [
        (RATE, 7, "年度资金总额·执行率", "100%"),
        (SCORE, 7, "年度资金总额·得分", "10"),
        (SCORE, 15, "得分", "20"),
        (TOTAL, 30, "总分·得分", "100"),
    ]
    assert _submission(con) == (5, None)  # the other warning stays; the receipt is stale, to be written again
    messages = {
        (rule, row): message
        for rule, row, message in con.execute(
            "select rule, excel_row, message_zh from ops.validation_issues where rule like 'stated%'"
        ).fetchall()
    }
    assert "自评总分为100分" in messages[TOTAL, 30] and "计算为95.18分" in messages[TOTAL, 30]
    assert "填报为100%" in messages[RATE, 7] and "51.79%" in messages[RATE, 7]
    assert "三级指标「改造小区数量」（分值20）" in messages[SCORE, 15] and "18.5分" in messages[SCORE, 15]
    assert "预算执行得分" in messages[SCORE, 7] and "5.18分" in messages[SCORE, 7]


def test_a_second_rebuild_that_finds_the_same_changes_nothing(con):
    con.execute("update mart.project_year set self_evaluation_score = 90")
    settle_stated(con)
    con.execute("update ops.submissions set receipt_status = 'accepted'")  # the receipt written meanwhile

    assert settle_stated(con) == set()
    assert _submission(con) == (2, "accepted")


def test_a_warning_the_data_no_longer_bear_out_is_withdrawn_from_the_receipt(con):
    con.execute("update mart.project_year set self_evaluation_score = 90")
    settle_stated(con)
    con.execute("update ops.submissions set receipt_status = 'accepted'")
    con.execute(
        "update mart.project_year set self_evaluation_score = 99.6"
    )  # a later file: within 0.5 points

    assert settle_stated(con) == {7}
    assert _stored(con) == []
    assert _submission(con) == (1, None)
    assert con.execute("select count(*) from ops.validation_issues").fetchone() == (1,)  # the other one kept


def test_differences_within_the_reports_tolerances_are_not_warned(con):
    con.execute(
        "update mart.project_year set self_evaluation_score = ?, budget_execution_rate = ?",
        [Decimal(100) - SCORE_TOLERANCE, Decimal(1) - EXECUTION_TOLERANCE],
    )
    con.execute("update mart.self_evaluation set score = score - 0.005")

    assert stated_differences(con) == []


def test_a_stated_figure_is_quoted_as_written_and_the_computed_one_as_the_report_shows_it(con):
    con.execute(
        "update mart.self_evaluation set reported_score = 19.996, score = 19.98765 where position = 1"
    )

    [issue] = stated_differences(con)

    assert issue[4] == "19.996"
    assert "填报为19.996分，按评分规则由已入库的数据计算为19.99分" in issue[7]


@pytest.mark.parametrize(
    ("updates", "said"),
    [
        # 90 stated against 90.5000001: 计算为90.5分 under 相差超过0.5分 showed no such gap.
        (
            [
                "update staging.performance_targets set reported_total_score = 90",
                "update mart.project_year set self_evaluation_score = 90.5000001",
            ],
            "填报的自评总分为90分，按评分规则由已入库的数据计算为90.5000001分，相差超过0.5分",
        ),
        # 4 % stated against 5.000001 %: 5% beside 4% is no gap of more than 1 point.
        (
            [
                "update staging.performance_targets set budget_execution_rate = 0.04",
                "update mart.project_year set budget_execution_rate = 0.05000001",
            ],
            "填报为4%，按已入库的资金到位与支付台账计算的预算执行率为5.000001%",
        ),
        # 43.882 against 45 × 97.5 % = 43.875, 0.007 off: 计算为43.88分 read as within the form's own rounding.
        (
            ["update mart.self_evaluation set reported_score = 43.882, score = 43.875 where position = 1"],
            "填报为43.882分，按评分规则由已入库的数据计算为43.875分",
        ),
    ],
)
def test_a_computed_figure_prints_as_far_from_the_stated_one_as_its_warning_says(con, updates, said):
    for update in updates:
        con.execute(update)

    [issue] = stated_differences(con)

    assert said in issue[7]


def test_a_score_the_data_give_another_actual_for_names_that_actual_and_its_file(con):
    # The list counts 15 compounds where the form reports 16个 and scores itself 20: the clerk is told 15 and where
    # it comes from, not only 18.75分, and checks a form that adds up by its own figures.
    con.execute(
        "update mart.self_evaluation set score = 18.75, differs_from_reported = true where position = 1"
    )
    con.execute("update mart.report_figures set display_text = '15个'")

    [issue] = stated_differences(con)

    assert issue[7] == (
        "三级指标「改造小区数量」（分值20）的「得分」填报为20分，按评分规则由已入库的数据计算为18.75分："
        "实际完成值按已入库的《2022年小区清单.xlsx》计算为15个，本表填报为16个。"
    )
    assert issue[8] == "按《2022年小区清单.xlsx》计算的实际完成值15个，得分18.75分"
    assert issue[9].startswith("请核对本表的实际完成值与《2022年小区清单.xlsx》，以实际情况为准")
    # The same difference in the score alone, the actual as reported: the form's own arithmetic is asked about.
    con.execute("update mart.self_evaluation set differs_from_reported = false")
    [issue] = stated_differences(con)
    assert "计算为18.75分。" in issue[7] and "小区清单" not in issue[7]


def test_an_actual_the_data_give_otherwise_is_told_though_the_score_is_the_same(con):
    # The list counts 15 compounds where the form reports 16个; ≥15 scores the full 20 either way, and the report's
    # 数据质量提示 still names 16 against 15: so does the form's receipt, on the indicator's row.
    con.execute("update mart.self_evaluation set differs_from_reported = true where position = 1")
    con.execute("update mart.report_figures set display_text = '15个'")

    [issue] = stated_differences(con)

    assert issue[:7] == (7, "自评表", 15, "实际完成值", "16个", "warning", ACTUAL)
    assert (
        issue[7]
        == "三级指标「改造小区数量」的「实际完成值」填报为16个，按已入库的《2022年小区清单.xlsx》计算为15个。"
    )
    assert issue[8] == "按《2022年小区清单.xlsx》计算的实际完成值15个"
    assert issue[9] == (
        "请核对本表的实际完成值与《2022年小区清单.xlsx》，以实际情况为准：本表有误的，请改正实际完成值后重新报送；"
        "《2022年小区清单.xlsx》有误的，请改正该表后重新报送。年度报告采用按数据计算的实际完成值。"
    )
    # Settled like the others: stored once, and the receipt marked to be written again.
    assert settle_stated(con) == {7}
    assert _stored(con) == [(ACTUAL, 15, "实际完成值", "16个")]
    assert _submission(con) == (2, None)


def test_every_rule_has_its_chinese_title():
    assert {rule: RULE_ZH.get(rule) for rule in RULES} == {rule: RULE_ZH[rule] for rule in RULES}
    assert all(RULE_ZH[rule] for rule in RULES)


# Without a ledger the budget's score is 分值 × the form's own 执行率 (reported), or its 全年执行数 ÷ 全年预算数 where
# the 执行率 is blank (computed): the warning says which, and sends the clerk to no ledger.
@pytest.mark.parametrize(
    ("source", "basis", "checked"),
    [
        ("reported", "按本表填报的执行率98.17%计算为9.82分", "请核对项目资金的执行率和得分"),
        (
            "computed",
            "按本表全年执行数÷全年预算数＝98.17%计算为9.82分",
            "请核对项目资金的全年执行数、全年预算数和得分",
        ),
    ],
    ids=["rate", "amounts"],
)
def test_a_budget_score_without_a_ledger_is_told_by_the_forms_own_figures(con, source, basis, checked):
    con.execute("update mart.project_year set budget_execution_rate = null, self_evaluation_score = 99.817")
    con.execute(
        "update mart.self_evaluation set score = 9.817, actual_value = 0.9817, actual_source = ? where position = 0",
        [source],
    )

    [issue] = stated_differences(con)

    rule, message, expected, fix = issue[6], issue[7], issue[8], issue[9]
    assert (rule, issue[2], issue[4]) == (SCORE, 7, "10")
    assert "预算执行得分，分值10）填报为10分，" + basis in message
    assert expected.endswith("＝10×98.17%＝9.82分") and checked in fix
    assert not any("台账" in text for text in (message, expected, fix))


# mart.self_evaluation calls a budget rate it had nothing to compute from `reported` (a rate it was not given): read
# as the form's own 执行率, the warning multiplied nothing by 100 and stopped the rebuild of every project's marts.
# Only what the form lacks is named, as its rate_blank does: it said both to a clerk who had written 全年执行数.
@pytest.mark.parametrize("source", ["reported", "computed"])
@pytest.mark.parametrize(
    ("executed", "annual", "said"),
    [
        (None, None, "也没有可据以计算执行率的全年执行数和全年预算数"),
        (1256, None, "也没有可据以计算执行率的全年预算数"),
        (None, 1570, "也没有可据以计算执行率的全年执行数"),
        (1256, 0, "全年预算数为0，无法据以计算执行率"),
    ],
)
def test_a_budget_score_with_nothing_to_score_it_by_says_so(con, source, executed, annual, said):
    con.execute("update mart.project_year set budget_execution_rate = null, self_evaluation_score = 90")
    con.execute(
        "update mart.self_evaluation set score = 0, actual_value = null, actual_source = ? where position = 0",
        [source],
    )
    con.execute(
        "update staging.performance_targets set budget_execution_rate = null, budget_executed_wan = ?, "
        "budget_annual_wan = ?",
        [executed, annual],
    )

    [issue] = [issue for issue in stated_differences(con) if issue[6] == SCORE]

    assert f"填报为10分，本表未填执行率，{said}，计算为0分" in issue[7]
    assert "台账" not in issue[7] + issue[8] + issue[9]


def test_a_budget_score_with_a_ledger_is_told_by_the_ledger(con):
    con.execute("update mart.project_year set budget_execution_rate = 0.9817, self_evaluation_score = 99.817")
    con.execute("update mart.self_evaluation set score = 9.817, actual_value = 0.9817 where position = 0")

    [issue] = [issue for issue in stated_differences(con) if issue[6] == SCORE]

    assert "按已入库的资金到位与支付台账计算为9.82分" in issue[7] and "资金台账" in issue[9]


# A 得分 as rounded as written is the computed one (9.8 for 9.817, as a 总分 of 99.9 is 99.85); never closer than
# 0.005, and a whole 得分 is no rounding: 10 for 9.96 claims full marks.
@pytest.mark.parametrize(
    ("stated", "computed", "warned"),
    [
        ("9.8", "9.817", False),
        ("14.2", "14.2105263158", False),
        ("9.80", "9.817", False),  # a cell keeps no trailing zero: 9.80 shown is 9.8
        ("9.7", "9.817", True),
        ("9.82", "9.817", False),
        ("9.81", "9.817", True),
        ("19.996", "19.99123", False),  # to the thousandth, held to 0.005 all the same
        ("10", "9.96", True),
        ("20", "19.996", False),
    ],
)
def test_a_score_as_rounded_as_written_is_not_warned(con, stated, computed, warned):
    con.execute(
        "update mart.self_evaluation set reported_score = ?, score = ? where position = 1",
        [Decimal(stated), Decimal(computed)],
    )

    found = [(issue[6], issue[2]) for issue in stated_differences(con)]

    assert found == ([(SCORE, 15)] if warned else [])
    assert score_differs(Decimal(stated).quantize(Decimal("0.000001")), Decimal(computed)) is warned


def test_a_recount_leaves_out_a_warning_whose_named_submissions_are_out_of_force(con):
    con.execute(
        "insert into ops.validation_issues values (7, '自评表', 4, null, null, 'warning', 'same_as_other_year', "
        "'与第3号提交相同', null, null, [3], '所涉第3号提交已撤回，其数据已不再有效，此提示不再适用，无需处理。')"
    )
    con.execute("update mart.project_year set self_evaluation_score = 90")

    assert settle_stated(con) == {7}
    # The other warning and the new total: not the one no longer applying.
    assert _submission(con) == (2, None)
