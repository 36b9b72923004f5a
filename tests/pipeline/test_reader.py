from __future__ import annotations

import csv
import datetime as dt
import io
import random
import struct
import zipfile

import pytest
import xlwt
from xlwt.CompoundDoc import XlsDoc

from pipeline import csv_read, grids
from pipeline.csv_encoding import ENCODING_UNKNOWN, decode_text
from pipeline.grids import UnreadableFile
from pipeline.limits import PASSWORD
from pipeline.reader import read_workbook, sniff_kind
from tests.pipeline.workbooks import compound_sheet, csv_bytes, csv_text, xls, xlsx

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


CUT_ROWS = [
    ["序号", "小区名称", "计划投资（万元）"],
    ["1", "市委小区", "906.97"],
    ["2", "石化小区", "12345.6"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize(
    ("ending", "last_line"),
    [
        ("石化小区,12345.6\r\n", None),  # as Excel writes it
        ("石化小区,12345.6\n", None),
        # Hand-made: the row whole, no final line break.
        ("石化小区,12345.6", grids.LastLine(3, 3, open_quote=False)),
        ("石化小区,123", grids.LastLine(3, 3, open_quote=False)),
        ("石化小", grids.LastLine(3, 2, open_quote=False)),
        ('"石化小区', grids.LastLine(3, 2, open_quote=True)),
        ('石化小区,"12,3', grids.LastLine(3, 3, open_quote=True)),
        # Cut after a line break inside quotes.
        ('石化小区,"12,3\r\n', grids.LastLine(3, 3, open_quote=True)),
        ('石化小区,"12,\r\n345.6"', grids.LastLine(3, 3, open_quote=False)),
        ('"石化""小区",12345.6\r\n', None),
        ('石化5"小区,12345.6\r\n', None),  # a stray quote inside an unquoted field opens nothing
    ],
)
def test_a_csv_says_how_its_last_line_ended(encoding, ending, last_line):
    text = "序号,小区名称,计划投资（万元）\r\n1,市委小区,906.97\r\n2," + ending
    grid = read_workbook(text.encode(encoding), "a.csv").grids[0]
    assert grid.last_line == last_line
    assert grid.as_text


def test_a_csv_last_line_spanning_lines_in_quotes_is_found_in_a_long_file():
    # The last row's text is looked up again from the end: more than the first 4,096 characters back.
    rows = [*CUT_ROWS, ["3", "长\n" * 3000 + "小区", "1"]]
    text = csv_text(rows)
    whole = text.removesuffix("\r\n").encode()  # no final line break: the row is whole
    assert read_workbook(whole, "a.csv").grids[0].last_line == grids.LastLine(4, 3, open_quote=False)
    cut = text[: text.index("长\n" * 2000) + 4000].encode()  # cut after a line break inside the quoted name
    assert read_workbook(cut, "a.csv").grids[0].last_line == grids.LastLine(4, 2, open_quote=True)


def test_an_excel_workbook_has_typed_cells_and_no_last_line():
    grid = read_workbook(xlsx({"表": CUT_ROWS}), "a.xlsx").grids[0]
    assert (grid.as_text, grid.last_line) == (False, None)


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


def test_hidden_worksheets_are_read_apart_only_to_be_asked_about_and_never_fail_the_file():
    # The blank templates' drop-down lists and a hidden chart sheet are not read; a hidden worksheet is, apart.
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    book.active.title = "清单"
    for row in ROWS:
        book["清单"].append(row)
    book.create_sheet("下拉选项").append(["已完工"])
    book.create_sheet("旧表").append(["序号", "小区名称"])
    chart = BarChart()
    chart.add_data(Reference(book["清单"], min_col=1, min_row=1, max_row=2))
    book.create_chartsheet("图").add_chart(chart)
    for name in ("下拉选项", "旧表", "图"):
        book[name].sheet_state = "hidden"
    content = io.BytesIO()
    book.save(content)

    read = read_workbook(content.getvalue(), "a.xlsx")

    assert [grid.name for grid in read.grids] == ["清单"]
    assert read.hidden == ["下拉选项", "旧表", "图"]
    assert [grid.name for grid in read.hidden_grids] == ["旧表"]


def test_a_hidden_worksheet_that_cannot_be_read_is_none(monkeypatch):
    from pipeline import excel_read

    class Broken:
        def get_sheet_by_name(self, name):
            raise ValueError(f"calamine cannot read {name}")

    assert excel_read._hidden_grid(Broken(), "旧表") == []


def test_hidden_xls_sheets_are_skipped_and_listed():
    book = read_workbook(xls({"清单": ROWS, "下拉选项": [["已完工"]]}, hidden=["下拉选项"]), "a.xls")
    assert [grid.name for grid in book.grids] == ["清单"]
    assert book.hidden == ["下拉选项"]


@pytest.mark.parametrize(("writer", "filename"), [(xlsx, "a.xlsx"), (xls, "a.xls")])
def test_hidden_rows_are_read_like_any_other_and_listed_per_sheet(writer, filename):
    content = writer({"清单": ROWS, "汇总": ROWS}, hidden_rows={"清单": [5, 1], "汇总": [4]})

    book = read_workbook(content, filename)

    assert [(g.name, len(g.rows), g.hidden_rows) for g in book.grids] == [
        ("清单", 5, (1, 5)),
        ("汇总", 5, (4,)),
    ]
    assert text_rows(book.grids[0].rows) == text_rows(
        read_workbook(writer({"清单": ROWS}), filename).grids[0].rows
    )


@pytest.mark.parametrize(("writer", "filename"), [(xlsx, "a.xlsx"), (xls, "a.xls")])
def test_hidden_columns_are_read_like_any_other_and_listed_per_sheet(writer, filename):
    content = writer({"清单": ROWS, "汇总": ROWS}, hidden_columns={"清单": ["E", "B"], "汇总": ["C"]})

    book = read_workbook(content, filename)

    assert [(g.name, g.hidden_columns) for g in book.grids] == [("清单", (2, 5)), ("汇总", (3,))]
    assert text_rows(book.grids[0].rows) == text_rows(
        read_workbook(writer({"清单": ROWS}), filename).grids[0].rows
    )


def test_a_csv_has_no_hidden_rows():
    assert read_workbook(csv_bytes(ROWS), "a.csv").grids[0].hidden_rows == ()


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
        pytest.param(truncated_xlsx(), "清单.xlsx", "文件已损坏，无法打开", id="truncated-xlsx"),
        pytest.param(truncated_xls(), "清单.xls", "文件已损坏，无法打开", id="truncated-xls"),
        pytest.param(b"PK\x03\x04" + bytes(200), "清单.xlsx", "文件已损坏，无法打开", id="zip-header-only"),
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
            ENCODING_UNKNOWN,
            id="csv-utf16-bom",
        ),
        pytest.param(
            b"\xff\xfe\xfd,abc\r\n",
            "清单.csv",
            ENCODING_UNKNOWN,
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
    # The whole of it: no library's exception name (BadZipFile) for a clerk.
    assert str(raised.value) == reason


def test_sniff_kind_goes_by_content_before_the_name():
    assert sniff_kind(xlsx({"清单": ROWS}), "清单.xls") == "xlsx"
    assert sniff_kind(xls({"清单": ROWS}), "清单.xlsx") == "xls"
    assert sniff_kind(csv_bytes(ROWS), "清单.csv") == "csv"


PACKAGE_TO = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{}"/>'
    "</Relationships>"
)


def _zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (_zip(**{"报表.csv": csv_bytes(ROWS)}), "压缩包（zip），不是电子表格：请解压后"),
        (_zip(**{"word/document.xml": b"<w/>"}), "Word文档"),
        # A package's relationships name its office document: a Word document's is none the more a workbook.
        (
            _zip(
                **{
                    "_rels/.rels": PACKAGE_TO.format("word/document.xml").encode(),
                    "word/document.xml": b"<w:document/>",
                }
            ),
            "Word文档",
        ),
        (
            _zip(**{"_rels/.rels": PACKAGE_TO.format("xl/book.xml").encode()}),
            "压缩包（zip），不是电子表格：请解压后",
        ),
    ],
    ids=["zip", "docx", "docx with relationships", "relationships to no part"],
)
def test_a_zip_that_is_no_workbook_is_told_as_what_it_is_not_as_damaged(content, said):
    with pytest.raises(UnreadableFile, match=said):
        read_workbook(content, "报表.zip")


WEB_TABLE = '<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><table><tr><td>小区名称</td></tr>'
XML_2003 = (
    '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/>'
)


@pytest.mark.parametrize(
    ("content", "filename", "said", "fix"),
    [
        ("\ufeff" + WEB_TABLE, "清单.xls", "文件实际是网页（HTML）格式，不是Excel工作簿", "另存为"),
        ("  <table><tr><td>1</td></tr></table>", "清单.xlsx", "文件实际是网页（HTML）格式", "另存为"),
        (XML_2003, "清单.xls", "文件实际是“XML电子表格2003”格式", "另存为"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "清单.et",
            "文件是WPS表格专用格式（.et）",
            "用WPS表格打开",
        ),
        (b"\x01\x02et", "清单.et", "文件是WPS表格专用格式（.et）", "用WPS表格打开"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "说明.wps",
            "文件是WPS文字文档（.wps），不是电子表格",
            "模板",
        ),
    ],
    ids=["html-as-xls", "html-as-xlsx", "xml-2003", "et-ole", "et-other", "wps-text"],
)
def test_a_web_page_or_wps_file_is_told_what_it_is_and_how_to_save_it_not_that_it_is_damaged(
    content, filename, said, fix
):
    # Web systems export "Excel" as an HTML table; Excel and WPS open it, so told 文件已损坏 the clerk sent it again.
    with pytest.raises(UnreadableFile) as raised:
        read_workbook(content.encode() if isinstance(content, str) else content, filename)
    assert str(raised.value).startswith(said) and "损坏" not in str(raised.value)
    assert fix in raised.value.fix


@pytest.mark.parametrize("delimiter", [",", "\t"], ids=["comma", "tab"])
def test_delimited_text_renamed_to_xls_is_read_as_csv(delimiter):
    book = read_workbook(csv_bytes(ROWS, "gb18030", delimiter=delimiter), "清单.xls")
    assert book.kind == "csv"
    assert text_rows(book.grids[0].rows) == text_rows(ROWS)


# --- hostile and broken files: a plain reason, never another exception ---------------------------------

CHINESE_CSV = csv_text(ROWS)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(CHINESE_CSV.encode("big5", errors="replace"), id="big5"),
        pytest.param(CHINESE_CSV.encode("shift_jis", errors="replace"), id="shift-jis"),
        pytest.param(
            CHINESE_CSV.encode("utf-8")[:30] + b"\xff" + CHINESE_CSV.encode("utf-8")[30:], id="bad-utf8"
        ),
    ],
)
def test_csv_in_another_encoding_is_refused_rather_than_read_as_gb18030_gibberish(content):
    with pytest.raises(UnreadableFile, match=f"^{ENCODING_UNKNOWN}$"):
        read_workbook(content, "清单.csv")


def test_gb18030_csv_with_a_few_rare_characters_is_still_read():
    rows = [["小区名称", "改造面积（㎡）"], ["䶮园小区", "1200"], ["市委小区", "900"], ["石化小区", "650"]]
    assert read_workbook(csv_bytes(rows, "gb18030"), "清单.csv").grids[0].rows == rows


def test_a_csv_field_past_the_csv_module_limit_is_unreadable_not_an_error():
    with pytest.raises(UnreadableFile, match="^CSV文件第1行起有一个单元格超过131072个字符"):
        read_workbook(("序号," + "长" * 200_000 + "\r\n").encode(), "清单.csv")


def test_a_quote_never_closed_that_swallows_the_rest_names_the_line_it_opened_on():
    # Line 3 opens a quote; every line after it is read into that one field until the csv module's limit.
    lines = ["序号,小区名称", "1,石化小区", '2,"棉纺厂东院'] + [f"{n},小区{n}" for n in range(3, 20_000)]
    with pytest.raises(UnreadableFile, match="^CSV文件第3行起.*引号没有配对"):
        read_workbook("\r\n".join(lines).encode(), "清单.csv")


def with_merges(*refs: str) -> bytes:
    """Return an xlsx of ROWS whose sheet XML lists these merged ranges, whatever they cover."""
    content = xlsx({"清单": ROWS})
    cells = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData><mergeCells>" + cells + b"</mergeCells>")
            target.writestr(info.filename, data)
    return out.getvalue()


def test_overlapping_merges_are_refused_naming_the_sheet():
    with pytest.raises(UnreadableFile, match="^工作表“清单”的合并单元格相互重叠"):
        read_workbook(with_merges(*(f"A{n}:F{n + 3}" for n in range(1, 5))), "a.xlsx")


def test_a_merge_reaching_past_the_cells_read_is_clipped_to_them():
    grid = read_workbook(with_merges("A1:XFD1048576"), "a.xlsx").grids[0]
    assert grid.merged == [((0, 0), (len(ROWS) - 1, len(ROWS[-1]) - 1))]


def biff_stream(content_rows) -> bytes:
    """Return the BIFF8 workbook stream xlwt writes for these rows."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("清单")
    for r, row in enumerate(content_rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    return book.get_biff_data()


def ole2(stream: bytes, name: str = "Workbook") -> bytes:
    """Wrap a stream in an OLE2 compound document under the given name."""
    buffer = io.BytesIO()
    XlsDoc().save(buffer, stream)
    content = bytearray(buffer.getvalue())
    at = content.index("Workbook\x00".encode("utf-16-le"))
    entry = f"{name}\x00".encode("utf-16-le")
    content[at : at + 64] = entry.ljust(64, b"\x00")
    struct.pack_into("<H", content, at + 64, len(entry))
    return bytes(content)


def test_a_password_protected_xls_says_so():
    stream = biff_stream(ROWS)
    # FILEPASS right after the workbook's BOF record marks every record after it as encrypted.
    bof_end = 4 + struct.unpack_from("<H", stream, 2)[0]
    encrypted = stream[:bof_end] + struct.pack("<HH", 0x002F, 54) + bytes(54) + stream[bof_end:]
    with pytest.raises(UnreadableFile, match="^文件设置了打开密码"):
        read_workbook(ole2(encrypted), "清单.xls")


def test_a_password_protected_xlsx_says_so():
    # Excel keeps an encrypted .xlsx as an EncryptedPackage stream inside an OLE2 document.
    with pytest.raises(UnreadableFile, match="^文件设置了打开密码"):
        read_workbook(ole2(b"\x00" * 4096, "EncryptedPackage"), "清单.xlsx")


def encrypted_zip() -> bytes:
    """Return an xlsx whose every member is marked encrypted (general purpose bit 0), in both of its headers."""
    content = bytearray(xlsx({"清单": ROWS}))
    # The end of central directory record (no comment): member count, directory size, directory offset.
    count, _, at = struct.unpack_from("<HII", content, len(content) - 12)
    for _ in range(count):
        content[at + 8] |= 1
        content[struct.unpack_from("<I", content, at + 42)[0] + 6] |= 1  # its local header
        at += 46 + sum(struct.unpack_from("<HHH", content, at + 28))  # past its name, extra field and comment
    return bytes(content)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(encrypted_zip(), id="zipcrypto-zip"),
        # Excel's encrypted .xlsx holds its key data in an EncryptionInfo stream beside the EncryptedPackage.
        pytest.param(ole2(b"\x04\x00\x04\x00" + bytes(1020), "EncryptionInfo"), id="encryption-info"),
    ],
)
def test_an_encrypted_workbook_says_it_has_a_password_and_how_to_remove_it(content):
    with pytest.raises(UnreadableFile) as raised:
        read_workbook(content, "清单.xlsx")
    assert str(raised.value) == PASSWORD
    assert "用密码进行加密" in PASSWORD and "清空密码" in PASSWORD


def test_the_encrypted_zip_is_one_a_zip_reader_sees_as_encrypted():
    with zipfile.ZipFile(io.BytesIO(encrypted_zip())) as archive:
        assert all(info.flag_bits & 1 for info in archive.infolist())
        with pytest.raises(RuntimeError, match="encrypted"):
            archive.read("xl/workbook.xml")


def test_an_xls_naming_the_encryption_streams_in_its_cells_is_read():
    book = read_workbook(xls({"清单": [*ROWS, ["EncryptionInfo", "EncryptedPackage说明"]]}), "清单.xls")
    assert book.grids[0].rows[-1][:2] == ["EncryptionInfo", "EncryptedPackage说明"]


def test_an_xlsb_workbook_is_refused_with_what_to_do():
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
        archive.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    with pytest.raises(UnreadableFile, match="（.xlsb），请另存为.xlsx"):
        read_workbook(content.getvalue(), "清单.xlsx")


def _random_samples(count: int) -> list[str]:
    """Delimited texts as offices write them: title and note lines, ragged rows, a second delimiter in cells."""
    rng = random.Random(14)
    words = ["小区", "改造", "1075.97", "x", "", "合计", "12", "单位：万元"]
    noisy = [*words, "a,b", "a;b", "a\tb", "a, b", '"1,075.97"']
    samples = []
    for _ in range(count):
        delimiter = rng.choice([",", ",", "\t", ";", ", ", "|"])
        width, noise = rng.randint(1, 8), rng.choice([0, 0.03, 0.1, 0.3])
        inner = rng.choice(
            ["", "", ";", ",", "\t"]
        )  # a cell every row holds that has another delimiter in it
        lines = []
        for _ in range(rng.randint(0, 60)):
            if rng.random() < noise:
                lines.append(rng.choice(",;\t ").join(rng.choice(noisy) for _ in range(rng.randint(1, 5))))
            else:
                lines.append(delimiter.join([*(rng.choice(words) for _ in range(width)), f"a{inner}b"]))
        samples.append(rng.choice(["\n", "\r\n", "\n\n"]).join(lines))
    return samples


def test_the_csv_sniffer_chooses_as_the_standard_one_does():
    standard, ours = csv.Sniffer(), csv_read._Sniffer()
    samples = [
        *_random_samples(600),
        csv_text(ROWS),
        csv_text(ROWS, delimiter="\t"),
        csv_text(ROWS, delimiter=";"),
    ]
    chosen = set()
    for sample in samples:
        for delimiters in (",\t;", ",;", None):
            expected = standard._guess_delimiter(sample, delimiters)
            assert ours._guess_delimiter(sample, delimiters) == expected, (sample, delimiters)
            chosen.add(expected[0])
    assert {",", "\t", ";", ""} <= chosen  # the samples reach every outcome, including no delimiter at all
