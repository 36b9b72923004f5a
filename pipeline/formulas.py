"""Find the formula cells an .xlsx holds without their result, which every reader sees as empty."""

from __future__ import annotations

import io
import re
import zipfile

from pipeline.xlsx_parts import xlsx_sheet_parts

# A cell and what it holds: `<c r="D5" s="1"><f>300*2</f></c>` is a formula saved without its value `<v>`, as
# programs that write workbooks (openpyxl, some exporters) leave them until Excel or WPS computes and saves them.
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
_REFERENCE = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>[^<]")  # a value written: openpyxl writes `<v></v>` for none


def unsaved_formulas(content: bytes, sheet: str) -> set[str]:
    """Return the references (`D5`) of a sheet's formula cells saved without a value; empty if it cannot tell."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            part = xlsx_sheet_parts(archive).get(sheet)
            if part is None:
                return set()
            # Read only when a required cell was empty: the sheet passed the limits already, so it fits in memory.
            xml = archive.read(part)
    except (zipfile.BadZipFile, KeyError, OSError):
        return set()
    found = set()
    for attributes, inner in _CELL.findall(xml):
        if not _FORMULA.search(inner) or _VALUE.search(inner):
            continue
        if reference := _REFERENCE.search(attributes):
            found.add((reference.group(1) + reference.group(2)).decode("ascii").upper())
    return found
