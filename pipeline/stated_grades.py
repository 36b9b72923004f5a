"""Tell a national 自评表's sender where the 自评等级 it states is not the grade the rules give its computed 总分.

The computed grade comes from mart.project_year, which files sent later change (a ledger's execution rate, a list's
counts): so the warning is settled after each rebuild with the form's other stated figures
(`pipeline.stated.settle_stated`). The unit's grade is kept as written (staging.performance_targets.reported_grade);
the report grades by the computed 总分 alone.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from pipeline.problems import display

GRADE = "stated_grade_differs"
GRADE_FORM = "performance_targets"  # the template whose stated grade is settled here

# Each current form stating a grade other than the one mart.project_year gives its project and year: the grade's
# cell (ops.sheet_fields), the form's own 总分, the computed 总分, and each year's grade bands (grade, lowest score), to
# say both grades with the scores behind them.
_DIFFERING = f"""
with forms as (
    select distinct submission_id, sheet, project_code, year, reported_grade, reported_total_score
    from staging.{GRADE_FORM}
    where reported_grade is not null
),

bands as (
    select year, list(struct_pack(grade := grade, from_score := from_score) order by from_score desc) as bands
    from config.grades
    group by year
)

select
    forms.submission_id, forms.sheet, fields.excel_row, coalesce(fields.field_header, '自评等级') as header,
    forms.reported_grade, forms.reported_total_score, project_year.self_evaluation_score, project_year.grade,
    bands.bands
from forms
inner join mart.project_year using (project_code, year)
left join bands using (year)
left join ops.sheet_fields as fields
    on fields.submission_id = forms.submission_id and fields.sheet = forms.sheet
    and fields.field_name = 'reported_grade'
where project_year.grade is not null and project_year.grade <> forms.reported_grade
order by 1, 2
"""


def _band(grade: str, bands: list[dict]) -> str:
    """Word the scores a grade takes (`80分以上不足90分`), from the year's bands, highest first."""
    for index, band in enumerate(bands):
        if band["grade"] != grade:
            continue
        low = f"{display(band['from_score'])}分以上" if band["from_score"] > 0 else ""
        high = f"不足{display(bands[index - 1]['from_score'])}分" if index > 0 else ""
        return low + high or "任何总分"
    return "评分规则未列此等级"


def _score(computed: Decimal, bands: list[dict], grade: str) -> str:
    """Show the computed 总分 to two decimals, or to as many more as keep it under the next grade's bound (89.995 is
    良, never shown 90.00分 beside it)."""
    above = [b["from_score"] for b in bands if b["from_score"] > computed]
    bound = min(above) if above else None
    for places in range(2, 9):
        shown = computed.quantize(Decimal(1).scaleb(-places))
        if bound is None or shown < bound:
            return f"{display(shown)}分"
    return f"{display(computed)}分"


def _issue(row: tuple) -> tuple:
    """Word one form's grade that differs, as a warning row of ops.validation_issues."""
    submission_id, sheet, excel_row, header, stated, stated_total, computed, grade, bands = row
    bands = bands or []
    own = f"本表总分{display(stated_total)}分" if stated_total is not None else "本表未填总分"
    got = _score(computed, bands, grade)
    message = (
        f"「{header}」填报为{stated}（{own}），按评分规则由已入库的数据计算的总分为{got}，"
        f"评定为{grade}（{_band(grade, bands)}）；填报的“{stated}”对应{_band(stated, bands)}"
    )
    return (
        submission_id,
        sheet,
        excel_row,
        header,
        stated,
        "warning",
        GRADE,
        f"{message}。",
        f"按计算的总分{got}评定的等级“{grade}”",
        "请逐项核对各指标的实际完成值、得分和总分，按核对后的总分填写自评等级；填报有误的，请改正后重新报送。"
        "年度报告按计算的总分评定等级，不采用填报的等级。",
    )


def grade_differences(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Return the warnings, as ops.validation_issues rows, for every stated grade the computed 总分 does not give."""
    return [_issue(row) for row in con.execute(_DIFFERING).fetchall()]
