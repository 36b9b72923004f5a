"""Read the report page's 数据质量提示 as lines of plain text, each with the figures it prints, for the workbook."""

# The words are the page's own: the page includes quality_notes.html.j2 after 表1, and the workbook's sheet is that
# template filled again with the same context, figures as plain text, so a bureau's rewording reaches both.

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from markupsafe import Markup, escape

from pipeline.report import Figure
from pipeline.report_context import Context
from pipeline.report_render import DASH, shown
from pipeline.report_templates import environment, fill

TEMPLATE = "quality_notes.html.j2"
# Each paragraph of the template; the text of the context is escaped, so every tag is the template's own.
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# A printed figure's place in `_PlainFigures.printed`, after its text: shown() makes every NUL of a text visible,
# so a bare NUL is only ever a mark.
_MARK = re.compile("\x00([0-9]+)\x00")
# What the sheet says where the template prints nothing (a bureau's own page may say nothing when all is well).
NOTHING = "未发现需要提示的数据质量问题。"


class _PlainFigures:
    """Print values as the page does, escaped for HTML, but a figure as its text and a mark of where it went."""

    def __init__(self) -> None:
        self.printed: list[Figure] = []

    def __call__(self, value: object) -> object:
        if type(value) is Figure:
            self.printed.append(value)
            return Markup(f"{escape(shown(value.text))}\x00{len(self.printed) - 1}\x00")  # type: ignore[attr-defined]
        if value is None:
            return Markup(DASH)
        if isinstance(value, Markup):  # a macro's output, escaped already
            return value
        return escape(shown(value)) if isinstance(value, str) else escape(value)


def quality_notes(context: Context, folders: list[Path]) -> list[tuple[str, tuple[Figure, ...]]]:
    """Return each 数据质量提示 of the page in its order and words, with the figures it prints."""
    values = _PlainFigures()

    def render() -> str:
        return environment(folders, values, autoescape=True).get_template(TEMPLATE).render(context.names())

    notes = []
    for paragraph in _PARAGRAPH.findall(fill(render, TEMPLATE)):
        figures = tuple(values.printed[int(n)] for n in _MARK.findall(paragraph))
        text = unescape(_TAG.sub("", _MARK.sub("", paragraph))).strip()
        if text:
            notes.append((text, figures))
    return notes or [(NOTHING, ())]
