"""Read a national form's blank 一级/二级指标 as the one above: a CSV keeps a merge's text in its first cell only, and a
workbook whose merges were undone (or never made) shows the same."""

from __future__ import annotations

from pipeline.grids import Grid
from pipeline.header_match import Binding, HeaderMatch
from pipeline.problems import Problem, Severity, row_problem
from pipeline.text import rows_text

# Told on a required cell a CSV form leaves blank: it may have been merged with the one above, which no CSV shows.
LOST_MERGE = "CSV文件不保留合并单元格，若原表中该格与上方单元格合并，其内容只留在合并区域的首行"


class Headings:
    """The headings a national form merges down the rows they head (一级指标, 二级指标), carried down its rows.

    Excel's “另存为CSV” keeps a merge's text in its first row and leaves the rows under it empty; so does a workbook
    whose merges were undone (取消合并), and a clerk writing a heading once over its rows leaves them so. A blank heading
    is read as the one above it in its column, as the merge showed it, but only under a heading to its left that
    was carried too: a row naming its own 一级指标 starts a new run, and its blank 二级指标 stays blank (an error of
    its own), never the 二级指标 of another 一级指标.
    """

    def __init__(self, bindings: list[Binding], as_text: bool):
        self.as_text = as_text  # a CSV, which keeps no merges; else a workbook's cells left blank, unmerged
        self.columns = sorted((b.index, b.header) for b in bindings)
        self.names = {b.index: b.column.name for b in bindings}
        self.above: list[object] = [None] * len(self.columns)
        self.carried: dict[int, list[int]] = {index: [] for index, _ in self.columns}

    def carry(self, row: list[object], excel_row: int) -> None:
        """Fill a data row's blank headings from the rows above, in place, noting each cell filled."""
        carrying = True
        width = len(row)
        for i, (index, _) in enumerate(self.columns):
            cell = row[index] if index < width else None
            if cell is not None and not (isinstance(cell, str) and not cell.strip()):
                self.above[i], carrying = cell, False
            elif carrying and self.above[i] is not None:
                if index >= width:
                    row.extend([None] * (index + 1 - width))
                    width = len(row)
                row[index] = self.above[i]
                self.carried[index].append(excel_row)
            else:  # nothing above to carry, or under a heading written on this row: the heading is unknown
                self.above[i], carrying = None, False

    def carried_rows(self) -> dict[str, tuple[int, ...]]:
        """Return the Excel rows each heading was read from above on, by column name, for the headings carried."""
        return {self.names[index]: tuple(rows) for index, rows in self.carried.items() if rows}

    def _expected(self, told: list[str]) -> str:
        """Say which blank headings were read from above, and why a blank may mean that."""
        if self.as_text:
            return (
                f"本表是CSV文件，不保留合并单元格：{'、'.join(told)}为空，已按同列上方最近填写的指标读取，"
                "与原表合并单元格的读法相同；其他栏目的空白单元格按未填写读取"
            )
        return (
            f"{'、'.join(told)}为空，且未与上方的单元格合并，已按同列上方最近填写的指标读取，"
            "与合并单元格的读法相同"
        )

    def problem(self, sheet: str) -> Problem | None:
        """Tell the clerk which blank headings were read from the rows above, and what a CSV cannot show."""
        told = [
            f"{rows_text(tuple(self.carried[index]))}的「{header}」"
            for index, header in self.columns
            if self.carried[index]
        ]
        if not told:
            return None
        first = min(row for rows in self.carried.values() for row in rows)
        return row_problem(
            "merges_carried",
            sheet=sheet,
            excel_row=first,
            expected=self._expected(told),
            fix=(
                "如有哪一行不属于上方的指标，或其他栏目原有合并单元格，请在各行分别填写，或改为报送Excel文件"
                if self.as_text
                else "如有哪一行不属于上方的指标，请在该行填写其指标名称；如属于，可将其与上方的单元格合并"
            ),
            severity=Severity.WARNING,
        )


def flattened_headings(grid: Grid, match: HeaderMatch) -> Headings | None:
    """Return the headings to carry down a national form's rows (a CSV's, or a workbook's left blank, unmerged); None
    for any other sheet."""
    if match.template.leading_column is None:
        return None
    headings = [b for b in match.bindings if b.column.preprinted]
    return Headings(headings, grid.as_text) if headings else None
