"""Tell a 运行监控表's sender where the light the unit states is milder than the one the rules compute for its month.

The computed light comes from the 投资完成情况月报, which may arrive on another night: so the warning is settled after
each rebuild with the 自评表's stated figures (`pipeline.stated.settle_stated`), and the form's receipt is written
again. The unit's light is kept as written; the report's lights stay the computed ones.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

from pipeline.problems import display

LIGHT = "stated_light_milder"
LIGHT_RULES = (LIGHT,)
LIGHTS_ZH = {"none": "绿灯", "blue": "蓝灯", "yellow": "黄灯", "red": "红灯"}
LIGHT_FORM = "performance_monitoring"  # the template whose stated light is settled here
# What a dry run (`pipeline check`, the portal) says of such a form: it has no marts to hold the light against.
LIGHT_SETTLED_LATER_ZH = "表中如填报了预警情况，将在正式报送后与按投资完成情况月报计算的预警核对，如轻于计算的预警，将在回执中另行提示。"

# Each form (submission, sheet) whose stated light, the worst of its rows and 项目资金 block, is milder than the
# light mart.monitoring_lights computes for its project and month: the rows stating it, the header of the first
# (the block's cell as ops.sheet_fields names it, else the table's column), the figures the light was computed from,
# the band it fell in and the files it came from.
_MILDER = """
with milder as (
    select
        findings.project_code, findings.year, findings.month, findings.stated_light, findings.progress_light,
        cell.submission_id, cell.sheet, cell.excel_row
    from mart.monitoring_findings as findings, unnest(findings.stated_light_lineage) as listed(cell)
    where findings.stated_light_against_progress = 'milder'
),

forms as (
    select
        project_code, year, month, stated_light, progress_light, submission_id, sheet,
        min(excel_row) as excel_row, list(distinct excel_row order by excel_row) as excel_rows
    from milder
    group by all
),

-- The months' figures and the files they were computed from, each file once.
computed as (
    select
        lights.project_code, lights.year, lights.month, lights.annual_planned_investment_wan,
        lights.cumulative_completed_wan, lights.time_progress, lights.investment_progress, lights.gap_points,
        lights.severity,
        array_to_string(list_sort(list(distinct '《' || submissions.original_name || '》')), '、') as files
    from mart.monitoring_lights as lights, unnest(lights.lineage) as listed(cell)
    inner join ops.submissions on submissions.submission_id = listed.cell.submission_id
    group by all
),

-- The band's lower bound: the widest gap a milder light allows.
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
    forms.excel_rows, forms.month, forms.stated_light, forms.progress_light,
    computed.annual_planned_investment_wan, computed.cumulative_completed_wan, computed.time_progress,
    computed.investment_progress, computed.gap_points, bounds.above_points, computed.files
from forms
inner join computed using (project_code, year, month)
left join bounds on bounds.year = forms.year and bounds.light = forms.progress_light
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
    """Word one form's milder light as a warning row of ops.validation_issues."""
    submission_id, sheet, excel_row, header, column, of_block, rows, month, stated, computed, *rest = row
    plan, cumulative, time_progress, investment_progress, gap, above, files = rest
    stated_zh, computed_zh = LIGHTS_ZH[stated], LIGHTS_ZH[computed]
    where = f"{column or ''}{'列' if column else ''}第{'、'.join(map(str, rows))}行"
    band = f"偏离度超过{display(above)}个百分点为{computed_zh}" if above is not None else f"为{computed_zh}"
    gap_zh = f"{display(gap.quantize(Decimal('0.01')))}个百分点"
    message = (
        f"本表「{header}」（{where}）填报的预警为{stated_zh}，按已入库的{files}计算，{month}月应为{computed_zh}："
        f"截至{month}月累计完成投资{display(cumulative)}万元、年度计划投资{display(plan)}万元，"
        f"投资进度{_percent(investment_progress)}，时间进度{_percent(time_progress)}（{month}/12），"
        f"偏离度{gap_zh}（{band}）；本表填报的预警轻于计算的预警。"
    )
    if of_block:
        # warehouse.md's rules light investment progress alone: the block's light, on its funds, is held against it.
        message += "预警灯按投资进度计算，规则未规定按项目资金执行率计算的预警，项目资金的预警情况与之对照。"

    fix = (
        f"请核对本表的{header}与{files}，以实际情况为准：本表有误的，请改正{header}后重新报送；"
        f"月报有误的，请改正月报后重新报送。本表填报的预警照录，年度报告的预警灯按月报计算，"
        f"并在数据质量提示中列出两者不一致。"
    )
    expected = f"按投资完成情况月报计算的{month}月预警{computed_zh}（偏离度{gap_zh}）"
    return (submission_id, sheet, excel_row, header, stated_zh, "warning", LIGHT, message, expected, fix)


def light_differences(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Return the warnings, as ops.validation_issues rows, for every form whose stated light is milder than the
    computed one."""
    return [_issue(row) for row in con.execute(_MILDER).fetchall()]
