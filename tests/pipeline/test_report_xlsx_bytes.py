"""The workbook written as XML without openpyxl's sheets: what openpyxl reads back, and writes back unchanged."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from decimal import Decimal

import duckdb
import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pipeline.report_model import Figure, Table
from pipeline.report_read import build_report
from pipeline.report_xlsx import QUALITY_NOTES, SOURCES, number_format, render_xlsx
from tests.pipeline.test_report import CONFIG, YEAR, make_warehouse

EXTRA = "测试表<&>"  # a sheet added to the fixture's report: its title and cells need escaping, or care
HEADER = ("指标", "年度指标值", "实际完成值")


def wan(value: str) -> Figure:
    return Figure("funds_received_wan", None, 0, Decimal(value), "万元", 1, f"{value}万元", ())


@pytest.fixture(scope="module")
def report(tmp_path_factory, registry):
    """The report of tests/pipeline/test_report.py's warehouse, and a table of cells written with care."""
    warehouse = make_warehouse(tmp_path_factory.mktemp("xlsx") / "warehouse.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = build_report(con, YEAR, CONFIG, registry)
    rows = (
        ("改造小区数量", "=16个", wan("1250.1")),
        ("#N/A", " 前后有空格 ", Figure("payment_rate", None, 0, Decimal("0.9312"), "%", 1, "93.1%", ())),
    )
    table = Table(f"附表 {EXTRA}", HEADER, rows, EXTRA)
    return dataclasses.replace(built, tables=(*built.tables, table))


@pytest.fixture(scope="module")
def content(report) -> bytes:
    return render_xlsx(dataclasses.replace(report, memo={}))


def test_openpyxl_reads_the_sheets_their_captions_headers_and_cells_back(report, content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))

    tables = [table.sheet for table in report.tables]
    assert workbook.sheetnames == [tables[0], QUALITY_NOTES, *tables[1:], "数据来源"]
    for ws in workbook:
        header = [cell for cell in ws[2] if cell.value is not None]
        assert header and all(cell.font.b for cell in header)
        assert ws["A1"].font.b and ws["A1"].font.sz == 13
        assert [str(r) for r in ws.merged_cells.ranges] == [f"A1:{get_column_letter(len(header))}1"]
        assert ws.freeze_panes == "A3" and ws.sheet_view.pane.ySplit == 2
    ws = workbook[EXTRA]
    assert ws["A1"].value == f"附表 {EXTRA}"
    assert [cell.value for cell in ws[2]] == [*HEADER, SOURCES]
    assert ws.column_dimensions["A"].width == 28 and ws.column_dimensions["D"].width == 70
    assert (ws["B3"].value, ws["B3"].data_type) == ("=16个", "s")  # text, never a formula
    assert (ws["C3"].value, ws["C3"].number_format) == (1250.1, "#,##0.0")
    assert (ws["C4"].value, ws["C4"].number_format) == (pytest.approx(0.9312), "0.0%")
    assert ws["A3"].alignment.wrap_text and ws["A3"].alignment.vertical == "top"
    assert (ws["A4"].value, ws["A4"].data_type) == ("#N/A", "e")
    assert ws["B4"].value == " 前后有空格 "  # its spaces kept
    assert ws.max_row == 2 + len(report.tables[-1].rows)


@pytest.mark.parametrize(
    ("value", "decimals", "text", "excel"),
    [("0.5", 2, "50%", "0%"), ("0.956", 2, "95.6%", "0.0%"), ("0.4999998052", 2, "49.99999%", "0.00000%")],
)
def test_a_rate_is_formatted_as_its_text_prints_it(value, decimals, text, excel):
    # The marts keep a rate to two decimals and print 50% for 0.5: the workbook printed 50.00% beside the page's 50%.
    assert number_format(Figure("payment_rate", None, 0, Decimal(value), "%", decimals, text, ())) == excel
    assert (
        number_format(Figure("funds_received_wan", None, 0, Decimal("3"), "万元", 2, "3万元", ()))
        == "#,##0.00"
    )


@pytest.mark.parametrize(
    ("value", "unit", "text", "excel"),
    [
        ("-0.000833", "百分点", "0.00", "#,##0.00;#,##0.00"),  # Excel showed -0.00 where the page prints 0.00
        ("-0.00001", "%", "0%", "0%;0%"),
        ("-0.005", "百分点", "-0.01", "#,##0.00"),
        ("0.000833", "百分点", "0.00", "#,##0.00"),
    ],
)
def test_a_negative_value_printed_as_0_has_no_sign_in_the_workbook(value, unit, text, excel):
    assert number_format(Figure("gap_points", "6月", 66, Decimal(value), unit, 2, text, ())) == excel


def test_openpyxl_saving_the_workbook_again_writes_every_part_the_same(content):
    # The package is written in openpyxl's form: openpyxl, saving what it read, writes each part the same but for
    # the times of docProps/core.xml and the characters past ASCII, which it writes as references (&#25968;).
    again = io.BytesIO()
    openpyxl.load_workbook(io.BytesIO(content)).save(again)
    reference = re.compile(rb"&#(\d+);")

    def characters(xml: bytes) -> bytes:
        return reference.sub(lambda m: chr(int(m[1])).encode() if int(m[1]) > 127 else m[0], xml)

    with zipfile.ZipFile(io.BytesIO(content)) as ours, zipfile.ZipFile(again) as theirs:
        assert ours.namelist() == theirs.namelist()
        changed = [n for n in ours.namelist() if ours.read(n) != characters(theirs.read(n))]
    assert changed == ["docProps/core.xml"]


def test_the_same_report_gives_the_same_bytes(report, content):
    assert render_xlsx(dataclasses.replace(report, memo={})) == content
