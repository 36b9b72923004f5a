"""Lay out the report workbook's tables: the summary and each project's 绩效目标及自评表."""

from __future__ import annotations

from pipeline.report_context import Context
from pipeline.report_model import Table
from pipeline.report_view import ProjectView


def workbook_tables(context: Context) -> tuple[Table, ...]:
    """Return the tables the .xlsx holds: the summary, then each project's indicators (附表n)."""
    summary = Table(
        "表1 项目绩效评价结果汇总",
        # The workbook's cells are bare numbers: the header names their unit, as the page's cells do.
        (
            "项目名称",
            "计划总投资（万元）",
            "完成投资（万元）",
            "资金支付率",
            "自评得分（分）",
            "评价等级",
            "最高预警",
        ),
        tuple(
            (
                p.name,
                *(
                    p.fig(key)
                    for key in (
                        "planned_total_investment_wan",
                        "completed_investment_wan",
                        "payment_rate",
                        "self_evaluation_score",
                        "grade",
                        "worst_light",
                    )
                ),
            )
            for p in context.projects
        ),  # fmt: skip
        "汇总",
    )
    return (summary, *(indicator_table(p) for p in context.projects))


def indicator_table(p: ProjectView) -> Table:
    """Return a project's 绩效目标及自评表 for the workbook, with the unit's own scores where its 自评表 states them."""
    header: tuple[str, ...] = ("三级指标", "年度指标值", "实际完成值", "分值", "得分")
    caption = f"附表{p.number} {p.name}绩效目标及自评表"
    targets = p.each("indicator_target")
    if not targets:
        # The page and the Word file print the 附表 with why it is empty (未报送, or returned): so does the workbook,
        # where a missing sheet left 附表1 to be taken for lost.
        note = (p.unsent("performance_targets"), *("" for _ in header[1:]))
        return Table(caption, header, (note,), f"附表{p.number}", p.number)
    rows = [
        (
            t.detail,
            t,
            *(p.fig(key, t.detail) for key in ("indicator_actual", "indicator_weight", "indicator_score")),
        )
        for t in targets
    ]
    rows.append(("自评得分", None, None, None, p.fig("self_evaluation_score")))
    rows.append(("评价等级", None, None, None, p.fig("grade")))
    if p.each("indicator_reported_score") or p.fig("reported_self_evaluation_score"):
        own = [p.fig("indicator_reported_score", t.detail) for t in targets]
        own += [p.fig("reported_self_evaluation_score"), None]
        rows = [(*row, score) for row, score in zip(rows, own, strict=True)]
        header = (*header[:4], "得分（按数据计算）", "单位自评得分")
    return Table(caption, header, tuple(rows), f"附表{p.number}", p.number)
