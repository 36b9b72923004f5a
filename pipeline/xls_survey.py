"""Survey an xls against the limits from its cell records, before calamine lays its sheets out densely."""

from __future__ import annotations

import io
import re
import struct

from pipeline.limits import PASSWORD, Limits, Survey, Unsupported, _Extent

_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x0200, 0x002F
_ENCRYPTED_STREAMS = frozenset({"EncryptionInfo", "EncryptedPackage"})
# Records of one cell, each starting with its zero-based row and column; blanks included, as readers keep them.
_CELL_RECORDS = {0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6}
_FORMULA, _BOOLERR = 0x0006, 0x0205
# A row's own record (BIFF3–8): its flags at offset 12, where 0x20 (fDyZero) hides it.
_ROW, _ROW_HIDDEN = 0x0208, 0x20
_COLINFO, _COLINFO_HIDDEN = 0x007D, 0x0001
# A FONT record of the workbook's globals: its flags at offset 2, where 0x08 (fStrikeOut) draws it struck through.
_FONT, _FONT_STRUCK = 0x0031, 0x08
# Records of several cells in a row: row, first column, …, last column in the last two bytes.
_ROW_RECORDS = {0x00BD, 0x00BE}
# A record's kind and length; a cell record's row and column.
_TWO_WORDS = struct.Struct("<HH")
_NONZERO = re.compile(rb"[^\0]")


def _workbook_stream(content: bytes) -> tuple[bytes, int, int]:
    from xlrd.compdoc import CompDoc

    document = CompDoc(content, logfile=io.StringIO(), ignore_workbook_corruption=True)
    # An encrypted .xlsx travels inside an OLE2 container as these streams: their names in the directory say so,
    # with nothing of them read (an ordinary .xls has neither).
    if any(entry.name in _ENCRYPTED_STREAMS for entry in document.dirlist):
        raise Unsupported(PASSWORD)
    for name in ("Workbook", "Book"):
        stream, start, length = document.locate_named_stream(name)
        if stream is not None:
            return stream, start, start + length
    raise ValueError("no Workbook stream in the OLE2 document")


def _xls_sheet_names(stream: bytes, start: int, end: int) -> dict[int, str]:
    """Map each sheet's stream offset to its name, from the BOUNDSHEET records of the workbook globals."""
    names, position = {}, start
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        data = stream[position + 4 : position + 4 + length]
        if kind == _FILEPASS:
            raise Unsupported(PASSWORD)
        if kind == _BOUNDSHEET and len(data) >= 8:
            count, flags = data[6], data[7]
            raw = data[8 : 8 + count * (2 if flags & 1 else 1)]
            names[struct.unpack_from("<I", data)[0]] = raw.decode(
                "utf-16-le" if flags & 1 else "latin-1", "replace"
            )
        if kind == _EOF:
            break
        position += 4 + length
    return names


def _xls_error(kind: int, stream: bytes, body: int, length: int) -> bool:
    """Say whether a cell record holds an error value (`#DIV/0!`, `#REF!` …), which calamine reads as blank."""
    if kind == _BOOLERR and length >= 8:
        return stream[body + 7] == 1  # fError: the value byte is an error code, not a boolean
    # A formula's cached result: byte 0 is 2 (an error) when its last two bytes are 0xFFFF.
    return (
        kind == _FORMULA
        and length >= 14
        and stream[body + 6] == 2
        and stream[body + 12 : body + 14] == b"\xff\xff"
    )


def _xls_unsaved(kind: int, stream: bytes, body: int, length: int) -> bool:
    """Say whether a cell record is a formula saved with an empty result, which calamine reads as blank.

    Byte 0 is 3 (an empty string) when the result's last two bytes are 0xFFFF: what a program that writes formulas
    without computing them leaves (xlwt writes every formula so), as an .xlsx's `<f>` with no `<v>`.
    """
    return (
        kind == _FORMULA
        and length >= 14
        and stream[body + 6] == 3
        and stream[body + 12 : body + 14] == b"\xff\xff"
    )


def survey_xls(content: bytes, limits: Limits) -> Survey:
    """Check an xls's sheets against the limits from their cell records, before calamine lays them out densely;
    say whether any cell holds an error value or a formula saved without its result, and which rows the sheets
    hide."""
    stream, start, end = _workbook_stream(content)
    names = _xls_sheet_names(stream, start, end)
    cells, extent, position, errors, unsaved, struck = 0, None, start, False, False, False
    hidden: dict[str, list[int]] = {}
    hidden_columns: dict[str, list[int]] = {}
    unpack = _TWO_WORDS.unpack_from
    while position + 4 <= end:
        kind, length = unpack(stream, position)
        body = position + 4
        # The workbook's globals, or the padding after its last sheet: only a sheet's BOF counts there.
        if extent is None:
            if kind == _BOF and position - start in names:
                extent = _Extent(names[position - start], limits, cells)
            elif kind == _FONT and length >= 4:
                struck = struck or bool(stream[body + 2] & _FONT_STRUCK)
            elif not kind and not length:
                # A run of zero bytes is that many empty records, 4 bytes each: stepped over at once.
                found = _NONZERO.search(stream, position, end)
                body = position + ((found.start() if found else end) - position) // 4 * 4
            position = body + length
            continue
        # Cell records are most of a sheet's: asked for first (the kinds below are all distinct).
        if kind in _CELL_RECORDS:
            if length >= 4:
                row, column = unpack(stream, body)
                # A cell within the area reached so far changes nothing `reach` checks.
                if row >= extent.rows or column >= extent.columns:
                    extent.reach(row + 1, column + 1)
                if kind in (_FORMULA, _BOOLERR):  # the only records that hold an error or an unsaved result
                    errors = errors or _xls_error(kind, stream, body, length)
                    unsaved = unsaved or _xls_unsaved(kind, stream, body, length)
        elif kind == _BOF and position - start in names:
            extent = _Extent(names[position - start], limits, cells)
        elif kind in _ROW_RECORDS and length >= 6:
            row = struct.unpack_from("<H", stream, body)[0]
            extent.reach(row + 1, struct.unpack_from("<H", stream, body + length - 2)[0] + 1)
        elif kind == _ROW and length >= 16:
            if struct.unpack_from("<H", stream, body + 12)[0] & _ROW_HIDDEN:
                row = struct.unpack_from("<H", stream, body)[0]
                hidden.setdefault(extent.sheet, []).append(row + 1)
        elif kind == _COLINFO and length >= 10:
            first, last, _, _, flags = struct.unpack_from("<5H", stream, body)
            if flags & _COLINFO_HIDDEN:
                hidden_columns.setdefault(extent.sheet, []).extend(range(first + 1, min(last, 255) + 2))
        elif kind == _DIMENSIONS and length in (10, 14):
            rows, columns = (
                struct.unpack_from("<4xIxxH", stream, body)
                if length == 14
                else struct.unpack_from("<2xH2xH", stream, body)
            )
            extent.claim(rows, columns, f"{rows:,}行×{columns:,}列")
        elif kind == _EOF:
            cells += extent.area
            extent = None
        position = body + length
    return Survey(
        errors,
        unsaved,
        {sheet: tuple(sorted(set(rows))) for sheet, rows in hidden.items()},
        {sheet: tuple(sorted(set(columns))) for sheet, columns in hidden_columns.items()},
        struck,
    )
