"""Write the report's values as the text every format prints: a source, a moment, a text made printable."""

from __future__ import annotations

import datetime as dt
import re
from html import escape

from pipeline.report_model import Source
from pipeline.text import printable, rows_text

DASH = "—"


def source_line(source: Source, number: int | None) -> str:
    """Describe one source: [n] file (unit) sheet, rows, fingerprint."""
    where = [f"[{number}]" if number else "", source.original_name]
    if source.unit:
        where.append(f"（{source.unit}）")
    if source.sheet:
        where.append(f" 工作表“{source.sheet}”")
    if source.excel_rows:
        where.append(f" {rows_text(source.excel_rows)}")
    where.append(f" · SHA-256 {source.sha256[:12]}…")
    return "".join(where)


# What XML 1.0 cannot hold and printable() leaves as it is.
_NOT_IN_XML = re.compile("[\ufffe\uffff]")


def shown(text: str) -> str:
    """Return text as every format prints it: control and bidi characters visible, nothing XML cannot hold."""
    return _NOT_IN_XML.sub("\ufffd", printable(text))


def received_text(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def docx_text(text: str) -> str:
    """Return text for WordprocessingML: shown as printed, escaped, a line break as a break of the run."""
    lines = [escape(line, quote=False) for line in shown(text).split("\n")]
    return '</w:t><w:br/><w:t xml:space="preserve">'.join(lines)
