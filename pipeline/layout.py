"""Read a matched sheet's data rows into typed records, with lineage and units, checking its 合计/小计 rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pipeline.flattened import flattened_headings
from pipeline.grids import Grid
from pipeline.header_match import HeaderMatch
from pipeline.merged_rows import joins_row_above
from pipeline.parsed_sheet import ParsedSheet
from pipeline.printed import only_printed
from pipeline.problems import Problem, Severity
from pipeline.registry import Registry
from pipeline.registry_columns import SUMMABLE_TYPES, ColumnType
from pipeline.registry_templates import Template
from pipeline.row_cells import read_row
from pipeline.row_indicators import check_indicators
from pipeline.row_kinds import (
    chinese_numbered,
    complete_row,
    fill_vertical_merges,
    filled_width,
    group_heading_at,
    labels_only_in,
    row_kind,
    running_total,
    starts_with,
)
from pipeline.row_parts import Parts
from pipeline.row_problems import (
    _error_after_footer,
    _error_below_total,
    _error_breakdown,
    _error_unlabelled_total,
    _error_wider_row,
    _warn_group_heading,
    _warn_hidden_columns,
    _warn_hidden_rows,
    _warn_part_total,
    _warn_repeated_header,
    _warn_total_word,
    error_required,
    other_slice_line,
    retell_split_rows,
    warn_merged_amount,
)
from pipeline.sheet_columns import sheet_columns
from pipeline.sheet_meta import SheetMeta, read_meta, row_text
from pipeline.sheet_totals import HiddenRows, _check_total, states_sum_above
from pipeline.text import UNIT_STATED, squash
from pipeline.unit_apart import error_unit_below, error_unit_columns, unit_beside, wider_by_unit_only
from pipeline.values import CellError, is_blank, squashed


def _stated_by_lines(template: Template, meta: SheetMeta) -> set[str]:
    """Name the required columns a line above the table states for every row: `项目名称：…`, `年度：…`."""
    # The spec's year is "a 年度 column or line", and a one-project 台账 names its project once above the table; a
    # line that cannot be read (`年度：二〇二二`) still stands in, so its own error names it, not the absent column.
    stated = set()
    if template.project.line and template.project.column and meta.project is not None:
        stated.add(template.project.column)
    if "line" in template.year_from and meta.year_written is not None:
        stated.add("year")
    return stated


def _error_missing_columns(sheet: ParsedSheet, match: HeaderMatch) -> None:
    """Tell the clerk of each required column the header lacks and no line above the table stands in for."""
    template = match.template
    stated = _stated_by_lines(template, sheet.meta)
    for column in match.missing_required:
        if column.name in stated:
            continue
        fix = f"请按模板《{template.name_zh}》补充该列"
        sheet.problems.append(
            Problem(
                Severity.ERROR,
                "missing_column",
                f"表头（第{match.last_row + 1}行）缺少必填列「{column.header}」，{fix}。",
                sheet=sheet.name,
                excel_row=match.last_row + 1,
                column_header=column.header,
                expected=f"应有「{column.header}」列",
                fix=fix,
            )
        )


def _read_header_row_units(grid: Grid, match: HeaderMatch, meta: SheetMeta) -> None:
    """Read a `单位：元` written in a cell of the header's rows that no column reads, as a unit line above it is."""
    # Clerks put the unit beside the last header (`… | 摘要 | 单位：元`): unread, amounts in 元 were read as 万元, ten
    # thousand times each, warned only that the header named no unit.
    bound = {index for b in match.bindings for index in b.indices}
    for index in range(match.first_row, match.last_row + 1):
        for position, cell in enumerate(grid.rows[index]):
            if position not in bound and isinstance(cell, str) and UNIT_STATED.match(squashed(cell)):
                read_meta([cell], meta, first_row=index + 1)


def parse_sheet(grid: Grid, match: HeaderMatch, registry: Registry) -> ParsedSheet:
    """Read every data row of a matched sheet into typed records, checking 合计/小计 rows on the way."""
    template = match.template
    sheet = ParsedSheet(grid.name, template, (match.first_row + 1, match.last_row + 1), match.bindings)
    above = [row_text(r) for r in grid.rows[: match.first_row]]
    sheet.meta = read_meta(above)
    _read_header_row_units(grid, match, sheet.meta)
    # Never into an amount that adds up: one figure merged over rows may be their shared total, not each row's
    # (issue 17 wanted the national forms' merged 一级/二级指标 names); such an amount stays in its first row. An
    # amount that never adds up (`adds_up: false`: a 月报's 年度计划投资, repeated on each month's row) is no share
    # of a total, so a merge over the months is that figure on each of them.
    fill_vertical_merges(
        grid,
        match.last_row,
        {
            i
            for b in match.bindings
            if b.column.type not in SUMMABLE_TYPES or not b.column.adds_up
            for i in b.indices
        },
    )
    _error_missing_columns(sheet, match)
    columns = sheet_columns(grid, match, registry, sheet)
    if grid.filled:
        names = {index: b.column.name for b in match.bindings for index in b.indices}
        sheet.merged_copies = {(r + 1, names[c]): m for (r, c), m in grid.filled.items() if c in names}
    totals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    subtotals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    subtotalled = 0  # the data rows the subtotals add up
    hidden_rows = frozenset(grid.hidden_rows)
    # The hidden rows the totals and the subtotals add up.
    hidden_total, hidden_subtotal = HiddenRows(), HiddenRows()
    part = template.part_of_previous
    parts = Parts(part, columns.by_name) if part is not None else None
    unreadable: set[str] = set()  # columns with a cell that failed to parse: their sums prove nothing
    footer_lines: list[str] = []
    footer_row = 0
    ends_at = [squash(word) for word in template.ends_at]
    leading: tuple[int, dict] | None = None  # a 合计 above every data row: (its Excel row, its amounts)
    after_footer: list[int] = []  # data rows found below the first footer line: not read
    closed_by = 0  # the Excel row of a 合计 of every row above (not a running 累计): the table ends there
    below_total: list[int] = []  # data rows found below it
    after_total = False  # the rows since a 合计, while they are its `其中：…` breakdown
    # A national form saved as CSV, or with its merges undone: its 一级/二级指标 are written on their first row only.
    headings = flattened_headings(grid, match)
    group_headings: list[
        tuple[int, list[object], tuple[int, bool], list]
    ] = []  # (row index, row, heading, missing)
    # The header's labels by column, gathered at the first row with a cell that fails: most sheets have none.
    labels: dict[int, frozenset[str]] | None = None
    # The name columns a row of the list is one thing by (小区名称, 调查对象).
    listed = frozenset(
        b.index for b in match.bindings if b.column.unique and b.column.type is ColumnType.NAME
    )
    for index in range(match.last_row + 1, len(grid.rows)):
        row = grid.rows[index]
        excel_row = index + 1
        kind = row_kind(row)
        totalled = kind in ("total", "subtotal", "part_total")
        named_total = False  # a total of some rows written as a whole row, its label in a name of the list
        if totalled and columns.prose and labels_only_in(row, columns.prose):
            kind = "data"
        elif totalled and complete_row(row, columns.required_cells):
            # A 合计 row leaves its 日期 or 项目名称 blank. A whole row whose 摘要 reads `合计（3张发票）` is one payment of
            # three invoices: passed over as a 合计, it was lost; the clerk is told how it was read. A whole row
            # merely ending in 合计 somewhere (`改造小区数合计`) is data, but not one whose 合计 names a row of a list
            # (`东片区小计` as 小区名称): read as one more compound, it counted its group's figures twice unsaid.
            if kind == "part_total":
                named_total = labels_only_in(row, listed)
                kind = "part_total" if named_total else "data"
            elif columns.notes and labels_only_in(row, columns.notes | columns.prose):
                kind = "data"
                _warn_total_word(sheet, excel_row, row, match)
        elif kind == "breakdown" and part is not None:
            kind = "data"  # a template with parts reads them (part_of_previous)
        if footer_lines and kind == "data" and complete_row(row, columns.required_cells, slips=True):
            # A note line (`注：…`) put between data rows would end the table there, its rows below unread; one
            # with a cell that does not read (`约100`) too, or it is lost with its error unsaid.
            after_footer.append(excel_row)
        if footer_lines or excel_row in columns.legend_rows:  # a legend line under the table ends it too
            kind = "footer"
        if ends_at and kind != "footer" and starts_with(row, ends_at):
            kind = "footer"
        if kind == "data" and other_slice_line(sheet, excel_row, row, sheet.meta):
            continue
        if (
            kind == "data"
            and (columns.unused_line or columns.printed)
            and only_printed(row, columns.unused_line, columns.printed)
        ):
            kind = "blank"  # a printed form's unused row: its 序号, 二级指标 or `指标2：`, and nothing else
        if kind == "blank":
            continue
        if kind == "footer":
            footer_row = footer_row or excel_row
            footer_lines.append(row_text(row))
            continue
        if kind == "breakdown":
            # `其中：已完工` is a part of the row above: under a 合计, of the total (passed over with it); anywhere
            # else, of a row it would be counted beside, twice.
            if not after_total:
                _error_breakdown(sheet, excel_row, row, match)
            continue
        if kind == "part_total":
            # A total of some rows (`到位资金合计`): passed over as a 合计 is, but not checked, the rows it sums
            # being some only; said, since a row read as a total is no data.
            after_total = True
            named = (
                next((b.header for b in match.bindings if b.index in listed), None) if named_total else None
            )
            _warn_part_total(sheet, excel_row, row, match, named)
            continue
        after_total = kind in ("total", "subtotal")
        if (
            columns.header_width
            and (written := filled_width(row)) > columns.header_width
            and not wider_by_unit_only(row, columns.header_width)
        ):
            _error_wider_row(sheet, excel_row, written, columns.header_width)
        is_total = kind in ("total", "subtotal")
        if headings is not None and not is_total:
            headings.carry(row, excel_row)
        told = len(sheet.problems)
        values, failed = read_row(sheet, row, excel_row, is_total, columns, registry)
        if failed and not is_total and labels is None:
            labels = _header_labels(grid, match)
        if failed and not is_total and _repeats_header(labels, row):
            # The header's labels read as values that do not parse, one error a column: one row, told once. Looked
            # for only where a cell failed (a label fails in any column not of text), so a clean row costs nothing.
            del sheet.problems[told:]
            _warn_repeated_header(sheet, excel_row, sheet.header_rows)
            continue
        if is_total:
            # An amount it leaves empty may be a formula saved without its result: unsaved_cells tells of it.
            sheet.blank_totals += [
                (excel_row, b.letter, b.header) for b in columns.summable if values.get(b.column.name) is None
            ]
            if kind == "total" and not sheet.records and leading is None:
                # A 合计 right under the header, as statistical forms put it: it sums the rows below it.
                leading = (excel_row, values)
                continue
            sums = subtotals if kind == "subtotal" else totals
            checkable = [b for b in columns.summable if b.column.name not in unreadable]
            # A 合计 that names a 类型 (`合计 | 到位 | 10`) may total that kind's rows alone, not every row above.
            of_kind = _total_kind(row, columns.data_cells) if kind == "total" else None
            kind_rows = (of_kind, sheet.records) if of_kind else None
            hidden = hidden_subtotal if kind == "subtotal" else hidden_total
            _check_total(
                sheet,
                excel_row,
                values,
                checkable,
                sums,
                columns.contexts,
                template,
                of_kind=kind_rows,
                hidden=hidden if hidden.rows else None,
            )
            if kind == "subtotal":
                subtotals.clear()
                hidden_subtotal.clear()
                subtotalled = 0
            elif of_kind is None and template.row_unit is None and not running_total(row):
                # A 合计 of one 类型 (`合计 | 到位`), or of one unit's rows (建设规模 under 投资构成), may have others after it.
                # A later 合计 of every row above was checked against the rows since the last (a 合计 after each
                # month, running on): only rows below the last one are outside every total.
                closed_by = excel_row
                below_total.clear()
            continue
        unreadable |= failed
        if joins_row_above(index, values, failed, columns, sheet, match.bindings):
            continue
        missing = [b for n, b in columns.required if values[n] is None and n not in failed]
        # `一、东片区` over its compounds: its required amounts all empty, it is no row of data (told, not stored).
        if (
            missing
            and not failed
            and (headings is None or not headings.as_text)
            and (heading := group_heading_at(row, columns.ordinals, columns.names)) is not None
        ):
            group_headings.append((index, row, heading, missing))
            continue
        for binding in missing:
            top = columns.merged_into.get((index, binding.index)) if columns.merged_into else None
            written = row[binding.index] if binding.index < len(row) else None
            error_required(sheet, excel_row, binding, top, headings is not None and headings.as_text, written)
        for binding in columns.merged_optional:
            top = columns.merged_into.get((index, binding.index))
            if top is not None and values.get(binding.column.name) is None:
                warn_merged_amount(sheet, excel_row, binding, top)
        if columns.read_against:
            check_indicators(sheet, row, index, values, failed, columns)
        is_part = parts is not None and parts.place(sheet, row, excel_row, values, failed)
        if not is_part:
            if states_sum_above(values, columns.summed, subtotals, subtotalled):
                _error_unlabelled_total(sheet, excel_row, row, match)
            subtotalled += 1
            is_hidden = excel_row in hidden_rows
            if is_hidden:
                hidden_total.rows.append(excel_row)
                hidden_subtotal.rows.append(excel_row)
            for name, unit_column, key in columns.summed:
                amount = values[name]
                if isinstance(amount, _AMOUNT):
                    if unit_column is not None:
                        key = (name, values.get(unit_column))
                    totals[key] += amount
                    subtotals[key] += amount
                    if is_hidden:
                        hidden_total.sums[key] += amount
                        hidden_subtotal.sums[key] += amount
        values["excel_row"] = excel_row
        sheet.records.append(values)
        if closed_by:
            below_total.append(excel_row)
    # Looked for only in a sheet with a heading, not on every row: a data row numbered 三 makes a 序号 of 一 no
    # heading's mark.
    numbered_in_chinese = bool(group_headings) and any(
        chinese_numbered(grid.rows[r["excel_row"] - 1], columns.ordinals) for r in sheet.records
    )
    for index, row, (at, in_name), missing in group_headings:
        if in_name or not numbered_in_chinese:
            _warn_group_heading(sheet, index + 1, row, at, match)
            continue
        for binding in missing:
            top = columns.merged_into.get((index, binding.index)) if columns.merged_into else None
            error_required(
                sheet,
                index + 1,
                binding,
                top,
                False,
                row[binding.index] if binding.index < len(row) else None,
            )
    retell_split_rows(sheet, match.bindings)
    if leading is not None:
        checkable = [b for b in columns.summable if b.column.name not in unreadable]
        _check_total(
            sheet,
            leading[0],
            leading[1],
            checkable,
            totals,
            columns.contexts,
            template,
            where="下方",
            hidden=hidden_total if hidden_total.rows else None,
        )
    if after_footer:
        _error_after_footer(sheet, footer_row, footer_lines[0], after_footer)
    if below_total:
        _error_below_total(sheet, closed_by, below_total)
    if grid.hidden_rows:
        _warn_hidden_rows(sheet, grid.hidden_rows)
    if grid.hidden_columns:
        _warn_hidden_columns(sheet, grid.hidden_columns)
    if headings is not None and (carried := headings.problem(grid.name)) is not None:
        sheet.problems.append(carried)
        sheet.carried = headings.carried_rows()
    stated_above = sheet.meta.money_unit is not None
    sheet.meta = read_meta(footer_lines, sheet.meta, first_row=footer_row)
    if not stated_above and sheet.meta.money_unit is not None:
        error_unit_below(sheet, match, registry, columns.contexts, sheet.meta.rows["money_unit"])
    elif not stated_above and (beside := unit_beside(grid, match, footer_row)) is not None:
        # `单位：元` right of a data row was passed over unsaid, 50000 元 stored as 50000 万元 (a unit_assumed warning).
        error_unit_below(sheet, match, registry, columns.contexts, beside.excel_row, beside)
    error_unit_columns(sheet, grid, match, registry, columns.contexts)
    sheet.footer_row = footer_row or None
    return sheet


def _header_labels(grid: Grid, match: HeaderMatch) -> dict[int, frozenset[str]]:
    """Return the labels the header writes over each bound column, as typed: a row repeating them is no data."""
    header = grid.rows[match.first_row : match.last_row + 1]
    return {
        b.index: frozenset(
            h[b.index].strip() for h in header if b.index < len(h) and isinstance(h[b.index], str)
        )
        for b in match.bindings
    }


def _repeats_header(labels: dict[int, frozenset[str]], row: list[object]) -> bool:
    """Say whether a row writes the header's own labels in most of its bound columns (at least two)."""
    width, misses = len(row), len(labels) - max(2, -(-len(labels) // 2))
    for index, written in labels.items():
        if not (index < width and row[index].__class__ is str and row[index].strip() in written):
            misses -= 1
            if misses < 0:  # a data row: off after its first few columns
                return False
    return True


def _total_kind(row: list[object], cells: list) -> tuple[str, object] | None:
    """Return the enum column and value a 合计 row names (`类型` 到位), read as a data row's would be; None if none."""
    for name, index, parse, binding in cells:
        if binding.column.type is not ColumnType.ENUM or binding.column.multiple or index >= len(row):
            continue
        raw = row[index]
        if raw is None or (isinstance(raw, str) and is_blank(raw)):
            continue
        try:
            value = parse(raw)
        except CellError:
            continue
        if value is not None:
            return name, value
    return None


# What a running sum adds up (bool included, as isinstance(x, int) takes it).
_AMOUNT = (int, Decimal)
