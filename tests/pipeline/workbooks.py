"""Build fixture workbooks in code, as offices send them: xlsx/xlsm (openpyxl), xls (xlwt), csv (bytes).

Rows are lists of cell values starting at Excel row 1, column A; `None` is an empty cell.
Merged ranges are written the Excel way (`"A1:F1"`), per sheet name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import openpyxl
import xlwt
from openpyxl.utils.cell import range_boundaries

Rows = Sequence[Sequence[object]]

COMPOUND_HEADER = [
    "序号",
    "小区名称",
    "改造面积（万平方米）",
    "惠及户数（户）",
    "计划投资（万元）",
    "改造状态",
]


def xlsx(
    sheets: Mapping[str, Rows],
    *,
    merges: Mapping[str, Iterable[str]] | None = None,
    hidden: Iterable[str] = (),
    very_hidden: Iterable[str] = (),
) -> bytes:
    """Return the bytes of an .xlsx workbook with the given sheets (in order), merged ranges and hidden sheets."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=float(value) if isinstance(value, Decimal) else value)
        for cell_range in (merges or {}).get(name, ()):
            sheet.merge_cells(cell_range)
        if name in set(hidden):
            sheet.sheet_state = "hidden"
        if name in set(very_hidden):
            sheet.sheet_state = "veryHidden"
    if not book.sheetnames:
        book.create_sheet("Sheet1")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_XLS_DATE = xlwt.easyxf(num_format_str="yyyy-mm-dd")
_XLS_DATETIME = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")


def xls(
    sheets: Mapping[str, Rows],
    *,
    merges: Mapping[str, Iterable[str]] | None = None,
    hidden: Iterable[str] = (),
) -> bytes:
    """Return the bytes of an Excel 97–2003 .xls workbook, written with xlwt."""
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name, cell_overwrite_ok=True)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write(r, c, value, _XLS_DATETIME)
                elif isinstance(value, dt.date):
                    sheet.write(r, c, value, _XLS_DATE)
                elif isinstance(value, Decimal):
                    sheet.write(r, c, float(value))
                else:
                    sheet.write(r, c, value)
        for cell_range in (merges or {}).get(name, ()):
            min_col, min_row, max_col, max_row = range_boundaries(cell_range)
            sheet.merge(min_row - 1, max_row - 1, min_col - 1, max_col - 1)
        if name in set(hidden):
            sheet.visibility = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(rows: Rows, *, pad: bool = True, delimiter: str = ",") -> str:
    """Return rows as CSV text the way Excel saves it: CRLF, quoted where needed, None as empty,
    and (with `pad`) every line as wide as the widest, as Excel writes its used range."""
    width = max((len(row) for row in rows), default=0) if pad else 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    for row in rows:
        cells = ["" if value is None else value for value in row]
        writer.writerow(cells + [""] * (width - len(cells)))
    return buffer.getvalue()


def csv_bytes(rows: Rows, encoding: str = "utf-8", *, pad: bool = True, delimiter: str = ",") -> bytes:
    """Return rows as CSV bytes; `utf-8-sig` writes a BOM, `gb18030` is what Chinese Excel writes."""
    return csv_text(rows, pad=pad, delimiter=delimiter).encode(encoding)


def sheet_of(*lines: Sequence[object]) -> list[list[object]]:
    """Return rows from positional lines; a shorthand that reads like the sheet."""
    return [list(line) for line in lines]


def compound_sheet(
    *data: Sequence[object],
    title: str | None = "枣林街道办事处2022年老旧小区改造项目清单",
    unit_line: str | None = "填报单位：枣林街道办事处（盖章）",
    header: Sequence[str] = COMPOUND_HEADER,
    footer: Sequence[Sequence[object]] = (),
) -> list[list[object]]:
    """Return a compound_list sheet: optional title and 填报单位 lines, the one-row header, data, footer."""
    rows: list[list[object]] = []
    if title is not None:
        rows.append([title])
    if unit_line is not None:
        rows.append([unit_line])
    rows.append(list(header))
    rows.extend(list(row) for row in data)
    rows.extend(list(row) for row in footer)
    return rows
