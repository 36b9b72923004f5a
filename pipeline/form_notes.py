"""Read what a form's funds block says on each of its rows besides amounts (偏差原因分析, 是否偏离, 原因说明), and ask
about a deviation left unexplained."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.form_blocks import at_row, figures_column, part_rows
from pipeline.form_cells import _warn_at, _where
from pipeline.form_places import Place, Places
from pipeline.registry_columns import ColumnType, Field
from pipeline.ticks import Tick, read_ticks, ticks_under

if TYPE_CHECKING:
    from pipeline.parsed_sheet import ParsedSheet

# A block row's words, not its amounts: each is read from the total row and every row under it.
NOTE_TYPES = frozenset({ColumnType.ENUM, ColumnType.PROSE, ColumnType.TEXT})
# What says a row of the 运行监控表's funds block deviates (any cause named, 是否偏离 ticked), and the reason it owes.
_DEVIATES = {"budget_deviation_cause": None, "budget_deviates": "是"}
_REASON = "budget_reason"


def is_note(field: Field) -> bool:
    """Say whether a field is a block row's words (read by `read_notes`), not one of its amounts."""
    return field.row is not None and field.block is not None and field.type in NOTE_TYPES


def read_notes(
    places: Places,
    found: dict[str, Place | None],
    values: dict[str, object],
    sheet: ParsedSheet,
    read: Callable[[Field, Place], object],
) -> dict[str, list[Place]]:
    """Read each note field from its block's total row and the rows under it, set its value and where it was said
    (the first row stating it), and return every cell it was read from."""
    stop = sheet.header_rows[0] - 1
    said: dict[str, list[tuple[int, str, object, Place]]] = {}
    cells: dict[str, list[Place]] = {}
    total: tuple[int, str] | None = None
    for field in sheet.template.fields:
        if not is_note(field):
            continue
        values[field.name] = None
        place = found[field.name]
        if place is None:
            continue
        label = place[2].split("·")[0]
        total = place[0], label
        block = [f for f in sheet.template.fields if (f.block, f.row) == (field.block, field.row)]
        rows = [(place[0], label), *part_rows(places, place[0], stop, figures_column(block, found))]
        ticks = _ticks(places, field, place)
        stated = [
            (row, written, *_row_note(places, field, place, ticks, row, written, sheet, read))
            for row, written in rows
        ]
        stated = [s for s in stated if s[2] is not None]
        said[field.name] = stated
        if stated:
            values[field.name] = _combined(field, stated, place[0])
            cells[field.name] = [s[3] for s in stated]
            found[field.name] = stated[0][3]
    if found.get(_REASON) is not None:  # a form with no 原因说明 has nowhere to give one
        _ask_reasons(places, said, total, found[_REASON], sheet)
    return cells


def _ticks(places: Places, field: Field, place: Place) -> tuple[Tick, ...]:
    """Return the tick columns an enum note's header stands over (`偏差原因分析` over `经费保障 | 制度保障 | …`), or
    none: its values are written in its cell."""
    if field.type is not ColumnType.ENUM:
        return ()
    return ticks_under(
        places.grid,
        field,
        places.origin,
        (place[3], place[1]),
        place[3] + 1,
        lambda r, c: places.written.get(places.origin.get((r, c), (r, c)), ""),
    )


def _row_note(
    places: Places,
    field: Field,
    place: Place,
    ticks: tuple[Tick, ...],
    row: int,
    written: str,
    sheet: ParsedSheet,
    read: Callable[[Field, Place], object],
) -> tuple[object, Place]:
    """Read a note on one block row: its `ticks`, else its cell; return it and the cell it was read from."""
    header_row, column = place[3], place[1]
    header = place[2].split("·")[-1]
    if not ticks:
        here = at_row(place, row, written)
        return read(field, here), here
    value, errors = read_ticks(places.grid.rows[row], field, header, ticks)
    for error in errors:
        index = next((t.index for t in ticks if t.header == error.header), column)
        sheet.error(
            rule=error.rule,
            excel_row=row + 1,
            header=_where((row, index, f"{written}·{error.header}", header_row)),
            value=error.value,
            expected=error.expected,
            fix=error.fix,
        )
    marked = next((t.index for t in ticks if value is not None and t.value in value.split("、")), column)
    return value, (row, marked, f"{written}·{header}", header_row)


def _combined(field: Field, stated: list[tuple[int, str, object, Place]], total: int) -> object:
    """Return one value for the block from its rows': the values any row names (in the template's order); of values
    listed best to worst, the worst any row states (是 of 否/是, 完全不可能 of 确定能/有可能/完全不可能); or each
    row's words, a 其中 row's after its label."""
    if field.type is not ColumnType.ENUM:
        return "\n".join(str(v) if row == total else f"{written}：{v}" for row, written, v, _ in stated)
    named = {value for _, _, v, _ in stated for value in str(v).split("、")}
    listed = [value for value in field.values or {} if value in named]
    return "、".join(listed) if field.multiple else listed[-1]


def _ask_reasons(
    places: Places,
    said: dict[str, list[tuple[int, str, object, Place]]],
    total: tuple[int, str],
    reason: Place,
    sheet: ParsedSheet,
) -> None:
    """Warn of each block row that says it deviates with no 原因说明 on it or on the block's `total` row."""
    explained = {row for row, *_ in said.get(_REASON, ())}
    if total[0] in explained:
        return  # the block's reason, for all its rows
    header = reason[2].split("·")[-1]
    told: set[int] = set()
    for name, meaning in _DEVIATES.items():
        for row, written, value, place in said.get(name, ()):
            if row in told or row in explained or meaning not in (None, value):
                continue
            told.add(row)
            where = "该行" if row == total[0] else f"该行及“{total[1]}”行均"
            _warn_at(
                sheet,
                place,
                rule="deviation_unexplained",
                value=places.cell(*place[:2]),
                expected=f"标明“{written}”资金执行存在偏差，但{where}未填写{header}",
                fix=f"请在「{header}」栏说明偏差原因及拟采取的措施",
            )
