"""Read a received file into grids of cells, one per visible, non-empty sheet."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook, SheetVisibleEnum

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
# Chinese Excel writes CSV in GB18030 (a superset of GBK); everything else should be UTF-8.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")

Cell = object
MergedRange = tuple[tuple[int, int], tuple[int, int]]


class UnreadableFile(ValueError):
    """The file is not a spreadsheet this pipeline can read; the message says why, in Chinese."""


@dataclass(slots=True)
class Grid:
    """A sheet's cells by zero-based (row, column), row 0 being Excel row 1; plus merged ranges."""

    name: str
    rows: list[list[Cell]]
    merged: list[MergedRange] = field(default_factory=list)


@dataclass(slots=True)
class Workbook:
    """The readable sheets of one file, and the sheets skipped because hidden."""

    kind: str
    grids: list[Grid]
    hidden: list[str] = field(default_factory=list)


def sniff_kind(content: bytes, filename: str) -> str:
    """Tell xlsx, xls and csv apart by content, since clerks rename files freely."""
    if not content:
        raise UnreadableFile("文件为空（0字节）")
    if content.startswith(ZIP_MAGIC):
        return "xlsx"
    if content.startswith(OLE2_MAGIC):
        return "xls"
    if filename.lower().endswith(".csv"):
        return "csv"
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        # Finance systems export delimited text under an .xls name; read it as the CSV it is.
        if _looks_delimited(content):
            return "csv"
        raise UnreadableFile("文件已损坏或不是Excel文件，无法打开")
    raise UnreadableFile("不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）")


def _looks_delimited(content: bytes) -> bool:
    head = content[:4096]
    if b"\x00" in head:
        return False
    for encoding in CSV_ENCODINGS:
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return any(sep in text for sep in (",", "\t"))
    return False


def _is_empty_row(row: list[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    while rows and _is_empty_row(rows[-1]):
        rows.pop()
    return rows


def read_excel(content: bytes, kind: str) -> Workbook:
    """Read every visible sheet of an xlsx/xlsm/xls file with calamine."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise UnreadableFile(f"文件已损坏，无法打开（{type(exc).__name__}）") from exc
    grids, hidden = [], []
    try:
        for meta in book.sheets_metadata:
            if meta.visible != SheetVisibleEnum.Visible:
                hidden.append(meta.name)
                continue
            sheet = book.get_sheet_by_name(meta.name)
            # Keeping the empty area above and left of the data keeps row numbers as Excel shows them.
            rows = _trim(sheet.to_python(skip_empty_area=False))
            if rows:
                grids.append(Grid(meta.name, rows, list(sheet.merged_cell_ranges or [])))
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"文件内容损坏，无法读取工作表（{type(exc).__name__}）") from exc
    finally:
        book.close()
    if kind == "xlsx" and _has_error_cells(content):
        _restore_error_cells(content, grids)
    return Workbook(kind, grids, hidden)


def _has_error_cells(content: bytes) -> bool:
    """Say whether any worksheet stores an error cell (`t="e"`), which calamine reads as empty."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return any(
                b't="e"' in archive.read(info)
                for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            )
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _restore_error_cells(content: bytes, grids: list[Grid]) -> None:
    """Put `#DIV/0!`, `#REF!` … back where calamine left blanks, reading those sheets again with openpyxl."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for grid in grids:
            for cells in book[grid.name].iter_rows():
                for cell in cells:
                    if getattr(cell, "data_type", None) != "e" or cell.row > len(grid.rows):
                        continue
                    row = grid.rows[cell.row - 1]
                    row.extend([""] * (cell.column - len(row)))
                    row[cell.column - 1] = cell.value
    finally:
        book.close()


def decode_text(content: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), else GB18030."""
    for encoding in CSV_ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("CSV文件编码无法识别（应为UTF-8或GB18030/GBK）")


def read_csv(content: bytes, filename: str) -> Workbook:
    """Read a CSV file as a single sheet named after the file."""
    text = decode_text(content)
    if "\x00" in text:
        raise UnreadableFile("不是文本格式的CSV文件")
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = _trim([list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)])
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Workbook("csv", [Grid(stem, rows)] if rows else [])


def read_workbook(content: bytes, filename: str) -> Workbook:
    """Read any received file into grids; raise UnreadableFile with a plain reason if it cannot be read."""
    kind = sniff_kind(content, filename)
    if kind == "csv":
        return read_csv(content, filename)
    return read_excel(content, kind)
