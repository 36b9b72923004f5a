"""Read the visible sheets of an xlsx, xlsm or xls file into grids with calamine."""

from __future__ import annotations

import io

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from pipeline.error_cells import xlsx_error_cells
from pipeline.grids import (
    LISTS_SHEET,
    Cell,
    Grid,
    MergedRange,
    UnreadableFile,
    Workbook,
    _is_reader_failure,
    _trim,
)
from pipeline.limits import Limits
from pipeline.xls_survey import survey_xls
from pipeline.xlsx_parts import OpenXlsx, for_calamine
from pipeline.xlsx_survey import survey_xlsx


def read_excel(content: bytes, kind: str, limits: Limits) -> Workbook:
    """Read every visible sheet of an xlsx/xlsm/xls file with calamine, once the file is proved within limits."""
    # Whether any cell holds an error value: calamine reads those as blanks, which are put right below.
    survey = survey_xlsx(content, limits) if kind == "xlsx" else survey_xls(content, limits)
    try:
        read = (
            content if survey.xlsx is None else for_calamine(survey.xlsx, content, survey.partly_referenced)
        )
        book = CalamineWorkbook.from_filelike(io.BytesIO(read))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise UnreadableFile("文件已损坏，无法打开") from exc
    grids, hidden, hidden_grids = [], [], []
    name = None
    try:
        for meta in book.sheets_metadata:
            name = meta.name
            if meta.visible != SheetVisibleEnum.Visible:
                hidden.append(meta.name)
                if meta.typ == SheetTypeEnum.WorkSheet and meta.name != LISTS_SHEET:
                    hidden_grids += _hidden_grid(book, meta.name)
                continue
            grids += _grid(
                book,
                meta.name,
                survey.hidden_rows.get(meta.name, ()),
                survey.hidden_columns.get(meta.name, ()),
            )
    except UnreadableFile:
        raise
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        where = f"工作表“{name}”" if name else "工作表"
        raise UnreadableFile(f"文件内容损坏，无法读取{where}") from exc
    finally:
        book.close()
    if survey.errors and survey.xlsx is not None:
        _restore_error_cells(survey.xlsx, grids)
    elif survey.errors:  # an xls
        _restore_xls_error_cells(content, grids)
    return Workbook(
        kind,
        grids,
        hidden,
        hidden_grids=hidden_grids,
        formulas=survey.formulas,
        struck_fonts=survey.struck_fonts,
        strikes=survey.strikes,
        xlsx=survey.xlsx,
    )


def _grid(
    book: CalamineWorkbook, name: str, hidden_rows: tuple[int, ...] = (), hidden_columns: tuple[int, ...] = ()
) -> list[Grid]:
    """Read one sheet into a grid; none when it holds nothing."""
    sheet = book.get_sheet_by_name(name)
    # Keeping the empty area above and left of the data keeps row numbers as Excel shows them.
    rows = _trim(sheet.to_python(skip_empty_area=False))
    if not rows:
        return []
    merged = _merges_within(name, rows, sheet.merged_cell_ranges)
    return [Grid(name, rows, merged, hidden_rows=hidden_rows, hidden_columns=hidden_columns)]


def _hidden_grid(book: CalamineWorkbook, name: str) -> list[Grid]:
    """Read a hidden worksheet only to say whether it holds a template's table: one that cannot be read holds none,
    as the file never depended on it."""
    try:
        return _grid(book, name)
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        return []


def _merges_within(sheet: str, rows: list[list[Cell]], merged: list[MergedRange] | None) -> list[MergedRange]:
    """Clip merged ranges to the cells read; refuse merges that overlap, which Excel itself will not open.

    Cells beyond the grid are empty either way, and the layout visits every merged cell, so a merge claiming
    the whole sheet must not reach it as it is written.
    """
    height, width = len(rows), max(map(len, rows))
    clipped, covered = [], 0
    for (top, left), (bottom, right) in merged or []:
        if top >= height or left >= width or bottom < top or right < left:
            continue
        bottom, right = min(bottom, height - 1), min(right, width - 1)
        covered += (bottom - top + 1) * (right - left + 1)
        if covered > height * width:
            raise UnreadableFile(
                f"工作表“{sheet}”的合并单元格相互重叠，文件已损坏；请取消合并后另存并重新报送"
            )
        clipped.append(((top, left), (bottom, right)))
    return clipped


def _put(grid: Grid, r: int, c: int, value: object) -> None:
    """Write a cell calamine left blank (or left out, past the row's end)."""
    row = grid.rows[r]
    row.extend([""] * (c + 1 - len(row)))
    row[c] = value


def _restore_error_cells(xlsx: OpenXlsx, grids: list[Grid]) -> None:
    """Put `#DIV/0!`, `#REF!` … back where calamine left blanks, reading them from the sheets' XML."""
    for grid in grids:
        for row, column, value in xlsx_error_cells(xlsx, grid.name):
            if row <= len(grid.rows):
                _put(grid, row - 1, column - 1, value)


def _restore_xls_error_cells(content: bytes, grids: list[Grid]) -> None:
    """Put `#DIV/0!`, `#REF!` … back where calamine left blanks in an xls, reading those cells again with xlrd."""
    import xlrd

    book = xlrd.open_workbook(file_contents=content, on_demand=True, logfile=io.StringIO())
    try:
        for grid in grids:
            sheet = book.sheet_by_name(grid.name)
            for r in range(min(sheet.nrows, len(grid.rows))):
                for c, kind in enumerate(sheet.row_types(r)):
                    if kind != xlrd.XL_CELL_ERROR:
                        continue
                    _put(grid, r, c, xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#VALUE!"))
    finally:
        book.release_resources()
