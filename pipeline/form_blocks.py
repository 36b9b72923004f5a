"""Read a national form's funds block from its 其中 rows where its total row states no amount, else check the
amounts it states against them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from pipeline.cell_refs import column_letter
from pipeline.form_cells import _where
from pipeline.form_places import Place, Places, header_of
from pipeline.problems import display
from pipeline.registry_columns import MEASURE_OF_TYPE, ColumnType, Field
from pipeline.values import UnitContext, is_blank

if TYPE_CHECKING:
    from pipeline.parsed_sheet import ParsedSheet

# The row the parts of a block's total start with (`其中：当年财政拨款`): a second one is a part of a part.
_PART = "其中"


def total_from_parts(
    places: Places,
    found: dict[str, Place | None],
    values: dict[str, object],
    sheet: ParsedSheet,
    read: Callable[[Field, Place], object],
    warn: Callable[..., None],
) -> dict[str, list[Place]]:
    """Read each amount a block's total row (`年度资金总额`) leaves blank from the rows under it that state it
    (`其中：当年财政拨款`, `上年结转资金`, `其他资金`), say so on the total row, and return the cells each amount
    was added up from.

    Each amount is the sum of the rows that state it; where the total row states no amount, a sole such row stands
    for the whole block, its 执行率 and 得分 too, and is read as any total row is. Parts of a part (a second `其中` row) cannot be added up without
    guessing which are which: then nothing is read, and the clerk is told the block cannot be scored from the form.
    `found` keeps one cell a field's problems name (the first row added up); the cells returned are its lineage.
    """
    summed: dict[str, list[Place]] = {}
    stop = sheet.header_rows[0] - 1
    for fields in _block_rows(sheet, found):
        amounts = [f for f in fields if MEASURE_OF_TYPE.get(f.type) == "money"]
        blank = [f for f in amounts if is_blank(places.cell(*found[f.name][:2]))]
        if not blank:
            continue  # no amounts in the block, or the total row states them
        # A total row stating some amounts (年初预算数) and not others (执行数, written only per source) is read
        # from its parts for those; its rate and score stay the total row's.
        whole, amounts = len(blank) == len(amounts), blank
        r = found[amounts[0].name][0]
        parts = part_rows(places, r, stop, figures_column(fields, found))
        read_parts = []
        for row, written in parts:
            figures = {f.name: read(f, at_row(found[f.name], row, written)) for f in amounts}
            if any(v is not None for v in figures.values()):
                read_parts.append((row, written, figures))
        if not read_parts:
            continue  # the whole block left blank: the ledger gives the rate
        first = places.first_written(r)
        total = found[amounts[0].name]  # where the clerk is sent: the block's first amount on its total row
        written_in = f"{_headers(amounts, found)}只填在其下{'、'.join(f'第{row + 1}行“{written}”' for row, written, _ in read_parts)}"
        fix = f"请在“{first[1]}”行填写合计金额及执行率"
        if any(written.startswith(_PART) for _, written in parts[1:]):
            warn(
                sheet,
                total,
                rule="total_row_parts_unclear",
                value=None,
                expected=(
                    f"{written_in}，而其下有不止一行“其中”（{_rows(parts)}），无法确定哪几行相加为合计，均未读取，"
                    "预算执行率无法据本表计算（没有资金台账时该项得0分）"
                ),
                fix=fix,
            )
            continue
        said = []
        for field in amounts:
            stated = [(row, written, figures[field.name]) for row, written, figures in read_parts]
            stated = [(row, written, v) for row, written, v in stated if v is not None]
            if stated:
                values[field.name] = sum((v for _, _, v in stated), Decimal(0))
                summed[field.name] = [at_row(found[field.name], row, written) for row, written, _ in stated]
                # The total's cell may be a formula saved without its result: unsaved_cells tells of it as such.
                blank = found[field.name]
                sheet.blank_totals.append((blank[0] + 1, column_letter(blank[1]), _where(blank)))
                found[field.name] = summed[field.name][0]
                said.append(f"{header_of(found[field.name])}{display(values[field.name])}")
        if len(read_parts) == 1:
            row, written, _ = read_parts[0]
            for field in fields if whole else ():
                if field in amounts or values[field.name] is not None:
                    continue
                if not is_blank(places.cell(*found[field.name][:2])):
                    continue  # written on the total row but unreadable: an error of its own there
                place = at_row(found[field.name], row, written)
                value = read(field, place)
                if value is not None:
                    values[field.name], found[field.name] = value, place
                    said.append(f"{header_of(place)}{_shown(field, value)}")
            basis = "该行"
        else:
            basis = "各行之和"
        warn(
            sheet,
            total,
            rule="total_row_from_parts",
            value=None,
            expected=f"{written_in}，已按{basis}读取：{'、'.join(said)}",
            fix=fix,
        )
    return summed


def check_parts(
    places: Places,
    found: dict[str, Place | None],
    values: dict[str, object],
    sheet: ParsedSheet,
    read: Callable[[Field, Place], object],
    summed: dict[str, list[Place]],
) -> None:
    """Report each amount a block's total row states (`年度资金总额`) that is not the sum of the rows under it
    (`其中：财政拨款`, `其他资金`) by more than 0.01 in its unit, as a 合计 row is (submissions.md).

    The form prints its parts to the last (`其他资金`): where each states the amount they add up to the total. A part
    left blank is no value, not 0, and a sole `其中` row may be a share of the total: then the parts stated may be
    less than the total, never more. Parts of a part (a second `其中` row) are not checked: which rows add up is not
    known. An amount `summed` from the parts (its total row blank) is theirs already.
    """
    stop = sheet.header_rows[0] - 1
    for fields in _block_rows(sheet, found):
        amounts = [
            f
            for f in fields
            if MEASURE_OF_TYPE.get(f.type) == "money" and values[f.name] is not None and f.name not in summed
        ]
        if not amounts:
            continue
        parts = part_rows(places, found[amounts[0].name][0], stop, figures_column(fields, found))
        if not parts or any(written.startswith(_PART) for _, written in parts[1:]):
            continue
        for field in amounts:
            place = found[field.name]
            unit = sheet.written_unit(field.name)  # the total's, before a part row's own unit is read
            stated = []
            for row, written in parts:
                cell = at_row(place, row, written)
                value = read(field, cell)
                if value is None and not is_blank(places.cell(*cell[:2])):
                    break  # unreadable: an error on that cell, nothing to add up
                if value is not None:
                    stated.append((row, written, value))
            else:
                whole = len(parts) > 1 and len(stated) == len(parts)
                _tell_parts(sheet, place, places.cell(*place[:2]), values[field.name], stated, whole, unit)


def _tell_parts(
    sheet: ParsedSheet,
    place: Place,
    raw: object,
    total: Decimal,
    stated: list[tuple[int, str, Decimal]],
    whole: bool,
    unit: UnitContext | None,
) -> None:
    """Report a total that is not the sum of its parts (`whole`: all of them stated), or less than those stated; in
    万元, as stored."""
    if not stated:
        return  # the parts left blank: nothing to check the total against
    parts = sum((v for _, _, v in stated), Decimal(0))
    tolerance = Decimal("0.01") * (unit.factor if unit else 1)
    if parts - total <= tolerance and (not whole or total - parts <= tolerance):
        return
    terms = "＋".join(f"第{row + 1}行“{written}”{display(v)}万元" for row, written, v in stated)
    if len(stated) > 1:
        terms += f"＝{display(parts)}万元"
    what = "应等于其下各行之和" if whole else "不应小于其下已填各行之和"
    sheet.error(
        rule="total_mismatch",
        excel_row=place[0] + 1,
        header=_where(place),
        value=raw,
        expected=f"读作{display(total)}万元，{what}：{terms}",
        fix=f"请核对“{place[2].split('·')[0]}”行及其下各行的{header_of(place)}",
    )


def _block_rows(sheet: ParsedSheet, found: dict[str, Place | None]) -> list[list[Field]]:
    """Return the fields of each block row found (`项目资金（万元）`'s `年度资金总额`), in the template's order."""
    by_row: dict[tuple[str, str], list[Field]] = {}
    for field in sheet.template.fields:
        if field.row is not None and field.block is not None and found[field.name] is not None:
            by_row.setdefault((field.block, field.row), []).append(field)
    return list(by_row.values())


def figures_column(fields: list[Field], found: dict[str, Place | None]) -> int:
    """Return the leftmost column a block row's fields are written in: its figures start there."""
    return min(place[1] for f in fields if (place := found[f.name]) is not None)


def part_rows(places: Places, r: int, stop: int, figures: int) -> list[tuple[int, str]]:
    """Return the rows under a block's total row that name a part of it, with their labels as written: each row
    labelled within the total's label columns (`年度资金总额` merged over A:B labels its parts in A or B), up to the
    first that is not (the next block) or row `stop`; a blank line among them is passed over. The block's figures
    start at column `figures`."""
    column = places.first_written(r)[0]
    right = places.extent.get((r, column), (r, column))[1]
    parts = []
    for row in range(r + 1, stop):
        first = places.first_written(row)
        if first is None and all(is_blank(cell) for cell in places.grid.rows[row]):
            continue  # a line left blank inside the block, as clerks leave between rows
        if first is None or not column <= first[0] <= right or not _funds_row(places, row, first[0], figures):
            break
        parts.append((row, places.written[(row, first[0])]))
    return parts


def _funds_row(places: Places, row: int, label: int, figures: int) -> bool:
    """Say whether a row labelled within a block's label columns is a row of figures: nothing else written before
    them, and no text merged across their first column (`年度总体目标 | 全年目标` merged over them; a `—` may be)."""
    for c in range(label + 1, figures):
        if places.origin.get((row, c), (row, c)) != (row, label) and not is_blank(places.cell(row, c)):
            return False
    first = places.origin.get((row, figures), (row, figures))
    merged = first != (row, figures) or places.extent.get(first, first)[1] != figures
    return not merged or is_blank(
        places.cell(row, figures)
    )  # `—` merged over a row's figures: it states none


def at_row(place: Place, row: int, written: str) -> Place:
    """Return a block field's place moved to another row of its block, named by that row's label."""
    return row, place[1], f"{written}·{header_of(place)}", place[3]


def _headers(fields: list[Field], found: dict[str, Place | None]) -> str:
    return "、".join(header_of(found[f.name]) for f in fields)


def _rows(parts: list[tuple[int, str]]) -> str:
    return "、".join(f"“{written}”" for _, written in parts)


def _shown(field: Field, value: object) -> str:
    """Show a figure read from a part row: a rate in percent, as the form writes it."""
    if field.type is ColumnType.PERCENT:
        return f"{display(value * 100)}%"
    return display(value)
