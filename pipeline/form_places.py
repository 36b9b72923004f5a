"""Find where a form writes each label and value: its cells' text, merges, a label's block of prose."""

from __future__ import annotations

import re
from collections import defaultdict

from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_match import header_text
from pipeline.registry_columns import Field
from pipeline.registry_templates import Template
from pipeline.text import split_header
from pipeline.values import is_blank


def form_labels(template: Template) -> frozenset[str]:
    """Return every label a template prints around or atop its table: no value of a field is ever one of them."""
    labels: set[str] = set()
    for field in template.fields:
        labels.update(field.labels)
        labels.update(split_header(text)[0] for text in (field.block, field.row, *field.row_aliases) if text)
    for column in template.columns:
        labels.update(column.labels)
    labels.update(split_header(text)[0] for text in (template.leading_column, *template.ends_at) if text)
    return frozenset(labels)


def prose_cells(
    places: Places, label: tuple[int, int], stop: int, labels: frozenset[str]
) -> list[tuple[int, int]]:
    """Return the cells holding a label's text, in reading order: every row under the label across its columns,
    down to the next label or row `stop` (the table); with nothing there, the cells right of it on its rows
    (`预期目标 | text` over `实际完成情况 | text`)."""
    under, beside = prose_readings(places, label, stop, labels)
    return under or beside


def prose_readings(
    places: Places, label: tuple[int, int], stop: int, labels: frozenset[str]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Return the cells written under a label, as `prose_cells` reads them, and those right of it on its rows."""
    r, c = label
    bottom, right = places.extent.get(label, label)
    under: list[tuple[int, int]] = []
    for row in range(bottom + 1, stop):
        cells = [places.origin.get((row, col), (row, col)) for col in range(c, right + 1)]
        if any(_labelled(places, cell, labels) for cell in cells):
            break
        under += _texts(places, cells, under)
    beside: list[tuple[int, int]] = []
    for row in range(r, bottom + 1):
        width = len(places.grid.rows[row]) if row < len(places.grid.rows) else 0
        cells = []
        for col in range(right + 1, width):
            cell = places.origin.get((row, col), (row, col))
            if _labelled(places, cell, labels):
                break  # the next label's own text starts here (`预期目标 | 实际完成情况` on one row)
            cells.append(cell)
        beside += _texts(places, cells, beside)
    return under, beside


def _labelled(places: Places, cell: tuple[int, int], labels: frozenset[str]) -> bool:
    written = places.written.get(cell)
    return written is not None and split_header(written)[0] in labels


def _texts(
    places: Places, cells: list[tuple[int, int]], found: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return the cells written among `cells`, each merge once and none already `found`."""
    new: list[tuple[int, int]] = []
    for cell in cells:
        if cell not in found and cell not in new and not is_blank(places.cell(*cell)):
            new.append(cell)
    return new


class Places:
    """Where each label of a sheet is written: every cell's normalised text, merges followed to their origin. A
    form's blocks end at row `table` (its indicator table) and at its `labels`: no value is ever one of them."""

    def __init__(self, grid: Grid, table: int, labels: frozenset[str]):
        self.grid = grid
        self.table = table
        self.form_labels = labels
        self.origin = _merged_origin(grid)
        self.extent: dict[tuple[int, int], tuple[int, int]] = {
            top_left: bottom_right for top_left, bottom_right in grid.merged
        }
        self.labels: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.written: dict[tuple[int, int], str] = {}
        # A label written with its value in one cell (`主管部门：南阳市住房和城乡建设局`): the value after it, by field.
        self.inline: dict[str, str] = {}
        self.firsts: dict[int, tuple[int, str] | None] = {}
        self.colon_cells: list[tuple[int, int, str, str, str]] | None = None  # `_labelled_lines`, once asked
        # A block of text's label with words both under and right of it, by field: its label's cell and both.
        self.doubted: dict[str, tuple[tuple[int, int], list[tuple[int, int]], list[tuple[int, int]]]] = {}
        # A field's row labelled with a value after a colon and its cell blank (`总分：100分`), by field: the label's
        # row, column and label, and where the field's header is.
        self.in_label: dict[str, tuple[int, int, str, tuple[int, int] | None]] = {}
        # A word another field's number carried that is none of this field's values (总分 `95（合格）`), by field:
        # the cell as written and the number read from it, to say both on the word's warning.
        self.carried: dict[str, tuple[str, str]] = {}
        # A word another field's number carried where the form states this field in a cell of its own (总分 `95（优）`
        # beside `自评等级 | 良`), by field: the number's cell, the cell as written, the number read and the word.
        self.beside: dict[str, tuple[tuple[int, int, str, int], str, str, str]] = {}
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

    def _label_above(self, field: Field, r: int) -> tuple[int, int] | None:
        """Return where the nearest of a field's column labels above row r is written."""
        for above in range(r - 1, -1, -1):
            for label in field.labels:
                for row, c in self.labels.get(label, ()):
                    if row == above:
                        return row, c
        return None

    def row_unit(self, r: int) -> str | None:
        """Return the unit written on a row's label (`年度资金总额（元）`), if any."""
        first = self.first_written(r)
        if first is None:
            return None
        return split_header(self.written[(r, first[0])])[1] or None

    def _first_written(self, r: int) -> tuple[int, str] | None:
        row = self.grid.rows[r]
        for c, cell in enumerate(row):
            if (r, c) in self.written:
                # `年度资金总额：` names the row as `年度资金总额` does.
                return c, split_header(self.written[(r, c)])[0].rstrip(":")
            if not is_blank(cell):
                return None
        return None

    def locate(self, field: Field) -> tuple[int, int, str, int] | None:
        """Return the row and column of the cell holding a field's value, its header as written and that header's row.

        A field `below` its label is a block of text: where it starts (`prose` finds all of it), above the table and
        never at one of the form's labels; the cell under its label where nothing is written.
        """
        if field.row is not None:
            named = split_header(field.row)[0]
            # The row's own name first, then its aliases: a form with a 合计 of its indicators above its 总分 states
            # its total on the 总分 row. A block's rows stand above the table, the table's own (总分) below its
            # header: `合计` names the 自评表's funds total in the one and its 总分 in the other.
            where = (
                range(self.table) if field.block is not None else range(self.table + 1, len(self.grid.rows))
            )
            for rows in ({named}, {split_header(alias)[0] for alias in field.row_aliases}):
                for r in where:
                    first = self.first_written(r)
                    if first is not None and first[1] in rows and (label := self._label_above(field, r)):
                        row, c = label
                        label_written = field.row if first[1] == named else first[1]
                        return r, c, f"{label_written}·{self.written[(row, c)]}", row
            # The 总分 row's; a block's row so labelled is told of as the block unread.
            if field.block is None:
                return self._stated_in_label(field, where)
            return None
        for label in field.labels:
            for r, c in self._written_at(field, label):
                bottom, right = self.extent.get((r, c), (r, c))
                if field.below:
                    under, beside = prose_readings(self, (r, c), self.table, self.form_labels)
                    if under and beside:
                        # Words both under the label and right of it: one of them is a label nothing reads
                        # (`执行情况` for `实际完成情况`), and which cannot be told; neither is taken for the text.
                        self.doubted[field.name] = ((r, c), under, beside)
                        return None
                    cells = under or beside
                    row, column = cells[0] if cells else (bottom + 1, c)
                    return row, column, self.written[(r, c)], r
                return r, self._value_beside(r, right), self.written[(r, c)], r
        if not field.below:  # the form's lines around its table: a table's own cell is no field's
            for r, c, label, named, value in self._labelled_lines():
                if named in field.labels:
                    if not value or _NOTE_ONLY.fullmatch(value):
                        return None  # `实施单位：（盖章）`: the label, its value left blank
                    self.inline[field.name] = value
                    return r, c, label, r
        return None

    def _labelled_lines(self) -> list[tuple[int, int, str, str, str]]:
        """Return each cell written `label：value` above the table, or below its header on a line of its own or on a
        row the form labels (`总分 | … | 自评等级：良`), in order: its row, column, label as written, label as named
        and value."""
        # Split once per sheet, not once per field looked for (a form's dozen fields each went over every cell).
        if self.colon_cells is None:
            self.colon_cells = []
            for (r, c), text in self.written.items():
                if r >= self.table and not self._line_below(r, c):
                    continue
                label, colon, value = _LABEL_AND_VALUE.match(text).groups()
                if colon:
                    self.colon_cells.append((r, c, label, split_header(label)[0], value))
        return self.colon_cells

    def _line_below(self, r: int, c: int) -> bool:
        """Say whether a cell under the table's header is no indicator's: the first written on its row (a line such
        as the footer's), or on a row the form labels (its 总分 row)."""
        first = self.first_written(r)
        return first is not None and (first[0] == c or first[1] in self.form_labels)

    def _value_beside(self, r: int, right: int) -> int:
        """Return the column of a label's value on its row: the first cell written right of column `right`, past
        blank ones (`实施单位 | | 枣林街道办事处`, a spacer column), or the cell next to it where a label comes first."""
        for c in range(right + 1, len(self.grid.rows[r])):
            value = self.cell(r, c)
            if is_blank(value):
                continue
            # The next label's own cell (`主管部门 | | 实施单位 | …`), another line's (`| | 填报日期：…`) or a seal's
            # place (`| | （盖章）`): no value written.
            labelled = _labelled(self, self.origin.get((r, c), (r, c)), self.form_labels)
            noted = isinstance(value, str) and (
                _NOTE_ONLY.fullmatch(value) or _LABEL_AND_VALUE.match(value)[2]
            )
            return right + 1 if labelled or noted else c
        return right + 1

    def _stated_in_label(self, field: Field, rows: range) -> tuple[int, int, str, int] | None:
        """Return the cell of a field on a row labelled with a value after a colon (`总分：100分`), where written;
        else note the label's cell in `in_label`: its value is not read, the row's 分值 or its 得分 alike."""
        names = {split_header(text)[0] for text in (field.row, *field.row_aliases)}
        for r in rows:
            first = self.first_written(r)
            if first is None:
                continue
            label, colon, value = _LABEL_AND_VALUE.match(self.written[(r, first[0])]).groups()
            if colon and value and split_header(label)[0] in names:
                above = self._label_above(field, r)
                if above is not None and not is_blank(self.cell(r, above[1])):
                    return r, above[1], f"{label}·{self.written[above]}", above[0]
                self.in_label[field.name] = (r, first[0], label, above)
                return None
        return None

    def _written_at(self, field: Field, label: str) -> list[tuple[int, int]]:
        """Return where a field's label is written; a block of text's only above the table."""
        # The table's 完成情况 or 实际完成情况 column heads its indicators' values, never the year's goals.
        return [(r, c) for r, c in self.labels.get(label, ()) if not field.below or r < self.table]

    def prose(self, field: Field) -> str | None:
        """Return the text of a field `below` its label, as `locate` finds it: its cells' lines, one under another."""
        for label in field.labels:
            for r, c in self._written_at(field, label):
                lines = [self.cell(*cell) for cell in prose_cells(self, (r, c), self.table, self.form_labels)]
                return "\n".join(str(line).strip() for line in lines) or None
        return None


# `主管部门：南阳市住房和城乡建设局`: a label, its colon and the value after it.
_LABEL_AND_VALUE = re.compile(r"([^:：]*)([:：]?)\s*(.*)", re.S)
# `（盖章）` after a label's colon: the place of a seal, no value.
_NOTE_ONLY = re.compile(r"\s*[（(][^（）()]*[)）]\s*")

Place = tuple[int, int, str, int]  # what `Places.locate` finds: row, column, header as written, header row


def header_of(place: Place) -> str:
    """Return a block field's header as written, without its row (`全年执行数`, not `年度资金总额·全年执行数`)."""
    return place[2].split("·")[-1]
