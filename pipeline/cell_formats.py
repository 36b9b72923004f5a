"""Tell which cells of an xlsx show their number as a percentage: calamine gives values, never formats."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterable

from pipeline.layout import column_letter
from pipeline.limits import TAG_PREFIX, whole_tags, xlsx_sheet_parts, xml_attributes

logger = logging.getLogger(__name__)

STYLES = "xl/styles.xml"
# Excel's built-in number formats `0%` and `0.00%`; a workbook states only the custom ones it uses.
BUILTIN_PERCENT = frozenset({9, 10})
# What a format code shows as written, not as a placeholder: quoted text, an escaped character, the
# character after `_` (padding) or `*` (fill), and bracketed colours, conditions and locales.
_LITERAL = re.compile(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]')
# The schema's order in styles.xml: numFmts, …, cellStyleXfs, cellXfs (a cell's `s` indexes its xf records),
# cellStyles, dxfs (whose numFmt elements style conditional formats, not cells).
_STYLE_TAG = re.compile(TAG_PREFIX + rb"(numFmt|cellStyleXfs|cellXfs|xf|cellStyles)(?=[\s/>])([^>]*)>")


def is_percent_format(code: str) -> bool:
    """Say whether a number format code shows a positive number as a percentage."""
    # A positive number takes the first section; a `%` written as text multiplies nothing.
    return "%" in _LITERAL.sub("", code).split(";", 1)[0]


def _attributes(tag: bytes) -> dict[str, str]:
    """Return a start tag's attributes, given as bytes, by local name."""
    return xml_attributes(tag.decode("utf-8", "replace"))


def _number_formats(archive: zipfile.ZipFile) -> tuple[dict[int, str], list[int]]:
    """Return styles.xml's custom number format codes by id, and each cellXfs record's numFmtId in order."""
    codes: dict[int, str] = {}
    formats: list[int] = []
    section = None  # the list of xf records being read
    for text in whole_tags(archive, archive.getinfo(STYLES)):
        for tag, attributes in _STYLE_TAG.findall(text):
            if tag == b"cellStyles":
                return codes, formats  # past cellXfs: the rest holds no cell's format
            if tag in (b"cellXfs", b"cellStyleXfs"):
                section = tag
            elif tag == b"numFmt" and section is None:
                found = _attributes(attributes)
                codes[int(found["numFmtId"])] = found.get("formatCode", "")
            elif tag == b"xf" and section == b"cellXfs":
                formats.append(int(_attributes(attributes).get("numFmtId", 0)))
    return codes, formats


def _percent_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Return the cellXfs indexes whose number format is a percentage."""
    codes, formats = _number_formats(archive)
    percent = {number for number, code in codes.items() if is_percent_format(code)}
    percent |= BUILTIN_PERCENT - codes.keys()  # a workbook may redefine a built-in id
    return frozenset(index for index, number in enumerate(formats) if number in percent)


def _cell_styles(archive: zipfile.ZipFile, part: str, refs: set[str]) -> dict[str, int]:
    """Return the style index (`s`) of each of a worksheet's cells named by reference (`H6`)."""
    pattern = "|".join(map(re.escape, refs)).encode()
    cell = re.compile(TAG_PREFIX + rb"c\s[^>]*?\br\s*=\s*[\"'](" + pattern + rb")[\"'][^>]*>")
    styles: dict[str, int] = {}
    for text in whole_tags(archive, archive.getinfo(part)):
        for found in cell.finditer(text):
            ref = found.group(1).decode()
            styles[ref] = int(_attributes(found.group(0)).get("s", 0))
        if len(styles) == len(refs):
            break  # the rest of a large sheet holds none of them
    return styles


class CellFormats:
    """The number formats of one xlsx, read only when asked; the file has passed the limits survey by then."""

    def __init__(self, content: bytes):
        self.content = content
        self.percent: frozenset[int] | None = None  # cellXfs indexes, once styles.xml is read

    def percent_cells(self, sheet: str, cells: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """Return those of a sheet's cells (zero-based row and column) whose number format is a percentage."""
        by_ref = {f"{column_letter(c)}{r + 1}": (r, c) for r, c in cells}
        if not by_ref:
            return set()
        try:
            with zipfile.ZipFile(io.BytesIO(self.content)) as archive:
                if self.percent is None:
                    self.percent = frozenset()  # unreadable styles are not read again for the next sheet
                    self.percent = _percent_styles(archive)
                if not self.percent or (part := xlsx_sheet_parts(archive).get(sheet)) is None:
                    return set()
                styles = _cell_styles(archive, part, set(by_ref))
        except Exception:
            # A format only ever lifts a warning: styles that cannot be read leave the warning, never the file.
            logger.warning("reading the number formats of sheet %r failed", sheet, exc_info=True)
            return set()
        return {by_ref[ref] for ref, style in styles.items() if style in self.percent}
