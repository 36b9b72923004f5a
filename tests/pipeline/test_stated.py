"""A 自评表's stated 得分, 总分 and 执行率 judged against the marts: warnings settled after each rebuild, on tables
built here with only the columns the judgement reads."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.problems import RULE_ZH
from pipeline.report_context import EXECUTION_TOLERANCE, SCORE_TOLERANCE
from pipeline.stated import RATE, RULES, SCORE, TOTAL, settle_stated, stated_differences

PROJECT = ("P1", 2022)


@pytest.fixture
def con():
    """One current 自评表 (submission 7) of project P1, 2022: stated total 100, execution rate 100 %, one
    indicator's score 20 and the budget score 10; the marts say the same until a test changes them."""
    con = duckdb.connect()
    for schema in ("ops", "staging", "mart"):
        con.execute(f"create schema {schema}")
    con.execute(
        "create table staging.performance_targets (submission_id int, sheet varchar, project_code varchar, "
        "year int, reported_total_score decimal(18, 4), budget_execution_rate decimal(18, 6))"
    )
    con.execute("insert into staging.performance_targets values (7, '自评表', 'P1', 2022, 100, 1)")
    con.execute(
        "create table ops.sheet_fields (submission_id int, sheet varchar, field_name varchar, field_header varchar, "
        "excel_row int)"
    )
    con.execute(
        "insert into ops.sheet_fields values (7, '自评表', 'reported_total_score', '总分·得分', 30), "
        "(7, '自评表', 'budget_execution_rate', '年度资金总额·执行率', 7), "
        "(7, '自评表', 'budget_reported_score', '年度资金总额·得分', 7)"
    )
    con.execute(
        "create table ops.sheet_columns (submission_id int, sheet varchar, column_name varchar, column_header varchar)"
    )
    con.execute("insert into ops.sheet_columns values (7, '自评表', 'reported_score', '得分')")
    con.execute(
        "create table mart.project_year (project_code varchar, year int, self_evaluation_score decimal(28, 10), "
        "budget_execution_rate decimal(28, 10))"
    )
    con.execute("insert into mart.project_year values ('P1', 2022, 100, 1)")
    con.execute(
        "create table mart.self_evaluation (project_code varchar, year int, position int, level3 varchar, "
        "weight decimal(18, 4), score decimal(28, 10), reported_score decimal(18, 4), "
        "reported_score_lineage struct(submission_id int, sheet varchar, excel_row int)[])"
    )
    con.execute(
        "insert into mart.self_evaluation values "
        "('P1', 2022, 0, '预算执行率', 10, 10, 10, [{'submission_id': 7, 'sheet': '自评表', 'excel_row': 7}]), "
        "('P1', 2022, 1, '改造小区数量', 20, 20, 20, [{'submission_id': 7, 'sheet': '自评表', 'excel_row': 15}])"
    )
    con.execute(
        "create table ops.validation_issues (submission_id int, sheet varchar, excel_row int, column_header varchar, "
        "value varchar, severity varchar, rule varchar, message_zh varchar, expected varchar, fix varchar)"
    )
    con.execute(
        "insert into ops.validation_issues values "
        "(7, '自评表', 3, '年度', '2022', 'warning', 'unit_assumed', '其他警告', null, null)"
    )
    con.execute(
        "create table ops.submissions (submission_id int, warning_count int, status varchar, receipt_status varchar)"
    )
    con.execute(
        "insert into ops.submissions values (7, 1, 'accepted', 'accepted'), (8, 0, 'accepted', 'accepted')"
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


def test_every_rule_has_its_chinese_title():
    assert {rule: RULE_ZH.get(rule) for rule in RULES} == {rule: RULE_ZH[rule] for rule in RULES}
    assert all(RULE_ZH[rule] for rule in RULES)
