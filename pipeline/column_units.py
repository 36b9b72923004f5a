"""Settle the unit each column's numbers are written in, and warn on its header of how it was read."""

from __future__ import annotations

from pipeline.count_words import counted_also, header_counted_also
from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_cells import group_header, header_cell, unit_cell
from pipeline.header_match import Binding, HeaderMatch
from pipeline.header_warnings import warn_on_header
from pipeline.parsed_sheet import ParsedSheet
from pipeline.price_lines import error_price_line, warn_price_unused
from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, ColumnType
from pipeline.sheet_meta import SheetMeta
from pipeline.sheet_units import UnitReading, listed_units, read_unit
from pipeline.text import split_header
from pipeline.values import UnitContext, is_blank, squashed, unit_written
from pipeline.written_units import (
    PERCENT_UNITS,
    column_unit,
    counted_word,
    is_magnitude,
    is_scaled,
    magnitude_unit,
)


def column_contexts(
    grid: Grid, match: HeaderMatch, registry: Registry, sheet: ParsedSheet
) -> dict[str, UnitContext]:
    """Return the unit each column's numbers are written in, by column name; tell the clerk how each was read."""
    measures = _measures(match)
    contexts = {
        b.column.name: _unit_context(b, registry, sheet.meta, sheet, grid, match, measures)
        for b in match.bindings
    }
    warn_price_unused(sheet, grid, registry)
    return contexts


def _unit_context(
    binding: Binding,
    registry: Registry,
    meta: SheetMeta,
    sheet: ParsedSheet,
    grid: Grid,
    match: HeaderMatch,
    measures: tuple[str, ...],
) -> UnitContext:
    """Return the unit a column's numbers are written in: its header's, else the `单位：` line's, else the base.

    `measures`: those of the columns a `单位：` line is over (`_measures`).
    """
    measure = MEASURE_OF_TYPE.get(binding.column.type)
    if binding.column.type is ColumnType.PERCENT:
        return UnitContext(name=binding.unit)
    if binding.column.type is ColumnType.COUNT and binding.unit is None and meta.money_unit:
        return _line_count_context(binding, registry, sheet, grid, match, measures)
    if binding.column.type is ColumnType.COUNT:
        # 惠及户数（万户）: counts are kept in ones, so a header's 万户 (or 万 alone) multiplies every bare number beneath it.
        unit = column_unit(binding.unit, "count", registry.units) if binding.unit else None
        found = registry.units.find(unit)
        counts = binding.column.counts
        # 惠及户数（亿）: no count is kept in 亿, and its 3 read as 3 households would be a wrong number unasked.
        magnitude = found is None and is_magnitude(unit)
        # 惠及户数（千户）, 有效问卷（万份） unlisted: left unread, 2 was stored as 2, a thousandth or a ten-thousandth of it.
        # 惠及户数（人次） too: 200 visits were stored as 200 households, untold (有效问卷（人次）, counting no kind, is ones).
        unlisted = found is None and unit is not None and not magnitude
        unreadable = unlisted and (is_scaled(unit) or bool(counts and not _of_kind(binding, unit)))
        if (
            magnitude
            or unreadable
            or (
                found is not None
                and (
                    found[0] != "count" or not (_of_kind(binding, unit) or counted_also(binding.column, unit))
                )
            )
        ):
            # 惠及户数（人）: 370 under it are people, as a cell's `370人` is, never 370 households.
            header, fix = binding.column.header, None
            if squashed(binding.unit) in PERCENT_UNITS:
                # 满意（%）: a share of the questionnaires, not their number; told it could not read `%`, the clerk
                # was not told a share would never do.
                expected = f"表头的单位“{binding.unit}”是百分比，{header}应填写数目（以“{counts or '个'}”计），不能填写百分比"
                fix = f"请改填{header}的{counts or '个'}数（百分比由数目计算），并将表头改为「{header}（{counts or '个'}）」"
            elif found is not None and found[0] == "count":
                expected = f"表头的单位“{binding.unit}”计的是另一种数目，{header}应以“{counts}”计"
            else:
                expected = (
                    f"表头的单位“{binding.unit}”无法识别，{header}应以“{counts or '个'}”或“万{counts or '个'}”计"
                    if unreadable
                    else f"表头的单位“{binding.unit}”不是数目的单位"
                )
            sheet.error(
                rule="unit",
                excel_row=unit_cell(grid, match, binding, _merged_origin(grid, match.last_row + 1))[0] + 1,
                header=binding.header,
                value=binding.unit,
                expected=expected,
                fix=fix or f"请填写{header}，并在表头注明其单位，如「{header}（{counts or '个'}）」",
            )
        if found is None or found[0] != "count":
            return UnitContext()
        if (
            binding.column.counts
            and not _counts_alike(unit, binding.column.counts)
            and counted_also(binding.column, unit)
        ):
            # 有效问卷（人次）: told once, on the header; its cells are read as so many 份, each not told again.
            row = unit_cell(grid, match, binding, _merged_origin(grid, match.last_row + 1))[0] + 1
            return _read_counted_also(sheet, binding, binding.unit, unit, UnitContext(found[1]), row)
        # `单位：万户` over `惠及户数（户）` is told as an amount's header and line are. A line counting another kind
        # than the header (`单位：万人` over `有效问卷（份）`) is another column's; a `单位：万` is 万个, counting anything.
        reading = read_unit("count", binding.unit, meta.money_unit, registry, measures)
        line = reading.written and column_unit(reading.written, "count", registry.units)
        if reading.issue == "unit_conflict" and _of_kind(binding, unit) and _counts_alike(unit, line):
            taken = magnitude_unit(binding.unit, counts) if counts else unit  # 万 of 惠及户数: 万户
            _warn_line_conflict(sheet, binding, reading, grid, match, taken)
        return UnitContext(found[1], found[2])
    if measure is None:
        return UnitContext()
    # The `单位：` line names money's unit (submissions.md); where it names an area's too (`单位：万平方米、万元`), that
    # is the area's unit as surely.
    reading = read_unit(measure, binding.unit, meta.money_unit, registry, measures)
    if binding.unit is not None and match.first_row < match.last_row:
        _warn_group_unit(sheet, binding, measure, registry, grid, match)
    if reading.issue is None:
        return reading.context
    if reading.issue == "unit_price":
        what, base = "金额" if measure == "money" else "面积", registry.units.measures[measure].base
        error_price_line(
            sheet, grid, registry, binding.header, binding.column.header, reading.written, what, base
        )
        return reading.context
    # Each is told on the row its unit (or, none written, its header) shows on, which of a header of two or three
    # rows may be any of them.
    origin = _merged_origin(grid, match.last_row + 1)
    if reading.meant:
        _tell_line_magnitude(sheet, binding, reading, grid, match, registry)
    elif reading.issue == "unit":
        base = registry.units.measures[measure].base
        expected = f"单位应为{'、'.join(registry.units.measures[measure].units)}之一"
        listed = listed_units(measure, reading.written, registry) if reading.on_line else []
        if len(listed) > 1:
            # Two units of one measure above the table (`单位：万元`, then `单位：元`): which is meant nobody can tell.
            rows = "行和第".join(
                str(meta.rows[k]) for k in ("money_unit", "money_unit_more") if k in meta.rows
            )
            expected = f"第{rows}行写了{'、'.join(listed)}两种单位，无法确定本列按哪一种读取"
        refused = registry.units.measures[measure].refused_note(reading.written)
        if refused:
            expected = f"“{reading.written}”不能确切换算为{base}（{refused}）"
        sheet.error(
            rule="unit",
            excel_row=meta.rows.get("money_unit")
            if reading.on_line
            else unit_cell(grid, match, binding, origin)[0] + 1,
            header=binding.header,
            value=reading.written,
            expected=expected,
            fix=f"请只保留正确的一处单位，或在表头注明单位，如「{binding.column.header}（{base}）」"
            if len(listed) > 1
            else f"请换算为{base}后填写，并在表头注明单位，如「{binding.column.header}（{base}）」"
            if refused
            else f"请在表头注明可识别的单位，如（{base}）",
        )
    elif reading.issue == "unit_assumed":
        # 1.2 under a bare 改造面积 may be 1.2 万㎡ or 1.2 ㎡, 200 under a bare 金额 200 万元 or 200 元: the clerk is told
        # which was taken, once, on the header. A cell that writes its unit (`1.2万㎡`) is read in it: nothing is
        # assumed of it, and a column of such cells only is not told of the base at all.
        bare, own = _written_units(grid, match, binding, registry, measure)
        if not bare and own:
            return reading.context
        base = registry.units.measures[measure].base
        warn_on_header(
            sheet,
            binding.header,
            rule="unit_assumed",
            expected=f"表头未注明单位，本列未写单位的数值已按{base}读取，写明单位的（如“{own}”）按其单位读取"
            if own
            else f"表头未注明单位，已按{base}读取本列数值",
            fix=f"请在表头注明单位，如「{binding.column.header}（{base}）」",
            row=header_cell(grid, match, binding.index, origin, lambda text: text == binding.header)[0] + 1,
        )
    elif reading.issue == "unit_conflict":
        _warn_line_conflict(sheet, binding, reading, grid, match, reading.context.name)
    return reading.context


def _warn_line_conflict(
    sheet: ParsedSheet, binding: Binding, reading: UnitReading, grid: Grid, match: HeaderMatch, taken: str
) -> None:
    """Warn where a column's header names another unit than the `单位：` line (`单位：元` over `计划投资（万元）`): one
    of them is wrong; the header's, `taken`, nearer the figures, is read."""
    warn_on_header(
        sheet,
        binding.header,
        rule="unit_conflict",
        expected=f"表头单位与表上方的“单位：{reading.written}”不一致，已按表头的{taken}读取本列数值",
        fix="请删去或改正其中一处单位",
        row=unit_cell(grid, match, binding, _merged_origin(grid, match.last_row + 1))[0] + 1,
    )


def _measures(match: HeaderMatch) -> tuple[str, ...]:
    """Return the measures a `单位：` line is over, each once: the sheet's amounts and areas, and its counts whose
    header names no unit (惠及户数 under `单位：万` may be in 万户; under `惠及户数（户）` it is not)."""
    return tuple(dict.fromkeys(m for b in match.bindings if (m := _measure(b))))


def _measure(binding: Binding) -> str | None:
    """Return the measure a `单位：` line may give a column the unit of (`_measures`)."""
    return MEASURE_OF_TYPE.get(binding.column.type) or _bare_count(binding)


def _bare_count(binding: Binding) -> str | None:
    """Return `count` for a count column whose header names no unit, else None."""
    return "count" if binding.column.type is ColumnType.COUNT and binding.unit is None else None


def _line_count_context(
    binding: Binding,
    registry: Registry,
    sheet: ParsedSheet,
    grid: Grid,
    match: HeaderMatch,
    measures: tuple[str, ...],
) -> UnitContext:
    """Return the unit a `单位：` line gives a count whose header names none: the count unit of its kind the line
    lists (`单位：万元、万户`: 万户; 个 counts anything), or the line's 万 where no other of the sheet's measures may
    take it; asked where the line lists two of its kind, another kind only, or a 万 another column may be in."""
    line, row = sheet.meta.money_unit, sheet.meta.rows["money_unit"]
    counts, label = binding.column.counts, binding.column.header
    reading, mine = _line_count_reading(binding, line, registry, measures)
    if reading is not None and reading.meant:
        _tell_line_magnitude(sheet, binding, reading, grid, match, registry)
        return reading.context
    if reading is not None and reading.issue != "unit":
        # `单位：万元`, or `单位：万` the whole sheet's counts are in (a survey's): nothing else of it to ask. A
        # `单位：人次` over 有效问卷 is read one questionnaire each and asked, as a header 有效问卷（人次） is.
        if len(mine) == 1 and not _of_kind(binding, mine[0]):
            origin = _merged_origin(grid, match.last_row + 1)
            at = header_cell(grid, match, binding.index, origin, lambda text: text == binding.header)[0] + 1
            return _read_counted_also(sheet, binding, f"单位：{line}", mine[0], reading.context, at)
        return reading.context
    if reading is not None:
        expected = f"“单位：{line}”不是数目的单位"  # `单位：千`: no count is kept in 千
    elif mine:
        expected = f"第{row}行写了{'、'.join(mine)}两种单位，无法确定本列按哪一种读取"
    else:
        # `单位：万人` over 惠及户数: 3 under it is no number of households, in ones or in 万.
        expected = f"表上方的“单位：{line}”计的是另一种数目，{label}应以“{counts}”计"
    sheet.error(
        rule="unit",
        excel_row=row,
        header=binding.header,
        value=f"单位：{line}",
        expected=expected,
        fix=f"请在表头注明单位，如「{label}（{counts or '个'}）」",
    )
    return UnitContext()


def _read_counted_also(
    sheet: ParsedSheet, binding: Binding, written: str, unit: str, context: UnitContext, row: int
) -> UnitContext:
    """Read a count in the unit a header or `单位：` line `written` names, of a word the column reads as what it
    counts (`counted_also`), warning on the header's `row` once; the cells under it are not told again."""
    expected, fix = header_counted_also(binding.column, written, unit, context.factor == 1)
    warn_on_header(sheet, binding.header, rule="count_word", expected=expected, fix=fix, row=row)
    return UnitContext(context.factor, unit)


def _line_count_reading(
    binding: Binding, line: str, registry: Registry, measures: tuple[str, ...]
) -> tuple[UnitReading | None, list[str]]:
    """Read a `单位：` line for a count whose header names no unit: by the one count unit of its kind it lists, else,
    listing no count unit, as an amount reads it (`单位：万`); None where it lists two of its kind or another kind
    only. Return the reading and the count units of its kind the line lists."""
    listed = listed_units("count", line, registry)
    mine = [unit for unit in listed if _of_kind(binding, unit) or counted_also(binding.column, unit)]
    if len(mine) == 1 or not listed:
        return read_unit("count", None, mine[0] if mine else line, registry, measures), mine
    return None, mine


def _of_kind(binding: Binding, unit: str) -> bool:
    """Say whether a count unit counts what the column does (户 or 万户 of 惠及户数)."""
    return not binding.column.counts or _counts_alike(unit, binding.column.counts)


def _counts_alike(unit: str, other: str) -> bool:
    """Say whether two count units count the same kind (户 and 万户, 人 and 名); 个 counts anything."""
    return "个" in (counted_word(unit), counted_word(other)) or counted_word(unit) == counted_word(other)


def _unit_name(binding: Binding, measure: str, registry: Registry, context: UnitContext | None = None) -> str:
    """Name the unit of `context` (the measure's base where None) as a header would: a count's in what the column
    counts (万户 of 惠及户数, not the registry's 万个)."""
    if measure != "count":
        return context.name if context is not None and context.name else registry.units.measures[measure].base
    counts = binding.column.counts
    if context is None or context.factor == 1:
        return counts or "个"
    return magnitude_unit(context.name.removesuffix("个"), counts) if counts else context.name


def _tell_line_magnitude(
    sheet: ParsedSheet,
    binding: Binding,
    reading: UnitReading,
    grid: Grid,
    match: HeaderMatch,
    registry: Registry,
) -> None:
    """Ask which unit a `单位：万` line over columns of two or more measures is of a column whose header names none: an
    error where the readings differ (万平方米 or 平方米, 万户 or 户), a warning where they do not (万元 is money's base)."""
    measure = _measure(binding)
    bare, _ = _written_units(grid, match, binding, registry, measure)
    if not bare:
        return  # every figure writes its own unit (`2.4万㎡`): none is read in the line's
    row = sheet.meta.rows["money_unit"]
    columns = {
        m: "、".join(split_header(b.header)[0] for b in match.bindings if _measure(b) == m)
        for m, _ in reading.meant
    }
    # A count's 万 is spelled in what it counts (万户), as a header's would be.
    counts = next((b.column.counts for b in match.bindings if _bare_count(b) and b.column.counts), None)
    spelled = {
        m: magnitude_unit(reading.written, counts) if m == "count" and counts else u for m, u in reading.meant
    }
    readings = [f"{spelled[m]}（{columns[m]}）" for m, _ in reading.meant]
    meant = "或".join(("、".join(readings[:-1]), readings[-1]))
    line = f"单位：{sheet.meta.money_unit}"
    # `单位：万元、万`: the 万 is asked, the 万元 being money's.
    line_said = (
        f"“{line}”" if sheet.meta.money_unit == reading.written else f"“{line}”中的“{reading.written}”"
    )
    said = f"表上方第{row}行{line_said}可指{meant}"
    label = binding.column.header
    base = _unit_name(binding, measure, registry)
    if reading.issue == "unit":
        sheet.error(
            rule="unit",
            excel_row=row,
            header=binding.header,
            value=line,
            expected=f"{line_said}可指{meant}，无法确定本列按哪一种读取",
            fix=f"请在表头注明单位，如「{label}（{spelled[measure]}）」或「{label}（{base}）」",
        )
        return
    origin = _merged_origin(grid, match.last_row + 1)
    warn_on_header(
        sheet,
        binding.header,
        rule="unit_assumed",
        expected=f"表头未注明单位，{said}，本列{'两' if len(reading.meant) == 2 else '各'}种读法数值相同，已按{base}读取",
        fix=f"请在表头注明单位，如「{label}（{base}）」",
        row=header_cell(grid, match, binding.index, origin, lambda text: text == binding.header)[0] + 1,
    )


def _written_units(
    grid: Grid, match: HeaderMatch, binding: Binding, registry: Registry, measure: str
) -> tuple[bool, str | None]:
    """Say whether a column holds a number written bare, and return its first number written with a unit of its
    measure (`1.2万㎡`); a footer's `2023年1月5日` under it is neither."""
    bare, own = False, None
    for row in grid.rows[match.last_row + 1 :]:
        value = row[binding.index] if binding.index < len(row) else None
        unit = None if is_blank(value) else unit_written(value)
        if unit == "":
            bare = True
        elif (
            unit
            and (found := registry.units.find(column_unit(unit, measure, registry.units)))
            and found[0] == measure
        ):
            own = own or str(value).strip()
    return bare, own


def _warn_group_unit(
    sheet: ParsedSheet, binding: Binding, measure: str, registry: Registry, grid: Grid, match: HeaderMatch
) -> None:
    """Warn where a column's header names another unit than the group header over it (`投资（万元）` over
    `本月完成投资（元）`): one of them is wrong; the column's own, nearer the figures, is taken."""
    origin = _merged_origin(grid, match.last_row + 1)
    group = group_header(grid, match, binding, origin)
    over = split_header(group)[1]
    # `投资（万）` is a header too: its 万 is 万元 as the column's own would be.
    reading = read_unit(measure, binding.unit, over and column_unit(over, measure, registry.units), registry)
    if over is None or reading.issue != "unit_conflict":
        return
    warn_on_header(
        sheet,
        binding.header,
        rule="unit_conflict",
        expected=(
            f"表头单位“{binding.unit}”与其上方的“{group}”的单位“{over}”不一致，"
            f"已按本列表头的{reading.context.name}读取本列数值"
        ),
        fix="请删去或改正其中一处单位",
        row=unit_cell(grid, match, binding, origin)[0] + 1,
    )
