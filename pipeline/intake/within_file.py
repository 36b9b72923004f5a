"""Reject a sheet or row that another sheet of its own file already holds for the same project and period."""

from __future__ import annotations

from pipeline.intake.periods import _Period, _period, _periods, said_when
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, row_value_problem
from pipeline.registry import Registry


def flag_second_forms(files: list[ParsedFile]) -> None:
    """Reject a sheet of a form (`one_sheet_per_slice`) for a project and period an earlier sheet of its file holds."""
    for file in files:
        first: dict[_Period, ParsedSheet] = {}
        for sheet in file.sheets:
            if not sheet.template.one_sheet_per_slice:
                continue
            for period, record in _periods(sheet).items():
                earlier = first.setdefault(period, sheet)
                if earlier is not sheet:
                    file.problems.append(_second_form(sheet, earlier, record, period))


def _second_form(sheet: ParsedSheet, earlier: ParsedSheet, record: dict, period: _Period) -> Problem:
    when = said_when(*period[2:])
    expected = (
        f"工作表“{sheet.name}”与工作表“{earlier.name}”都是项目“{record.get('project_name')}”{when}的"
        f"{sheet.template.name_zh}，两份都计入会重复计算"
    )
    fix = "同一文件中每个项目每期只能有一份，请删去草稿或旧版的工作表，只保留定稿后重新报送"
    return Problem(
        Severity.ERROR,
        "second_form",
        f"{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=record.get("excel_row"),
        value=earlier.name,
        expected=expected,
        fix=fix,
    )


def flag_repeated_across_sheets(registry: Registry, files: list[ParsedFile]) -> None:
    """Reject a row whose unique value (a 小区名称) another sheet of its file already lists for the same project
    and period: both sheets are stored in the one slice, and the row would be counted twice (a 汇总 sheet copying
    the 清单). Within one sheet the template's suite checks the same."""
    unique = {t.id: c.name for t in registry.templates.values() for c in t.columns if c.unique}
    for file in files:
        first: dict[tuple[_Period, str], tuple[ParsedSheet, dict]] = {}
        for sheet in file.sheets:
            column = unique.get(sheet.template.id)
            if column is None:
                continue
            with_month = "month" in sheet.template.slice
            for record in sheet.records:
                period = _period(sheet.template.id, record, with_month)
                if period is None or record.get(column) is None:
                    continue
                earlier = first.setdefault((period, str(record[column])), (sheet, record))
                if earlier[0] is not sheet:
                    file.problems.append(_repeated(sheet, record, column, *earlier, period))


def _repeated(
    sheet: ParsedSheet, record: dict, column: str, earlier: ParsedSheet, first: dict, period: _Period
) -> Problem:
    when = said_when(*period[2:])
    header = sheet.header_of(column)
    value = record[column]
    expected = (
        f"{header}“{value}”已在本文件工作表“{earlier.name}”第{first['excel_row']}行填写，两张工作表都是项目"
        f"“{record.get('project_name')}”{when}的{sheet.template.name_zh}，都计入会重复计算"
    )
    fix = "请删去重复的行；如其中一张工作表只是另一张的副本或汇总，请删去该工作表后重新报送"
    return row_value_problem(
        "repeated_in_file",
        Severity.ERROR,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=header,
        value=str(value),
        expected=expected,
        fix=fix,
    )
