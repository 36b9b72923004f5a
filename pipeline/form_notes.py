"""Read what a form's funds block says on each of its rows besides amounts (偏差原因分析, 是否偏离, 原因说明), and ask
about a deviation left unexplained."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.enum_prose import joined, tell_kept
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
    read: Callable[..., object],
) -> dict[str, list[Place]]:
    """Read each note field from its block's total row and the rows under it, set its value and where it was said
    (the first row stating it), and return every cell it was read from."""
    stop = sheet.header_rows[0] - 1
    said: dict[str, list[tuple[int, str, object, Place]]] = {}
    totals: dict[str, int] = {}
    kept: list[tuple[Field, Field, int, str, Place, str]] = []  # a sentence for its row's prose note
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
        totals[field.name] = place[0]
        block = [f for f in sheet.template.fields if (f.block, f.row) == (field.block, field.row)]
        rows = [(place[0], label), *part_rows(places, place[0], stop, figures_column(block, found))]
        ticks = _ticks(places, field, place)
        prose = _prose_note(field, block)
        stated = []
        for row, written in rows:
            words: list[str] | None = [] if prose is not None else None
            value, cell = _row_note(places, field, place, ticks, row, written, sheet, read, words)
            kept += [(field, prose, row, written, cell, text) for text in words or ()]
            stated.append((row, written, value, cell))
        said[field.name] = [s for s in stated if s[2] is not None]
    reason = found.get(_REASON)  # the 原因说明 as the form heads it, before a row's cell stands for it
    for field, prose, row, written, cell, text in kept:
        _keep(places, found, said, sheet, (field, prose, row, written, cell, text))
        totals.setdefault(prose.name, totals[field.name])
    cells: dict[str, list[Place]] = {}
    by_name = {field.name: field for field in sheet.template.fields}
    for name, stated in said.items():
        if stated:
            values[name] = _combined(by_name[name], stated, totals[name])
            cells[name] = [s[3] for s in stated]
            found[name] = stated[0][3]
    if reason is not None:  # a form with no 原因说明 has nowhere to give one
        _ask_reasons(places, said, total, reason, sheet)
    return cells


def _prose_note(field: Field, block: list[Field]) -> Field | None:
    """Return the prose note on an enum note's block row (原因说明 beside 偏差原因分析), where a sentence its cell
    writes instead of its values is kept, as a table's enum keeps it in its `prose_to` column; else None."""
    if field.type is not ColumnType.ENUM:
        return None
    return next((f for f in block if f.type is ColumnType.PROSE and is_note(f)), None)


def _keep(
    places: Places,
    found: dict[str, Place | None],
    said: dict[str, list[tuple[int, str, object, Place]]],
    sheet: ParsedSheet,
    kept: tuple[Field, Field, int, str, Place, str],
) -> None:
    """Keep an enum note's sentence in its row's prose note, before what that row's note says; where the cell named
    no value and the form has the prose note, tell the clerk the words belong there and the value is still to name."""
    field, prose, row, written, cell, text = kept
    notes = said.setdefault(prose.name, [])
    at = next((n for n, note in enumerate(notes) if note[0] == row), None)
    if (
        at is None
    ):  # the row's prose note is blank, or the form has none: the words are the row's, from their cell
        notes.append((row, written, text, cell))
        notes.sort(key=lambda note: note[0])
    else:
        notes[at] = (row, written, joined(text, notes[at][2]), notes[at][3])
    # Without a prose note the cause's cell is the only place for the words: kept as the explanation, nothing to fix.
    named = any(note[0] == row for note in said.get(field.name, ()))
    if not named and (place := found.get(prose.name)) is not None:
        tell_kept(sheet, field, row + 1, _where(cell), places.cell(*cell[:2]), place[2].split("·")[-1])


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
    read: Callable[..., object],
    words: list[str] | None,
) -> tuple[object, Place]:
    """Read a note on one block row: its `ticks`, else its cell (a sentence written there instead of its values put
    in `words`, if given); return it and the cell it was read from."""
    header_row, column = place[3], place[1]
    header = place[2].split("·")[-1]
    if not ticks:
        here = at_row(place, row, written)
        return read(field, here, words), here
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
