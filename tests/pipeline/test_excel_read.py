"""An xlsx read as Excel shows it, however its writer spelled its XML or named its parts (pipeline/excel_read.py)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from pipeline.parse import parse_file
from pipeline.reader import read_workbook
from pipeline.xlsx_parts import SHARED_STRINGS, STYLES
from tests.pipeline.workbooks import (
    COMPOUND_HEADER,
    compound_sheet,
    moved_parts,
    moved_workbook,
    prefixed,
    shared_rich,
    with_member,
    xlsx,
)

UNIT = "枣林街道办事处"
RELS = "xl/_rels/workbook.xml.rels"
SHEET_XML = "xl/worksheets/sheet1.xml"
# A compound list with a date and an error value: calamine reads the date by the styles' number formats, the text by
# the shared strings, and the error as a blank, put back from the sheet's XML.
ROWS = compound_sheet(
    [1, "宏兴小区", "1.7260", "223", "648.21", "在建", dt.date(2022, 3, 5)],
    [2, "市委小区", "1.9320", "#DIV/0!", "725.58", "已完工", dt.date(2022, 4, 1)],
    header=[*COMPOUND_HEADER, "开工日期"],
)
STANDARD = shared_rich(xlsx({"清单": ROWS}))


def absolute(content: bytes) -> bytes:
    """Return the workbook with its relationships' targets written from the package root (`/xl/strings.xml`)."""
    return with_member(content, RELS, lambda data: re.sub(rb'Target="(?!/)', b'Target="/xl/', data))


# The parts some writers name otherwise, each related by the workbook's relationships (and content types).
MOVED = {
    "strings.xml": moved_parts(STANDARD, {SHARED_STRINGS: "xl/strings.xml"}),
    "a folder of its own": moved_parts(STANDARD, {SHARED_STRINGS: "xl/shared/sst1.xml"}),
    "absolute target": absolute(moved_parts(STANDARD, {SHARED_STRINGS: "xl/strings.xml"})),
    "usual name, absolute target": absolute(moved_parts(STANDARD, {})),
    "SharedStrings.xml": moved_parts(STANDARD, {SHARED_STRINGS: "xl/SharedStrings.xml"}),
    "styles2.xml": moved_parts(STANDARD, {STYLES: "xl/styles2.xml"}),
    "both": moved_parts(STANDARD, {SHARED_STRINGS: "xl/strings1.xml", STYLES: "xl/theme/styles1.xml"}),
    # The workbook itself where _rels/.rels puts it: Excel opens it; calamine read xl/workbook.xml only, and the
    # file was refused as "a zip, not a spreadsheet".
    "workbook as xl/book.xml": moved_workbook(STANDARD, "xl/book.xml"),
    "workbook in a folder of its own": moved_workbook(STANDARD, "book/workbook1.xml"),
    "workbook and strings moved": moved_workbook(
        moved_parts(STANDARD, {SHARED_STRINGS: "xl/strings.xml"}), "xl/workbook2.xml"
    ),
}


@pytest.mark.parametrize("name", MOVED)
def test_a_workbook_naming_its_parts_otherwise_reads_exactly_as_the_standard_one(name):
    read, standard = read_workbook(MOVED[name], "清单.xlsx"), read_workbook(STANDARD, "清单.xlsx")

    # Every cell with its type: the dates as dates (not 44625), the text from the strings, the error put back.
    assert [grid.rows for grid in read.grids] == [grid.rows for grid in standard.grids]
    assert standard.grids[0].rows[4][6] == dt.date(2022, 4, 1)
    assert standard.grids[0].rows[4][3] == "#DIV/0!"


@pytest.mark.parametrize("name", MOVED)
def test_such_a_workbook_gives_the_clerk_the_standard_ones_outcome(registry, name):
    parsed = parse_file(MOVED[name], f"{UNIT}/2022年清单.xlsx", registry)
    standard = parse_file(STANDARD, f"{UNIT}/2022年清单.xlsx", registry)

    # Before, a file of moved shared strings was refused as damaged, and a moved styles' dates told as wrong.
    assert [(p.rule, p.excel_row, p.value) for p in parsed.all_problems] == [("formula_error", 5, "#DIV/0!")]
    assert [s.records for s in parsed.sheets] == [s.records for s in standard.sheets]


def _partly_referenced(data: bytes) -> bytes:
    """Return a sheet's XML with row 4's cells referenced by column alone (`r="B"`), and row 5's first cell by row
    alone (`r="5"`), the rest of it by column, as some WPS and hand-made writers save them."""
    data = re.sub(rb'<c r="([A-Z]+)4"', rb'<c r="\1"', data)
    data = re.sub(rb'<c r="A5"', b'<c r="5"', data)
    return re.sub(rb'<c r="([B-Z]+)5"', rb'<c r="\1"', data)


@pytest.mark.parametrize(
    "strings", [xlsx, lambda sheets: shared_rich(xlsx(sheets))], ids=["inline", "shared"]
)
def test_cells_referenced_by_column_or_row_alone_read_where_excel_shows_them(strings, registry):
    standard = strings({"清单": ROWS})
    content = with_member(standard, SHEET_XML, _partly_referenced)
    sheet = zipfile.ZipFile(io.BytesIO(content)).read(SHEET_XML)
    assert b'<c r="B"' in sheet and b'<c r="5"' in sheet

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", registry)

    # calamine refused the sheet (Range is missing the expected row component): the file was returned as damaged.
    assert (
        read_workbook(content, "清单.xlsx").grids[0].rows
        == read_workbook(standard, "清单.xlsx").grids[0].rows
    )
    assert [(p.rule, p.excel_row, p.value) for p in parsed.all_problems] == [("formula_error", 5, "#DIV/0!")]
    assert [s.records for s in parsed.sheets] == [
        s.records for s in parse_file(standard, f"{UNIT}/2022年清单.xlsx", registry).sheets
    ]


def _no_styles(content: bytes) -> bytes:
    """Return the workbook without styles: no part, no relationship, no cell naming a style."""
    content = with_member(content, STYLES, lambda data: None)
    content = with_member(
        content, RELS, lambda data: re.sub(rb"<Relationship [^>]*/styles\"[^>]*/>", b"", data)
    )
    return with_member(content, SHEET_XML, lambda data: re.sub(rb' s="\d+"', b"", data))


@pytest.mark.parametrize(
    "strings", [xlsx, lambda sheets: shared_rich(xlsx(sheets))], ids=["inline", "shared"]
)
def test_a_workbook_without_styles_reads_its_cells_as_written(strings, registry):
    styled = strings({"清单": [row[:6] for row in ROWS]})
    content = _no_styles(styled)

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", registry)

    assert (
        read_workbook(content, "清单.xlsx").grids[0].rows == read_workbook(styled, "清单.xlsx").grids[0].rows
    )
    assert [(p.rule, p.excel_row) for p in parsed.all_problems] == [("formula_error", 5)]
    assert [r["compound_name"] for r in parsed.sheets[0].records] == ["宏兴小区", "市委小区"]


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
