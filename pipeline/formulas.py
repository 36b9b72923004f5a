"""Find the formula cells an .xlsx or .xls holds without their result, which every reader sees as empty."""

from __future__ import annotations

import re
import struct
import zipfile

from pipeline.cell_refs import column_letter
from pipeline.xls_survey import _BOF, _EOF, _workbook_stream, _xls_sheet_names, _xls_unsaved
from pipeline.xlsx_parts import OpenXlsx

# A cell and what it holds: `<c r="D5" s="1"><f>300*2</f></c>` is a formula saved without its value `<v>`, as
# programs that write workbooks (openpyxl, some exporters) leave them until Excel or WPS computes and saves them.
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_REFERENCE = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>[^<]")  # a value written: openpyxl writes `<v></v>` for none
# Excel and WPS save a formula whose result is the empty string (`=IF(B5="","",B5*C5)`) as a text cell, `t="str"`,
# with an empty `<v></v>`: computed, its blank is what the clerk sees. openpyxl writes no `t` on a formula.
_TEXT_RESULT = re.compile(rb"""\bt\s*=\s*["']str["']""")


def unsaved_formulas(
    content: bytes, sheet: str, kind: str = "xlsx", xlsx: OpenXlsx | None = None
) -> set[str]:
    """Return the references (`D5`) of a sheet's formula cells saved without a value; empty if it cannot tell.

    An xlsx is read through its zip as the limits survey opened it (`xlsx`), else opened from the content.
    """
    if kind == "xls":
        return _unsaved_xls_formulas(content, sheet)
    try:
        xlsx = OpenXlsx(content) if xlsx is None else xlsx
        part = xlsx.sheet_parts().get(sheet)
        if part is None:
            return set()
        # Read only when a required cell was empty: the sheet passed the limits already, so it fits in memory.
        xml = xlsx.archive.read(part)
    except (zipfile.BadZipFile, KeyError, OSError):
        return set()
    found = set()
    for attributes, inner in _CELL.findall(xml):
        if not _FORMULA.search(inner) or _VALUE.search(inner) or _TEXT_RESULT.search(attributes):
            continue
        if reference := _REFERENCE.search(attributes):
            found.add((reference.group(1) + reference.group(2)).decode("ascii").upper())
    return found


def _unsaved_xls_formulas(content: bytes, sheet: str) -> set[str]:
    """Return the references of an xls sheet's formula records saved with an empty result; empty if it cannot tell.

    Unlike an .xlsx's, such a record may also be a formula Excel computed to the empty string: unsaved_cells words
    what it says of them so.
    """
    try:
        stream, start, end = _workbook_stream(content)
        offsets = [offset for offset, name in _xls_sheet_names(stream, start, end).items() if name == sheet]
    except Exception:  # the file passed the limits survey, which opened it the same way; never reject it here
        return set()
    if not offsets:
        return set()
    found, position = set(), start + offsets[0]
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = position + 4
        if kind == _EOF or (kind == _BOF and position != start + offsets[0]):
            break  # the sheet's records end here
        if _xls_unsaved(kind, stream, body, length):
            row, column = struct.unpack_from("<HH", stream, body)
            found.add(f"{column_letter(column)}{row + 1}")
        position = body + length
    return found
