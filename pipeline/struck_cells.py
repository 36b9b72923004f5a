"""Refuse a data row a clerk struck through (删除线): it means 作废 to whoever reads the sheet, and calamine, reading
values only, would count it as any other row."""

from __future__ import annotations

import logging
import re
import zipfile
from typing import TYPE_CHECKING, NamedTuple

from pipeline.cell_formats import _attributes
from pipeline.header_match import column_letter
from pipeline.values import is_blank
from pipeline.xlsx_parts import STYLES, TAG_PREFIX

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pipeline.cell_formats import CellFormats
    from pipeline.grids import Grid
    from pipeline.parsed_sheet import ParsedSheet

# styles.xml's fonts, each `<font>…</font>` (or an empty `<font/>`), and the cellXfs records that point at them.
_FONTS = re.compile(TAG_PREFIX + rb"fonts[\s>].*?" + TAG_PREFIX + rb"/\s*(?:[\w.-]+:)?fonts\s*>", re.S)
_FONT = re.compile(
    TAG_PREFIX + rb"font(?:\s[^>]*)?(?:/>|>(.*?)" + TAG_PREFIX + rb"/\s*(?:[\w.-]+:)?font\s*>)", re.S
)
# `<strike/>`, `<strike val="1"/>`, `<strike val="true"/>`: struck; `val="0"` or `"false"`: not.
_STRIKE = re.compile(TAG_PREFIX + rb"""strike(?:\s[^>]*?\bval\s*=\s*["'](\w*)["'])?[^>]*>""")
_CELL_XFS = re.compile(
    TAG_PREFIX + rb"cellXfs[\s>].*?(?:" + TAG_PREFIX + rb"/\s*(?:[\w.-]+:)?cellXfs\s*>|$)", re.S
)
_XF = re.compile(TAG_PREFIX + rb"xf(?=[\s/>])([^>]*)>")


def _struck_fonts(styles: bytes) -> set[int]:
    """Return the indexes of styles.xml's fonts drawn struck through."""
    fonts = _FONTS.search(styles)
    if fonts is None:
        return set()
    struck = set()
    for index, font in enumerate(_FONT.finditer(fonts.group(0))):
        found = _STRIKE.search(font.group(1) or b"")
        if found is not None and (found.group(1) or b"1").lower() in (b"1", b"true", b"on"):
            struck.add(index)
    return struck


def struck_styles(styles: bytes) -> frozenset[int]:
    """Return the cellXfs indexes (a cell's `s`) whose font is struck through."""
    if b"strike" not in styles:  # most workbooks: nothing to parse
        return frozenset()
    fonts = _struck_fonts(styles)
    records = _CELL_XFS.search(styles) if fonts else None
    if records is None:
        return frozenset()
    return frozenset(
        index
        for index, xf in enumerate(_XF.findall(records.group(0)))
        if int(_attributes(xf).get("fontId", 0)) in fonts
    )


class Strikes(NamedTuple):
    """What an xlsx draws struck through, read once, by the limits survey."""

    styles: frozenset[int] = frozenset()  # the cellXfs indexes whose font strikes (a cell's `s`)


def xlsx_strikes(archive: zipfile.ZipFile) -> Strikes:
    """Read what an xlsx draws struck through."""
    return Strikes(struck_styles(archive.read(STYLES)) if STYLES in archive.NameToInfo else frozenset())


def _struck_xfs(book) -> frozenset[int]:
    """Return the indexes of an xlrd book's XF records whose font is struck through."""
    fonts = book.font_list
    return frozenset(
        index
        for index, xf in enumerate(book.xf_list)
        if xf.font_index < len(fonts) and fonts[xf.font_index].struck_out
    )


def struck_cells(formats: CellFormats, sheet: str, cells: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Return those of a sheet's cells (zero-based row and column) drawn struck through."""
    if not cells:
        return set()
    if formats.struck is None:
        formats.struck = frozenset()  # unreadable styles are not read again for the next sheet
        formats.struck = (
            _struck_xfs(formats.xls_book())
            if formats.kind == "xls"
            else formats.read_styles(xlsx_strikes).styles
        )
    return set(formats.styled_cells(sheet, cells, formats.struck))


def error_struck_rows(grid: Grid, sheet: ParsedSheet, formats: CellFormats) -> None:
    """Refuse each data row with a filled cell drawn struck through, naming its struck columns."""
    rows = grid.rows
    headers = {b.index: b.header for b in sheet.bindings}
    filled: dict[int, list[int]] = {}
    for record in sheet.records:
        r = record["excel_row"] - 1
        row = rows[r]
        filled[r] = [c for c in sorted(headers) if c < len(row) and not is_blank(row[c])]
    try:
        struck = struck_cells(formats, grid.name, {(r, c) for r, columns in filled.items() for c in columns})
    except Exception:
        # Styles that cannot be read tell nothing: the rows are read as written, as before, never the file refused.
        logger.warning("reading the fonts of sheet %r failed", grid.name, exc_info=True)
        return
    for r in sorted({r for r, _ in struck}):
        columns = [c for c in filled[r] if (r, c) in struck]
        if columns == filled[r]:
            said, what = "该行整行设置了删除线", "该行"
        else:
            said = (
                "该行的" + "、".join(f"{column_letter(c)}列“{headers[c]}”" for c in columns) + "设置了删除线"
            )
            what = "这些值"
        sheet.error(
            rule="struck_row",
            excel_row=r + 1,
            header=headers[columns[0]],
            value=rows[r][columns[0]],
            expected=f"{said}；删除线通常表示作废，但{what}仍会按有效数据读取，无法确定是否应计入",
            fix=f"如{what}已作废，请删除后重新报送；如仍有效，请取消删除线后重新报送",
        )
