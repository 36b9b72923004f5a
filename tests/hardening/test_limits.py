"""The limits: configurable, checked before any parser inflates a file, and stated in the receipt when hit."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from bench.hostile_files import bomb_sheet, members_of, rewrite_sheet, write_zip
from pipeline.limits import LimitExceeded, Limits
from pipeline.parse import parse_file
from pipeline.problems import Severity
from pipeline.reader import read_workbook
from pipeline.settings import Settings
from pipeline.xlsx_survey import survey_xlsx
from tests.pipeline.workbooks import compound_sheet, csv_bytes, xls, xlsx

UNIT = "枣林街道办事处"
# Title, 填报单位 line, header, then four data rows: six columns, seven rows.
ROWS = compound_sheet(*[[n, f"小区{n}", "1.5", "120", "45.25", "在建"] for n in range(1, 5)])


def too_large(content: bytes, filename: str, registry, **limits: int):
    """Parse a file under the given limits; return its problems as (rule, sheet, label, value, expected)."""
    parsed = parse_file(content, f"{UNIT}/{filename}", registry, Limits(**limits))
    return [(p.rule, p.sheet, p.column_header, p.value, p.expected) for p in parsed.errors]


def with_sheet(content: bytes, sheet) -> bytes:
    """Return the workbook with its worksheet member swapped for another."""
    return write_zip([sheet if m.name == sheet.name else m for m in members_of(content)])


def test_limits_default_to_sizes_offices_never_reach():
    assert Limits() == Limits(
        max_file_bytes=50 * 2**20,
        max_rows=200_000,
        max_cells=5_000_000,
        max_uncompressed_bytes=500 * 2**20,
        max_compression_ratio=200,
    )


def test_the_readme_states_every_limit_with_its_setting_and_default():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for limit in fields(Limits):
        default = getattr(Limits(), limit.name)
        assert f"| `PIPELINE_{limit.name.upper()}` | {default} " in readme, limit.name


def test_limits_are_read_from_the_environment_into_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("PIPELINE_MAX_ROWS", "300000")
    monkeypatch.setenv("PIPELINE_MAX_FILE_BYTES", "104,857,600")
    limits = Settings.from_env(tmp_path).limits
    assert (limits.max_rows, limits.max_file_bytes, limits.max_cells) == (300_000, 104_857_600, 5_000_000)


@pytest.mark.parametrize("raw", ["many", "0", "-5", "1.5"])
def test_a_limit_that_is_not_a_positive_whole_number_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv("PIPELINE_MAX_CELLS", raw)
    with pytest.raises(ValueError, match="PIPELINE_MAX_CELLS"):
        Limits.from_env()


@pytest.mark.parametrize(
    ("content", "filename", "limits", "expected"),
    [
        pytest.param(
            csv_bytes(ROWS), "清单.csv", {"max_file_bytes": 100}, (None, "文件大小"), id="file-bytes"
        ),
        pytest.param(
            xlsx({"说明": [["见下一表"]], "清单": ROWS}),
            "清单.xlsx",
            {"max_rows": 6},
            ("清单", "每个工作表的行数", "7行", "不超过6行"),
            id="rows-xlsx",
        ),
        pytest.param(
            xls({"清单": ROWS}), "清单.xls", {"max_rows": 6}, ("清单", "每个工作表的行数"), id="rows-xls"
        ),
        pytest.param(
            csv_bytes(ROWS),
            "清单.csv",
            {"max_rows": 6},
            ("清单", "每个工作表的行数", "7行", "不超过6行"),
            id="rows-csv",
        ),
        pytest.param(
            xlsx({"清单": ROWS}),
            "清单.xlsx",
            {"max_cells": 41},
            ("清单", "单元格数（行数×列数）"),
            id="cells-xlsx",
        ),
        pytest.param(
            xls({"清单": ROWS}),
            "清单.xls",
            {"max_cells": 41},
            ("清单", "单元格数（行数×列数）"),
            id="cells-xls",
        ),
        pytest.param(
            csv_bytes(ROWS), "清单.csv", {"max_cells": 41}, ("清单", "单元格数（行数×列数）"), id="cells-csv"
        ),
        pytest.param(
            xlsx({"清单": ROWS}),
            "清单.xlsx",
            {"max_uncompressed_bytes": 2000},
            (None, "解压后的文件大小"),
            id="uncompressed",
        ),
        pytest.param(
            with_sheet(xlsx({"清单": ROWS}), bomb_sheet(2)),
            "清单.xlsx",
            {},
            (None, "文件内部的压缩比"),
            id="compression-ratio",
        ),
    ],
)
def test_each_limit_hit_is_a_too_large_rejection_saying_which_limit_and_its_value(
    registry, content, filename, limits, expected
):
    [(rule, sheet, label, value, allowed)] = too_large(content, filename, registry, **limits)
    assert (rule, sheet, label) == ("too_large", *expected[:2])
    assert (value, allowed)[: len(expected) - 2] == expected[2:]
    limit = next(iter(limits.values()), 200)
    assert allowed.startswith("不超过") and f"{limit:,}" in allowed


@pytest.mark.parametrize("writer", [xlsx, xls, csv_bytes], ids=["xlsx", "xls", "csv"])
def test_a_file_exactly_at_the_limits_is_read(registry, writer):
    content = writer({"清单": ROWS}) if writer is not csv_bytes else csv_bytes(ROWS)
    name = {xlsx: "清单.xlsx", xls: "清单.xls", csv_bytes: "清单.csv"}[writer]
    book = read_workbook(content, name, Limits(max_rows=7, max_cells=42, max_file_bytes=len(content)))
    assert len(book.grids[0].rows) == 7


def test_the_receipt_message_names_the_sheet_the_limit_and_the_fix(registry):
    parsed = parse_file(csv_bytes(ROWS), f"{UNIT}/清单.csv", registry, Limits(max_rows=6))
    [problem] = parsed.all_problems
    assert problem.severity is Severity.ERROR
    assert problem.message_zh == (
        "工作表“清单”至少有7行，超过每个工作表6行的处理上限。"
        "请将数据拆分为多个文件分别报送；如表格下方有大量设置了格式的空行，请删除这些行后另存。"
    )


FAR = b'<row r="300000"><c r="B300000"><v>1</v></c></row>'


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(lambda xml: xml.replace(b"</sheetData>", FAR + b"</sheetData>"), "", id="far-cell"),
        pytest.param(
            lambda xml: xml.replace(b'<dimension ref="A1:F7"/>', b'<dimension ref="A1:XFD1048576"/>'),
            "（声明的使用范围A1:XFD1048576）",
            id="claimed-range",
        ),
        pytest.param(
            lambda xml: xml.replace(
                b"</sheetData>", FAR.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>") + b"</sheetData>"
            ),
            "",
            id="far-cell-with-a-prefix",
        ),
        pytest.param(
            lambda xml: xml.replace(b"</sheetData>", b'<row r="300000"><c><v>1</v></c></row></sheetData>'),
            "",
            id="far-row-without-cell-references",
        ),
        pytest.param(
            lambda xml: xml.replace(b"</sheetData>", FAR.replace(b"<c ", b'<c t="n" ') + b"</sheetData>"),
            "",
            id="far-cell-with-its-reference-not-first",
        ),
    ],
)
def test_an_xlsx_reaching_far_is_refused_before_calamine_lays_it_out(change, where):
    content = rewrite_sheet(xlsx({"清单": ROWS}), change)
    with pytest.raises(LimitExceeded) as raised:
        read_workbook(content, "清单.xlsx")
    assert (raised.value.limit, raised.value.sheet, raised.value.where) == ("max_rows", "清单", where)


def test_a_cell_that_only_carries_formatting_does_not_count():
    content = rewrite_sheet(
        xlsx({"清单": ROWS}),
        lambda xml: xml.replace(
            b"</sheetData>", b'<row r="300000"><c r="XFD300000" s="0"/></row></sheetData>'
        ),
    )
    assert len(read_workbook(content, "清单.xlsx").grids[0].rows) == 7


@pytest.mark.parametrize("quote", ['"', "'"])
def test_an_error_cell_is_read_as_its_error_however_its_type_is_quoted(registry, quote):
    rows = [*ROWS[:-1], [2, "市委小区", "1.9320", "#DIV/0!", "725.58"]]
    content = rewrite_sheet(
        xlsx({"清单": rows}), lambda xml: xml.replace(b't="e"', f"t={quote}e{quote}".encode())
    )
    assert "#DIV/0!" in read_workbook(content, "清单.xlsx").grids[0].rows[-1]


# Row 5 hidden, as openpyxl writes it: `<row r="5" hidden="1">`, its cells `<c r="A5" …>`.
_HIDDEN_ROW_5 = b'<row r="5" hidden="1">'


@pytest.mark.parametrize(
    ("change", "hidden"),
    [
        pytest.param(lambda xml: xml, (5,), id="as-excel-writes-it"),
        pytest.param(
            lambda xml: xml.replace(_HIDDEN_ROW_5, b"<row r='5' hidden='true'>"), (5,), id="true-quoted"
        ),
        pytest.param(lambda xml: xml.replace(_HIDDEN_ROW_5, b'<row r="5" hidden="0">'), (), id="shown"),
        # Numbered by counting: the tag-by-tag path counts rows, as calamine does.
        pytest.param(
            lambda xml: re.sub(rb' r="[A-Z]*\d+"', b"", xml), (5,), id="rows-and-cells-without-references"
        ),
        pytest.param(
            lambda xml: xml.replace(_HIDDEN_ROW_5, b'<row hidden="1">'), (5,), id="hidden-row-unnumbered"
        ),
        pytest.param(
            lambda xml: xml.replace(b"<row", b"<x:row").replace(b"</row>", b"</x:row>"),
            (5,),
            id="prefixed-rows",
        ),
    ],
)
def test_the_limits_scan_notes_the_rows_a_sheet_hides_however_written(change, hidden):
    written = xlsx({"清单": ROWS}, hidden_rows={"清单": [5]})
    seen = []
    content = rewrite_sheet(written, lambda xml: seen.append(xml) or change(xml))
    assert _HIDDEN_ROW_5 in seen[0]  # the spelling each case rewrites

    assert survey_xlsx(content, Limits()).hidden_rows == ({"清单": hidden} if hidden else {})


@pytest.mark.parametrize(
    ("formula", "found"),
    [
        pytest.param(b"<f>SUM(1)</f>", True, id="as-excel-writes-it"),
        pytest.param(b'<f t="shared" si="0"/>', True, id="shared"),
        pytest.param(b"<x:f>SUM(1)</x:f>", True, id="prefixed"),
        pytest.param(b"<x:fx>SUM(1)</x:fx>", False, id="another-tag-prefixed"),
        pytest.param(b"<fx/>", False, id="another-tag"),
    ],
)
def test_the_limits_scan_finds_a_formula_however_its_tag_is_written(formula, found):
    content = rewrite_sheet(xlsx({"清单": ROWS}), lambda xml: xml.replace(b"<v>", formula + b"<v>", 1))
    assert survey_xlsx(content, Limits()).formulas is found
