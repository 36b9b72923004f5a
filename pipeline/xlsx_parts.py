"""Find an xlsx's worksheet parts and stream its XML a run of whole tags at a time."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from html import unescape

from pipeline.limits import CHUNK, MAX_TAG
from pipeline.text import remembered_if_short

# The workbook's styles: number formats and fonts, each cell's by its `s` index into cellXfs.
STYLES = "xl/styles.xml"
TAG_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"


_XML_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_ELEMENT = r"<(?:[A-Za-z_][\w.-]*:)?{}(?=[\s/>])([^>]*)>"


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


def _worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map the workbook's relationship ids of worksheets to their parts (xl/_rels/workbook.xml.rels)."""
    return dict(_parts_of(_small_member(archive, "xl/_rels/workbook.xml.rels")))


def _xlsx_sheet_names(archive: zipfile.ZipFile, parts: dict[str, str]) -> dict[str, str]:
    """Map worksheet parts to the sheet names the clerk sees (xl/workbook.xml)."""
    names = {}
    for attributes in map(dict, _sheets_of(_small_member(archive, "xl/workbook.xml"))):
        if attributes.get("id") in parts:
            names[parts[attributes["id"]]] = attributes.get("name", "")
    return names


# Workbooks made from one template carry the same two small parts, file after file: each text is read once per
# process. A larger one (a workbook of many sheets) is read each time, so the cache stays small.
_REMEMBERED_PART = 8192


@remembered_if_short(_REMEMBERED_PART, 256)
def _parts_of(text: str) -> tuple[tuple[str | None, str], ...]:
    """Return (relationship id, worksheet part) of each worksheet a workbook.xml.rels text relates."""
    parts = []
    for tag in re.findall(_XML_ELEMENT.format("Relationship"), text):
        attributes = xml_attributes(tag)
        target = attributes.get("Target", "")
        if attributes.get("Type", "").endswith("/worksheet"):
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts.append((attributes.get("Id"), path))
    return tuple(parts)


@remembered_if_short(_REMEMBERED_PART, 256)
def _sheets_of(text: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Return the attributes of each sheet a workbook.xml text lists, in order, as (name, value) pairs."""
    return tuple(tuple(xml_attributes(tag).items()) for tag in re.findall(_XML_ELEMENT.format("sheet"), text))


def xlsx_sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map the sheet names the clerk sees to their worksheet parts."""
    return {name: part for part, name in _xlsx_sheet_names(archive, _worksheet_parts(archive)).items()}


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
