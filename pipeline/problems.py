"""Problems found in a submission, worded for the clerk who has to fix them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# What each rule checks, as a receipt names it for the clerk.
RULE_ZH = {
    "unreadable": "文件无法读取",
    "truncated": "文件未传完整",
    "empty": "文件为空",
    "no_rows": "没有数据行",
    "too_large": "超出处理上限",
    "unknown_template": "无法识别的报表模板",
    "template_tied": "报表模板无法确定",
    "unmatched_sheet": "多余的工作表",
    "unit_unknown": "填报单位不明",
    "unit_mismatch": "填报单位与报送文件夹不符",
    "unit_ambiguous": "单位名称有歧义",
    "unit_several": "填报单位写了多个单位",
    "unit_extra": "填报单位后有多余文字",
    "unit_short_name": "单位简称按登记的实施单位读取",
    "unit_in_title": "标题或文件名写的是其他单位",
    "hidden_sheet": "隐藏的工作表未读取",
    "unit": "计量单位不明",
    "unit_assumed": "表头未注明计量单位",
    "unit_below_table": "单位写在表格下方",
    "unit_beside_table": "单位写在表格右侧",
    "unit_column": "另列填写的单位未读取",
    "unit_conflict": "表头单位与单位行不一致",
    "unit_in_cell": "单元格注明的单位与本列不同",
    "count_word": "数目所用量词与本列不同",
    "unit_price": "单位行写的是单价的单位",
    "year_unknown": "报表年度不明",
    "year_span": "年度不一致",
    "year_conflict": "年度前后不一致",
    "months_title": "标题与表头的截至月份不一致",
    "month_title": "标题与表中月份不一致",
    "months_filename": "文件名与表头的截至月份不一致",
    "months_filed": "填报时表头的截至月份尚未结束",
    "year_range": "年度超出范围",
    "year_from_date": "报表年度取自日期",
    "project_unknown": "项目名称不明",
    "missing_column": "缺少必填列",
    "required": "必填项为空",
    "merged_amount": "合并单元格的数值只计入首行",
    "merged_row_joined": "合并单元格下一行的文字已并入上一行",
    "struck_row": "数据行设置了删除线",
    "voided_row": "备注注明该行作废",
    "voided_row_maybe": "备注可能表示该行作废",
    "type": "填写格式不符",
    "formula_error": "公式错误值",
    "separator": "千分位分隔符位置不对",
    "quantity_unit": "数量所带单位与单位列不符",
    "unit_as_written": "单位没有确切的换算系数，数量按所写保存",
    "precision": "数值精度不符",
    "negative": "数量或金额为负数",
    "enum": "不在可选值范围内",
    "enum_ambiguous": "填写的值含义不明确",
    "tick_mark": "勾选标记无法识别",
    "tick_several": "只能勾选一项却勾选了多项",
    "percent_ambiguous": "百分比读法不明确",
    "percent_fraction": "百分比疑为小数误加百分号",
    "indicator_value": "指标值不是确切的数值",
    "indicator_unit": "实际完成值与指标值单位不一致",
    "indicator_unit_assumed": "指标值未写单位",
    "indicator_scale": "指标值与完成值写法不一致",
    "indicator_bound": "实际完成值不是确切的数值",
    "indicator_not_number": "实际完成值不是数值",
    "indicator_blank": "实际完成值未填写",
    "indicator_outcome_word": "数值指标按完成情况计分",
    "indicator_zero_target": "指标值为0未写比较方式",
    "indicator_bare_cost": "成本指标的金额未写比较方式，按不低于计分",
    "indicator_strict": "指标值为严格比较，按含本数计分",
    "indicator_parts": "指标值的比较方式或单位列有误",
    "plan_zero": "年度计划投资为0",
    "indicator_qualitative": "定性指标完成情况无法判定",
    "month_range": "月份超出1至12",
    "month_year_mismatch": "月份中的年份与年度不一致",
    "month_with_day": "月份填写为具体日期",
    "unique_compound": "小区名称重复",
    "unique_month": "月份重复",
    "unique_respondent": "调查对象重复",
    "second_table": "一张工作表中有两张表",
    "data_after_footer": "表尾说明之下还有数据行",
    "data_after_total": "合计行之下还有数据行",
    "csv_fields": "CSV行的栏数多于表头",
    "later_month_in_force": "此前报送的更晚月份仍然有效",
    "part_without_parent": "“其中”行没有所属的行",
    "planned_total_differs": "计划总投资与其他单位登记的不一致",
    "repeated_column": "表头重复",
    "unread_column": "表头未识别，该列未读取",
    # Split from unread_column (session 82; stored ones recoded where their words prove it, `unread_recode`): these
    # two may leave a figure short.
    "unread_lookalike_column": "表头与本表的栏目相近而不同，该列未读取",
    "unread_finer_column": "表头含所读栏目的名称，该列的数未读取",
    "total_mismatch": "合计与明细之和不符",
    "unlabelled_total": "未写明的合计行",
    "total_word_in_note": "明细行的说明中有“合计”等字样",
    "part_total": "分类合计行未核对",
    "group_heading": "分组标题行未入库",
    "unfilled_months": "以后月份的空行未入库",
    "months_after_title": "所报月份以后填0的月份未入库",
    "month_not_begun": "尚未开始的月份填写了完成数",
    "repeated_header": "重复的表头行未入库",
    "planned_dates_reversed": "计划完工日期早于计划开工日期",
    "dates_reversed": "完工日期早于开工日期",
    "scaled_format": "数字格式使所见数值与所填不同",
    "satisfaction_sum": "满意度问卷数不平衡",
    "satisfaction_mismatch": "填写的满意度与问卷份数不符",
    "rate_unread": "填写的比率不是确切的百分比，未读取",
    "weight_total": "指标分值合计不等于90",
    "unknown_project": "项目名称未在项目基本信息表中登记",
    "project_ambiguous": "项目名称对应多个项目",
    "not_implementing_unit": "非项目实施单位报送",
    "beside_other_unit": "另有单位报送同一项目同一期间的数据",
    "form_beside_other_unit": "另有单位报送同一项目同一期间的自评表或监控表",
    "listed_by_other_unit": "另有单位的报表已列有同一行",
    "took_other_unit_list": "实施单位的清单替代了其他单位所报的同一项目清单",
    "listed_in_other_project": "同一行也列在另一项目的清单中",
    "second_form": "同一文件中有两份同一项目同期的表",
    "same_name_twin": "收件箱中另有同名而内容不同的文件",
    "name_not_text": "文件名含有不是文字的字节或控制字符",
    "odd_modified_time": "同一数据的两份文件孰先孰后取决于不合常理的修改时间",
    "same_as_other_year": "各行数据与本单位另一年度的报表完全相同",
    "project_code_reused": "项目编码重复使用",
    "project_recoded": "项目已以另一编码登记",
    "project_code_derived_duplicate": "同名项目未填项目编码",
    "project_span": "报表年度超出项目计划实施期",
    "part_exceeds_row": "“其中”项超过所属行",
    "part_unit": "“其中”项单位与所属行不同",
    "cumulative_mismatch": "累计完成投资与各月之和不符",
    "cost_unit": "投资构成的单位不是金额",
    "cost_vs_total": "投资构成合计与计划总投资不符",
    "exceeds_planned_total": "金额超过项目计划总投资",
    "exceeds_planned_tenfold": "金额超过项目计划总投资十倍",
    "amount_implausible": "金额异常大",
    "area_implausible": "每户面积不合常理，疑似面积单位填错",
    "area_impossible": "每户面积不可能，面积或户数填错",
    "negative_list": "支出用途属于负面清单",
    "no_responses": "有效问卷数为0",
    "paid_exceeds_received": "累计支付超过累计到位",
    "points_mismatch": "一级指标标注的分值与各指标分值之和不符",
    "score_above_points": "自评得分超过分值",
    "total_score_mismatch": "总分与各项得分之和不符",
    "rate_mismatch": "执行率与执行数、预算数不符",
    "rate_blank": "执行率未填写",
    "executed_exceeds_budget": "执行数超过预算数",
    "total_row_from_parts": "资金总额行未填，已按其下分项行读取",
    "total_row_parts_unclear": "资金总额行未填，其下分项无法确定合计",
    "cumulative_stale": "更正后其他月份的累计不再相符",
    "project_left_in_force": "被替代文件中本表未列的项目仍然有效",
    "earlier_dates_dropped": "被替代文件中较早日期的数据不再计入",
    "later_dates_dropped": "被替代文件中较晚日期的数据不再计入",
    "months_dropped": "被替代文件中本表缺少的月份的数据不再计入",
    "whole_list_replaced": "被替代的表中本表未列出的行不再计入",
    "part_dropped": "被替代的表中本表未含的部分不再计入",
    "breakdown_row": "“其中”分项行单列",
    "formula_unsaved": "公式未保存计算结果",
    "total_unsaved": "合计行公式未保存结果，未能核对",
    "repeated_in_file": "同一文件的两张工作表重复填写",
    "summary_sheet": "汇总工作表与明细一致，未重复计入",
    "copied_sheet": "工作表各行与其他工作表重复，未重复计入",
    "hidden_rows": "隐藏行的数据已计入",
    "hidden_columns": "隐藏列的数据已计入",
    "duplicate_row": "两行内容完全相同",
    "stated_score_differs": "自评得分与按规则计算的得分不符",
    "stated_total_differs": "自评总分与按规则计算的总分不符",
    "stated_rate_differs": "填报的执行率与资金台账不符",
    "stated_actual_differs": "填报的实际完成值与已入库数据不符",
    "stated_grade_differs": "自评等级与按计算总分评定的等级不符",
    "stated_light_milder": "自报的预警轻于按月报计算的预警",
    "stated_light_harsher": "自报的预警重于按月报计算的预警",
    "stated_light_uncomputed": "自报的预警没有月报可据以核对",
    "unread_header": "表头未能识别",
    "unread_block": "表单数据块未能读取",
    "deviation_unexplained": "资金执行偏差未说明原因",
    "months_mismatch": "表头的截至月份不一致",
    "header_year": "表头中的年份与报表年度不一致",
    "prose_kept": "原因类别栏填写了说明文字，已作为原因说明保留",
    "compared_unread": "仅供核对的一项未能读取，未作核对",
    "carried_differs": "总分后注明的等级与本表自评等级栏不一致",
    "merges_carried": "空白的一级、二级指标按上方读取",
}

# The warnings that leave a figure of the report possibly wrong, each with the family the report's 数据质量提示
# words it as (templates/report): while the file warned is in force, the report names the project. A family says
# what may be off: `other_year` rows copied from another year; `left_in_force` a resent whole-year form left out
# projects whose earlier rows still count (the project is one the warning names, held by an earlier file);
# `replaced` earlier rows dropped by a resent form; `area` an area in the wrong unit; `cumulative` a 累计完成投资 off
# the sum of its months' 本月 (the completion rate and the lights are computed from it); `stale_cumulative` the
# same of a month sent earlier, once a correction changed an earlier 本月; `later_month` a later month an
# earlier file holds, read as the latest though the correction stops before it; `stated_rate` a form's
# 执行率 off its own 执行数 ÷ 预算数 where the written one is what the report uses (the 运行监控表 always, the 自评表
# where no ledger gives the rate: `report_quality.open_warnings`); `duplicate` a ledger row the same as another
# in every column, both counted; `written_rate` a 满意度 written beside its counts that they do not give (the report
# computes it from the counts, which may be the figures off); `unread_rate` one written inexactly (`约95%`, `较高`), so
# the counts the report computes it from went unchecked; `percent_fraction` a percentage at most 1 % against a
# target of 50 % or more, kept as read though most likely its fraction with `%` after it (`0.95%` for 95 %);
# `unjudged` a qualitative indicator's 实际完成值 no wording maps, scored 0 (a total short for want of words, not of
# work); `outcome_word` a numeric indicator's 实际完成值 written as words (`达成`), scored as them with no figure to
# hold to its target; `other_project` a compound listed figure for figure under another project too, counted in
# both; `over_budget` a 自评表's 全年执行数 above its 全年预算数, one of them likely off, the 执行率 over 100 % scoring
# full marks where no ledger gives the rate (`report_quality.open_warnings`); `scale` a 建设规模及投资构成 row printed
# as written though unchecked or off (a 其中 in another unit than its row, a cost not in money, costs not adding up to
# 计划总投资); `year` a year stated on a sheet (a title, a `年度：` line, the file name, dates) other than the one taken,
# its figures filed under the year taken; `title_month` a monthly form's title or name naming a month none of its rows
# is of, its rows filed under their own; `unsaved` an .xls cell or a 合计 row of formulas saved without results, read
# blank or left unchecked; `file` a file whose figures stand over another's it may not be meant to (a hidden sheet of
# the same form unread, a twin under the same name, an order resting on an implausible modified time); `unread` a
# filled column left unread that the form's own column may have meant (a look-alike of a column not found, left
# empty; a finer grade's counts, `非常满意` beside `满意`, left out of the column read); `reading`
# a value read one of two ways (a cost's bare amount scored as a floor; a CSV's or unmerged form's blank 一级/二级指标 read as the one above: a wrong carry counts a row's 分值 and score
# under another indicator; a 月报's 0s after its title's `1-N月` passed over as months to come; a row a remark may void,
# counted; an 实际完成值 read in its target's unit or scale; a month written as a day; a 运行监控表's 1-N月 taken from
# its headers over a title or file name naming other months; a year taken from a date, often the year after).
# Written to config.figure_warnings for mart.open_warnings.
FIGURE_WARNINGS = {
    "same_as_other_year": "other_year",
    "project_left_in_force": "left_in_force",
    "earlier_dates_dropped": "replaced",
    "later_dates_dropped": "replaced",
    "months_dropped": "replaced",
    "whole_list_replaced": "replaced",
    "part_dropped": "replaced",
    "area_implausible": "area",
    "cumulative_mismatch": "cumulative",
    "cumulative_stale": "stale_cumulative",
    "later_month_in_force": "later_month",
    "rate_mismatch": "stated_rate",
    "duplicate_row": "duplicate",
    "satisfaction_mismatch": "written_rate",
    "rate_unread": "unread_rate",
    "percent_fraction": "percent_fraction",
    "indicator_qualitative": "unjudged",
    "indicator_outcome_word": "outcome_word",
    "listed_in_other_project": "other_project",
    "executed_exceeds_budget": "over_budget",
    "part_unit": "scale",
    "cost_unit": "scale",
    "cost_vs_total": "scale",
    "year_conflict": "year",
    "month_title": "title_month",
    "formula_unsaved": "unsaved",
    "total_unsaved": "unsaved",
    "hidden_sheet": "file",
    "same_name_twin": "file",
    "odd_modified_time": "file",
    "unread_lookalike_column": "unread",
    "unread_finer_column": "unread",
    "total_row_from_parts": "reading",
    "months_after_title": "reading",
    "total_row_parts_unclear": "reading",
    "percent_ambiguous": "reading",
    "unit_conflict": "reading",
    "unit_in_cell": "reading",
    "count_word": "reading",
    "unit_price": "reading",
    "unit_assumed": "reading",
    "unit_short_name": "reading",
    "hidden_rows": "reading",
    "hidden_columns": "reading",
    "merged_amount": "reading",
    "merged_row_joined": "reading",
    "total_word_in_note": "reading",
    "indicator_unit_assumed": "reading",
    "indicator_zero_target": "reading",
    "indicator_bare_cost": "reading",
    "merges_carried": "reading",
    "voided_row_maybe": "reading",
    "indicator_scale": "reading",
    "month_with_day": "reading",
    "months_title": "reading",
    "months_filename": "reading",
    "months_filed": "reading",
    "year_from_date": "reading",
    "planned_total_differs": "reading",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where it is (sheet, Excel row, header as written), what was found and how to fix it."""

    severity: Severity
    rule: str
    message_zh: str
    sheet: str | None = None
    excel_row: int | None = None
    column_header: str | None = None
    value: str | None = None
    expected: str | None = None
    fix: str | None = None
    # The other files it is about: submission ids, or ("run", id of the ParsedFile) for a file of the same run, not
    # yet numbered. Once none of them is in force the warning no longer applies, and its receipt says so
    # (`intake.retell.retell_issues`).
    named: tuple[object, ...] = ()


def describe_cell(
    excel_row: int | None, header: str | None, value: str | None, expected: str, fix: str
) -> str:
    """Word a cell problem the way a clerk reads it: 第7行「惠及户数（户）」填写为“约200”，应为…，请…。"""
    where = f"第{excel_row}行" if excel_row else ""
    if header:
        where += f"「{header}」"
    found = "未填写" if value in (None, "") else f"填写为“{value}”"
    return f"{where}{found}，{expected}，{fix}。"


def cell_problem(
    rule: str,
    *,
    sheet: str | None,
    excel_row: int | None,
    header: str | None,
    value: object,
    expected: str,
    fix: str,
    severity: Severity = Severity.ERROR,
) -> Problem:
    """Build the problem for one cell, with its Chinese message."""
    shown = None if value is None else display(value)
    return Problem(
        severity=severity,
        rule=rule,
        message_zh=describe_cell(excel_row, header, shown, expected, fix),
        sheet=sheet,
        excel_row=excel_row,
        column_header=header,
        value=shown,
        expected=expected,
        fix=fix,
    )


def row_problem(
    rule: str,
    *,
    sheet: str | None,
    excel_row: int | None,
    expected: str,
    fix: str,
    severity: Severity = Severity.ERROR,
) -> Problem:
    """Build the problem of a row or a stretch of rows, not of one cell: what was found, then how to fix it."""
    return Problem(
        severity, rule, f"{expected}，{fix}。", sheet=sheet, excel_row=excel_row, expected=expected, fix=fix
    )


def row_value_problem(
    rule: str,
    severity: Severity,
    *,
    sheet: str | None,
    excel_row: int,
    header: str | None,
    value: str | None,
    expected: str,
    fix: str,
    named: tuple[object, ...] = (),
) -> Problem:
    """Build the problem of a row's value that its words name themselves (found elsewhere too, dropped, replaced):
    第N行, what was found, then how to fix it; unlike `cell_problem`, the value is not quoted as typed."""
    return Problem(
        severity,
        rule,
        f"第{excel_row}行{expected}，{fix}。",
        sheet=sheet,
        excel_row=excel_row,
        column_header=header,
        value=value,
        expected=expected,
        fix=fix,
        named=named,
    )


def sheet_named(sheet: str | None, message: str) -> str:
    """Return the words naming a problem's sheet before its message: none where the message begins with them."""
    # Some messages name their sheet themselves (`工作表“清单”：本表是…替代…`), as the receipt's page shows them
    # beside no sheet column; a line that put the sheet first would name it twice.
    if not sheet:
        return ""
    named = f"工作表“{sheet}”"
    return "" if message.startswith(named) else named


def display(value: object) -> str:
    """Show a cell value as the clerk typed it."""
    if isinstance(value, bool):
        # A logical cell (a check box's) as Excel and WPS show it, and as a CSV saved of it holds it.
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Excel keeps and shows 15 significant digits: 320102202200001234 typed is 320102202200001000, not the float's
        # 1216; a formula's cached 80.30000000000001 shows 80.3; and 0.00005 is no 5e-05.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()
