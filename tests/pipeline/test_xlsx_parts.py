"""An xlsx's parts as the workbook relates them, and as calamine must be given them (pipeline/xlsx_parts.py)."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipeline.xlsx_parts import (
    SHARED_STRINGS,
    STYLES,
    OpenXlsx,
    for_calamine,
    row_and_cell_tags,
    whole_references,
)
from tests.pipeline.workbooks import compound_sheet, moved_parts, shared_rich, with_member, xlsx

ROWS = compound_sheet([1, "宏兴小区", "1.7260", "223", "648.21", "在建"])


def members(content: bytes) -> dict[str, bytes]:
    """Return an xlsx's members by name, as a zip reader lists them (a name written twice: its last)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(shared_rich(xlsx({"清单": ROWS})), id="shared strings"),
        pytest.param(xlsx({"清单": ROWS}), id="inline strings, none shared"),
        pytest.param(with_member(xlsx({"清单": ROWS}), STYLES, lambda data: None), id="no styles"),
        # calamine finds these parts at their usual names in any case, as Excel does.
        pytest.param(
            moved_parts(shared_rich(xlsx({"清单": ROWS})), {SHARED_STRINGS: "xl/SharedStrings.xml"}),
            id="usual name in another case",
        ),
    ],
)
def test_a_workbook_calamine_reads_as_excel_does_is_given_as_it_is(content):
    # The very bytes: a workbook as most writers save it is never copied.
    assert for_calamine(OpenXlsx(content), content) is content


@pytest.mark.parametrize(
    "moves",
    [
        {SHARED_STRINGS: "xl/strings.xml"},
        {SHARED_STRINGS: "xl/shared/sst1.xml"},
        {STYLES: "xl/styles2.xml"},
        {SHARED_STRINGS: "xl/strings.xml", STYLES: "xl/theme/styles1.xml"},
    ],
)
def test_parts_related_under_other_names_are_given_to_calamine_at_their_usual_names(moves):
    standard = shared_rich(xlsx({"清单": ROWS}))
    content = moved_parts(standard, moves)

    given = members(for_calamine(OpenXlsx(content), content))

    for usual, moved in moves.items():
        assert given[usual] == given[moved] == members(standard)[usual]
    # Nothing else changes: every other member is the one written.
    assert {name: data for name, data in given.items() if name not in moves} == members(content)


def test_a_stale_part_at_the_usual_name_gives_way_to_the_one_the_workbook_relates():
    content = moved_parts(shared_rich(xlsx({"清单": ROWS})), {SHARED_STRINGS: "xl/strings.xml"})
    stale = b"<sst><si><t>old</t></si></sst>"
    with zipfile.ZipFile(buffer := io.BytesIO(content), "a") as archive:
        archive.writestr(SHARED_STRINGS, stale)
    content = buffer.getvalue()

    given = zipfile.ZipFile(io.BytesIO(for_calamine(OpenXlsx(content), content)))

    # Listed once, so no reader can take the stale one.
    assert [info.filename for info in given.infolist()].count(SHARED_STRINGS) == 1
    assert given.read(SHARED_STRINGS) == given.read("xl/strings.xml") != stale


def test_tags_without_references_are_placed_after_the_one_before():
    xml = (
        b'<row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c></row>'
        b'<row><c t="e"><v>#N/A</v></c><x:c r="E"/></row><row r="9" spans="1:2"><c r="A9"/></row>'
    )

    placed = [(tag, row, column) for _, tag, _, row, column in row_and_cell_tags(xml)]

    assert placed == [
        (b"row", 3, 0),
        (b"c", 3, 2),
        (b"c", 3, 3),
        (b"row", 4, 0),
        (b"c", 4, 1),
        (b"c", 4, 5),
        (b"row", 9, 0),
        (b"c", 9, 1),
    ]


def test_references_written_in_part_are_written_whole_where_the_tags_place_them():
    xml = (
        b'<row r="3"><c r="B3"><v>1</v></c><c r="D" t="s"><v>2</v></c><c><v>3</v></c></row>'
        b'<row r="5"><c r="5"><v>4</v></c><x:c s="1" r="C"/><c r=""><v>5</v></c></row>'
    )

    written = whole_references(xml)

    # A column skipped (C in row 3) stays empty; the tags without a reference keep none, as calamine reads those.
    assert written == (
        b'<row r="3"><c r="B3"><v>1</v></c><c r="D3" t="s"><v>2</v></c><c><v>3</v></c></row>'
        b'<row r="5"><c r="A5"><v>4</v></c><x:c s="1" r="C5"/><c r="D5"><v>5</v></c></row>'
    )
    assert whole_references(written) == written
