"""Tell a clerk who took an amount back with a negative row (退回, 冲减) how to record it in a way that is read."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, describe_cell, display
from pipeline.registry_columns import ColumnType
from pipeline.text import rows_text
from pipeline.values import CellError, bracketed_negative, decimal_of

# The columns that say which money a row moves: a row taken back has the same project, source and kind.
_SAME_MONEY = (ColumnType.ENUM, ColumnType.NAME)


def explain_negative_amounts(sheet: ParsedSheet) -> None:
    """Reword each `negative` error of a column whose amounts are taken back in place: name the row the negative
    one likely takes back, the amount to write there instead, and that the corrected file replaces the one sent."""
    columns = {c.name: c for c in sheet.template.columns if c.taken_back_in_place}
    if not columns:
        return
    headers = {b.header: b.column.name for b in sheet.bindings if b.column.name in columns}
    records = {r["excel_row"]: r for r in sheet.records}
    for position, problem in enumerate(sheet.problems):
        name = headers.get(problem.column_header) if problem.rule == "negative" else None
        record = records.get(problem.excel_row)
        if name is None or record is None:
            continue  # another rule, or a 合计 row's amount: no row of data to take back
        sheet.problems[position] = _reworded(sheet, problem, record, name)


def _reworded(sheet: ParsedSheet, problem: Problem, record: dict, name: str) -> Problem:
    """Return a negative amount's error saying how to take it back on the row it corrects."""
    expected = "应为不小于0的数；退回或冲减不填负数行，而是从原来那笔款项的金额中扣除"
    # Resent whole: a slice's later file replaces the earlier one's rows (submissions.md), so the corrected row is
    # the record; the negative row is deleted.
    name_zh = sheet.template.name_zh
    then = (
        "，在其「摘要」中注明退回情况" if any(b.column.header == "摘要" for b in sheet.bindings) else ""
    ) + f"，并删去本行；更正后请重新报送整个文件，它将替代此前报送的同一项目同一年度的{name_zh}"
    taken = _taken_back(sheet, problem, name)
    matches = [] if taken is None else _taken_from(sheet, record, name, taken)
    header = problem.column_header
    if len(matches) == 1:
        [row] = matches
        left = _as_written(sheet, name, row[name] - taken, row["excel_row"])
        fix = (
            f"如本行是退回或冲减第{row['excel_row']}行（{_described(sheet, row, name)}）的款项，请把第{row['excel_row']}行"
            f"「{header}」改为扣除后的{left}"
            + ("（全部退回的删去该行）" if row[name] == taken else "")
            + then
        )
    else:
        which = (
            f"（可能是{rows_text(tuple(r['excel_row'] for r in matches))}之一）"
            if matches
            else f"（在以前年度的{name_zh}中的，请更正该年度的{name_zh}）"
        )
        fix = (
            f"如本行是退回或冲减此前一笔款项，请找到那一行{which}，把其「{header}」改为扣除退回后的金额"
            f"（全部退回的删去该行）{then}"
        )
    message = describe_cell(problem.excel_row, header, problem.value, expected, fix)
    return replace(problem, message_zh=message, expected=expected, fix=fix)


def _taken_back(sheet: ParsedSheet, problem: Problem, name: str) -> Decimal | None:
    """Return the amount a negative cell takes back, in the unit stored; None where its cell names a unit."""
    try:
        number, suffix = decimal_of(problem.value)
    except CellError:
        bracketed = bracketed_negative(problem.value)
        if bracketed is None:
            return None
        number, suffix = bracketed
    if suffix:
        return None  # `-50万元` or `-50元`: its unit read apart from the header's, not worth guessing here
    unit = sheet.written_unit(name, problem.excel_row)
    return -number * (unit.factor if unit is not None else 1)


def _taken_from(sheet: ParsedSheet, record: dict, name: str, taken: Decimal) -> list[dict]:
    """Return the rows of the same money (project, source, kind) as a negative row, of at least what it takes back."""
    same = [
        c.name
        for c in sheet.template.columns
        if c.type in _SAME_MONEY and c.name != name and record.get(c.name) is not None
    ]
    return [
        r
        for r in sheet.records
        if r is not record
        and isinstance(r.get(name), Decimal)
        and r[name] >= taken
        and all(r.get(c) == record[c] for c in same)
    ]


def _described(sheet: ParsedSheet, row: dict, name: str) -> str:
    """Describe a row by its date, its kind and its amount as written: `2022-04-01，支付300`."""
    parts = [
        value.isoformat() if isinstance(value, dt.date) else str(value)
        for c in sheet.template.columns
        if c.type in (ColumnType.DATE, ColumnType.ENUM) and (value := row.get(c.name)) is not None
    ]
    return "，".join([*parts, _as_written(sheet, name, row[name], row["excel_row"])])


def _as_written(sheet: ParsedSheet, name: str, amount: Decimal, excel_row: int) -> str:
    """Show a stored amount in the unit its column is written in (元 under 金额（元）)."""
    return display(sheet.in_written_unit(name, amount, excel_row).normalize())
