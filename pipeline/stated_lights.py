"""Tell a 运行监控表's sender where the light the unit states is not the one the rules compute for its month: milder,
harsher, or a light where no 月报 gives one to compute.

The computed light comes from the 投资完成情况月报, which may arrive on another night: so the warning is settled after
each rebuild with the 自评表's stated figures (`pipeline.stated.settle_stated`), and the form's receipt is written
again. The unit's light is kept as written; the report's lights stay the computed ones, and its 数据质量提示 name the
same forms (`monitoring_light_*` in mart.report_figures).
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from pipeline.problems import display

LIGHT = "stated_light_milder"
HARSHER = "stated_light_harsher"
UNCOMPUTED = "stated_light_uncomputed"
LIGHT_RULES = (LIGHT, HARSHER, UNCOMPUTED)
# mart.monitoring_findings.stated_light_against_progress (null: no light computed for the month) → the rule.
_RULES = {"milder": LIGHT, "harsher": HARSHER, None: UNCOMPUTED}
LIGHTS_ZH = {"none": "绿灯", "blue": "蓝灯", "yellow": "黄灯", "red": "红灯"}
LIGHT_FORM = "performance_monitoring"  # the template whose stated light is settled here
# What a dry run (`pipeline check`, the portal) says of such a form: it has no marts to hold the light against.
LIGHT_SETTLED_LATER_ZH = (
    "表中如填报了预警情况，将在正式报送后与按投资完成情况月报计算的预警核对，"
    "如与计算的预警不一致或该月尚无月报可据以计算，将在回执中另行提示。"
)

# Each form (submission, sheet) whose stated light, the worst of its rows and 项目资金 block, is milder or harsher than
# the light mart.monitoring_lights computes for its project and month, or is a light (not 绿灯) where none is computed,
# as the report's 数据质量提示 name them: the rows stating it, the header of the first (the block's cell as
# ops.sheet_fields names it, else the table's column), the figures the light was computed from, the band each light
# falls in, the files it came from and the latest month any 月报 of the year gives.
_DIFFERING = """
with differing as (
    select
        findings.project_code, findings.year, findings.month, findings.stated_light, findings.progress_light,
        findings.stated_light_against_progress as against, cell.submission_id, cell.sheet, cell.excel_row
    from mart.monitoring_findings as findings, unnest(findings.stated_light_lineage) as listed(cell)
    where findings.stated_light_against_progress in ('milder', 'harsher')
        or (findings.progress_light is null and findings.stated_light <> 'none')
),

forms as (
    select
        project_code, year, month, stated_light, progress_light, against, submission_id, sheet,
        min(excel_row) as excel_row, list(distinct excel_row order by excel_row) as excel_rows
    from differing
    group by all
),

-- The months' figures and the files they were computed from, each file once (a month planned at 0 has no light).
computed as (
    select
        lights.project_code, lights.year, lights.month, lights.annual_planned_investment_wan,
        lights.cumulative_completed_wan, lights.time_progress, lights.investment_progress, lights.gap_points,
        array_to_string(list_sort(list(distinct '《' || submissions.original_name || '》')), '、') as files
    from mart.monitoring_lights as lights, unnest(lights.lineage) as listed(cell)
    inner join ops.submissions on submissions.submission_id = listed.cell.submission_id
    group by all
),

-- The latest month of the year any 月报 gives the project, for a month none does.
latest as (
    select project_code, year, max(month) as month from mart.monitoring_lights group by all
),

-- A band's lower bound: the widest gap a milder light allows.
bounds as (
    select lit.year, lit.light, max(milder.up_to_points) as above_points
    from config.light_bands as lit
    inner join config.light_bands as milder on milder.year = lit.year and milder.severity < lit.severity
    group by all
)

select
    forms.submission_id, forms.sheet, forms.excel_row,
    coalesce(block.field_header, table_column.column_header, '预警情况') as header,
    coalesce(block.excel_column, table_column.excel_column) as excel_column, block.field_header is not null,
    forms.excel_rows, forms.year, forms.month, forms.against, forms.stated_light, forms.progress_light,
    computed.annual_planned_investment_wan, computed.cumulative_completed_wan, computed.time_progress,
    computed.investment_progress, computed.gap_points, computed_bound.above_points, stated_bound.above_points,
    computed.files, latest.month
from forms
left join computed using (project_code, year, month)
left join latest using (project_code, year)
left join bounds as computed_bound on computed_bound.year = forms.year and computed_bound.light = forms.progress_light
left join bounds as stated_bound on stated_bound.year = forms.year and stated_bound.light = forms.stated_light
left join ops.sheet_fields as block
    on block.submission_id = forms.submission_id and block.sheet = forms.sheet
    and block.field_name = 'budget_stated_light' and block.excel_row = forms.excel_row
left join ops.sheet_columns as table_column
    on table_column.submission_id = forms.submission_id and table_column.sheet = forms.sheet
    and table_column.column_name = 'stated_light'
order by 1, 2, 3
"""


def _percent(share: Decimal) -> str:
    """Show a share as a percentage to two decimals, as the report does."""
    return f"{display((share * 100).quantize(Decimal('0.01')))}%"


def _issue(row: tuple) -> tuple:
    """Word one form's light, milder, harsher or uncomputed, as a warning row of ops.validation_issues."""
    submission_id, sheet, excel_row, header, column, of_block, rows, year, month, against, *rest = row
    stated, computed, plan, cumulative, time_progress, investment_progress, gap, *rest = rest
    computed_above, stated_above, files, latest = rest
    stated_zh = LIGHTS_ZH[stated]
    where = f"{column or ''}{'列' if column else ''}第{'、'.join(map(str, rows))}行"
    said = f"本表「{header}」（{where}）填报的预警为{stated_zh}"
    # warehouse.md's rules light investment progress alone: the block's light, on its funds, is held against it.
    of_funds = (
        "预警灯按投资进度计算，规则未规定按项目资金执行率计算的预警，项目资金的预警情况与之对照。"
        if of_block
        else ""
    )
    if against is None:
        said += f"（{of_funds.rstrip('。')}）" if of_funds else ""
        found = _uncomputed(said, year, month, plan, files, latest)
        return (submission_id, sheet, excel_row, header, stated_zh, "warning", UNCOMPUTED, *found)
    computed_zh = LIGHTS_ZH[computed]
    band = (
        f"偏离度超过{display(computed_above)}个百分点为{computed_zh}"
        if computed_above is not None
        else f"为{computed_zh}"
    )
    if against == "harsher":
        # What the 月报 give against what the stated light takes: 红灯 only past 20 points behind.
        band += f"，超过{display(stated_above)}个百分点才为{stated_zh}"
    gap_zh = f"{display(gap.quantize(Decimal('0.01')))}个百分点"
    message = (
        f"{said}，按已入库的{files}计算，{month}月应为{computed_zh}："
        f"截至{month}月累计完成投资{display(cumulative)}万元、年度计划投资{display(plan)}万元，"
        f"投资进度{_percent(investment_progress)}，时间进度{_percent(time_progress)}（{month}/12），"
        f"偏离度{gap_zh}（{band}）；本表填报的预警{'轻' if against == 'milder' else '重'}于计算的预警。{of_funds}"
    )
    fix = (
        f"请核对本表的{header}与{files}，以实际情况为准：本表有误的，请改正{header}后重新报送；"
        f"月报有误的，请改正月报后重新报送。本表填报的预警照录，年度报告的预警灯按月报计算，"
        f"并在数据质量提示中列出两者不一致。"
    )
    expected = f"按投资完成情况月报计算的{month}月预警{computed_zh}（偏离度{gap_zh}）"
    return (
        submission_id,
        sheet,
        excel_row,
        header,
        stated_zh,
        "warning",
        _RULES[against],
        message,
        expected,
        fix,
    )


def _uncomputed(
    said: str, year: int, month: int, plan: Decimal | None, files: str | None, latest: int | None
) -> tuple[str, str, str]:
    """Word a light stated for a month no 月报 lights, as message, expected and fix: none of its month yet (which to
    send), or one planning 0."""
    if files is not None:
        # The month's 月报 is there, its 年度计划投资 0 (or blank): no progress to lag behind, no light.
        why = f"已入库的{files}中{month}月的年度计划投资为{display(plan or 0)}万元，无法计算投资进度和预警"
        fix = f"请核对{files}的年度计划投资，有误的请改正月报后重新报送"
    else:
        sent = (
            f"已入库的月报截至{latest}月" if latest is not None else "尚未收到该项目本年度的投资完成情况月报"
        )
        why = f"{sent}，没有{month}月的投资完成情况月报可据以计算{month}月的预警"
        fix = f"请报送该项目{year}年1-{month}月（截至{month}月）的投资完成情况月报"
    message = f"{said}；{why}，本表填报的预警无从核对。"
    fix += "。本表填报的预警照录，年度报告的预警灯按月报计算，并在数据质量提示中列出本表填报的预警无从核对"
    return message, f"按投资完成情况月报计算的{month}月预警（无从计算）", fix


def light_differences(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Return the warnings, as ops.validation_issues rows, for every form whose stated light is milder or harsher than
    the computed one, or is a light where none is computed."""
    return [_issue(row) for row in con.execute(_DIFFERING).fetchall()]
