"""Tell of each cell read empty that holds a formula saved without its result."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from pipeline.formulas import unsaved_formulas
from pipeline.header_warnings import warn_on_header
from pipeline.problems import Severity

if TYPE_CHECKING:
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.xlsx_parts import OpenXlsx

_UNSAVED_EXPECTED = "该单元格是公式，但文件中没有保存公式的计算结果（由程序生成或未重新计算），读取时为空"
_UNSAVED_FIX = "请在Excel或WPS中打开该文件并保存后重新报送，或把公式改为数值"
# An .xls formula record holding an empty result is either a formula never computed (a program wrote the file) or
# one Excel computed to the empty string (`=IF(…,"",…)`): the record cannot tell, so the clerk is asked, not refused.
_XLS_EXPECTED = "该单元格是公式，文件中保存的计算结果为空，已按空白读取（由程序生成而未在Excel或WPS中重新计算的文件也是这样）"
_XLS_FIX = "如该单元格在Excel或WPS中显示有数值，请打开文件保存后重新报送；确为空白则无需处理"
_XLS_REQUIRED_FIX = "请填写该单元格；如它在Excel或WPS中显示有数值，请打开文件保存后重新报送"
_TOTAL_EXPECTED = "该合计单元格是公式，但文件中没有保存计算结果，无法与明细行之和核对；明细行已按填写读取"
_TOTAL_FIX = "请在Excel或WPS中打开该文件并保存后重新报送，以便核对合计数"


# The lines above a table read blank (`年度：` and nothing after it), by their key in SheetMeta.rows.
_BLANK_LINES = frozenset({"unit_blank", "year_blank", "project_blank"})
_ROW = re.compile(r"^[A-Z]+")


def _name_unsaved_formulas(
    content: bytes, sheets: list[ParsedSheet], kind: str = "xlsx", xlsx: OpenXlsx | None = None
) -> None:
    """Tell of a cell read empty that holds a formula saved without its result: the clerk sees a number there.

    A required one is already an error (`required`), told why; an optional one read as blank would be counted as
    nothing (a 基本满意 of `=B4-C4-E4` as 0), so it is an error of its own (`formula_unsaved`). So is a form's field
    (全年执行数, 执行率, 总分's 得分): read as blank, the form's own figures would be lost and its 执行率 scored 0.
    """
    # An .xlsx's formula saved without its result is sure; an .xls's may be Excel's computed empty string.
    sure = kind != "xls"
    for sheet in sheets:
        empty = [
            i
            for i, p in enumerate(sheet.problems)
            if p.rule == "required" and p.excel_row and p.value is None
        ]
        optional = [b for b in sheet.bindings if not b.column.required and not b.ticks]
        blanks = [(r, b) for r in sheet.records for b in optional if r.get(b.column.name) is None]
        lines = [row for key, row in sheet.meta.rows.items() if key in _BLANK_LINES]
        wanted = empty or blanks or sheet.blank_fields or sheet.blank_totals or lines
        formulas = unsaved_formulas(content, sheet.name, kind, xlsx) if wanted else set()
        if not formulas:
            continue
        if sure:
            # Told when the file's year, unit or project is settled, as no value read from a formula.
            sheet.meta.unsaved_rows |= {
                row for row in lines if any(_ROW.sub("", ref) == str(row) for ref in formulas)
            }
        letters = {b.header: b.letter for b in sheet.bindings}
        for index in empty:
            problem = sheet.problems[index]
            if f"{letters.get(problem.column_header)}{problem.excel_row}" not in formulas:
                continue
            expected, fix = (_UNSAVED_EXPECTED, _UNSAVED_FIX) if sure else (_XLS_EXPECTED, _XLS_REQUIRED_FIX)
            sheet.problems[index] = dataclasses.replace(
                problem,
                message_zh=f"第{problem.excel_row}行「{problem.column_header}」：{expected}，{fix}。",
                expected=expected,
                fix=fix,
            )
        for record, binding in blanks:
            if f"{binding.letter}{record['excel_row']}" in formulas:
                _unsaved(sheet, record["excel_row"], binding.header, sure)
        for excel_row, letter, header in sheet.blank_fields:
            if f"{letter}{excel_row}" not in formulas:
                continue
            # A warning of the cell as left blank (执行率 未填写) would tell the clerk something they cannot see.
            sheet.problems = [
                p for p in sheet.problems if (p.excel_row, p.column_header) != (excel_row, header)
            ]
            _unsaved(sheet, excel_row, header, sure)
        for excel_row, letter, header in sheet.blank_totals:
            if f"{letter}{excel_row}" in formulas:
                # A form's 年度资金总额 read from the rows under it was told as left blank: the clerk sees a figure.
                sheet.problems = [
                    p
                    for p in sheet.problems
                    if (p.rule, p.excel_row, p.column_header) != ("total_row_from_parts", excel_row, header)
                ]
                # Its rows are read and stored; only the check against them could not be made. Said, not silent.
                warn_on_header(
                    sheet,
                    header,
                    rule="total_unsaved",
                    expected=_TOTAL_EXPECTED,
                    fix=_TOTAL_FIX,
                    severity=Severity.WARNING,
                    row=excel_row,
                )


def _unsaved(sheet: ParsedSheet, excel_row: int, header: str, sure: bool) -> None:
    """Tell of an optional cell or a form's field read blank for a formula: refused when sure, else asked."""
    warn_on_header(
        sheet,
        header,
        rule="formula_unsaved",
        expected=_UNSAVED_EXPECTED if sure else _XLS_EXPECTED,
        fix=_UNSAVED_FIX if sure else _XLS_FIX,
        severity=Severity.ERROR if sure else Severity.WARNING,
        row=excel_row,
    )
