"""Read a matched sheet's data rows into typed records, with lineage and units, checking its 合计/小计 rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pipeline.cell_parsers import cell_parser, quantity_parser, written_date_parser, written_month_parser
from pipeline.column_units import _unit_context
from pipeline.date_values import DatedMonth
from pipeline.flattened import LOST_MERGE, flattened_headings
from pipeline.grids import Grid
from pipeline.header_match import HeaderMatch
from pipeline.indicator_values import read_indicator, unit_unwritten
from pipeline.indicator_warnings import blank_actual, scored_by_outcome, unscored, unscored_words
from pipeline.parsed_sheet import ParsedSheet
from pipeline.printed import only_printed, printed_parser
from pipeline.problems import Problem, Severity
from pipeline.registry import Registry
from pipeline.registry_columns import SUMMABLE_TYPES, ColumnType
from pipeline.registry_templates import Template
from pipeline.row_kinds import (
    complete_row,
    fill_vertical_merges,
    filled_width,
    labels_only_in,
    row_kind,
    starts_with,
)
from pipeline.row_problems import _error_after_footer, _error_breakdown, _error_wider_row, _warn_hidden_rows
from pipeline.rules import amount_indicator, computed_indicator, qualitative_readings, rate_indicator
from pipeline.sheet_meta import SheetMeta, read_meta, row_text
from pipeline.sheet_totals import _check_total, _sum_unit_column
from pipeline.sheet_units import convert_by_row_unit
from pipeline.text import squash
from pipeline.ticks import read_ticks
from pipeline.values import (
    EXCEL_ERRORS,
    CellError,
    Noted,
    formula_error,
    is_blank,
    squashed,
)


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


def parse_sheet(grid: Grid, match: HeaderMatch, registry: Registry) -> ParsedSheet:
    """Read every data row of a matched sheet into typed records, checking 合计/小计 rows on the way."""
    template = match.template
    sheet = ParsedSheet(grid.name, template, (match.first_row + 1, match.last_row + 1), match.bindings)
    above = [row_text(r) for r in grid.rows[: match.first_row]]
    sheet.meta = read_meta(above)
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
    # Cells under a merged amount left empty: a required one is told why it reads as empty.
    merged_into = {
        (index, left): top
        for (top, left), (bottom, _) in grid.merged
        if top > match.last_row
        for index in range(top + 1, bottom + 1)
    }
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
                sheet=grid.name,
                excel_row=match.last_row + 1,
                column_header=column.header,
                expected=f"应有「{column.header}」列",
                fix=fix,
            )
        )
    contexts = {
        b.column.name: _unit_context(b, registry, sheet.meta, sheet, grid, match) for b in match.bindings
    }
    sheet.written_units = {name: c for name, c in contexts.items() if c.factor != 1}
    parsers = {
        b.column.name: cell_parser(b.column, registry.units, contexts[b.column.name]) for b in match.bindings
    }
    if grid.as_text:
        # A CSV keeps no number format to tell 2022.10 shown as `2022.1` from January: its dates are read as text,
        # and so are its months written with their year.
        written = {ColumnType.DATE: written_date_parser, ColumnType.MONTH: written_month_parser}
        parsers.update(
            {b.column.name: written[b.column.type] for b in match.bindings if b.column.type in written}
        )
    if template.row_unit is not None and template.row_unit.value in parsers:
        parsers[template.row_unit.value] = quantity_parser(registry.units)
    # Name columns a printed form writes `指标1：` or `……` in: the prefix dropped, a placeholder alone no name.
    printed = [(b.index, b.column) for b in match.bindings if b.column.strip_prefix or b.column.placeholder]
    for _, column in printed:
        parsers[column.name] = printed_parser(column, parsers[column.name])
    summable = [b for b in match.bindings if b.column.type in SUMMABLE_TYPES and b.column.adds_up]
    row_unit = next(
        (b for b in match.bindings if template.row_unit and b.column.name == template.row_unit.unit), None
    )
    # A 合计 row reads its amounts and, where each row names its own unit, that unit too.
    total_columns = summable + ([row_unit] if row_unit else [])
    # What the loop below needs of each column, looked up once per sheet instead of once per cell.
    data_cells = [(b.column.name, b.index, parsers[b.column.name], b) for b in match.bindings if not b.ticks]
    tick_groups = [b for b in match.bindings if b.ticks]
    total_cells = [(b.column.name, b.index, parsers[b.column.name], b) for b in total_columns]
    required = [(b.column.name, b) for b in match.bindings if b.column.required]
    by_name = {b.column.name: b for b in match.bindings}
    qualitative = (
        qualitative_readings() if any(b.column.read_against for b in match.bindings) else frozenset()
    )
    read_against = [(b, by_name.get(b.column.read_against)) for b in match.bindings if b.column.read_against]
    totals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    subtotals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    part = template.part_of_previous
    part_prefixes = [(p, squash(p)) for p in part.prefixes] if part is not None else []
    parents: dict[object, str] = {}  # the latest row each part may belong to, by its `within` value
    unreadable: set[str] = set()  # columns with a cell that failed to parse: their sums prove nothing
    footer_lines: list[str] = []
    footer_row = 0
    ends_at = [squash(word) for word in template.ends_at]
    row_unit_rule = template.row_unit
    # Each amount's running-sum key as _sum_key gives it: fixed, or (for a quantity in its row's unit) per row.
    summed = [
        (name, _sum_unit_column(name, template), (name, None)) for name in (b.column.name for b in summable)
    ]
    leading: tuple[int, dict] | None = None  # a 合计 above every data row: (its Excel row, its amounts)
    required_cells = [(b.index, parsers[name]) for name, b in required if not b.ticks]
    # A CSV row with more fields than its header is shifted (an unquoted 1,250.10 is two fields): read, every
    # field after the split would land in the next column.
    header_width = (
        max(filled_width(grid.rows[r]) for r in range(match.first_row, match.last_row + 1))
        if grid.as_text
        else 0
    )
    after_footer: list[int] = []  # data rows found below the first footer line: not read
    # A row with only these written is an unused line of a printed form: its 序号, or its pre-printed headings.
    unused_line = frozenset(b.index for b in match.bindings if b.column.ordinal or b.column.preprinted)
    # A paragraph opening with `累计（截至12月）…` or `合计：` is text, not the label of a 合计 row.
    prose = frozenset(b.index for b in match.bindings if b.column.type is ColumnType.PROSE)
    after_total = False  # the rows since a 合计, while they are its `其中：…` breakdown
    # A national form saved as CSV: its merged 一级/二级指标 are written on their first row only.
    headings = flattened_headings(grid, match)
    for index in range(match.last_row + 1, len(grid.rows)):
        row = grid.rows[index]
        excel_row = index + 1
        kind = row_kind(row)
        if kind in ("total", "subtotal") and prose and labels_only_in(row, prose):
            kind = "data"
        elif kind == "breakdown" and part is not None:
            kind = "data"  # a template with parts reads them (part_of_previous)
        if footer_lines and kind == "data" and complete_row(row, required_cells):
            # A note line (`注：…`) put between data rows would end the table there, its rows below unread.
            after_footer.append(excel_row)
        if footer_lines:
            kind = "footer"
        if ends_at and kind != "footer" and starts_with(row, ends_at):
            kind = "footer"
        if kind == "data" and (unused_line or printed) and only_printed(row, unused_line, printed):
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
        after_total = kind in ("total", "subtotal")
        if header_width and (written := filled_width(row)) > header_width:
            _error_wider_row(sheet, excel_row, written, header_width)
        values, failed = {}, set()
        is_total = kind in ("total", "subtotal")
        if headings is not None and not is_total:
            headings.carry(row, excel_row)
        width = len(row)
        for name, position, parse, binding in total_cells if is_total else data_cells:
            raw = row[position] if position < width else None
            if raw is None or (isinstance(raw, str) and is_blank(raw)):  # a number is never blank
                values[name] = None
                continue
            try:
                value = parse(raw)
                # A text column keeps #N/A as text; a number column has refused it already, in its own words.
                if raw.__class__ is str and raw.strip() in EXCEL_ERRORS:
                    raise formula_error("不能是公式错误值")
            except CellError as exc:
                values[name] = None
                failed.add(name)
                sheet.error(
                    rule=exc.rule,
                    excel_row=excel_row,
                    header=binding.header,
                    value=raw,
                    expected=exc.expected,
                    fix=exc.fix,
                )
                continue
            if isinstance(value, Noted):
                sheet.warn(value, excel_row=excel_row, header=binding.header, value=raw)
                value = value.value
            elif value.__class__ is DatedMonth:
                sheet.dated_months[excel_row, name] = (value, raw)
                value = value.month
            if (
                value.__class__ is str
                and raw.__class__ is str
                and value != raw
                and value != (raw := raw.strip())
            ):
                sheet.written_text[excel_row, name] = raw
            values[name] = value
        for binding in () if is_total else tick_groups:
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
        if row_unit_rule is not None:
            try:
                if (converted := convert_by_row_unit(values, template, registry)) is not None:
                    sheet.row_units[excel_row, row_unit_rule.value] = converted
            except CellError as exc:
                # A unit that cannot be converted is the 单位 cell's fault; a quantity's own unit, the quantity's.
                binding = by_name.get(row_unit_rule.unit if exc.rule == "unit" else row_unit_rule.value)
                binding = binding or by_name[row_unit_rule.value]
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
        if is_total:
            if kind == "total" and not sheet.records and leading is None:
                # A 合计 right under the header, as statistical forms put it: it sums the rows below it.
                leading = (excel_row, values)
                continue
            sums = subtotals if kind == "subtotal" else totals
            checkable = [b for b in summable if b.column.name not in unreadable]
            _check_total(sheet, excel_row, values, checkable, sums, contexts, template)
            if kind == "subtotal":
                subtotals.clear()
            continue
        unreadable |= failed
        for name, binding in required:
            if values[name] is None and name not in failed:
                top = merged_into.get((index, binding.index)) if merged_into else None
                if top is not None:  # the clerk sees the merged figure on this row too
                    expected = (
                        f"此项为必填项；该单元格与第{top + 1}行合并，合并单元格中的数值只算作第{top + 1}行的"
                    )
                    fix = "请取消合并单元格，为每一行分别填写"
                elif headings is not None and not binding.ticks:
                    expected, fix = f"此项为必填项；{LOST_MERGE}", "请在该行填写"
                else:
                    expected = "此项为必填项"
                    # Ticks: the clerk is told where the mark goes, not only that something is missing.
                    fix = (
                        f"请在“{'”“'.join(t.header for t in binding.ticks)}”中勾选一项"
                        if binding.ticks
                        else "请补充填写"
                    )
                sheet.error(
                    rule="required",
                    excel_row=excel_row,
                    header=binding.header,
                    value=None,
                    expected=expected,
                    fix=fix,
                )
        for binding, target_binding in read_against:
            if binding.column.name in failed or binding.column.read_against in failed:
                continue  # its error is told already; read against nothing, it would be told again as blank
            reported, target = values[binding.column.name], values.get(binding.column.read_against)
            if not (reported or target):
                continue
            reading = read_indicator(
                target,
                reported,
                target_binding and target_binding.unit,
                binding.unit,
                rate_indicator(values.get("level3")),
                values.get("level3"),
            )
            # A bare target of an amount the data compute (`改造面积` `≥24.4`) is compared with the value reported,
            # not the data's (mart.self_evaluation's `targets`): the clerk is asked for its unit.
            unbound = (
                amount_indicator(values.get("level3"))
                if reading.error is None and reading.target_number is not None and reading.target_unit is None
                else None
            )
            if reading.target_unit == "%" and binding.index < width:
                # A bare number against a percent target is read in points; its cell's format may say otherwise.
                sheet.note_percent_number(index, binding.index, row[binding.index])
            elif target and not reading.target_unit:
                # Against a target with no unit, a number Excel shows as 98.00% (stored 0.98) is read as 0.98: its
                # format is asked, so both are read as the clerk sees them.
                for shown in (binding, target_binding):
                    if (
                        shown is not None
                        and shown.index < width
                        and row[shown.index].__class__ in (float, int)
                    ):
                        sheet.percent_numbers.append((index, shown.index))
            if reading.error is not None:
                where = target_binding if reading.error_in_target and target_binding else binding
                sheet.error(
                    rule=reading.error.rule,
                    excel_row=excel_row,
                    header=where.header,
                    value=target if reading.error_in_target else reported,
                    expected=reading.error.expected,
                    fix=reading.error.fix,
                )
            elif reading.noted is not None and reading.noted_in_target and target_binding is not None:
                sheet.warn(reading.noted, excel_row=excel_row, header=target_binding.header, value=target)
            elif reading.noted is not None and reported:
                noted = reading.noted
                if noted.rule == "indicator_not_number" and reported.strip() in qualitative:
                    noted = scored_by_outcome(target, reported)
                sheet.warn(noted, excel_row=excel_row, header=binding.header, value=reported)
            elif unscored_words(reading.operator, target, reported, qualitative):
                noted = unscored(target, reported, qualitative)
                sheet.warn(noted, excel_row=excel_row, header=binding.header, value=reported)
            if (
                reading.error is None
                and target
                and not reported
                and (unbound or not computed_indicator(values.get("level3")))
            ):
                # Nothing to score it by: it counts 0, which the clerk must hear of before the report says so.
                noted, shown = blank_actual(row[binding.index] if binding.index < width else None)
                sheet.warn(noted, excel_row=excel_row, header=binding.header, value=shown)
            if reading.error is None and reading.target_noted is not None and target_binding is not None:
                sheet.warn(
                    reading.target_noted, excel_row=excel_row, header=target_binding.header, value=target
                )
            if unbound and target_binding is not None:
                noted = unit_unwritten(target, unbound)
                sheet.warn(noted, excel_row=excel_row, header=target_binding.header, value=target)
        if part is not None:
            item = values.get(part.column) or ""
            folded_item = squashed(item)
            prefix = next((p for p, folded in part_prefixes if folded_item.startswith(folded)), None)
            group = values.get(part.within) if part.within else None
            values["parent_item"] = parents.get(group) if prefix else None
            if prefix is None:
                parents[group] = item
            elif values["parent_item"] is None and part.column not in failed:
                # Summed as a row of its own, or as a part of another 类别's row, it would count twice or wrongly.
                binding = by_name[part.column]
                sheet.error(
                    rule="part_without_parent",
                    excel_row=excel_row,
                    header=binding.header,
                    value=row[binding.index],
                    expected="“其中”行是上方某一行的组成部分，但它上方没有可归属的行"
                    + (
                        f"（同一{by_name[part.within].header}“{group}”中）"
                        if part.within in by_name and group
                        else ""
                    ),
                    fix="请把该行移到它所属的行之下，或删去“其中”二字",
                )
        is_part = part is not None and values.get("parent_item") is not None
        if not is_part:
            for name, unit_column, key in summed:
                amount = values[name]
                if isinstance(amount, _AMOUNT):
                    if unit_column is not None:
                        key = (name, values.get(unit_column))
                    totals[key] += amount
                    subtotals[key] += amount
        values["excel_row"] = excel_row
        sheet.records.append(values)
    if leading is not None:
        checkable = [b for b in summable if b.column.name not in unreadable]
        _check_total(sheet, leading[0], leading[1], checkable, totals, contexts, template, where="下方")
    if after_footer:
        _error_after_footer(sheet, footer_row, footer_lines[0], after_footer)
    if grid.hidden_rows:
        _warn_hidden_rows(sheet, grid.hidden_rows)
    if headings is not None and (carried := headings.problem(grid.name)) is not None:
        sheet.problems.append(carried)
        sheet.carried = headings.carried_rows()
    sheet.meta = read_meta(footer_lines, sheet.meta, first_row=footer_row)
    sheet.footer_row = footer_row or None
    return sheet


# What a running sum adds up (bool included, as isinstance(x, int) takes it).
_AMOUNT = (int, Decimal)
