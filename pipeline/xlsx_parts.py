"""Find an xlsx's worksheet parts and stream its XML a run of whole tags at a time."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from html import unescape

from pipeline.cell_refs import column_letter, column_number
from pipeline.limits import CHUNK, MAX_TAG
from pipeline.text import remembered_if_short

# The workbook's styles (number formats and fonts, each cell's by its `s` index into cellXfs) and shared strings, by
# their usual names: the workbook's relationships say where they are.
STYLES = "xl/styles.xml"
WORKBOOK = "xl/workbook.xml"
PACKAGE_RELATIONS = "_rels/.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"
# The parts calamine reads at their usual names only (in any case), never where the workbook's relationships say:
# elsewhere, its text cells fail to read (the file refused as damaged) or its number formats go unread (a date read
# as its serial number, 44625 for 2022-03-05).
_CALAMINE_PARTS = (("sharedStrings", SHARED_STRINGS), ("styles", STYLES))
TAG_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"


# A worksheet's row and cell tags, and a tag's reference (`B7`, `$B$7`, `7` for a row), either part may be absent.
_ROW_OR_CELL = re.compile(TAG_PREFIX + rb"(row|c)(?=[\s/>])([^>]*)>")
REFERENCE = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]*)\$?(\d*)["']""")
_XML_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_ELEMENT = r"<(?:[A-Za-z_][\w.-]*:)?{}(?=[\s/>])([^>]*)>"
_WORKBOOK_ROOT = re.compile(_XML_ELEMENT.format("workbook"))


def xml_attributes(text: str) -> dict[str, str]:
    """Return an XML start tag's attributes by local name."""
    return {k.rsplit(":", 1)[-1]: unescape(a or b) for k, a, b in _XML_ATTR.findall(text)}


def _small_member(archive: zipfile.ZipFile, name: str) -> str:
    """Read a workbook-level part (workbook.xml, its rels) if present, never more than MAX_TAG bytes."""
    try:
        with archive.open(name) as handle:
            return handle.read(MAX_TAG).decode("utf-8", "replace")
    except KeyError:
        return ""


def workbook_part(archive: zipfile.ZipFile) -> str:
    """Return the workbook's part: xl/workbook.xml, or where the package's relationships (_rels/.rels) put it."""
    if WORKBOOK in archive.NameToInfo:
        return WORKBOOK
    # Excel opens a workbook wherever _rels/.rels points (xl/book.xml, some generators' name); calamine reads the
    # usual name only, so `for_calamine` puts a copy there.
    for _, kind, part in _relations_in(_small_member(archive, PACKAGE_RELATIONS), ""):
        # A Word document or presentation is an office document too: only a workbook's part begins so.
        if (
            kind == "officeDocument"
            and part in archive.NameToInfo
            and _WORKBOOK_ROOT.search(_small_member(archive, part))
        ):
            return part
    return WORKBOOK


def _relations_part(part: str) -> str:
    """Return the part holding a part's relationships (xl/book.xml → xl/_rels/book.xml.rels)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def workbook_relations(archive: zipfile.ZipFile) -> tuple[tuple[str | None, str, str], ...]:
    """Return (relationship id, type, part) of each part the workbook relates (xl/_rels/workbook.xml.rels)."""
    if (part := workbook_part(archive)) == WORKBOOK:
        return _relations_of(_small_member(archive, "xl/_rels/workbook.xml.rels"))
    return _relations_in(_small_member(archive, _relations_part(part)), posixpath.dirname(part))


def _worksheet_parts(
    archive: zipfile.ZipFile, relations: tuple[tuple[str | None, str, str], ...] | None = None
) -> dict[str, str]:
    """Map the workbook's relationship ids of worksheets to their parts."""
    relations = workbook_relations(archive) if relations is None else relations
    return {key: part for key, kind, part in relations if kind == "worksheet"}


def _xlsx_sheet_names(archive: zipfile.ZipFile, parts: dict[str, str]) -> dict[str, str]:
    """Map worksheet parts to the sheet names the clerk sees (xl/workbook.xml)."""
    names = {}
    for attributes in map(dict, _sheets_of(_small_member(archive, workbook_part(archive)))):
        if attributes.get("id") in parts:
            names[parts[attributes["id"]]] = attributes.get("name", "")
    return names


# Workbooks made from one template carry the same two small parts, file after file: each text is read once per
# process. A larger one (a workbook of many sheets) is read each time, so the cache stays small.
_REMEMBERED_PART = 8192


@remembered_if_short(_REMEMBERED_PART, 256)
def _relations_of(text: str) -> tuple[tuple[str | None, str, str], ...]:
    """Return (relationship id, type, part) of each part a workbook.xml.rels text relates; the type is its URI's last
    segment (`worksheet`, `styles`, `sharedStrings`), as transitional and strict workbooks differ before it."""
    return _relations_in(text, "xl")


def _relations_in(text: str, folder: str) -> tuple[tuple[str | None, str, str], ...]:
    """Return (relationship id, type, part) of each part a .rels text of a part in `folder` relates."""
    parts = []
    for tag in re.findall(_XML_ELEMENT.format("Relationship"), text):
        attributes = xml_attributes(tag)
        path = _target_part(attributes.get("Target", ""), folder)
        parts.append((attributes.get("Id"), attributes.get("Type", "").rsplit("/", 1)[-1], path))
    return tuple(parts)


def _target_part(target: str, folder: str) -> str:
    """Return the part a relationship's target names: from the package's root (`/xl/…`), else from `folder`."""
    return (
        target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
    )


@remembered_if_short(_REMEMBERED_PART, 256)
def _sheets_of(text: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Return the attributes of each sheet a workbook.xml text lists, in order, as (name, value) pairs."""
    return tuple(tuple(xml_attributes(tag).items()) for tag in re.findall(_XML_ELEMENT.format("sheet"), text))


class OpenXlsx:
    """An xlsx's zip, opened once (by the limits survey) for every part read beside calamine, with the parts it
    relates and its styles' XML, each read once, when first asked."""

    def __init__(self, content: bytes = b"", archive: zipfile.ZipFile | None = None):
        self.archive = zipfile.ZipFile(io.BytesIO(content)) if archive is None else archive
        self._relations: tuple[tuple[str | None, str, str], ...] | None = None
        self._sheet_parts: dict[str, str] | None = None
        self._styles: bytes | None = None

    def relations(self) -> tuple[tuple[str | None, str, str], ...]:
        """Return (relationship id, type, part) of each part the workbook relates."""
        if self._relations is None:
            self._relations = workbook_relations(self.archive)
        return self._relations

    def part(self, kind: str, usual: str) -> str | None:
        """Return the part of a type (`styles`, `sharedStrings`) the workbook relates, as Excel finds it, else the part
        at its usual name; None when there is neither."""
        names = self.archive.NameToInfo
        found = (part for _, related, part in self.relations() if related == kind and part in names)
        return next(found, usual if usual in names else None)

    def sheet_parts(self) -> dict[str, str]:
        """Map the sheet names the clerk sees to their worksheet parts."""
        if self._sheet_parts is None:
            parts = _worksheet_parts(self.archive, self.relations())
            self._sheet_parts = {name: part for part, name in _xlsx_sheet_names(self.archive, parts).items()}
        return self._sheet_parts

    def styles(self) -> bytes:
        """Return the styles' XML (number formats, fonts, cellXfs), empty when there is none."""
        if self._styles is None:
            part = self.part("styles", STYLES)
            self._styles = b"" if part is None else self.archive.read(part)
        return self._styles


def for_calamine(xlsx: OpenXlsx, content: bytes, partly_referenced: frozenset[str] = frozenset()) -> bytes:
    """Return the bytes calamine is to read: the xlsx itself, or, where the workbook or the shared strings or styles
    it relates are under other names, a copy with each also at the name calamine reads, so it reads them as Excel
    does; and with the worksheets `partly_referenced` names (parts whose cells write a reference in part) written
    with every reference whole.

    The copy appends to the zip rather than rewriting it: its members are neither inflated nor compressed again.
    """
    names = [info.filename for info in xlsx.archive.infolist()]
    # calamine refuses `<c r="B">` (its row left to its row tag) as a broken file; row_and_cell_tags reads it.
    moves: dict[str, bytes] = {
        part: whole_references(xlsx.archive.read(part)) for part in sorted(partly_referenced)
    }
    if (workbook := workbook_part(xlsx.archive)) != WORKBOOK:
        moves[WORKBOOK] = xlsx.archive.read(workbook)
        moves[_relations_part(WORKBOOK)] = _targets_from_root(
            xlsx.archive.read(_relations_part(workbook)), posixpath.dirname(workbook)
        )
        # calamine also follows the package's relationships to the workbook, and fails beyond xl/.
        moves[PACKAGE_RELATIONS] = _OFFICE_DOCUMENT.sub(
            lambda tag: _TARGET.sub(rb"\1\2/" + WORKBOOK.encode() + rb"\2", tag.group()),
            xlsx.archive.read(PACKAGE_RELATIONS),
        )
    for kind, usual in _CALAMINE_PARTS:
        part = xlsx.part(kind, usual)
        # calamine takes the first member named so, ignoring case.
        read = next((name for name in names if name.lower() == usual.lower()), None)
        if part is not None and part != read:
            moves[usual] = xlsx.archive.read(part)
    if not moves:
        return content
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a") as copy:
        for usual, data in moves.items():
            # A stale member at the usual name (one Excel never reads) leaves the directory, so calamine reads this.
            for stale in [info for info in copy.filelist if info.filename.lower() == usual.lower()]:
                copy.filelist.remove(stale)
                copy.NameToInfo.pop(stale.filename, None)
            copy.writestr(usual, data)
    return buffer.getvalue()


def whole_references(xml: bytes) -> bytes:
    """Write each cell reference a worksheet writes in part (`B`, `5`, empty) whole, where row_and_cell_tags puts it."""
    pieces, done = [], 0
    for start, tag, attributes, row, column in row_and_cell_tags(xml):
        written = REFERENCE.search(attributes) if tag == b"c" else None
        if written is None or (written.group(1) and written.group(2)):
            continue
        at = xml.find(attributes, start) + written.start()
        lead = written.group()[: len(written.group()) - len(written.group().lstrip())]
        pieces += [xml[done:at], lead, f'r="{column_letter(column - 1)}{row}"'.encode()]
        done = at + len(written.group())
    return b"".join([*pieces, xml[done:]])


_OFFICE_DOCUMENT = re.compile(TAG_PREFIX + rb"Relationship\s[^>]*/officeDocument[\"'][^>]*>")
_TARGET = re.compile(rb"""(\sTarget\s*=\s*)(["'])([^"']*)\2""")


def _targets_from_root(rels: bytes, folder: str) -> bytes:
    """Write a .rels part's targets relative to `folder` from the package's root, so they hold at another place."""

    def rooted(match: re.Match[bytes]) -> bytes:
        path = _target_part(match.group(3).decode("utf-8", "replace"), folder)
        return match.group(1) + match.group(2) + b"/" + path.encode("utf-8") + match.group(2)

    return _TARGET.sub(rooted, rels)


def whole_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflate an XML member a chunk at a time and yield it in runs of whole tags, so memory stays flat."""
    carry = b""
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK):
            text = carry + chunk
            # Only whole tags are yielded; a tag cut by the chunk boundary waits for the next chunk.
            cut = text.rfind(b"<")
            if cut < 0 or text.find(b">", cut) >= 0:
                cut = len(text)
            carry = text[cut:]
            if len(carry) > MAX_TAG:
                raise ValueError(f"{info.filename} holds a tag longer than MAX_TAG")
            yield text[:cut]
    yield carry


def row_and_cell_tags(
    text: bytes, row: int = 0, column: int = 0, number: Callable[[bytes], int] = column_number
) -> Iterator[tuple[int, bytes, bytes, int, int]]:
    """Follow a worksheet's row and cell tags from the row and column given, and yield each tag's offset, name
    (`row`, `c`), attributes, and the row and column (from 1; 0 for a row tag) it stands at: a tag without its
    reference follows the one before, as in Excel."""
    for match in _ROW_OR_CELL.finditer(text):
        tag, attributes = match.groups()
        letters, digits = found.groups() if (found := REFERENCE.search(attributes)) else (b"", b"")
        if tag == b"row":
            row, column = int(digits) if digits else row + 1, 0
        else:
            column = number(letters) if letters else column + 1
            row = int(digits) if digits else row
        yield match.start(), tag, attributes, row, column
