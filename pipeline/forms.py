"""Read what a form states around its table: its fields, the points in its level names, the months it covers."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from pipeline.layout import ParsedSheet, _merged_origin, column_letter, header_text
from pipeline.problems import Severity, cell_problem, display
from pipeline.reader import Grid
from pipeline.registry import Column, ColumnType, Field, Registry
from pipeline.text import months_so_far, split_header
from pipeline.values import CellError, Noted, UnitContext, cell_parser, is_blank

# `产出指标（55分）`: a level name carrying the points of the rows under it.
_POINTS = re.compile(r"^(.*?)\s*[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]$")


def read_form(grid: Grid, sheet: ParsedSheet, registry: Registry) -> None:
    """Give every record the form's fields, strip and check points in level names, and note the months covered."""
    template = sheet.template
    places = _Places(grid) if template.fields or template.month_from_headers else None
    if template.fields:
        values = {field.name: _field_value(places, field, sheet, registry) for field in template.fields}
        for record in sheet.records:
            record.update(values)
    for column in template.columns:
        if column.points_of is not None:
            _check_points(sheet, column)
    if template.month_from_headers:
        _months_covered(places, sheet)


class _Places:
    """Where each label of a sheet is written: every cell's normalised text, merges followed to their origin."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.origin = _merged_origin(grid)
        self.extent: dict[tuple[int, int], tuple[int, int]] = {
            top_left: bottom_right for top_left, bottom_right in grid.merged
        }
        self.labels: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.written: dict[tuple[int, int], str] = {}
        self.firsts: dict[int, tuple[int, str] | None] = {}
        origin = self.origin
        for r, row in enumerate(grid.rows):
            for c, cell in enumerate(row):
                if not isinstance(cell, str):
                    continue  # no header text; most cells of a form are numbers or empty
                text = header_text(cell)
                if text and (not origin or origin.get((r, c), (r, c)) == (r, c)):
                    self.labels[split_header(text)[0]].append((r, c))
                    self.written[(r, c)] = text

    def cell(self, r: int, c: int) -> object:
        r, c = self.origin.get((r, c), (r, c))
        row = self.grid.rows[r] if r < len(self.grid.rows) else ()
        return row[c] if c < len(row) else None

    def first_written(self, r: int) -> tuple[int, str] | None:
        """Return the column and label of a row's first written cell."""
        if r not in self.firsts:  # each field stated on a row looks through every row
            self.firsts[r] = self._first_written(r)
        return self.firsts[r]

    def _first_written(self, r: int) -> tuple[int, str] | None:
        row = self.grid.rows[r]
        for c, cell in enumerate(row):
            if (r, c) in self.written:
                return c, split_header(self.written[(r, c)])[0]
            if not is_blank(cell):
                return None
        return None

    def locate(self, field: Field) -> tuple[int, int, str, int] | None:
        """Return the row and column of the cell holding a field's value, its header as written and that header's row."""
        if field.row is not None:
            for r in range(len(self.grid.rows)):
                first = self.first_written(r)
                if first is None or first[1] != split_header(field.row)[0]:
                    continue
                for above in range(r - 1, -1, -1):
                    for label in field.labels:
                        for row, c in self.labels.get(label, ()):
                            if row == above:
                                return r, c, f"{field.row}·{self.written[(row, c)]}", row
            return None
        for label in field.labels:
            for r, c in self.labels.get(label, ()):
                bottom, right = self.extent.get((r, c), (r, c))
                if field.below:
                    return bottom + 1, c, self.written[(r, c)], r
                return r, right + 1, self.written[(r, c)], r
        return None


def _field_value(places: _Places, field: Field, sheet: ParsedSheet, registry: Registry) -> object:
    """Read one field's cell as its type; a cell that cannot be read is an error on that cell."""
    found = places.locate(field)
    if found is None:
        return None
    r, c, header, _ = found
    raw = places.cell(r, c)
    if is_blank(raw) or (field.row is None and not field.below and isinstance(raw, str) and _is_label(raw)):
        return None
    # The national forms write rates in percent (93.12 is 93.12 %); money in the 万元 their blocks are headed with.
    context = UnitContext(name="%") if field.type is ColumnType.PERCENT else UnitContext()
    where = f"{header}（{column_letter(c)}列）"
    try:
        value = cell_parser(field, registry.units, context)(raw)
    except CellError as exc:
        sheet.error(
            rule=exc.rule, excel_row=r + 1, header=where, value=raw, expected=exc.expected, fix=exc.fix
        )
        return None
    if isinstance(value, Noted):
        sheet.warn(value, excel_row=r + 1, header=where, value=raw)
        value = value.value
    return value


def _is_label(text: str) -> bool:
    """Say whether a cell right of a label is itself a label (`主管部门 | | 实施单位`), so no value was written."""
    return split_header(text)[0] in {"主管部门", "实施单位", "项目名称"}


def _check_points(sheet: ParsedSheet, column: Column) -> None:
    """Strip `（N分）` from a level's name and warn where N is not the sum of its rows' points."""
    header = next((b.header for b in sheet.bindings if b.column.name == column.name), column.header)
    stated: dict[str, tuple[Decimal, int, str]] = {}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for record in sheet.records:
        text = record.get(column.name)
        if not text:
            continue
        match = _POINTS.match(text)
        name = match.group(1).strip() if match else text
        if match:
            record[column.name] = name
            stated.setdefault(name, (Decimal(match.group(2)), record["excel_row"], text))
        points = record.get(column.points_of)
        if isinstance(points, int | Decimal):
            sums[name] += points
    for name, (points, excel_row, text) in stated.items():
        if sums[name] != points:
            sheet.problems.append(
                cell_problem(
                    "points_mismatch",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=header,
                    value=text,
                    expected=f"标注的{display(points)}分应等于“{name}”下各指标分值之和{display(sums[name].normalize())}分",
                    fix="请核对一级指标标注的分值或各指标的分值",
                    severity=Severity.WARNING,
                )
            )


def _months_covered(places: _Places, sheet: ParsedSheet) -> None:
    """Note N of the form's `1-N月…` headers; headers naming different months are an error."""
    found: dict[int, tuple[int, str]] = {}
    headers = [(sheet.header_rows[1], b.header) for b in sheet.bindings]
    for field in sheet.template.fields:
        where = places.locate(field)
        if where is not None and field.row is not None:
            headers.append((where[3] + 1, where[2].split("·")[-1]))
    for excel_row, written in headers:
        months = months_so_far(written)
        if months is not None:
            found.setdefault(months, (excel_row, written))
    if len(found) == 1:
        (sheet.meta.months_so_far,) = found
        sheet.meta.rows["months_so_far"] = next(iter(found.values()))[0]
    for _months, (excel_row, written) in sorted(found.items())[1:]:
        sheet.error(
            rule="months_mismatch",
            excel_row=excel_row,
            header=written,
            value=written,
            expected=f"表头中的月份应一致（另有表头为“{found[min(found)][1]}”）",
            fix="请统一填写截至月份，如“1-7月”",
        )
