"""A 自评表's stated 自评等级 judged against the grade the rules give its computed 总分, settled with the form's other
stated figures after each rebuild (tables as tests/pipeline/test_stated.py builds them)."""

from __future__ import annotations

from pipeline.problems import RULE_ZH
from pipeline.stated import settle_stated
from pipeline.stated_grades import GRADE, grade_differences
from tests.pipeline.test_stated import con  # noqa: F401  (the fixture)


def test_a_grade_the_computed_total_gives_raises_nothing(con):  # noqa: F811
    assert grade_differences(con) == []


def test_a_grade_other_than_the_computed_ones_is_a_warning_on_its_cell_naming_both_and_their_scores(con):  # noqa: F811
    # The form says 优 on a total of 100; the data give 89.995, which is 良 and never printed as 90.00.
    con.execute("update mart.project_year set self_evaluation_score = 89.995, grade = '良'")

    [issue] = grade_differences(con)

    submission, sheet, row, header, value, severity, rule, message, expected, fix = issue
    assert (submission, sheet, row, header, value, severity, rule) == (
        7,
        "自评表",
        31,
        "自评等级",
        "优",
        "warning",
        GRADE,
    )
    assert "「自评等级」填报为优（本表总分100分）" in message
    assert "计算的总分为89.995分，评定为良（80分以上不足90分）" in message
    assert "填报的“优”对应90分以上" in message
    assert expected == "按计算的总分89.995分评定的等级“良”"
    assert "年度报告按计算的总分评定等级" in fix and RULE_ZH[GRADE]
    # Settled with the other stated figures: stored, counted and the receipt to be written again; once.
    assert settle_stated(con) == {7}
    stored = "select rule, excel_row from ops.validation_issues where rule like 'stated%' order by rule"
    assert con.execute(stored).fetchall() == [(GRADE, 31), ("stated_total_differs", 30)]
    assert settle_stated(con) == set()
    # The unit's grade is kept as written: the form corrected to 良 clears it.
    con.execute("update staging.performance_targets set reported_grade = '良', reported_total_score = null")
    assert grade_differences(con) == []
    assert settle_stated(con) == {7}
    assert con.execute("select count(*) from ops.validation_issues where rule = ?", [GRADE]).fetchone() == (
        0,
    )


def test_a_grade_stated_without_a_total_says_the_form_has_none(con):  # noqa: F811
    con.execute("update staging.performance_targets set reported_total_score = null, reported_grade = '差'")

    [issue] = grade_differences(con)

    assert (
        "填报为差（本表未填总分），按评分规则由已入库的数据计算的总分为100分，评定为优（90分以上）"
        in issue[7]
    )
    assert "填报的“差”对应不足60分" in issue[7]


def test_no_grade_stated_is_no_warning(con):  # noqa: F811
    con.execute("update staging.performance_targets set reported_grade = null")
    con.execute("update mart.project_year set grade = '差'")

    assert grade_differences(con) == []
