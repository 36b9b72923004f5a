"""Refuse a data row a clerk struck through (删除线): it means 作废 to whoever reads the sheet, and calamine, reading
values only, would count it as any other row."""

from __future__ import annotations

import logging
import re
from collections.abc import Container, Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from pipeline.cell_formats import _attributes, _cell_contents
from pipeline.cell_refs import column_letter
from pipeline.values import is_blank
from pipeline.xlsx_parts import SHARED_STRINGS, TAG_PREFIX, OpenXlsx

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
# The shared strings, each `<si>…</si>`; a rich text's runs, each `<r>…</r>` (its font in `<rPr>`, a phonetic
# `<rPh>` run apart), and their text, each `<t>…</t>`; a shared string cell's index, its `<v>`.
_STRING = re.compile(
    TAG_PREFIX + rb"si(?:\s[^>]*)?(?:/>|>(.*?)" + TAG_PREFIX + rb"/\s*(?:[\w.-]+:)?si\s*>)", re.S
)
_RUN = re.compile(TAG_PREFIX + rb"r>(.*?)" + TAG_PREFIX + rb"/\s*(?:[\w.-]+:)?r\s*>", re.S)
_RUN_FONT = re.compile(TAG_PREFIX + rb"rPr[\s/>]")
_TEXT = re.compile(TAG_PREFIX + rb"t(?:\s[^>]*)?>(.*?)" + TAG_PREFIX + rb"/\s*(?:[\w.-]+:)?t\s*>", re.S)
_VALUE = re.compile(TAG_PREFIX + rb"v(?:\s[^>]*)?>\s*(\d+)\s*" + TAG_PREFIX + rb"/")


def _strikes(font: bytes) -> bool:
    """Say whether a font's XML (a `<font>`'s or a run's `<rPr>`'s inside) draws its text struck through."""
    found = _STRIKE.search(font)
    return found is not None and (found.group(1) or b"1").lower() in (b"1", b"true", b"on")


def _struck_fonts(styles: bytes) -> set[int]:
    """Return the indexes of styles.xml's fonts drawn struck through."""
    fonts = _FONTS.search(styles)
    if fonts is None:
        return set()
    return {
        index for index, font in enumerate(_FONT.finditer(fonts.group(0))) if _strikes(font.group(1) or b"")
    }


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


def _struck_share(pieces: Iterable[tuple[str | bytes, bool]]) -> bool | None:
    """Say whether the pieces of a cell's text, each with whether it is struck, strike all of it (True), part of it
    (False) or none (None); blank pieces say nothing."""
    struck = plain = False
    for text, strikes in pieces:
        if text.strip():
            struck, plain = struck or strikes, plain or not strikes
    return (not plain) if struck else None


def _struck_runs(text: bytes, cell: bool = False) -> bool | None:
    """Say whether a rich text's runs (an `<si>`'s or `<is>`'s inside) strike all its text, part of it or none; a
    run with its own font (`<rPr>`) is drawn in it, whatever the cell's, and a run without one, or a text of no
    runs, in the cell's (`cell`: whether that strikes)."""
    runs = _RUN.findall(text)
    if not runs:
        return True if cell else None
    return _struck_share(
        (b"".join(_TEXT.findall(run)), _strikes(run) if _RUN_FONT.search(run) else cell) for run in runs
    )


def struck_strings(strings: bytes, cell: bool = False) -> dict[int, bool | None]:
    """Return the shared strings drawn otherwise than a cell's font draws them (`cell`: whether that strikes), by
    index: True when all their text is struck through, False when part, None when none."""
    # Without `strike` no run strikes; without `<rPr>` every run is drawn in the cell's font.
    if (b"rPr" if cell else b"strike") not in strings:
        return {}
    drawn = True if cell else None
    found = {}
    for index, string in enumerate(_STRING.finditer(strings)):
        if (share := _struck_runs(string.group(1) or b"", cell)) is not drawn:
            found[index] = share
    return found


class Strikes(NamedTuple):
    """What an xlsx draws struck through, read once, by the limits survey."""

    styles: frozenset[int] = frozenset()  # the cellXfs indexes whose font strikes (a cell's `s`)
    # The shared strings (a `t="s"` cell's `<v>`) with a run struck through: True when all their text is.
    strings: Mapping[int, bool | None] = {}
    # The shared strings whose runs' own fonts draw some of their text (False) or none (None) struck through in a
    # cell whose font strikes: only these are not drawn struck whole in such a cell.
    restyled: Mapping[int, bool | None] = {}
    # Whether a worksheet mentions `strike`: only then can a run of an inline string (`t="inlineStr"`) be struck.
    inline: bool = True
    # Whether a worksheet mentions `rPr`: only then can a run of an inline string have a font of its own.
    inline_fonts: bool = True

    def any(self) -> bool:
        """Say whether any cell can be drawn struck through, in whole or in part."""
        return bool(self.styles or self.strings or self.inline)


def xlsx_strikes(xlsx: OpenXlsx, inline: bool = True, inline_fonts: bool = True) -> Strikes:
    """Read what an xlsx draws struck through: its styles, and its shared strings where a run may be drawn otherwise
    than its cell; `inline` says whether a worksheet may strike a run of an inline string, `inline_fonts` whether one
    may have a font of its own."""
    styles = struck_styles(xlsx.styles())
    part = xlsx.part("sharedStrings", SHARED_STRINGS)
    # Read once, whole: most strike nothing and mention no `strike`, and are parsed only where they do.
    strings = b"" if part is None else xlsx.archive.read(part)
    return Strikes(
        styles=styles,
        strings=struck_strings(strings),
        restyled=struck_strings(strings, cell=True) if styles else {},
        inline=inline,
        inline_fonts=inline_fonts,
    )


def _struck_xfs(book) -> frozenset[int]:
    """Return the indexes of an xlrd book's XF records whose font is struck through."""
    fonts = book.font_list
    return frozenset(
        index
        for index, xf in enumerate(book.xf_list)
        if xf.font_index < len(fonts) and fonts[xf.font_index].struck_out
    )


def struck_cells(
    formats: CellFormats, sheet: str, cells: set[tuple[int, int]]
) -> dict[tuple[int, int], bool]:
    """Return those of a sheet's cells (zero-based row and column) drawn struck through: True where all their text
    is, False where part of it is (a run of rich text drawn in a font of its own)."""
    if not cells:
        return {}
    if formats.struck is None:
        formats.struck = frozenset()  # unreadable styles are not read again for the next sheet
        if formats.kind == "xls":
            formats.struck = _struck_xfs(formats.xls_book())
        else:
            formats.strikes = xlsx_strikes(formats.xlsx())
            formats.struck = formats.strikes.styles
    struck: dict[tuple[int, int], bool | None] = dict.fromkeys(
        formats.styled_cells(sheet, cells, formats.struck), True
    )
    # A run of rich text drawn in a font of its own strikes part of an unstruck cell, or unstrikes part of a struck one.
    struck |= (_xls_struck_runs if formats.kind == "xls" else _xlsx_struck_runs)(
        formats, sheet, cells, struck
    )
    return {cell: share for cell, share in struck.items() if share is not None}


def _xlsx_struck_runs(
    formats: CellFormats, sheet: str, cells: set[tuple[int, int]], styled: Container[tuple[int, int]]
) -> dict[tuple[int, int], bool | None]:
    """Return those of an xlsx sheet's cells whose rich text's runs draw them otherwise than their font (struck for
    those `styled`): True where all their text is struck, False where part is, None where none is."""
    strikes = formats.strikes
    if strikes is None:
        return {}
    # A struck cell's runs are read where one may have a font of its own, an unstruck cell's where one may strike.
    restyled, struck = bool(strikes.restyled or strikes.inline_fonts), bool(strikes.strings or strikes.inline)
    wanted = {cell for cell in cells if (restyled if cell in styled else struck)}
    if not wanted:
        return {}
    by_ref = {f"{column_letter(c)}{r + 1}": (r, c) for r, c in wanted}
    xlsx = formats.xlsx()
    if (part := xlsx.sheet_parts().get(sheet)) is None:
        return {}
    found = {}
    for ref, (tag, inside) in _cell_contents(xlsx.archive, part, set(by_ref)).items():
        cell = by_ref[ref]
        kind, drawn = _attributes(tag).get("t"), True if cell in styled else None
        if kind == "s" and (index := _VALUE.search(inside)) is not None:
            share = (strikes.restyled if drawn else strikes.strings).get(int(index.group(1)), drawn)
        elif kind == "inlineStr":
            share = _struck_runs(inside, cell=bool(drawn))
        else:
            continue
        if share is not drawn:
            found[cell] = share
    return found


def _xls_struck_runs(
    formats: CellFormats, sheet: str, cells: set[tuple[int, int]], styled: Container[tuple[int, int]]
) -> dict[tuple[int, int], bool | None]:
    """Return those of an xls sheet's cells whose rich text's runs draw them otherwise than their font, as above."""
    book = formats.xls_book()
    fonts = book.font_list
    if not any(font.struck_out for font in fonts) or (cells_of := formats.xls_sheet(sheet)) is None:
        return {}
    # (row, column) → [(offset, font index), …] of each rich text; the text before the first offset is in the cell's.
    runs = cells_of.rich_text_runlist_map
    found = {}
    for r, c in cells & runs.keys():
        text = str(cells_of.cell_value(r, c))
        starts = [(0, book.xf_list[cells_of.cell_xf_index(r, c)].font_index), *runs[(r, c)]]
        pieces = (
            (text[start:end], font < len(fonts) and fonts[font].struck_out)
            for (start, font), (end, _) in zip(starts, [*starts[1:], (len(text), 0)], strict=True)
        )
        if (share := _struck_share(pieces)) is not (True if (r, c) in styled else None):
            found[(r, c)] = share
    return found


def error_struck_rows(grid: Grid, sheet: ParsedSheet, formats: CellFormats) -> None:
    """Refuse each data row with a filled cell drawn struck through, in whole or in part, naming its struck columns."""
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
        whole = [c for c in filled[r] if struck.get((r, c)) is True]
        part = [c for c in filled[r] if struck.get((r, c)) is False]
        first = (part or whole)[
            0
        ]  # a cell read as struck and kept text run together is the likelier wrong value
        if part:
            said = "该行的" + "，".join(
                ([f"{_named(whole, headers)}设置了删除线"] if whole else [])
                + [f"{_named(part, headers)}中有部分文字设置了删除线"]
            )
            expected = (
                f"{said}；删除线通常表示作废，但划掉的文字仍会按有效数据读取，且与同一单元格中未划掉的文字连在一起，"
                "无法确定应计入的值"
            )
            fix = "请删去已作废的文字，每个单元格只保留有效的值后重新报送；如划掉的内容仍有效，请取消删除线后重新报送"
        else:
            if whole == filled[r]:
                said, what = "该行整行设置了删除线", "该行"
            else:
                said, what = f"该行的{_named(whole, headers)}设置了删除线", "这些值"
            expected = f"{said}；删除线通常表示作废，但{what}仍会按有效数据读取，无法确定是否应计入"
            fix = f"如{what}已作废，请删除后重新报送；如仍有效，请取消删除线后重新报送"
        sheet.error(
            rule="struck_row",
            excel_row=r + 1,
            header=headers[first],
            value=rows[r][first],
            expected=expected,
            fix=fix,
        )


def _named(columns: list[int], headers: dict[int, str]) -> str:
    """Name columns for the clerk: `E列“计划投资（万元）”、F列“改造状态”`."""
    return "、".join(f"{column_letter(c)}列“{headers[c]}”" for c in columns)
