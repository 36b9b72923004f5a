"""Find the error values (`#DIV/0!`, `#REF!` …) an xlsx's worksheet stores, which calamine reads as blanks."""

from __future__ import annotations

import re
from html import unescape

from pipeline.cell_refs import column_number
from pipeline.xlsx_parts import REFERENCE, TAG_PREFIX, OpenXlsx, row_and_cell_tags

# A cell storing an error value, `<c r="E5" t="e"><f>C5/D5</f><v>#DIV/0!</v></c>`: its attributes (group 1) and what
# it holds (group 2); a self-closing one holds none.
_ERROR_CELL = re.compile(
    TAG_PREFIX + rb"""c\s([^>]*?\bt\s*=\s*["']e["'][^>]*?)(?<!/)>(.*?)</(?:[A-Za-z_][\w.-]*:)?c\s*>""", re.S
)
_VALUE = re.compile(TAG_PREFIX + rb"v(?:\s[^>]*)?>([^<]+)<")


def xlsx_error_cells(xlsx: OpenXlsx, sheet: str) -> list[tuple[int, int, str]]:
    """Return (Excel row, column from 1, error value) of each of a sheet's cells storing an error value."""
    part = xlsx.sheet_parts().get(sheet)
    if part is None:
        return []
    # Read whole, as only a workbook with an error cell comes here: its sheets passed the limits, and fit in memory.
    xml = xlsx.archive.read(part)
    found, unplaced = [], []
    for cell in _ERROR_CELL.finditer(xml):
        if (value := _VALUE.search(cell.group(2))) is None:
            continue  # none stored: the cell stays blank, as calamine read it
        text = unescape(value.group(1).decode("utf-8", "replace"))
        letters, digits = found_ref.groups() if (found_ref := REFERENCE.search(cell.group(1))) else (b"", b"")
        if letters and digits:
            found.append((int(digits), column_number(letters), text))
        else:
            unplaced.append((cell.start(), text))
    if unplaced:
        # A cell written without its reference stands where the tags before it put it: they are followed only then.
        places = {start: (row, column) for start, _, _, row, column in row_and_cell_tags(xml)}
        found += [(*places[start], text) for start, text in unplaced if start in places]
    return found
