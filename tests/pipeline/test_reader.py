from __future__ import annotations

import datetime as dt

import pytest

from pipeline.reader import UnreadableFile, decode_text, read_workbook, sniff_kind
from tests.pipeline.workbooks import compound_sheet, csv_bytes, xls, xlsx

ROWS = compound_sheet(
    ["1", "棉纺厂东院", "2.8650", "370", "1,075.97", "完工"],
    ["2", "市委小区", "1.9320", "249", "725.58", "在建"],
)


def text_rows(rows: list[list[object]]) -> list[list[str]]:
    """Cells as strings with trailing empty cells dropped, to compare grids across formats."""
    out = []
    for row in rows:
        cells = ["" if cell is None else str(cell) for cell in row]
        while cells and cells[-1] == "":
            cells.pop()
        out.append(cells)
    return out


@pytest.mark.parametrize(
    ("content", "filename", "kind"),
    [
        pytest.param(xlsx({"清单": ROWS}), "清单.xlsx", "xlsx", id="xlsx"),
        pytest.param(xlsx({"清单": ROWS}), "清单.xlsm", "xlsx", id="xlsm"),
        pytest.param(xls({"清单": ROWS}), "清单.xls", "xls", id="xls"),
        pytest.param(csv_bytes(ROWS), "清单.csv", "csv", id="csv-utf8"),
        pytest.param(csv_bytes(ROWS, "utf-8-sig"), "清单.csv", "csv", id="csv-utf8-bom"),
        pytest.param(csv_bytes(ROWS, "gb18030"), "清单.csv", "csv", id="csv-gb18030"),
        pytest.param(csv_bytes(ROWS, "gbk"), "清单.CSV", "csv", id="csv-gbk-upper-case-suffix"),
        pytest.param(xlsx({"清单": ROWS}), "清单.xls", "xlsx", id="xlsx-named-xls"),
        pytest.param(xlsx({"清单": ROWS}), "清单.csv", "xlsx", id="xlsx-named-csv"),
        pytest.param(xls({"清单": ROWS}), "清单.xlsx", "xls", id="xls-named-xlsx"),
    ],
)
def test_every_accepted_format_reads_the_same_cells(content, filename, kind):
    book = read_workbook(content, filename)
    assert book.kind == kind
    assert [grid.name for grid in book.grids] == ["清单"]
    assert text_rows(book.grids[0].rows) == text_rows(ROWS)


def test_csv_sheet_is_named_after_the_file_without_folder_or_suffix():
    book = read_workbook(csv_bytes(ROWS), "枣林街道办事处/2022年清单.v2.csv")
    assert [grid.name for grid in book.grids] == ["2022年清单.v2"]


def test_csv_byte_order_mark_does_not_stick_to_the_first_cell():
    book = read_workbook(csv_bytes([["序号", "小区名称"], ["1", "市委小区"]], "utf-8-sig"), "a.csv")
    assert book.grids[0].rows[0] == ["序号", "小区名称"]


def test_csv_keeps_quoted_thousands_separators_and_blank_lines():
    text = '序号,小区名称,计划投资（万元）\r\n1,市委小区,"1,280"\r\n\r\n2,石化小区,906.97\r\n'
    rows = read_workbook(text.encode("gb18030"), "a.csv").grids[0].rows
    assert rows[1] == ["1", "市委小区", "1,280"]
    assert rows[2] == []
    assert rows[3] == ["2", "石化小区", "906.97"]


def test_csv_rows_of_different_widths_are_read():
    rows = read_workbook(csv_bytes(ROWS, pad=False), "a.csv").grids[0].rows
    assert text_rows(rows) == text_rows(ROWS)


def test_decode_text_prefers_utf8_then_gb18030():
    assert decode_text("\ufeff小区".encode()) == "小区"
    assert decode_text("小区".encode("gb18030")) == "小区"


def test_excel_numbers_and_dates_keep_their_types():
    rows = [["日期", "金额"], [dt.date(2022, 3, 1), 1250.1], [dt.datetime(2022, 3, 2, 10, 30), 12]]
    for content in (xlsx({"台账": rows}), xls({"台账": rows})):
        grid = read_workbook(content, "a.xlsx").grids[0]
        assert grid.rows[1][:2] == [dt.date(2022, 3, 1), 1250.1]
        assert grid.rows[2][0] == dt.datetime(2022, 3, 2, 10, 30)
        assert grid.rows[2][1] == 12


@pytest.mark.parametrize("writer", [xlsx, xls], ids=["xlsx", "xls"])
def test_rows_and_columns_keep_excel_positions_when_the_sheet_starts_lower_right(writer):
    rows = [[], [], [None, None, "序号", "小区名称"], [None, None, 1, "市委小区"]]
    grid = read_workbook(writer({"清单": rows}), "a.xlsx").grids[0]
    assert grid.rows[2][2:4] == ["序号", "小区名称"]
    assert grid.rows[3][3] == "市委小区"


@pytest.mark.parametrize("writer", [xlsx, xls], ids=["xlsx", "xls"])
def test_merged_ranges_are_reported_zero_based(writer):
    rows = [["标题", None, None], ["序号", "改造规模", None], [None, "改造面积", "惠及户数"]]
    grid = read_workbook(
        writer({"清单": rows}, merges={"清单": ["A1:C1", "A2:A3", "B2:C2"]}), "a.xlsx"
    ).grids[0]
    assert sorted(grid.merged) == [((0, 0), (0, 2)), ((1, 0), (2, 0)), ((1, 1), (1, 2))]


def test_hidden_and_very_hidden_xlsx_sheets_are_skipped_and_listed():
    content = xlsx(
        {"清单": ROWS, "下拉选项": [["已完工"]], "旧表": [["序号"]]},
        hidden=["下拉选项"],
        very_hidden=["旧表"],
    )
    book = read_workbook(content, "a.xlsx")
    assert [grid.name for grid in book.grids] == ["清单"]
    assert book.hidden == ["下拉选项", "旧表"]


def test_hidden_xls_sheets_are_skipped_and_listed():
    book = read_workbook(xls({"清单": ROWS, "下拉选项": [["已完工"]]}, hidden=["下拉选项"]), "a.xls")
    assert [grid.name for grid in book.grids] == ["清单"]
    assert book.hidden == ["下拉选项"]


def test_empty_sheets_are_skipped():
    content = xlsx({"Sheet1": ROWS, "Sheet2": [], "Sheet3": [[None, "  "], [" "]]})
    book = read_workbook(content, "a.xlsx")
    assert [grid.name for grid in book.grids] == ["Sheet1"]
    assert book.hidden == []


def test_trailing_empty_rows_are_trimmed():
    grid = read_workbook(xlsx({"清单": [*ROWS, [], [" "], []]}), "a.xlsx").grids[0]
    assert len(grid.rows) == len(ROWS)


def test_an_empty_csv_has_no_sheets():
    assert read_workbook(b"\r\n,,\r\n", "a.csv").grids == []


def truncated_xlsx() -> bytes:
    content = xlsx({"清单": ROWS})
    return content[: len(content) // 2]


def truncated_xls() -> bytes:
    content = xls({"清单": ROWS})
    return content[: len(content) // 2]


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        pytest.param(b"", "清单.xlsx", "文件为空（0字节）", id="empty-xlsx"),
        pytest.param(b"", "清单.csv", "文件为空（0字节）", id="empty-csv"),
        pytest.param(
            bytes(range(256)) * 8, "清单.xlsx", "文件已损坏或不是Excel文件，无法打开", id="random-bytes-xlsx"
        ),
        pytest.param(
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            "清单.xls",
            "文件已损坏或不是Excel文件，无法打开",
            id="pdf-named-xls",
        ),
        pytest.param(truncated_xlsx(), "清单.xlsx", "文件已损坏，无法打开（", id="truncated-xlsx"),
        pytest.param(truncated_xls(), "清单.xls", "文件已损坏，无法打开（", id="truncated-xls"),
        pytest.param(b"PK\x03\x04" + bytes(200), "清单.xlsx", "文件已损坏，无法打开（", id="zip-header-only"),
        pytest.param(
            "小区名称,户数\r\n".encode(),
            "清单.txt",
            "不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）",
            id="txt",
        ),
        pytest.param(
            b"%PDF-1.4\n1 0 obj\n",
            "清单.pdf",
            "不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）",
            id="pdf",
        ),
        pytest.param(
            "小区名称,户数\r\n市委小区,249\r\n".encode("utf-16"),
            "清单.csv",
            "CSV文件编码无法识别（应为UTF-8或GB18030/GBK）",
            id="csv-utf16-bom",
        ),
        pytest.param(
            b"\xff\xfe\xfd,abc\r\n",
            "清单.csv",
            "CSV文件编码无法识别（应为UTF-8或GB18030/GBK）",
            id="csv-not-text",
        ),
        pytest.param(
            "小区名称,户数\r\n".encode("utf-16-le"),
            "清单.csv",
            "不是文本格式的CSV文件",
            id="csv-utf16-no-bom",
        ),
    ],
)
def test_unreadable_files_raise_with_a_chinese_reason(content, filename, reason):
    with pytest.raises(UnreadableFile) as raised:
        read_workbook(content, filename)
    assert str(raised.value).startswith(reason)


def test_sniff_kind_goes_by_content_before_the_name():
    assert sniff_kind(xlsx({"清单": ROWS}), "清单.xls") == "xlsx"
    assert sniff_kind(xls({"清单": ROWS}), "清单.xlsx") == "xls"
    assert sniff_kind(csv_bytes(ROWS), "清单.csv") == "csv"


@pytest.mark.parametrize("delimiter", [",", "\t"], ids=["comma", "tab"])
def test_delimited_text_renamed_to_xls_is_read_as_csv(delimiter):
    book = read_workbook(csv_bytes(ROWS, "gb18030", delimiter=delimiter), "清单.xls")
    assert book.kind == "csv"
    assert text_rows(book.grids[0].rows) == text_rows(ROWS)
