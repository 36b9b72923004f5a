"""Read what a form states around its table: its fields and the months it covers; check its sums and points."""

from __future__ import annotations

import re
from dataclasses import replace

from pipeline.cell_parsers import cell_parser
from pipeline.cell_refs import column_letter
from pipeline.chinese_numbers import percent_in_digits
from pipeline.enum_prose import read_words
from pipeline.form_blocks import check_parts, total_from_parts
from pipeline.form_carried import check_carried, second_number, split_carried
from pipeline.form_cells import _warn_at, _where
from pipeline.form_notes import is_note, read_notes
from pipeline.form_places import Place, Places, form_labels
from pipeline.form_points import _check_points
from pipeline.form_sums import (
    _check_budget_score,
    _check_executed_over_budget,
    _check_fraction_rate,
    _check_stated_rate,
    _check_stated_total,
    _settle_bare_rate,
    _tell_blank_rate,
)
from pipeline.form_unread import (
    _check_doubted_prose,
    _check_stated_in_label,
    _check_unlabelled_prose,
    _check_unread_blocks,
    _check_unread_headers,
    _check_unread_prose,
)
from pipeline.form_years import check_header_years
from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_cells import header_cell
from pipeline.header_match import HeaderMatch, header_text
from pipeline.legends import legend_parser, read_legend
from pipeline.parsed_sheet import ParsedSheet
from pipeline.price_lines import error_price_line
from pipeline.problems import Severity
from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, ColumnType, Field
from pipeline.sheet_units import read_unit
from pipeline.text import months_so_far, split_header, squash
from pipeline.unit_places import line_cell
from pipeline.values import COLUMN_UNIT, CellError, Noted, UnitContext, is_blank, unit_written


def read_form(grid: Grid, sheet: ParsedSheet, registry: Registry) -> None:
    """Give every record the form's fields, check the form's own sums and points, and note the months covered."""
    template = sheet.template
    places = (
        Places(grid, sheet.header_rows[0] - 1, form_labels(template))
        if template.fields or template.month_from_headers
        else None
    )
    found = {field.name: places.locate(field) for field in template.fields} if places else {}
    if places:
        split_carried(places, found, template.fields)
    if template.month_from_headers:  # first: a warning below names the block's `1-7月执行数` as written
        _months_covered(grid, found, sheet)
    if template.fields:
        told: set[tuple] = set()  # a block's unit is told of once, not on each of its cells
        values = {
            field.name: _field_value(places, field, found[field.name], sheet, registry, told)
            for field in template.fields
            if not is_note(field)
        }

        def read(field: Field, place: Place, words: list[str] | None = None) -> object:
            return _field_value(places, field, place, sheet, registry, told, words)

        summed = total_from_parts(places, found, values, sheet, read, _warn_at)
        check_parts(places, found, values, sheet, read, summed)
        summed |= read_notes(places, found, values, sheet, read)
        _settle_bare_rate(places, found, values, sheet)
        check_carried(places, found, values, sheet, template.fields)
        _tell_blank_rate(found, values, sheet)
        for record in sheet.records:
            record.update(values)
        # An amount added up from a block's 其中 rows came from each of them, as a note said on several of its rows
        # (warehouse.md: lineage to the row).
        sheet.field_cells = {
            name: [(cell[0] + 1, column_letter(cell[1]), cell[2]) for cell in summed.get(name, [place])]
            for name, place in found.items()
            if place is not None and values[name] is not None
        }
        sheet.blank_fields = [
            (place[0] + 1, column_letter(place[1]), _where(place))
            for name, place in found.items()
            if place is not None and values[name] is None
        ]
        _check_unread_headers(places, found, sheet)
        _check_unread_blocks(places, found, sheet)
        _check_unread_prose(places, found, sheet)
        _check_doubted_prose(places, found, sheet)
        _check_stated_in_label(places, sheet)
        _check_unlabelled_prose(places, found, sheet)
        _check_stated_total(found, values, sheet)
        _check_stated_rate(places, found, values, sheet)
        _check_fraction_rate(places, found, values, sheet)
        _check_budget_score(places, found, values, sheet)
        _check_executed_over_budget(places, found, values, sheet)
    bound = {b.column.name for b in sheet.bindings}
    for column in template.columns:
        # With no column of points (`分值` headed otherwise: already an error) there is nothing to check them by.
        if column.points_of is not None and column.points_of in bound:
            _check_points(grid, sheet, column)


# The official forms letter their columns (`全年预算数（A）`, `执行率（B/A）`): in brackets, no unit.
_COLUMN_LETTERS = re.compile(r"[A-Za-z](?:\s*[-+*/×÷]\s*[A-Za-z])*")


def _field_value(
    places: Places,
    field: Field,
    found: Place | None,
    sheet: ParsedSheet,
    registry: Registry,
    told: set[tuple],
    words: list[str] | None = None,
) -> object:
    """Read one field's cell as its type; a cell that cannot be read is an error on that cell. Given `words`, a
    sentence an enum's cell writes instead of its values is kept there (`form_notes`: its row's prose note)."""
    if found is None:
        return None
    r, c, _, _ = found
    # A goal written over several rows (one line a row) is all of them; the cell under its label is only the first.
    raw = places.prose(field) if field.below else places.inline.get(field.name, places.cell(r, c))
    if is_blank(raw) or (field.row is None and isinstance(raw, str) and _is_label(raw, places.form_labels)):
        return None
    # The national forms write rates in percent (93.12 is 93.12 %); money in the unit its column or block is headed
    # with (`项目资金（万元）`, `年初预算数（元）`).
    written = raw
    if field.type is ColumnType.PERCENT:
        context = UnitContext(name="%")
        sheet.note_percent_number(*places.origin.get((r, c), (r, c)), raw)
        # `百分之九十` or `九成` is read as `90%` is, as an indicator's value is; the cell is quoted as written.
        if isinstance(raw, str):
            written = percent_in_digits(squash(raw)) or raw
    elif MEASURE_OF_TYPE.get(field.type) is not None:
        context = _field_unit(places, field, found, raw, sheet, registry, told)
        if context.factor != 1:  # quoted as written (15723600 元), not in the 1572.36 万元 stored
            sheet.written_units[field.name] = context
    else:
        context = UnitContext()
    where = _where(found)
    parse = cell_parser(field, registry.units, context)
    if field.legend:  # a light marked ● or ▲, read as the form's legend line words it
        parse = legend_parser(field, read_legend(places.grid, sheet.header_rows, field), parse)
    try:
        value = parse(written)
    except CellError as exc:
        # `无偏差`: nothing to choose, as `无` is; a sentence (`受雨季影响…`) is the words kept, nothing chosen.
        keeps = words is not None
        if (field.blank_words or keeps) and (said := read_words(raw, field, keeps)) is not None:
            if said[1] is not None:
                words.append(said[1])
            return said[0]
        if field.compared_only:  # no figure reads it: asked about, the form's figures kept
            told_zh = f"{exc.expected}；本项仅用于核对，未能读取，已按未填写处理，表中其余数据照常入库"
            fix, value = exc.fix, raw
            # `95（合格）`: the word after another field's number, quoted whole with the number read.
            if field.name in places.carried:
                value, number = places.carried[field.name]
                told_zh = (
                    f"数字已按“{number}”读取，其后的“{raw}”不是{field.header}（{exc.expected}），"
                    f"{field.header}仅用于核对，已按未填写处理，表中其余数据照常入库"
                )
                fix = (
                    f"请把“{raw}”改为{field.header}（{'、'.join(field.values or {})}之一）或删去；"
                    f"若“{raw}”是对“{number}”的说明（如并非确切的数），请改正“{number}”"
                )
                if (second := second_number(number, raw, field)) is not None:
                    told_zh, fix = second
                    told_zh += f"，{field.header}仅用于核对，已按未填写处理，表中其余数据照常入库"
            sheet.warn(
                Noted(None, "compared_unread", told_zh, fix), excel_row=r + 1, header=where, value=value
            )
            return None
        sheet.error(
            rule=exc.rule, excel_row=r + 1, header=where, value=raw, expected=exc.expected, fix=exc.fix
        )
        return None
    if isinstance(value, Noted):
        if value.rule == "unit_in_cell":
            # 与本列的单位“万元”不同: the block's （万元）, the column's, or the `单位：` line? The clerk corrects one.
            place = f"{_unit_place(places, field, found, sheet)}注明的单位"
            value = replace(value, expected=value.expected.replace(COLUMN_UNIT, place))
        sheet.warn(value, excel_row=r + 1, header=where, value=raw)
        value = value.value
    return value


def _unit_place(places: Places, field: Field, found: Place, sheet: ParsedSheet) -> str:
    """Name the cell that wrote the unit a field's amounts are read in: its column header's, row label's or block
    label's (A6单元格「项目资金（万元）」), else the `单位：` line's."""
    cells = _unit_cells(places, field, found)
    if not cells:
        cell, text = line_cell(places.grid, sheet.meta.rows["money_unit"])
        return f"表上方{cell}“{text}”"
    r, c = cells[0][1]
    return f"{column_letter(c)}{r + 1}单元格「{places.written[(r, c)]}」"


def _block_cell(places: Places, field: Field, header_row: int) -> tuple[int, int] | None:
    """Return the cell of a field's block label (`项目资金（元）`): the nearest such label above its header."""
    if field.block is None:
        return None
    written = [(r, c) for r, c in places.labels.get(split_header(field.block)[0], ()) if r <= header_row]
    return max(written) if written else None


def _unit_cells(places: Places, field: Field, found: Place) -> list[tuple[str, tuple[int, int]]]:
    """Return the units written for a field's cell, nearest first, each with the cell writing it: its column header's,
    its row label's (a part row `其中：财政拨款` takes its total's `年度资金总额（元）`), its block label's."""
    cells = [(found[3], found[1])]
    if field.row is not None:
        row = found[0] if places.row_unit(found[0]) else places.locate(field)[0]
        if places.row_unit(row):
            cells.append((row, places.first_written(row)[0]))
    if (block := _block_cell(places, field, found[3])) is not None:
        cells.append(block)
    units = [(split_header(places.written.get(cell, ""))[1], cell) for cell in cells]
    # `全年预算数（A）`, `执行率（B/A）`: the official form names its columns, it states no unit.
    return [(unit, cell) for unit, cell in units if unit and not _COLUMN_LETTERS.fullmatch(unit)]


def _field_unit(
    places: Places,
    field: Field,
    found: Place,
    raw: object,
    sheet: ParsedSheet,
    registry: Registry,
    told: set[tuple],
) -> UnitContext:
    """Return the unit a field's number is written in: its column header's, else its row label's, else its block
    label's, else the `单位：` line's (money); a unit not written, not a unit of the field, or two that differ are
    told once."""
    measure = MEASURE_OF_TYPE[field.type]
    cells = _unit_cells(places, field, found)
    units = [unit for unit, _ in cells]
    column = cells[0][0] if cells and cells[0][1] == (found[3], found[1]) else ""
    near = units[0] if units else None
    # The next unit written further out is checked against the nearest; with none, the `单位：` line's is, unless
    # the column itself states one.
    if len(units) > 1:
        far = units[1]
    elif column or measure != "money":
        far = None
    else:
        far = sheet.meta.money_unit
    reading = read_unit(measure, near, far or None, registry)
    said = (reading.issue, near, far)
    # A cell that writes its unit (`15700000元`) is read in it: nothing is assumed of it, and the block's unit is
    # told on a cell that is read in the assumed one.
    assumed_of_none = reading.issue == "unit_assumed" and unit_written(raw)
    if reading.issue is None or said in told or assumed_of_none:
        return reading.context
    told.add(said)
    base = registry.units.measures[measure].base
    label = field.block or field.header
    if reading.issue == "unit":
        sheet.error(
            rule="unit",
            excel_row=found[0] + 1,
            header=_where(found),
            value=reading.written,
            expected=f"单位应为{'、'.join(registry.units.measures[measure].units)}之一",
            fix=f"请注明可识别的单位，如「{split_header(label)[0]}（{base}）」",
        )
    elif reading.issue == "unit_price":
        what = "金额" if measure == "money" else "面积"
        error_price_line(
            sheet, places.grid, registry, _where(found), split_header(label)[0], reading.written, what, base
        )
    elif reading.issue == "unit_assumed":
        _warn_at(
            sheet,
            found,
            rule="unit_assumed",
            value=raw,
            expected=f"“{split_header(label)[0]}”未注明单位，已按{base}读取其中的金额",
            fix=f"请注明单位，如「{split_header(label)[0]}（{base}）」",
        )
    else:
        _warn_at(
            sheet,
            found,
            rule="unit_conflict",
            value=raw,
            expected=f"单位“{near}”与“{reading.written}”不一致，已按{reading.context.name}读取",
            fix="请删去或改正其中一处单位",
        )
    return reading.context


def _is_label(text: str, labels: frozenset[str]) -> bool:
    """Say whether a field's cell is itself one of the form's labels (`主管部门 | | 实施单位`, or `实施单位：…` with
    its own value after it), so no value was written."""
    # `主管部门： | 实施单位：枣林街道办事处`: the next cell is the next label's, whatever follows its colon.
    return any(split_header(part)[0] in labels for part in {text, re.split(r"[:：]", text, maxsplit=1)[0]})


def _names_months(text: str) -> bool:
    return months_so_far(text) is not None


def _months_covered(grid: Grid, located: dict[str, Place | None], sheet: ParsedSheet) -> None:
    """Note N of the form's `1-N月…` headers; headers naming different months are an error."""
    found: dict[int, tuple[int, str]] = {}
    # The clerk is sent to the row the months are written on: a group header's over its sub-headers, the first of a
    # header merged down both rows.
    origin = _merged_origin(grid)
    match = HeaderMatch(sheet.template, sheet.header_rows[0] - 1, sheet.header_rows[1] - 1, sheet.bindings)
    headers = [
        (header_cell(grid, match, b.index, origin, _names_months)[0] + 1, b.header) for b in sheet.bindings
    ]
    heads = {where[3] for f in sheet.template.fields if f.row is not None and (where := located[f.name])}
    for field in sheet.template.fields:
        where = located[field.name]
        if where is not None and field.row is not None:
            headers.append((where[3] + 1, where[2].split("·")[-1]))
            headers += _group_over(grid, origin, where, heads)
    for excel_row, written in headers:
        months = months_so_far(written)
        if months is not None:
            found.setdefault(months, (excel_row, written))
    check_header_years(sheet, headers)
    if len(found) == 1:
        (sheet.meta.months_so_far,) = found
        sheet.meta.rows["months_so_far"] = next(iter(found.values()))[0]
        _check_title_months(sheet, next(iter(found.values()))[1])
    for _months, (excel_row, written) in sorted(found.items())[1:]:
        sheet.error(
            rule="months_mismatch",
            excel_row=excel_row,
            header=written,
            value=written,
            expected=f"表头中的月份应一致（另有表头为“{found[min(found)][1]}”）",
            fix="请统一填写截至月份，如“1-7月”",
        )


def _group_over(grid: Grid, origin: dict, where: Place, heads: set[int]) -> list[tuple[int, str]]:
    """Return the Excel row and text of a group header merged across a block field's header and the next
    (`1-7月执行情况` over `执行数 | 执行率`), whose months are the field's; none where there is no such header.

    Saved as CSV (or unmerged) the group header is the cell right above the field's header, on a row `heads` says
    the block's other headers stand on (`年初预算数` over both rows)."""
    above = where[3] - 1
    top, left = origin.get((above, where[1]), (None, None))
    if top is None:
        if above not in heads:
            return []
        top, left = above, where[1]
    elif dict(grid.merged)[(top, left)][1] == left:
        return []
    row = grid.rows[top]
    cell = row[left] if left < len(row) else None
    return [(top + 1, header_text(cell))] if isinstance(cell, str) else []


def _check_title_months(sheet: ParsedSheet, written: str) -> None:
    """Warn where the title names other months (`2022年1-6月…`) than the headers the form's N is taken from."""
    # A clerk who updated the title and not the headers, or the other way: the headers' N decides the slice the
    # form replaces and its time progress, so the other is told beside it, never passed over.
    titled, months = sheet.meta.title_months, sheet.meta.months_so_far
    if titled is None or titled == months:
        return
    fix = f"本表已按表头取1-{months}月；若本表截至{titled}月，请把表头改为“1-{titled}月…”后重新报送，否则请改正标题"
    sheet.error(
        severity=Severity.WARNING,
        rule="months_title",
        excel_row=sheet.meta.rows["title_months"],
        header="标题",
        value=f"1-{titled}月",
        expected=f"应与表头“{written}”的截至月份一致",
        fix=fix,
    )
