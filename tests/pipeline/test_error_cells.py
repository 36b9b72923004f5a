"""The error values an xlsx's worksheet stores, found in its XML (pipeline/error_cells.py)."""

from __future__ import annotations

import re

import pytest

from pipeline.error_cells import xlsx_error_cells
from pipeline.xlsx_parts import OpenXlsx
from tests.pipeline.workbooks import with_member, xlsx

SHEET_XML = "xl/worksheets/sheet1.xml"
ROWS = [["名称", "数额"], ["甲", "#DIV/0!"], ["#N/A", 3], ["乙", 4, "#REF!"]]
# Excel rows and columns (from 1) of ROWS' error values.
FOUND = [(2, 2, "#DIV/0!"), (3, 1, "#N/A"), (4, 3, "#REF!")]


def sheet_data(content: bytes, change) -> bytes:
    """Return the workbook with its one sheet's XML changed."""
    return with_member(content, SHEET_XML, change)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: xml, id="as openpyxl writes them"),
        pytest.param(lambda xml: re.sub(rb"<(/?)(?=[A-Za-z])", rb"<\1x:", xml), id="namespace prefix"),
        pytest.param(lambda xml: re.sub(rb'(<(?:c|row)) r="[A-Z]*\d*"', rb"\1", xml), id="no references"),
        pytest.param(lambda xml: re.sub(rb'(<c) r="([A-Z]+)\d+"', rb'\1 r="\2"', xml), id="columns only"),
        pytest.param(lambda xml: xml.replace(b't="e"', b"t = 'e' s=\"0\""), id="quoted otherwise"),
    ],
)
def test_each_error_value_is_found_at_its_cell(change):
    content = sheet_data(xlsx({"表": ROWS}), change)

    assert sorted(xlsx_error_cells(OpenXlsx(content), "表")) == FOUND


def test_an_error_cell_storing_no_value_is_left_as_read():
    content = sheet_data(
        xlsx({"表": ROWS}), lambda xml: xml.replace(b"<v>#N/A</v>", b"").replace(b"<v>#REF!</v>", b"<v/>")
    )

    assert xlsx_error_cells(OpenXlsx(content), "表") == [(2, 2, "#DIV/0!")]


def test_a_sheet_without_error_values_or_not_in_the_workbook_has_none():
    content = xlsx({"表": [["甲", 1]], "另一张": ROWS})

    assert xlsx_error_cells(OpenXlsx(content), "表") == []
    assert xlsx_error_cells(OpenXlsx(content), "没有的表") == []
