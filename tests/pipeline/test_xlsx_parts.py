"""An xlsx's parts and the tags of its worksheets' XML (pipeline/xlsx_parts.py)."""

from __future__ import annotations

from pipeline.xlsx_parts import row_and_cell_tags


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
