"""Read a matched sheet's data rows into typed records, with lineage and units, checking its 合计/小计 rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.cell_parsers import cell_parser, quantity_parser, written_date_parser, written_month_parser
from pipeline.date_values import DatedMonth
from pipeline.flattened import LOST_MERGE, flattened_headings
from pipeline.header import Binding, HeaderMatch, _merged_origin, header_cell, unit_cell
from pipeline.indicator_values import read_indicator, unit_unwritten
from pipeline.indicator_warnings import blank_actual, scored_by_outcome, unscored, unscored_words
from pipeline.printed import only_printed, printed_parser
from pipeline.problems import Problem, Severity, cell_problem, display, row_problem
from pipeline.reader import Grid
from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, SUMMABLE_TYPES, ColumnType
from pipeline.registry_templates import Template
from pipeline.row_kinds import (
    complete_row,
    fill_vertical_merges,
    filled_width,
    labels_only_in,
    row_kind,
    starts_with,
)
from pipeline.rules import amount_indicator, computed_indicator, qualitative_readings, rate_indicator
from pipeline.sheet_meta import SheetMeta, read_meta, row_text
from pipeline.sheet_units import convert_by_row_unit, read_unit
from pipeline.text import rows_text, squash
from pipeline.ticks import read_ticks
from pipeline.values import (
    EXCEL_ERRORS,
    CellError,
    Noted,
    UnitContext,
    formula_error,
    is_blank,
    squashed,
)


@dataclass(slots=True)
class ParsedSheet:
    """A sheet read against its template: typed records with lineage, and the problems found."""

    name: str
    template: Template
    header_rows: tuple[int, int]  # as Excel numbers them
    bindings: list[Binding]
    records: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    meta: SheetMeta = field(default_factory=SheetMeta)
    # Number cells (zero-based row, column) read as percent points that a percent format would show ×100
    # (1 read as 1 % or 100 %, 1.05 as 1.05 %; shown as 100%, 105%): parse_file asks their formats. Never on a receipt.
    percent_numbers: list[tuple[int, int]] = field(default_factory=list, repr=False, compare=False)
    # Where each form field stated around the table was read: name → [(Excel row, Excel column, header as written)],
    # one cell, or each a sum was added up from. Every record carries the value; this keeps its cells (ops.sheet_fields).
    field_cells: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    # Columns whose numbers were written in another unit than the one stored (金额（元） stored in 万元): name → the
    # unit's context, so a receipt can show a cell as the clerk wrote it.
    written_units: dict[str, UnitContext] = field(default_factory=dict, repr=False, compare=False)
    # Cells converted by the unit their own row names (763139300 on a row whose 单位 is 元, stored in 万元):
    # (Excel row, column name) → that unit's context, as written_units is for a header's unit.
    row_units: dict[tuple[int, str], UnitContext] = field(default_factory=dict, repr=False, compare=False)
    # The Excel row the footer lines (`填表人：…`) start at: nothing after it is read as data.
    footer_row: int | None = field(default=None, repr=False, compare=False)
    # Text cells whose value was normalised (full-width brackets, spaces inside): (Excel row, column name) → the
    # cell as written, so a receipt quotes what the clerk typed, not what it was matched as.
    written_text: dict[tuple[int, str], str] = field(default_factory=dict, repr=False, compare=False)
    # Month cells that name their year too (`2022年4月`, an Excel date): (Excel row, column name) → the reading and
    # the cell as written. The record keeps the month; parse_file holds the year to the row's 年度 once it is known.
    dated_months: dict[tuple[int, str], tuple[DatedMonth, object]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # A CSV national form's blank headings read as the one above (flattened.py): column name → those Excel rows.
    carried: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)

    def header_of(self, column: str, default: str | None = None) -> str:
        """Return a column's header as this sheet wrote it; `default` (else the column's name) where it has none."""
        found = next((b.header for b in self.bindings if b.column.name == column), None)
        return found if found is not None else default if default is not None else column

    def error(self, **kwargs) -> None:
        self.problems.append(cell_problem(sheet=self.name, **kwargs))

    def note_percent_number(self, r: int, c: int, raw: object) -> None:
        """Keep a number cell read as percent points that a percent format would read otherwise: ≥ 1, or < 0."""
        # 0 < n < 1 reads the same either way (0.95 is 95 %); a bare 1 is 1 % or 100 %, 1.05 1.05 % or 105 %, read by
        # the target (percent_ambiguous) unless Excel shows 105%. A text `1` shows as typed, whatever its format.
        if raw.__class__ in (float, int) and (raw >= 1 or raw < 0):
            self.percent_numbers.append((r, c))

    def warn(self, noted: Noted, **where) -> None:
        """Tell the clerk which of a cell's readings was taken."""
        self.problems.append(
            cell_problem(
                noted.rule,
                sheet=self.name,
                expected=noted.expected,
                fix=noted.fix,
                severity=Severity.WARNING,
                **where,
            )
        )


def _unit_context(
    binding: Binding, registry: Registry, meta: SheetMeta, sheet: ParsedSheet, grid: Grid, match: HeaderMatch
) -> UnitContext:
    """Return the unit a column's numbers are written in: its header's, else the `单位：` line's, else the base."""
    measure = MEASURE_OF_TYPE.get(binding.column.type)
    if binding.column.type is ColumnType.PERCENT:
        return UnitContext(name=binding.unit)
    if binding.column.type is ColumnType.COUNT:
        # 惠及户数（万户）: counts are kept in ones, so a header's 万户 multiplies every bare number beneath it.
        found = registry.units.find(binding.unit)
        return UnitContext(found[1], found[2]) if found is not None and found[0] == "count" else UnitContext()
    if measure is None:
        return UnitContext()
    # The `单位：` line names money's unit (submissions.md); where it names an area's too (`单位：万平方米、万元`), that
    # is the area's unit as surely.
    reading = read_unit(measure, binding.unit, meta.money_unit, registry)
    if reading.issue is None:
        return reading.context
    # Each is told on the row its unit (or, none written, its header) shows on, which of a header of two or three
    # rows may be any of them.
    origin = _merged_origin(grid, match.last_row + 1)
    if reading.issue == "unit":
        base = registry.units.measures[measure].base
        sheet.error(
            rule="unit",
            excel_row=meta.rows.get("money_unit")
            if reading.on_line
            else unit_cell(grid, match, binding, origin)[0] + 1,
            header=binding.header,
            value=reading.written,
            expected=f"单位应为{'、'.join(registry.units.measures[measure].units)}之一",
            fix=f"请在表头注明可识别的单位，如（{base}）",
        )
    elif reading.issue == "unit_assumed":
        # 1.2 under a bare 改造面积 may be 1.2 万㎡ or 1.2 ㎡, 200 under a bare 金额 200 万元 or 200 元: the clerk is told
        # which was taken, once, on the header.
        base = registry.units.measures[measure].base
        warn_on_header(
            sheet,
            binding.header,
            rule="unit_assumed",
            expected=f"表头未注明单位，已按{base}读取本列数值",
            fix=f"请在表头注明单位，如「{binding.column.header}（{base}）」",
            row=header_cell(grid, match, binding.index, origin, lambda text: text == binding.header)[0] + 1,
        )
    elif reading.issue == "unit_conflict":
        # `单位：元` above a `计划投资（万元）` header: one of them is wrong; the header, nearer the figures, is taken.
        warn_on_header(
            sheet,
            binding.header,
            rule="unit_conflict",
            expected=f"表头单位与表上方的“单位：{reading.written}”不一致，已按表头的{reading.context.name}读取本列数值",
            fix="请删去或改正其中一处单位",
            row=unit_cell(grid, match, binding, origin)[0] + 1,
        )
    return reading.context


def warn_on_header(
    sheet: ParsedSheet,
    header: str,
    *,
    rule: str,
    expected: str,
    fix: str,
    severity: Severity = Severity.WARNING,
    row: int,
) -> None:
    """Warn of how a column was read, on its header as written: 第4行「改造面积」：表头未注明单位，已按…

    `row`: the Excel row the text warned of shows on (header.header_cell, header.unit_cell).
    """
    sheet.problems.append(
        Problem(
            severity,
            rule,
            f"第{row}行「{header}」：{expected}，{fix}。",
            sheet=sheet.name,
            excel_row=row,
            column_header=header,
            expected=expected,
            fix=fix,
        )
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


def _error_wider_row(sheet: ParsedSheet, excel_row: int, width: int, header_width: int) -> None:
    """Return a CSV whose row has more fields than its header: its values may have moved into the wrong columns."""
    expected = (
        f"第{excel_row}行有{width}栏，表头只有{header_width}栏，无法确定各栏对应哪一列"
        "（常见原因：数字中的千分位逗号未加引号，如1,250.10被当作1和250.10两栏，其后各栏随之错位）"
    )
    fix = (
        "请去掉该行数字中的千分位逗号（或在Excel中打开后另存为.xlsx），表格右侧若写有备注请删去，然后重新报送"
    )
    sheet.problems.append(
        row_problem("csv_fields", sheet=sheet.name, excel_row=excel_row, expected=expected, fix=fix)
    )


def _error_after_footer(sheet: ParsedSheet, footer_row: int, footer_line: str, rows: list[int]) -> None:
    """Return a sheet whose data rows go on below a footer or note line: unread, they would be lost unsaid."""
    shown = footer_line if len(footer_line) <= 30 else footer_line[:30] + "…"
    expected = (
        f"{rows_text(rows)}是数据行，但位于第{footer_row}行“{shown}”之下；"
        "该行之下的内容都按表尾说明处理，这些数据行未读取"
    )
    fix = "说明、备注和填表人等只能写在表格最下方：请把该行移到所有数据行和合计行之下，或删除该行"
    sheet.problems.append(
        row_problem("data_after_footer", sheet=sheet.name, excel_row=rows[0], expected=expected, fix=fix)
    )


def _warn_hidden_rows(sheet: ParsedSheet, hidden: tuple[int, ...]) -> None:
    """Ask about data rows the clerk hid in Excel: dropped as old data, or only tidied out of view? Counted as sent."""
    hidden_set = set(hidden)
    rows = [r["excel_row"] for r in sheet.records if r["excel_row"] in hidden_set]
    if not rows:
        return  # hidden titles, blank rows, footers: nothing of them is counted
    sheet.problems.append(
        row_problem(
            "hidden_rows",
            sheet=sheet.name,
            excel_row=rows[0],
            expected=f"{rows_text(rows)}是隐藏行，其数据已按报送计入",
            fix=f"如{'这些行' if len(rows) > 1 else '该行'}不应报送，请删除后重新报送；如只是为便于查看而隐藏，无需处理",
            severity=Severity.WARNING,
        )
    )


def _error_breakdown(sheet: ParsedSheet, excel_row: int, row: list[object], match: HeaderMatch) -> None:
    """Refuse a `其中：…` row found under a data row of a template that has no parts: it would be counted twice."""
    position, text = next((i, c) for i, c in enumerate(row) if isinstance(c, str) and c.strip())
    header = next((b.header for b in match.bindings if b.index == position), None)
    sheet.error(
        rule="breakdown_row",
        excel_row=excel_row,
        header=header,
        value=text,
        expected="“其中”行是上一行的组成部分，本表不能单列，否则该部分会重复计算",
        fix="请删去该行；如确为单独的一项，请删去“其中”二字",
    )


def _check_total(
    sheet: ParsedSheet,
    excel_row: int,
    stated: dict,
    summable: list[Binding],
    sums: dict[tuple[str, str | None], Decimal],
    contexts: dict[str, UnitContext],
    template: Template,
    where: str = "上方",
) -> None:
    """Report each amount of a 合计/小计 row that differs from its rows' sum by more than 0.01 in its unit."""
    for binding in summable:
        name = binding.column.name
        if stated.get(name) is None:
            continue
        factor = contexts[name].factor
        key = _sum_key(binding, stated, template)
        if key not in sums and key[1] is None:
            # A 合计 row naming no unit under rows that all share one unit means that unit.
            same_column = [k for k in sums if k[0] == name]
            key = same_column[0] if len(same_column) == 1 else key
        summed = sums.get(key, Decimal(0))
        if abs(stated[name] - summed) > Decimal("0.01") * factor:
            sheet.error(
                rule="total_mismatch",
                excel_row=excel_row,
                header=binding.header,
                value=display(stated[name] / factor),
                expected=f"应等于{where}各行之和{display((summed / factor).normalize())}",
                fix="请核对合计数或明细数据",
            )


def _sum_key(binding: Binding, values: dict, template: Template) -> tuple[str, str | None]:
    """Key a running sum by column, and by the row's own unit where rows name one (平方米 and 户 never add up)."""
    unit_column = _sum_unit_column(binding.column.name, template)
    return binding.column.name, values.get(unit_column) if unit_column is not None else None


def _sum_unit_column(name: str, template: Template) -> str | None:
    """Return the column naming the unit a column's amounts are summed in, when each row names its own."""
    rule = template.row_unit
    return rule.unit if rule is not None and name == rule.value else None


# What a running sum adds up (bool included, as isinstance(x, int) takes it).
_AMOUNT = (int, Decimal)
