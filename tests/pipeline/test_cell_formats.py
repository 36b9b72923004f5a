"""A number Excel shows as a percentage (the clerk typed `100%`, the cell holds 1 formatted `0%`) is no bare 1."""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from decimal import Decimal

import openpyxl
import pytest
import xlrd
import xlwt
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from xlrd.compdoc import CompDoc

from pipeline.cell_formats import CellFormats, is_percent_format, scaled_places
from pipeline.cell_refs import column_letter
from pipeline.indicator_values import read_indicator
from pipeline.parse import parse_file
from pipeline.percent_cells import shown_percent
from pipeline.registry_templates import Template
from tests.pipeline.workbooks import (
    COMPOUND_HEADER,
    moved_parts,
    national_self_evaluation,
    prefixed,
    with_member,
    xls,
    xlsx,
    zips_opened,
)

UNIT = "枣林街道办事处"
PROJECT = "枣林街道办事处改造老旧小区"
PERCENT_FORMATS = ["0%", "0.00%", "0.0%"]  # the two built-in ones (ids 9, 10) and a custom one


def formatted(content: bytes, formats: dict[str, str], sheet: str | None = None) -> bytes:
    """Return the workbook again with number formats set on cells named by reference (`G7`)."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = book[sheet] if sheet else book.worksheets[0]
    for ref, number_format in formats.items():
        cells[ref].number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def warnings(parsed) -> list[tuple[str, int]]:
    return [(p.rule, p.excel_row) for p in parsed.all_problems]


# --- the format codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("0.0%", True),
        ("#,##0.0%;[Red]-#,##0.0%", True),
        ("[$-804]0.00%", True),
        ("General", False),
        ("0.00", False),
        ('0.0"%"', False),  # the sign written as text: 1 shows as 1.0%
        ("0.0\\%", False),
        ("0_%", False),  # padding the width of a `%`
        ("0;0%", False),  # a positive number takes the first section
        ('_(* #,##0_);_(* (#,##0);_(* "-"??_);_(@_)', False),
    ],
)
def test_a_format_is_a_percentage_when_its_first_section_multiplies_by_100(code, percent):
    assert is_percent_format(code) is percent


def test_the_percent_cells_of_a_sheet_are_found_by_their_style(registry):
    content = formatted(
        xlsx({"表一": [[1, 1, 1, 1]], "表二": [[1]]}),
        {"A1": "0%", "B1": "0.00%", "C1": "0.0%", "D1": "0.00"},
        sheet="表一",
    )
    formats = CellFormats(content)
    assert formats.percent_cells("表一", {(0, 0), (0, 1), (0, 2), (0, 3)}) == {(0, 0), (0, 1), (0, 2)}
    assert formats.percent_cells("表二", {(0, 0)}) == set()
    assert formats.percent_cells("没有的表", {(0, 0)}) == set()


def test_percent_cells_are_found_in_xml_written_with_a_namespace_prefix():
    content = formatted(xlsx({"表一": [[1, 1]]}), {"A1": "0.0%"}, sheet="表一")
    for member in ("xl/styles.xml", "xl/worksheets/sheet1.xml"):
        content = with_member(content, member, prefixed)

    assert CellFormats(content).percent_cells("表一", {(0, 0), (0, 1)}) == {(0, 0)}


# --- the national form's 执行率 --------------------------------------------------------------------------


def self_evaluation(rate: object, targets=None) -> tuple[list[list[object]], list[str]]:
    budget = ("1300", "1300", "1300", 10, rate, 10)
    return national_self_evaluation(targets or DEMO_TARGETS, budget=budget)


DEMO_TARGETS = [
    ("产出指标", "数量指标", "改造小区数量", "=16个", "16个", 30),
    ("产出指标", "质量指标", "返工率", "≤5%", "2%", 20),
    ("效益指标", "社会效益指标", "居民居住条件改善", "按期完成", "达成", 20),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", 20),
]
# The 自评表's 年度资金总额 row and its 执行率 column (G), as national_self_evaluation lays them out.
RATE_CELL = "G7"


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
def test_an_execution_rate_shown_as_100_percent_is_read_as_100_percent_without_a_warning(
    registry, number_format
):
    rows, merges = self_evaluation(1)
    content = formatted(xlsx({"自评表": rows}, merges={"自评表": merges}), {RATE_CELL: number_format})

    parsed = parse_file(content, f"{UNIT}/2022年项目支出绩效自评表.xlsx", registry)

    assert warnings(parsed) == []
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(1)}


def test_a_bare_1_execution_rate_in_a_general_cell_is_still_the_warning(registry):
    rows, merges = self_evaluation(1)

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/自评表.xlsx", registry)

    assert warnings(parsed) == [("percent_ambiguous", 7)]
    # Not settled by a format, the bare 1 is read by the form's own 执行数 ÷ 预算数 (here 100 %), and said so.
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(1)}


def test_a_rate_shown_as_100_percent_is_still_checked_against_executed_over_budget(registry):
    rows, merges = national_self_evaluation(DEMO_TARGETS, budget=("1300", "1300", "1250.1", 10, 1, "9.62"))
    content = formatted(xlsx({"自评表": rows}, merges={"自评表": merges}), {RATE_CELL: "0%"})

    parsed = parse_file(content, f"{UNIT}/自评表.xlsx", registry)

    [problem] = parsed.all_problems
    assert (problem.rule, problem.excel_row, problem.value) == ("rate_mismatch", 7, "100%")


def test_a_rate_under_1_shown_as_a_percentage_is_read_as_shown_though_the_figures_give_its_points(registry):
    # 0.96 formatted `0%` is the 96% the clerk sees: no bare number for the figures (13÷1300 = 1 %) to settle.
    rows, merges = national_self_evaluation(DEMO_TARGETS, budget=("1300", "1300", "12.48", 10, 0.96, "0.1"))
    content = formatted(xlsx({"自评表": rows}, merges={"自评表": merges}), {RATE_CELL: "0%"})

    parsed = parse_file(content, f"{UNIT}/自评表.xlsx", registry)

    [problem] = parsed.all_problems
    assert (problem.rule, problem.excel_row, problem.value) == ("rate_mismatch", 7, "96%")
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal("0.96")}


# --- 实际完成值 against a percent target -------------------------------------------------------------------

TARGETS_HEADER = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值"]


def targets_sheet(target: str, reported: object) -> bytes:
    """Return a 绩效目标 table whose one indicator (row 3) reports `reported` against `target`."""
    return xlsx(
        {
            "绩效目标": [
                [f"项目名称：{PROJECT}"],
                TARGETS_HEADER,
                ["产出指标", "质量指标", "指标", target, reported, 10],
            ]
        }
    )


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize("target", ["≤5%", "≥95%"])
def test_a_reported_value_shown_as_100_percent_is_100_percent_against_any_target(
    registry, target, number_format
):
    content = formatted(targets_sheet(target, 1), {"E3": number_format})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == []
    [record] = parsed.sheets[0].records
    # Stored as the cell shows it, so the models' own read_indicator reads it the same way.
    assert record["reported_value"] == "100%"
    assert read_indicator(target, record["reported_value"]).reported_number == 100


@pytest.mark.parametrize("target", ["≤5%", "≥95%"])
def test_a_bare_1_reported_in_a_general_cell_is_still_the_warning(registry, target):
    parsed = parse_file(targets_sheet(target, 1), f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == [("percent_ambiguous", 3)]
    assert parsed.sheets[0].records[0]["reported_value"] == "1"


def test_a_1_typed_as_text_in_a_percent_cell_shows_as_typed_and_is_still_the_warning(registry):
    content = formatted(targets_sheet("≤5%", "1"), {"E3": "0%"})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == [("percent_ambiguous", 3)]


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize(
    ("target", "reported", "shown"),
    [("≤5%", 0.03, "3%"), ("≥50%", 0.5, "50%"), ("≥95%", 0.97, "97%"), ("≥90%", 0.955, "95.5%")],
)
def test_a_fraction_in_a_percent_cell_is_kept_as_shown(registry, target, reported, shown, number_format):
    # Read right already (0.03 is 3 % against `≤5%`), it was kept as 0.03 while a 1 beside it was kept as 100%.
    content = formatted(targets_sheet(target, reported), {"E3": number_format})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == []
    [record] = parsed.sheets[0].records
    assert record["reported_value"] == shown
    assert (
        read_indicator(target, shown).reported_number == read_indicator(target, str(reported)).reported_number
    )


@pytest.mark.parametrize("reported", ["0.3", 0.3])
def test_a_number_under_1_against_a_target_under_1_percent_is_read_in_points_and_warned(registry, reported):
    # 0.3 against `≤0.5%` is 0.3 % as surely as 30 %, and 30 % would score the rate 60 times its target.
    parsed = parse_file(targets_sheet("≤0.5%", reported), f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == [("percent_ambiguous", 3)]
    assert "既可读作0.3%也可读作30%，对照年度指标值“≤0.5%”，已按0.3%计算" in parsed.all_problems[0].message_zh
    assert read_indicator("≤0.5%", parsed.sheets[0].records[0]["reported_value"]).reported_number == Decimal(
        "0.3"
    )


# Against `≤1%`, the commonest target of a small rate, 0.5 was read as 50 % with nothing said (against `≤0.9%` it was
# 0.5 %, warned): the accident rate scored 0.2 of its 10 points.
def test_a_number_under_1_against_a_target_of_1_percent_is_read_in_points_and_warned(registry):
    parsed = parse_file(targets_sheet("≤1%", "0.5"), f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == [("percent_ambiguous", 3)]
    assert "既可读作0.5%也可读作50%，对照年度指标值“≤1%”，已按0.5%计算" in parsed.all_problems[0].message_zh
    assert read_indicator("≤1%", "0.5").reported_number == Decimal("0.5")


@pytest.mark.parametrize("number_format", ["0.00%", "0.0%"])
def test_a_number_under_1_shown_as_a_percentage_against_a_target_under_1_percent_is_read_as_shown(
    registry, number_format
):
    content = formatted(targets_sheet("≤0.5%", 0.003), {"E3": number_format})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == []
    assert parsed.sheets[0].records[0]["reported_value"] == "0.3%"
    assert read_indicator("≤0.5%", "0.3%").reported_number == Decimal("0.3")


@pytest.mark.parametrize(
    ("target", "reported", "cell", "shown"), [("≥95", 0.98, "E3", "98%"), (0.95, "98%", "D3", "95%")]
)
def test_a_percent_cell_against_a_target_without_a_percent_sign_is_read_as_shown(
    registry, target, reported, cell, shown
):
    # 98.00% stored as 0.98 against `≥95`: read as 0.98, it scored 0.98/95 of its points.
    content = formatted(targets_sheet(target, reported), {cell: "0.00%"})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    [record] = parsed.sheets[0].records
    column = "reported_value" if cell == "E3" else "target_text"
    assert record[column] == shown
    reading = read_indicator(record["target_text"], record["reported_value"])
    assert (reading.target_number, reading.reported_number) == (95, 98)


# --- a （%） column of a table ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rate_registry(registry):
    """The registry with a 完成率 percent column added to the compound list (no shipped table has one)."""
    template = registry.template("compound_list").model_dump()
    template["columns"] = [
        *template["columns"],
        {"name": "completion_rate", "header": "完成率", "type": "percent"},
    ]
    templates = {**registry.templates, "compound_list": Template.model_validate(template)}
    return registry.model_copy(update={"templates": templates})


def compound_rates(*rates: object) -> bytes:
    rows = [[*COMPOUND_HEADER, "完成率（%）"]]
    rows += [[n, f"小区{n}", "1.5", "200", "500", "在建", rate] for n, rate in enumerate(rates, start=1)]
    return xlsx({"清单": rows})


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
def test_a_percent_column_cell_shown_as_100_percent_is_100_percent(rate_registry, number_format):
    content = formatted(compound_rates(1, 1, 0.5), {"G2": number_format})

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", rate_registry)

    # Row 3's bare 1 is in a General cell: only that one is still ambiguous.
    assert warnings(parsed) == [("percent_ambiguous", 3)]
    rates = [r["completion_rate"] for r in parsed.sheets[0].records]
    assert rates == [Decimal(1), Decimal("0.01"), Decimal("0.5")]


# --- where formats are not read --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda data: None, id="no-styles"),
        pytest.param(
            lambda data: data.replace(b'numFmtId="9"', b'numFmtId="nine"'), id="bad-number-format-id"
        ),
    ],
)
def test_styles_that_cannot_be_read_keep_the_warning(rate_registry, change):
    content = with_member(formatted(compound_rates(1), {"G2": "0%"}), "xl/styles.xml", change)

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", rate_registry)

    assert warnings(parsed) == [("percent_ambiguous", 2)]
    assert parsed.sheets[0].records[0]["completion_rate"] == Decimal("0.01")


# --- a number above 1 (or below 0) shown as a percentage: `105%` typed is 1.05 formatted `0%` ------------------
# Read bare, under （%） or against a percent target, 1.05 is 1.05 % or 105 % (a warning): the format says which.


@pytest.mark.parametrize(("number", "shown"), [(1.05, "105%"), (1.2, "120%"), (1, "100%"), (-0.05, "-5%")])
def test_a_number_is_written_as_its_percent_format_shows_it(number, shown):
    assert shown_percent(number) == shown


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize(("rate", "executed"), [(1.05, "1050"), (1.2, "1200")])
def test_an_execution_rate_shown_above_100_percent_is_read_as_shown(registry, number_format, rate, executed):
    rows, merges = national_self_evaluation(DEMO_TARGETS, budget=("1000", "1000", executed, 10, rate, 10))
    content = formatted(xlsx({"自评表": rows}, merges={"自评表": merges}), {RATE_CELL: number_format})

    parsed = parse_file(content, f"{UNIT}/2022年项目支出绩效自评表.xlsx", registry)

    # Read as 1.05 %, the rate would not be 执行数 over 预算数 either: no rate_mismatch says it was read right. Spent
    # beyond the budget, the 执行数 is asked about.
    assert warnings(parsed) == [("executed_exceeds_budget", 7)]
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(str(rate))}


@pytest.mark.parametrize(("rate", "points"), [(95, "0.95"), (5, "0.05")])
def test_an_execution_rate_in_percent_points_in_a_general_cell_is_read_as_before(registry, rate, points):
    rows, merges = self_evaluation(rate)

    parsed = parse_file(xlsx({"自评表": rows}, merges={"自评表": merges}), f"{UNIT}/自评表.xlsx", registry)

    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(points)}


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize(("reported", "shown"), [(1.05, "105%"), (1.2, "120%")])
@pytest.mark.parametrize("target", ["≥100%", "≤5%"])
def test_a_reported_value_shown_above_100_percent_is_read_as_shown(
    registry, target, reported, shown, number_format
):
    content = formatted(targets_sheet(target, reported), {"E3": number_format})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == []
    [record] = parsed.sheets[0].records
    assert record["reported_value"] == shown
    assert read_indicator(target, record["reported_value"]).reported_number == Decimal(shown[:-1])


@pytest.mark.parametrize(("reported", "stored"), [(95, "95"), (5, "5"), ("120", "120")])
def test_a_general_number_or_a_text_against_a_percent_target_is_read_as_before(registry, reported, stored):
    # A text `120` shows as typed whatever the format; a General 95 or 5 is 95 % or 5 % as it always was.
    formats = {"E3": "0%"} if isinstance(reported, str) else {}
    content = formatted(targets_sheet("≥90%", reported), formats)

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert warnings(parsed) == []
    [record] = parsed.sheets[0].records
    assert record["reported_value"] == stored
    assert read_indicator("≥90%", stored).reported_number == Decimal(stored)


def test_a_number_against_a_target_that_is_no_percentage_asks_no_format(registry, monkeypatch):
    asked = []
    monkeypatch.setattr(CellFormats, "percent_cells", lambda self, sheet, cells: asked.append(cells) or set())
    content = formatted(targets_sheet("=16个", 16), {"E3": "0%"})

    parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    assert asked == []


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
def test_a_percent_column_cell_shown_above_100_percent_or_below_0_is_read_as_shown(
    rate_registry, number_format
):
    content = formatted(
        compound_rates(1.05, 1.2, -0.05, 95, 5, "120"),
        {"G2": number_format, "G3": number_format, "G4": number_format, "G7": number_format},
    )

    parsed = parse_file(content, f"{UNIT}/2022年清单.xlsx", rate_registry)

    assert warnings(parsed) == []
    rates = [r["completion_rate"] for r in parsed.sheets[0].records]
    # General 95 and 5 are 95 % and 5 % as before; a text `120` in a percent cell shows as typed, 120 %.
    assert rates == [
        Decimal("1.05"),
        Decimal("1.2"),
        Decimal("-0.05"),
        Decimal("0.95"),
        Decimal("0.05"),
        Decimal("1.2"),
    ]


def test_a_percent_column_of_fractions_and_general_numbers_asks_no_format(rate_registry, monkeypatch):
    asked = []
    monkeypatch.setattr(CellFormats, "percent_cells", lambda self, sheet, cells: asked.append(cells) or set())
    content = formatted(compound_rates(0.95, 0.5, 0), {"G2": "0%"})

    parse_file(content, f"{UNIT}/2022年清单.xlsx", rate_registry)

    assert asked == []


def test_an_xls_number_above_1_in_a_general_cell_under_a_percent_header_is_read_as_before(rate_registry):
    parsed = parse_file(
        xls({"清单": [[*COMPOUND_HEADER, "完成率（%）"], [1, "小区1", "1.5", "200", "500", "在建", 1.05]]}),
        f"{UNIT}/清单.xls",
        rate_registry,
    )

    assert parsed.sheets[0].records[0]["completion_rate"] == Decimal("0.0105")


# --- an .xls (Excel 97–2003, BIFF8): its number formats are read with xlrd -------------------------------------
# The same cells as in an xlsx; calamine reads an xls's values, xlrd its XF records and FORMAT codes.

# Record types of an xls's workbook globals: a cell's format (XF) and a number format code (FORMAT).
XF, FORMAT = 0x00E0, 0x041E


def formatted_xls(
    sheets: Mapping[str, list[list[object]]],
    formats: Mapping[str, Mapping[str, str]],
    *,
    merges: Mapping[str, list[str]] | None = None,
) -> bytes:
    """Return an .xls written with xlwt whose cells named by sheet and reference (`G7`) have number formats."""
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name, cell_overwrite_ok=True)
        styles = {}
        for ref, code in formats.get(name, {}).items():
            letters, row = coordinate_from_string(ref)
            styles[(row - 1, column_index_from_string(letters) - 1)] = xlwt.easyxf(num_format_str=code)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    value = float(value) if isinstance(value, Decimal) else value
                    sheet.write(r, c, value, styles.get((r, c), xlwt.Style.default_style))
        for cell_range in (merges or {}).get(name, ()):
            min_col, min_row, max_col, max_row = range_boundaries(cell_range)
            sheet.merge(min_row - 1, max_row - 1, min_col - 1, max_col - 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cut_record(content: bytes, kind: int, keep: int) -> bytes:
    """Return an xls whose last workbook-globals record of a type keeps only its first `keep` bytes.

    The bytes cut become an unknown record, which every reader skips, so no offset after it moves: calamine
    still reads the file, but a reader of that record finds it too short.
    """
    document = CompDoc(content, logfile=io.StringIO())
    stream, start, length = document.locate_named_stream("Workbook")
    at = content.find(stream[start : start + length])  # xlwt writes the stream in consecutive sectors
    assert at > 0
    found, position = None, at
    while position + 4 <= at + length:
        record, size = struct.unpack_from("<HH", content, position)
        if record == kind:
            found = (position, size)
        if record == 0x000A:  # EOF: the end of the workbook globals
            break
        position += 4 + size
    assert found is not None
    position, size = found
    assert size >= keep + 4
    data = content[position + 4 : position + 4 + keep]
    filler = struct.pack("<HH", 0x1234, size - keep - 4) + bytes(size - keep - 4)
    return (
        content[:position] + struct.pack("<HH", kind, keep) + data + filler + content[position + 4 + size :]
    )


def national_xls(rate: object, number_format: str | None, executed: str = "1300") -> bytes:
    rows, merges = national_self_evaluation(DEMO_TARGETS, budget=("1300", "1300", executed, 10, rate, 10))
    formats = {"自评表": {RATE_CELL: number_format}} if number_format else {}
    return formatted_xls({"自评表": rows}, formats, merges={"自评表": merges})


def test_the_percent_cells_of_an_xls_sheet_are_found_by_their_format():
    codes = ["0%", "0.00%", "0.0%", "#,##0.0%;[Red]-#,##0.0%", "0.00", '0.0"%"', "0.0\\%", "General"]
    content = formatted_xls(
        {"表一": [[1] * (len(codes) + 1)], "表二": [[1]]},
        {"表一": {f"{column_letter(c)}1": code for c, code in enumerate(codes)}},
    )
    formats = CellFormats(content, "xls")

    every = {(0, c) for c in range(len(codes) + 1)}  # the last one left in the default format
    assert formats.percent_cells("表一", every | {(5, 0), (0, 50)}) == {(0, 0), (0, 1), (0, 2), (0, 3)}
    assert formats.percent_cells("表二", {(0, 0)}) == set()
    assert formats.percent_cells("没有的表", {(0, 0)}) == set()
    assert formats.percent_cells("表一", set()) == set()


def test_a_redefined_built_in_percent_id_of_an_xls_is_read_as_redefined(monkeypatch):
    # xlrd fills in the built-in codes a workbook leaves out; what the workbook says about an id wins.
    content = formatted_xls({"表一": [[1, 1]]}, {"表一": {"A1": "0%", "B1": "0.00%"}})
    opened = xlrd.open_workbook

    def redefining(**kwargs):
        book = opened(**kwargs)
        book.format_map[9] = xlrd.formatting.Format(9, xlrd.formatting.FNU, "0.00")
        del book.format_map[10]  # a map without the id: Excel's built-in `0.00%`
        return book

    monkeypatch.setattr(xlrd, "open_workbook", redefining)

    assert CellFormats(content, "xls").percent_cells("表一", {(0, 0), (0, 1)}) == {(0, 1)}


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize(("rate", "executed"), [(1.05, "1365"), (1.2, "1560")])
def test_an_xls_execution_rate_shown_above_100_percent_is_read_as_shown(
    registry, number_format, rate, executed
):
    content = national_xls(rate, number_format, executed)

    parsed = parse_file(content, f"{UNIT}/2022年项目支出绩效自评表.xls", registry)

    # Read as 1.05 %, the rate would not be 执行数 over 预算数 either: no rate_mismatch says it was read right. Spent
    # beyond the budget, the 执行数 is asked about.
    assert warnings(parsed) == [("executed_exceeds_budget", 7)]
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(str(rate))}


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize("name", ["自评表.xls", "自评表.xlsx", "自评表.et"])
def test_an_xls_execution_rate_shown_as_100_percent_is_read_as_100_percent_without_a_warning(
    registry, number_format, name
):
    # The content tells an xls: an Excel 97–2003 file renamed .xlsx, or a WPS .et, is read the same.
    parsed = parse_file(national_xls(1, number_format), f"{UNIT}/{name}", registry)

    assert warnings(parsed) == []
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(1)}


@pytest.mark.parametrize("number_format", [None, "General", "0.00", '0"%"', '0.0"%"', "0.0\\%"])
def test_a_bare_1_execution_rate_of_an_xls_not_shown_as_a_percentage_is_still_the_warning(
    registry, number_format
):
    # A `%` written as text shows 1 as `1%`: the cell is no percentage, and 1 stays the ambiguous bare 1.
    parsed = parse_file(national_xls(1, number_format), f"{UNIT}/自评表.xls", registry)

    assert warnings(parsed) == [("percent_ambiguous", 7)]
    # Read by the form's own 执行数 ÷ 预算数 (1300 ÷ 1300), as the warning says, not by the format.
    assert {r["budget_execution_rate"] for r in parsed.sheets[0].records} == {Decimal(1)}


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
@pytest.mark.parametrize(("reported", "shown"), [(1, "100%"), (1.05, "105%"), (1.2, "120%")])
@pytest.mark.parametrize("target", ["≥100%", "≤5%"])
def test_an_xls_reported_value_shown_as_a_percentage_is_read_as_shown(
    registry, target, reported, shown, number_format
):
    rows = [[f"项目名称：{PROJECT}"], TARGETS_HEADER, ["产出指标", "质量指标", "指标", target, reported, 10]]
    content = formatted_xls({"绩效目标": rows}, {"绩效目标": {"E3": number_format}})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xls", registry)

    assert warnings(parsed) == []
    [record] = parsed.sheets[0].records
    assert record["reported_value"] == shown
    assert read_indicator(target, record["reported_value"]).reported_number == Decimal(shown[:-1])


def compound_rates_xls(rates: list[object], formats: Mapping[str, str], sheets=("清单",)) -> bytes:
    # Each sheet its own compounds: alike sheets would be copies of one another, passed over (summaries.py).
    header = [[*COMPOUND_HEADER, "完成率（%）"]]
    tables = {
        name: header
        + [[n, f"{name}小区{n}", "1.5", "200", "500", "在建", rate] for n, rate in enumerate(rates, start=1)]
        for name in sheets
    }
    return formatted_xls(tables, {name: formats for name in sheets})


@pytest.mark.parametrize("number_format", PERCENT_FORMATS)
def test_an_xls_percent_column_cell_shown_as_a_percentage_is_read_as_shown(rate_registry, number_format):
    content = compound_rates_xls(
        [1.05, 1.2, -0.05, 1, 95, 1.05, 1],
        {ref: number_format for ref in ("G2", "G3", "G4", "G5")},
    )

    parsed = parse_file(content, f"{UNIT}/2022年清单.xls", rate_registry)

    # Rows 6 to 8 are General: 95 and 1.05 are 95 % and 1.05 % as before; with no target to read them against,
    # 1.05 (or 105 %) is told as the bare 1 (or 100 %) is.
    assert warnings(parsed) == [("percent_ambiguous", 7), ("percent_ambiguous", 8)]
    rates = [r["completion_rate"] for r in parsed.sheets[0].records]
    assert rates == [
        Decimal("1.05"),
        Decimal("1.2"),
        Decimal("-0.05"),
        Decimal(1),
        Decimal("0.95"),
        Decimal("0.0105"),
        Decimal("0.01"),
    ]


@pytest.mark.parametrize(
    ("record", "keep"), [pytest.param(XF, 4, id="xf"), pytest.param(FORMAT, 3, id="format")]
)
def test_an_xls_whose_format_records_cannot_be_read_keeps_the_warning(rate_registry, caplog, record, keep):
    content = cut_record(compound_rates_xls([1, 1.05], {"G2": "0.0%", "G3": "0.0%"}), record, keep)
    with pytest.raises(struct.error):  # what xlrd makes of it
        xlrd.open_workbook(file_contents=content, formatting_info=True, logfile=io.StringIO())

    parsed = parse_file(content, f"{UNIT}/2022年清单.xls", rate_registry)

    assert parsed.errors == []
    assert warnings(parsed) == [("percent_ambiguous", 2), ("percent_ambiguous", 3)]
    rates = [r["completion_rate"] for r in parsed.sheets[0].records]
    assert rates == [Decimal("0.01"), Decimal("0.0105")]
    assert "reading the number formats of sheet '清单' failed" in caplog.text


def counting_opens(monkeypatch) -> list[object]:
    opened, calls = xlrd.open_workbook, []

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return opened(*args, **kwargs)

    monkeypatch.setattr(xlrd, "open_workbook", counted)
    return calls


def test_an_xls_is_opened_once_for_all_its_sheets_and_only_its_globals_at_first(rate_registry, monkeypatch):
    calls = counting_opens(monkeypatch)
    content = compound_rates_xls([1.05], {"G2": "0%"}, sheets=("清单一", "清单二", "清单三"))

    parsed = parse_file(content, f"{UNIT}/2022年清单.xls", rate_registry)

    assert [r["completion_rate"] for sheet in parsed.sheets for r in sheet.records] == [Decimal("1.05")] * 3
    [kwargs] = calls
    assert kwargs["on_demand"] is True and kwargs["formatting_info"] is True


def test_an_unreadable_xls_is_not_opened_again_for_its_next_sheet(rate_registry, monkeypatch):
    calls = counting_opens(monkeypatch)
    content = cut_record(compound_rates_xls([1.05], {"G2": "0%"}, sheets=("清单一", "清单二")), XF, 4)

    parsed = parse_file(content, f"{UNIT}/2022年清单.xls", rate_registry)

    assert [r["completion_rate"] for sheet in parsed.sheets for r in sheet.records] == [Decimal("0.0105")] * 2
    assert len(calls) == 1


def test_an_xls_with_no_cell_to_settle_is_not_opened(rate_registry, monkeypatch):
    calls = counting_opens(monkeypatch)
    content = compound_rates_xls([0.95, 0.5, 0], {"G2": "0%", "G3": "0%"})

    parsed = parse_file(content, f"{UNIT}/2022年清单.xls", rate_registry)

    assert warnings(parsed) == []
    assert calls == []


# --- text columns --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_a_percent_typed_into_a_text_column_is_kept_as_shown(registry, kind):
    # The 运行监控表's 1-7月实际完成情况 and 全年预计完成情况 are text: `52%` typed into a percent-formatted cell is
    # the number 0.52, and the warehouse keeps what the clerk sees.
    from tests.pipeline.test_national_forms import MONITORING
    from tests.pipeline.workbooks import national_monitoring

    rows, merges = national_monitoring(MONITORING)
    header_row = next(i for i, row in enumerate(rows) if "全年预计完成情况" in row)
    expected = rows[header_row].index("全年预计完成情况")
    progress = expected - 1  # 1—7月实际完成情况
    r = next(i for i, row in enumerate(rows) if "年度计划投资完成率" in row)
    rows[r][progress], rows[r][expected] = 0.52, 1.05
    cells = {f"{column_letter(c)}{r + 1}": "0%" for c in (progress, expected)}
    if kind == "xlsx":
        content = formatted(xlsx({"监控表": rows}, merges={"监控表": merges}), cells)
    else:
        content = formatted_xls({"监控表": rows}, {"监控表": cells}, merges={"监控表": merges})

    parsed = parse_file(content, f"{UNIT}/监控表.{kind}", registry)

    assert parsed.all_problems == []
    [record] = [rec for rec in parsed.sheets[0].records if rec["level3"] == "年度计划投资完成率"]
    assert (record["progress_value"], record["expected_value"]) == ("52%", "105%")


def test_a_number_in_a_general_text_cell_stays_as_typed(registry):
    from tests.pipeline.test_national_forms import MONITORING
    from tests.pipeline.workbooks import national_monitoring

    rows, merges = national_monitoring(MONITORING)
    r = next(i for i, row in enumerate(rows) if "年度计划投资完成率" in row)
    header_row = next(i for i, row in enumerate(rows) if "全年预计完成情况" in row)
    rows[r][rows[header_row].index("全年预计完成情况") - 1] = 0.52  # 1—7月实际完成情况

    parsed = parse_file(xlsx({"监控表": rows}, merges={"监控表": merges}), f"{UNIT}/监控表.xlsx", registry)

    [record] = [rec for rec in parsed.sheets[0].records if rec["level3"] == "年度计划投资完成率"]
    assert record["progress_value"] == "0.52"


# Scaled formats: `0!.0000` shows 元 as 万元 (15700000 as 1570.0000), `#,##0,` shows thousands.


@pytest.mark.parametrize(
    ("code", "places"),
    [
        ("0!.0000", 4),
        ('0"."0000', 4),
        ("0\\.0000", 4),
        ("#,##0!.0000", 4),
        ("#,##0,", 3),
        ("0.0,,", 6),
        ('0!.00"万"', 2),
        ("0.00", 0),
        ("#,##0.00", 0),
        ("0%", 0),
        ('"万元"0.00', 0),
        ("0.00_);[Red](0.00)", 0),
        ("General", 0),
    ],
)
def test_a_format_moving_the_point_is_told_by_how_many_places(code, places):
    assert scaled_places(code) == places


def _ledger_rows(amount: object) -> list[list[object]]:
    return [
        ["填报单位：枣林街道办事处"],
        ["日期", "项目名称", "资金来源", "类型", "金额（万元）"],
        ["2022-03-10", PROJECT, "中央补助资金", "到位", "500"],
        ["2022-05-20", PROJECT, "中央补助资金", "支付", amount],
    ]


@pytest.mark.parametrize("write", ["xlsx", "xls"])
def test_an_amount_shown_scaled_is_an_error_naming_what_it_holds_and_what_it_shows(registry, write):
    # 15700000 元 formatted `0!.0000` shows 1570.0000 under 金额（万元）: stored as read, 1570万元 times ten thousand.
    rows = _ledger_rows(15700000)
    if write == "xlsx":
        content = formatted(xlsx({"台账": rows}), {"E4": "0!.0000"})
    else:
        content = formatted_xls({"台账": rows}, {"台账": {"E4": "0!.0000"}})

    parsed = parse_file(content, f"{UNIT}/台账.{write}", registry)

    [error] = parsed.errors
    assert (error.rule, error.sheet, error.excel_row, error.column_header) == (
        "scaled_format",
        "台账",
        4,
        "金额（万元）",
    )
    assert (
        "单元格中的数值是15700000，按其数字格式“0!.0000”显示为1570，所见与所填相差10000倍" in error.message_zh
    )


@pytest.mark.parametrize(("amount", "code"), [(15700000, "#,##0.00"), (1570, "0.0000"), (15700000, None)])
def test_an_amount_in_a_plain_format_is_read_as_its_number(registry, amount, code):
    rows = _ledger_rows(amount)
    content = formatted(xlsx({"台账": rows}), {"E4": code} if code else {})

    parsed = parse_file(content, f"{UNIT}/台账.xlsx", registry)

    assert [p.rule for p in parsed.errors] == []
    assert parsed.sheets[0].records[-1]["amount_wan"] == Decimal(amount)


def test_an_xlsx_is_opened_once_for_its_formats_and_fonts(registry, monkeypatch):
    rows = _ledger_rows(15700000)
    content = formatted(xlsx({"台账": rows}, struck={"台账": ["B3"]}), {"E4": "0!.0000"})
    opened = zips_opened(monkeypatch)

    parsed = parse_file(content, f"{UNIT}/台账.xlsx", registry)

    assert sorted((e.rule, e.excel_row) for e in parsed.errors) == [("scaled_format", 4), ("struck_row", 3)]
    # The limits survey's opening serves the number formats, the fonts and every sheet's cells.
    assert len(opened) == 1


def test_an_amount_shown_scaled_is_found_through_the_styles_part_the_workbook_relates(registry):
    content = formatted(xlsx({"台账": _ledger_rows(15700000)}), {"E4": "0!.0000"})
    content = moved_parts(content, {"xl/styles.xml": "xl/styles2.xml"})

    parsed = parse_file(content, f"{UNIT}/台账.xlsx", registry)

    assert [(e.rule, e.excel_row) for e in parsed.errors] == [("scaled_format", 4)]
