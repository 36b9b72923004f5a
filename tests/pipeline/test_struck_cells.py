"""Data rows struck through (pipeline/struck_cells.py): 作废 to the clerk, a row like any other to calamine."""

from __future__ import annotations

import io
import zipfile

import pytest
import xlrd

from pipeline import struck_cells as struck_cells_module
from pipeline import xlsx_parts
from pipeline.limits import Limits
from pipeline.parse import parse_file
from pipeline.problems import Severity
from pipeline.struck_cells import struck_strings, struck_styles
from pipeline.xls_survey import survey_xls
from pipeline.xlsx_parts import STYLES
from pipeline.xlsx_survey import survey_xlsx
from tests.pipeline.workbooks import OWN_FONT, compound_sheet, moved_parts, shared_rich, xls, xlsx

UNIT = "枣林街道办事处"
DATA = [
    [1, "棉纺厂东院", "2.8650", 370, 1075.97, "完工"],
    [2, "市委小区", "1.9320", 249, 725.58, "在建"],
    [3, "石化小区", "2.4150", 312, 906.97, "在建"],
]
WRITERS = {"xlsx": xlsx, "xls": xls}


def parsed_with(kind: str, registry, struck: list[str]):
    """Parse a compound list (title, 填报单位, header on row 3, data from row 4) with these cells struck through."""
    content = WRITERS[kind]({"清单": compound_sheet(*DATA)}, struck={"清单": struck})
    return parse_file(content, f"{UNIT}/2022年清单.{kind}", registry)


@pytest.mark.parametrize("kind", WRITERS)
def test_a_data_row_struck_through_is_an_error_on_its_row(registry, kind):
    parsed = parsed_with(kind, registry, [f"{letter}5" for letter in "ABCDEF"])

    [error] = parsed.errors
    assert (error.severity, error.rule, error.excel_row) == (Severity.ERROR, "struck_row", 5)
    assert "该行整行设置了删除线；删除线通常表示作废" in error.message_zh
    assert error.fix == "如该行已作废，请删除后重新报送；如仍有效，请取消删除线后重新报送"


@pytest.mark.parametrize("kind", WRITERS)
def test_one_value_struck_through_is_named_by_its_column(registry, kind):
    parsed = parsed_with(kind, registry, ["E6"])

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("struck_row", 6, "906.97")
    assert "该行的E列“计划投资（万元）”设置了删除线" in error.message_zh


@pytest.mark.parametrize("kind", WRITERS)
def test_a_title_or_an_empty_cell_struck_through_says_nothing(registry, kind):
    parsed = parsed_with(kind, registry, ["A1", "H4"])

    assert parsed.all_problems == []
    assert len(parsed.sheets[0].records) == len(DATA)


@pytest.mark.parametrize(
    ("font", "struck"),
    [
        ("<strike/>", True),
        ('<strike val="1"/>', True),
        ('<strike val="true"/>', True),
        ('<strike val="0"/>', False),
    ],
)
def test_a_font_is_struck_by_its_strike_element_unless_it_says_not(font, struck):
    styles = (
        '<styleSheet><fonts count="2"><font><sz val="11"/></font><font>'
        + font
        + '<sz val="11"/></font></fonts>'
        '<cellXfs count="3"><xf fontId="0"/><xf fontId="1"/><xf numFmtId="9" fontId="1"/></cellXfs></styleSheet>'
    ).encode()

    assert struck_styles(styles) == (frozenset({1, 2}) if struck else frozenset())


@pytest.mark.parametrize("struck", [[], ["B4"]])
@pytest.mark.parametrize("kind", WRITERS)
def test_the_limits_survey_says_whether_any_font_strikes_through(kind, struck):
    content = WRITERS[kind]({"清单": compound_sheet(*DATA)}, struck={"清单": struck})

    survey = (survey_xls if kind == "xls" else survey_xlsx)(content, Limits())

    assert survey.struck_fonts is bool(struck)


def test_styles_that_cannot_be_read_leave_the_rows_read_as_written(registry):
    content = xlsx({"清单": compound_sheet(*DATA)}, struck={"清单": ["B4"]})
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(
                info, data.replace(b'fontId="1"', b'fontId="x"') if info.filename == STYLES else data
            )

    parsed = parse_file(out.getvalue(), f"{UNIT}/2022年清单.xlsx", registry)

    assert parsed.errors == []
    assert len(parsed.sheets[0].records) == len(DATA)


def test_an_xls_is_opened_once_for_the_fonts_and_formats_of_all_its_sheets(registry, monkeypatch):
    content = xls(
        {
            "清单": compound_sheet(*DATA),
            "清单二": compound_sheet(*([n, f"{name}二期", *row] for n, name, *row in DATA)),
        },
        struck={"清单": ["E5"], "清单二": ["E6"]},
    )
    opened = []
    open_workbook = xlrd.open_workbook
    monkeypatch.setattr(xlrd, "open_workbook", lambda **kw: opened.append(kw) or open_workbook(**kw))

    parsed = parse_file(content, f"{UNIT}/2022年清单.xls", registry)

    assert sorted((e.sheet, e.excel_row) for e in parsed.errors) == [("清单", 5), ("清单二", 6)]
    assert len(opened) == 1


def test_the_styles_of_an_xlsx_with_struck_cells_are_read_once(registry, monkeypatch):
    content = xlsx({"清单": compound_sheet(*DATA)}, struck={"清单": ["E5"]})
    opened = []
    open_member = zipfile.ZipFile.open

    def watched(archive, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return open_member(archive, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", watched)

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", registry)

    assert [(e.rule, e.excel_row) for e in parsed.errors] == [("struck_row", 5)]
    assert opened.count(STYLES) == 1


# A clerk's correction within one cell: the old value struck through, the new one typed after it.
CORRECTED = [("725.58", True), ("800", False)]
# How each kind of workbook holds rich text: openpyxl writes inline strings, Excel shared strings.
RICH_WRITERS = {
    "xlsx inline": lambda sheets, **kw: xlsx(sheets, **kw),
    "xlsx shared": lambda sheets, **kw: shared_rich(xlsx(sheets, **kw)),
    "xls": lambda sheets, **kw: xls(sheets, **kw),
}


def parsed_rich(writer: str, registry, rich: dict, struck: list[str] = ()):
    """Parse the compound list with these cells written as rich text (runs by reference) and these struck."""
    content = RICH_WRITERS[writer](
        {"清单": compound_sheet(*DATA)}, rich={"清单": rich}, struck={"清单": struck}
    )
    return parse_file(content, f"{UNIT}/2022年清单.{writer.split()[0]}", registry)


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_a_value_struck_within_its_cell_beside_the_new_one_is_an_error_naming_the_cell(registry, writer):
    parsed = parsed_rich(writer, registry, {"E5": CORRECTED})

    [error] = parsed.errors
    # Read as one text, the struck value and the new one run together: 725.58800 would count as 725.588 万元.
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "struck_row",
        5,
        "计划投资（万元）",
        "725.58800",
    )
    assert "该行的E列“计划投资（万元）”中有部分文字设置了删除线" in error.message_zh
    assert "与同一单元格中未划掉的文字连在一起" in error.message_zh
    assert error.fix.startswith("请删去已作废的文字")


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_rich_text_with_no_struck_run_says_nothing(registry, writer):
    parsed = parsed_rich(writer, registry, {"B5": [("市委", False), ("小区", False)]})

    assert parsed.all_problems == []
    assert parsed.sheets[0].records[1]["compound_name"] == "市委小区"


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_rich_text_struck_in_every_run_is_a_struck_cell(registry, writer):
    parsed = parsed_rich(writer, registry, {"B5": [("市委", True), (" ", False), ("小区", True)]})

    [error] = parsed.errors
    assert (error.rule, error.excel_row) == ("struck_row", 5)
    assert "该行的B列“小区名称”设置了删除线；删除线通常表示作废" in error.message_zh


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_a_row_with_a_struck_cell_and_a_cell_struck_in_part_names_both(registry, writer):
    parsed = parsed_rich(writer, registry, {"E6": CORRECTED}, struck=["B6"])

    [error] = parsed.errors
    assert (error.excel_row, error.column_header) == (6, "计划投资（万元）")
    assert (
        "该行的B列“小区名称”设置了删除线，E列“计划投资（万元）”中有部分文字设置了删除线" in error.message_zh
    )


@pytest.mark.parametrize(
    ("runs", "share"),
    [
        ('<r><rPr><strike/></rPr><t>120</t></r><r><t xml:space="preserve"> 150</t></r>', False),
        ('<r><rPr><b/><strike val="1"/></rPr><t>120</t></r><r><rPr><strike/></rPr><t>150</t></r>', True),
        ('<r><rPr><strike val="0"/></rPr><t>120</t></r><r><t>150</t></r>', None),
        ("<r><rPr><strike/></rPr><t> </t></r><r><t>150</t></r>", None),
        ("<x:r><x:rPr><x:strike/></x:rPr><x:t>120</x:t></x:r><x:r><x:t>150</x:t></x:r>", False),
        ("<t>150</t><rPh sb='0' eb='1'><t>ガ</t></rPh>", None),
    ],
)
def test_a_rich_text_is_struck_in_whole_or_in_part_by_its_runs_fonts(runs, share):
    strings = f"<sst><si><t>plain</t></si><si/><si>{runs}</si></sst>".encode()

    assert struck_strings(strings) == ({} if share is None else {2: share})


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_the_limits_survey_says_a_run_of_rich_text_may_strike_through(writer):
    content = RICH_WRITERS[writer]({"清单": compound_sheet(*DATA)}, rich={"清单": {"E5": CORRECTED}})

    survey = (survey_xls if writer == "xls" else survey_xlsx)(content, Limits())

    assert survey.struck_fonts is True


@pytest.mark.parametrize("writer", ["xlsx inline", "xlsx shared"])
def test_a_cell_cut_between_two_runs_of_the_sheets_xml_is_read_whole(registry, writer, monkeypatch):
    monkeypatch.setattr(xlsx_parts, "CHUNK", 37)  # every cell's tags fall in several runs of whole tags

    parsed = parsed_rich(writer, registry, {"E5": CORRECTED})

    assert [(e.rule, e.excel_row) for e in parsed.errors] == [("struck_row", 5)]


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_a_struck_cell_whose_every_run_has_an_unstruck_font_of_its_own_says_nothing(registry, writer):
    parsed = parsed_rich(writer, registry, {"B5": [("市委", OWN_FONT), ("小区", OWN_FONT)]}, struck=["B5"])

    # Excel draws each run in its own font, the cell's struck one in none of them: nothing is shown struck.
    assert parsed.all_problems == []
    assert parsed.sheets[0].records[1]["compound_name"] == "市委小区"


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_a_struck_cell_with_one_run_in_an_unstruck_font_of_its_own_is_struck_in_part(registry, writer):
    # xlwt gives every run a font of its own, so the xls's first run strikes by its own font.
    first = writer == "xls"
    parsed = parsed_rich(writer, registry, {"E5": [("725.58", first), ("800", OWN_FONT)]}, struck=["E5"])

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.column_header) == ("struck_row", 5, "计划投资（万元）")
    assert "该行的E列“计划投资（万元）”中有部分文字设置了删除线" in error.message_zh


@pytest.mark.parametrize("writer", RICH_WRITERS)
def test_a_struck_cell_of_rich_text_in_its_own_font_is_struck_whole(registry, writer):
    runs = [("市委", True), ("小区", True)] if writer == "xls" else [("市委", False), ("小区", False)]
    parsed = parsed_rich(writer, registry, {"B5": runs}, struck=["B5"])

    [error] = parsed.errors
    assert (error.rule, error.excel_row) == ("struck_row", 5)
    assert "该行的B列“小区名称”设置了删除线；删除线通常表示作废" in error.message_zh


@pytest.mark.parametrize(
    ("runs", "share"),
    [
        ('<r><rPr><sz val="11"/></rPr><t>120</t></r><r><rPr><b/></rPr><t>150</t></r>', None),
        ('<r><rPr><sz val="11"/></rPr><t>120</t></r><r><t>150</t></r>', False),
        ("<r><rPr><strike/></rPr><t>120</t></r><r><t>150</t></r>", True),
        ("<r><t>120</t></r><r><t>150</t></r>", True),
        ("<t>150</t>", True),
        ('<x:r><x:rPr><x:sz val="11"/></x:rPr><x:t>120</x:t></x:r>', None),
    ],
)
def test_a_rich_text_in_a_struck_cell_is_drawn_by_its_runs_own_fonts(runs, share):
    strings = (
        f"<sst><si><t>plain</t></si><si><r><rPr><b/></rPr><t>x</t></r></si><si>{runs}</si></sst>".encode()
    )

    # Only the strings not drawn struck whole in a struck cell are named.
    assert struck_strings(strings, cell=True) == ({1: None} | ({} if share is True else {2: share}))


# Parts some writers name otherwise, found through the workbook's relationships as Excel finds them.
MOVED = {"xl/styles.xml": "xl/theme/styles1.xml", "xl/sharedStrings.xml": "xl/strings1.xml"}


def test_a_struck_cell_is_found_through_the_styles_part_the_workbook_relates(registry):
    content = moved_parts(xlsx({"清单": compound_sheet(*DATA)}, struck={"清单": ["E6"]}), MOVED)

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", registry)

    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("struck_row", 6, "906.97")


def test_a_struck_run_is_found_through_the_shared_strings_part_the_workbook_relates(registry):
    content = moved_parts(
        shared_rich(xlsx({"清单": compound_sheet(*DATA)}, rich={"清单": {"E5": CORRECTED}})), MOVED
    )

    survey = survey_xlsx(content, Limits())
    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", registry)

    assert list(survey.strikes.strings.values()) == [False]
    # calamine, which reads shared strings only at xl/sharedStrings.xml, is given them there (excel_read).
    [error] = parsed.errors
    assert (error.rule, error.excel_row, error.value) == ("struck_row", 5, "725.58800")


@pytest.mark.parametrize("cut", range(1, len('<strike val="1"/>')))
def test_a_strike_cut_by_the_inflating_chunks_at_any_point_is_found(cut, monkeypatch):
    content = xlsx({"清单": compound_sheet(*DATA)}, rich={"清单": {"E5": CORRECTED}})
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    # The sheet's one `<strike val="1"/>` falls across the first chunk's end, `cut` bytes into it.
    monkeypatch.setattr(xlsx_parts, "CHUNK", sheet.index(b"<strike") + cut)

    survey = survey_xlsx(content, Limits())

    assert survey.strikes.inline is True


@pytest.mark.parametrize("writer", ["xlsx inline", "xlsx shared"])
def test_a_struck_cell_is_read_again_for_its_runs_only_where_one_may_have_a_font_of_its_own(
    registry, writer, monkeypatch
):
    read = []
    contents = struck_cells_module._cell_contents
    monkeypatch.setattr(struck_cells_module, "_cell_contents", lambda *a: read.append(a[1:]) or contents(*a))

    plain = parsed_rich(writer, registry, {}, struck=["B5"])
    rich = parsed_rich(writer, registry, {"B5": [("市委", OWN_FONT), ("小区", False)]}, struck=["B5"])

    assert [(e.rule, e.excel_row) for e in plain.errors] == [("struck_row", 5)]
    assert [(e.rule, e.excel_row) for e in rich.errors] == [("struck_row", 5)]
    assert [refs for _, refs in read] == [{"B5"}]  # the rich text's cell, not the plain one's
