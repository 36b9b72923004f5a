"""Read one row's cells into typed values, telling the clerk of each cell that cannot be read."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from pipeline.cell_refs import range_text
from pipeline.date_values import DatedMonth
from pipeline.enum_prose import keep_words, read_words
from pipeline.indicator_targets import TargetPartError, joined_target, stated_in_cell
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry import Registry
from pipeline.sheet_columns import SheetColumns
from pipeline.sheet_units import convert_by_row_unit, kept_as_written
from pipeline.text import squash
from pipeline.ticks import read_ticks
from pipeline.values import (
    _CACHED_LENGTH,
    COLUMN_UNIT,
    EXCEL_ERRORS,
    CellError,
    Noted,
    _blank_short,
    formula_error,
    is_blank,
)

# A number typed with separators or ending in a unit (`1,000`, `200户`) is kept as typed, to be quoted so; one ending
# in a digit and without a comma reads back as typed (a check per cell, on every row: kept to two string tests).
_NUMBERS = (int, Decimal)


def read_row(
    sheet: ParsedSheet,
    row: list[object],
    excel_row: int,
    is_total: bool,
    columns: SheetColumns,
    registry: Registry,
) -> tuple[dict[str, object], set[str]]:
    """Return a row's values by column name (a 合计's amounts only) and the columns whose cell failed."""
    values, failed = {}, set()
    kept: list[tuple] = []  # enum cells' words kept in another column (`enum_prose`)
    typed: dict[str, str] | None = None  # made only for a row with a number typed otherwise than bare digits
    width = len(row)
    for name, position, parse, binding in columns.total_cells if is_total else columns.data_cells:
        raw = row[position] if position < width else None
        # A number is never blank; a short text's answer is remembered (is_blank's own test, its call saved).
        if raw is None or (
            isinstance(raw, str) and (_blank_short(raw) if len(raw) <= _CACHED_LENGTH else is_blank(raw))
        ):
            values[name] = None
            continue
        try:
            value = parse(raw)
            # A text column keeps #N/A as text; a number column has refused it already, in its own words.
            if raw.__class__ is str and raw.strip() in EXCEL_ERRORS:
                raise formula_error("不能是公式错误值")
        except CellError as exc:
            values[name] = None
            # `无偏差`, or a sentence where a cause is chosen: read so, not refused (an error path only: no cost).
            column = binding.column
            if (column.blank_words or column.prose_to) and (said := read_words(raw, column)) is not None:
                values[name], words = said
                if words:
                    kept.append((column, binding.header, raw, words))
                continue
            failed.add(name)
            if columns.filled and (excel_row - 1, position) in columns.filled:
                continue  # the merge's value, told at its first row
            sheet.error(
                rule=exc.rule,
                excel_row=excel_row,
                header=binding.header,
                value=raw,
                expected=exc.expected + _merge_note(columns, excel_row - 1, position),
                fix=exc.fix,
            )
            continue
        if isinstance(value, Noted):
            if not columns.filled or (excel_row - 1, position) not in columns.filled:
                note = _merge_note(columns, excel_row - 1, position)
                expected = value.expected
                if value.rule == "unit_in_cell" and name in columns.unit_places:
                    # 与本列的单位“万元”不同: the header's （万元） or the `单位：万元` line? The clerk corrects one.
                    expected = expected.replace(COLUMN_UNIT, f"{columns.unit_places[name]}注明的本列单位")
                sheet.warn(
                    replace(value, expected=expected + note),
                    excel_row=excel_row,
                    header=binding.header,
                    value=raw,
                )
            value = value.value
        elif value.__class__ is DatedMonth:
            sheet.dated_months[excel_row, name] = (value, raw)
            value = value.month
        if value.__class__ is str and raw.__class__ is str and value != raw and value != (raw := raw.strip()):
            sheet.written_text[excel_row, name] = raw
        elif raw.__class__ is str and value.__class__ in _NUMBERS and ("," in raw or not raw[-1:].isdigit()):
            typed = typed or {}
            typed[name] = raw.strip()
        values[name] = value
    for binding in () if is_total else columns.tick_groups:
        name = binding.column.name
        values[name], errors = read_ticks(row, binding.column, binding.header, binding.ticks)
        if errors:
            failed.add(name)
        for error in errors:
            sheet.error(
                rule=error.rule,
                excel_row=excel_row,
                header=error.header,
                value=error.value,
                expected=error.expected,
                fix=error.fix,
            )
    if kept:
        keep_words(sheet, values, excel_row, kept)
    if sheet.template.target_parts is not None and not is_total:
        _join_target_parts(sheet, excel_row, values, failed, columns)
    if sheet.template.row_unit is not None:
        _convert_by_row_unit(sheet, row, excel_row, values, failed, columns, registry)
    # Kept with the value finally read: converted by its row's unit, if it was.
    if typed:
        for name, text in typed.items():
            sheet.written_numbers[excel_row, name] = (text, values[name])
    return values, failed


def _merge_note(columns: SheetColumns, index: int, position: int) -> str:
    """Say that a cell heads a merge whose rows all read its value, naming the range; empty if it heads none."""
    if not columns.filled:
        return ""
    merge = next((m for (_, at), m in columns.filled.items() if at == position and m[0][0] == index), None)
    if merge is None:
        return ""
    (top, _), (bottom, _) = merge
    return f"（{range_text(merge)}是合并单元格，第{top + 1}至{bottom + 1}行都按此值读取，此处一并说明）"


def _join_target_parts(
    sheet: ParsedSheet, excel_row: int, values: dict[str, object], failed: set[str], columns: SheetColumns
) -> None:
    """Write into a row's target the comparison and unit its layout states in columns of their own (指标性质,
    度量单位); where they cannot be read or contradict it, tell so and leave the target as written."""
    rule = sheet.template.target_parts
    target = columns.by_name.get(rule.target)
    operator, unit = columns.by_name.get(rule.operator), columns.by_name.get(rule.unit)
    if target is None or failed & {rule.target, rule.operator, rule.unit}:
        return
    written, stated = values[rule.target], values.get(rule.operator)
    # `定性：优` in the cell says what a 指标性质 column would: read so where that column says nothing else.
    in_cell = stated_in_cell(written)
    if in_cell is not None and (not stated or squash(str(stated)) == in_cell[0]):
        stated, written = in_cell
        operator = target
    elif operator is None and unit is None:
        return
    headers = (target.header, operator.header if operator else "", unit.header if unit else "")
    try:
        values[rule.target] = joined_target(written, stated, values.get(rule.unit), headers)
    except TargetPartError as exc:
        at = unit if exc.in_unit else operator
        sheet.error(
            rule=exc.rule,
            excel_row=excel_row,
            header=at.header,
            value=values[at.column.name],
            expected=exc.expected,
            fix=exc.fix,
        )
        # Left as written, not blanked: blank, the suites told the clerk its filled cell was 未填写 too.
        failed.add(rule.target)


def _convert_by_row_unit(
    sheet: ParsedSheet,
    row: list[object],
    excel_row: int,
    values: dict[str, object],
    failed: set[str],
    columns: SheetColumns,
    registry: Registry,
) -> None:
    """Convert a row's quantity by the unit its row names, kept on the sheet; blank it if it cannot be."""
    row_unit_rule = sheet.template.row_unit
    try:
        if (converted := convert_by_row_unit(values, sheet.template, registry)) is not None:
            sheet.row_units[excel_row, row_unit_rule.value] = converted
        elif (kept := kept_as_written(values, sheet.template, registry)) is not None:
            binding = columns.by_name.get(row_unit_rule.unit) or columns.by_name[row_unit_rule.value]
            sheet.warn(kept, excel_row=excel_row, header=binding.header, value=row[binding.index])
    except CellError as exc:
        # A unit that cannot be converted is the 单位 cell's fault; a quantity's own unit, the quantity's.
        binding = columns.by_name.get(row_unit_rule.unit if exc.rule == "unit" else row_unit_rule.value)
        binding = binding or columns.by_name[row_unit_rule.value]
        sheet.error(
            rule=exc.rule,
            excel_row=excel_row,
            header=binding.header,
            value=row[binding.index],
            expected=exc.expected,
            fix=exc.fix,
        )
        values[row_unit_rule.value] = None
        failed.add(row_unit_rule.value)
