"""Hold one sheet read against its template: its typed records with lineage, and the problems found."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.date_values import DatedMonth
from pipeline.header_match import Binding
from pipeline.problems import Problem, Severity, cell_problem
from pipeline.registry_templates import Template
from pipeline.sheet_meta import SheetMeta
from pipeline.values import Noted, UnitContext


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
    # The form fields found but read as nothing: [(Excel row, Excel column, header as its problems name it)], so
    # parse_file can tell of one that holds a formula saved without its result (unsaved_cells.py).
    blank_fields: list[tuple[int, str, str]] = field(default_factory=list, repr=False, compare=False)
    # The amounts a 合计/小计 row leaves empty: [(Excel row, Excel column, header as written)], so parse_file can tell
    # of one that holds a formula saved without its result, a total that could not be checked (unsaved_cells.py).
    blank_totals: list[tuple[int, str, str]] = field(default_factory=list, repr=False, compare=False)
    # Columns and form fields whose numbers were written in another unit than the one stored (金额（元）, 项目资金（元）
    # stored in 万元): name → the unit's context, so a receipt can show a cell as the clerk wrote it.
    written_units: dict[str, UnitContext] = field(default_factory=dict, repr=False, compare=False)
    # Cells converted by the unit their own row names (763139300 on a row whose 单位 is 元, stored in 万元):
    # (Excel row, column name) → that unit's context, as written_units is for a header's unit.
    row_units: dict[tuple[int, str], UnitContext] = field(default_factory=dict, repr=False, compare=False)
    # The Excel row the footer lines (`填表人：…`) start at: nothing after it is read as data.
    footer_row: int | None = field(default=None, repr=False, compare=False)
    # The zero-based column a second copy of the table starts at, right of the first (`header_checks`, an error):
    # nothing from it on is read, nor told of again cell by cell.
    side_table: int | None = field(default=None, repr=False, compare=False)
    # Text cells whose value was normalised (full-width brackets, spaces inside): (Excel row, column name) → the
    # cell as written, so a receipt quotes what the clerk typed, not what it was matched as.
    written_text: dict[tuple[int, str], str] = field(default_factory=dict, repr=False, compare=False)
    # Numbers written as text other than bare digits (`1,000`, `200户`): (Excel row, column name) → the cell as
    # written and the value read from it, so a receipt quotes `1,000` as typed, not as 1000.
    written_numbers: dict[tuple[int, str], tuple[str, object]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Month cells that name their year too (`2022年4月`, an Excel date): (Excel row, column name) → the reading and
    # the cell as written. The record keeps the month; parse_file holds the year to the row's 年度 once it is known.
    dated_months: dict[tuple[int, str], tuple[DatedMonth, object]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Cells read as the value of a merge above them: (Excel row, column name) → the merge, so a fault found in one
    # later is told as the merge's, not as a value typed on that row.
    merged_copies: dict[tuple[int, str], tuple[tuple[int, int], tuple[int, int]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # A CSV national form's blank headings read as the one above (flattened.py): column name → those Excel rows.
    carried: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)

    def header_of(self, column: str, default: str | None = None) -> str:
        """Return a column's header as this sheet wrote it; `default` (else the column's name) where it has none."""
        found = next((b.header for b in self.bindings if b.column.name == column), None)
        return found if found is not None else default if default is not None else column

    def typed_number(self, column: str, value: object, excel_row: int | None) -> str | None:
        """Return a number cell as the clerk typed it (`1,000`) if `value` is what was read from it; else None."""
        # A value worked out for the row (the sum its 累计 should be) is no cell's: shown as a number.
        typed = self.written_numbers.get((excel_row, column)) if excel_row is not None else None
        return typed[0] if typed is not None and typed[1] == value else None

    def written_unit(self, column: str, excel_row: int | None = None) -> UnitContext | None:
        """Return the unit a cell was written in where it is not the unit stored: its row's, else its header's."""
        found = self.row_units.get((excel_row, column)) if excel_row is not None else None
        return found or self.written_units.get(column)

    def in_written_unit(self, column: str, amount: Decimal, excel_row: int | None = None) -> Decimal:
        """Return a stored amount in the unit its cell was written in (元 under 金额（元）, not the 万元 stored)."""
        context = self.written_unit(column, excel_row)
        return amount if context is None else (amount / context.factor).normalize()

    def error(self, **kwargs) -> None:
        self.problems.append(cell_problem(sheet=self.name, **kwargs))

    def note_percent_number(self, r: int, c: int, raw: object, doubted: bool = False) -> None:
        """Keep a number cell of a rate read as percent points that a percent format would read otherwise: ≥ 1, < 0,
        or one whose reading is `doubted`."""
        # 0 < n < 1 reads the same either way (0.95 is 95 %), but where the form's own figures read it in points
        # (a 执行率 of 0.96 beside 15 ÷ 1570); a bare 1 is 1 % or 100 % (percent_ambiguous), 1.05 1.05 % or 105 %,
        # unless Excel shows 105%. A text `1` shows as typed, whatever its format. (实际完成值 is a text kept as seen:
        # check_indicators asks for each of its numbers.)
        if raw.__class__ in (float, int) and (raw >= 1 or raw < 0 or doubted):
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
