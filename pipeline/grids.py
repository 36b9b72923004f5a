"""Hold a received file's sheets as grids of cells, and tell a file no parser can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.struck_cells import Strikes
    from pipeline.xlsx_parts import OpenXlsx

Cell = object
MergedRange = tuple[tuple[int, int], tuple[int, int]]
# The hidden sheet of drop-down lists `pipeline templates` puts in every blank template.
LISTS_SHEET = "下拉选项"


class UnreadableFile(ValueError):
    """The file is not a spreadsheet this pipeline can read; the message says why, in Chinese, and `fix` how to
    send it readable where its rule's general advice (`receipt_facts.FIX_ZH`) would not fit the file."""

    rule = "unreadable"

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix

    def __reduce__(self) -> tuple:
        """Keep the fix when pickled, as a reader in a process beside the parser sends its failure back."""
        return type(self), (str(self), self.fix)


class CutOffFile(UnreadableFile):
    """The file was cut off in transfer: what arrived cannot be all that was sent."""

    rule = "truncated"


@dataclass(frozen=True, slots=True)
class LastLine:
    """A CSV's last line when it may have been cut off: no line break after it, or inside an open quote."""

    excel_row: int
    fields: int
    open_quote: bool  # the file ends inside a quoted field, whose closing quote never came


@dataclass(slots=True)
class Grid:
    """A sheet's cells by zero-based (row, column), row 0 being Excel row 1; plus merged ranges."""

    name: str
    rows: list[list[Cell]]
    merged: list[MergedRange] = field(default_factory=list)
    # A CSV's cells are text as Excel showed them, with no number format kept to tell how a number was shown.
    as_text: bool = False
    # A CSV's unfinished last line, judged by parse_file against the header row once that is found.
    last_line: LastLine | None = None
    # The rows the clerk hid in Excel, as Excel numbers them: read like any other, so the receipt asks about them.
    hidden_rows: tuple[int, ...] = ()
    # The columns the clerk hid, numbered from 1 (A is 1): read like any other, so the receipt asks about them.
    hidden_columns: tuple[int, ...] = ()
    # The cells given their vertical merge's value, (row, column) → the merge: a fault in it is told once, at the top.
    filled: dict[tuple[int, int], MergedRange] = field(default_factory=dict)


@dataclass(slots=True)
class Workbook:
    """The readable sheets of one file, and the sheets skipped because hidden."""

    kind: str
    grids: list[Grid]
    hidden: list[str] = field(default_factory=list)
    # The hidden sheets holding something, read only to say whether one holds a template's table.
    hidden_grids: list[Grid] = field(default_factory=list)
    # An xlsx with a formula in some cell, an xls with one saved with an empty result: only then can a cell read
    # empty hold a formula saved without its result.
    formulas: bool = False
    # Whether a font may draw a cell or a run of its text struck through, as the limits survey found: only then are
    # cells' fonts read.
    struck_fonts: bool = True
    # What an xlsx draws struck through, as the limits survey read it.
    strikes: Strikes | None = None
    # The xlsx's zip as the limits survey opened it, for its cells' formats and fonts.
    xlsx: OpenXlsx | None = None


def _is_empty_row(row: list[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    while rows and _is_empty_row(rows[-1]):
        rows.pop()
    return rows


def _is_reader_failure(exc: BaseException) -> bool:
    """Tell a parser's failure on a file from an interrupt: Rust panics in calamine are BaseExceptions."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"
