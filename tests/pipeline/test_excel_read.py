"""An xlsx read as Excel shows it, however its writer spelled its XML or named its parts (pipeline/excel_read.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pipeline.reader import read_workbook
from tests.pipeline.workbooks import (
    COMPOUND_HEADER,
    compound_sheet,
    prefixed,
    shared_rich,
    with_member,
    xlsx,
)

SHEET_XML = "xl/worksheets/sheet1.xml"
# A compound list with a date and an error value: calamine reads the date by the styles' number formats, the text by
# the shared strings, and the error as a blank, put back from the sheet's XML.
ROWS = compound_sheet(
    [1, "宏兴小区", "1.7260", "223", "648.21", "在建", dt.date(2022, 3, 5)],
    [2, "市委小区", "1.9320", "#DIV/0!", "725.58", "已完工", dt.date(2022, 4, 1)],
    header=[*COMPOUND_HEADER, "开工日期"],
)
STANDARD = shared_rich(xlsx({"清单": ROWS}))


# The same cells as the sheet's XML spells them otherwise: an error value is put back wherever it is written.
SPELLINGS = {
    "inline strings": xlsx({"清单": ROWS}),
    "namespace prefix": with_member(xlsx({"清单": ROWS}), SHEET_XML, prefixed),
    "no references": with_member(
        xlsx({"清单": ROWS}), SHEET_XML, lambda data: re.sub(rb'(<(?:c|row)) r="[A-Z]*\d*"', rb"\1", data)
    ),
    # openpyxl, which read the error cells before, stopped at the rows the dimension claims; calamine reads on.
    "a dimension short of the cells": with_member(
        xlsx({"清单": ROWS}),
        SHEET_XML,
        lambda data: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:G4"', data),
    ),
    # Shared strings no content type names, which openpyxl could not read (the file was refused as damaged).
    "shared strings, no content type": STANDARD,
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_an_error_value_is_put_back_however_the_sheet_spells_its_cell(name):
    read = read_workbook(SPELLINGS[name], "清单.xlsx")

    assert read.grids[0].rows == read_workbook(STANDARD, "清单.xlsx").grids[0].rows
    assert read.grids[0].rows[4][3] == "#DIV/0!"
