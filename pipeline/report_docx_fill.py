"""Fill report.docx with docxtpl in the sandbox: figures as their text, charts as pictures."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any
from xml.parsers import expat

from markupsafe import Markup, escape

from pipeline.report_charts import Chart
from pipeline.report_context import Context
from pipeline.report_fill import fill
from pipeline.report_markup import DASH_MARKUP, _MarkupMemo
from pipeline.report_model import Figure, ReportError
from pipeline.report_sandbox import environment
from pipeline.report_templates import DOCX_TEMPLATE, find_template
from pipeline.report_text import docx_text
from pipeline.report_view import RENDERING

PARAGRAPH = re.compile(r"<w:p([ >])")
TAG = re.compile(r"<[^>]+>")
# The most of a paragraph's text an error quotes: enough to find it with 查找, short enough for a line of the log.
QUOTED_CHARACTERS = 60


class _WordText:
    """`docx_text` as a mapping, for _MarkupMemo."""

    def __getitem__(self, text: str) -> str:
        return docx_text(text)


class DocxValues:
    """Print values into the Word template: a figure as its text, a chart as its picture (collected in order)."""

    def __init__(self, png: Any, picture: Any):
        self.png = png  # chart → its PNG
        self.picture = picture  # (chart, png, width, number) → the run showing it
        self.width = 0  # the text's width in EMU, set from the template's page
        self.images: list[bytes] = []
        self.texts = _MarkupMemo(_WordText())  # each distinct text, written once

    def __call__(self, value: object) -> object:
        """Finalize a printed value: text escaped for WordprocessingML, nothing as —, a chart as a picture."""
        kind = type(value)
        if kind is str:
            return self.texts[value]
        if kind is Figure:
            return self.texts[value.text]  # type: ignore[attr-defined]
        if kind is Markup or value is None:
            return DASH_MARKUP if value is None else value
        if isinstance(value, str):
            return self.texts[str(value)]
        if kind is Chart:
            self.images.append(self.png(value))
            return Markup(self.picture(value, self.images[-1], self.width, len(self.images)))
        return escape(value)  # a number, a loop's index: as Jinja's autoescape prints it


def open_docx(folders: list[Path], kind: type | None = None) -> Any:
    """Open the Word template in use (as `kind`, a DocxTemplate by default); one that is no Word document is a
    ReportError naming it, never python-docx's traceback."""
    from docxtpl import DocxTemplate

    path = find_template(folders, DOCX_TEMPLATE)
    template = (kind or DocxTemplate)(str(path))
    try:
        template.render_init()
    except (
        Exception
    ) as exc:  # whatever python-docx raises for a file that is no .docx (a .wps renamed, a cut copy)
        raise ReportError(
            f"报告模板 {path} 不是可以打开的 Word 文档（{type(exc).__name__}：{exc}）：请用 WPS 或 Word 另存为 .docx 后再放入。"
        ) from exc
    return template


def render_docx(
    context: Context,
    folders: list[Path],
    values: DocxValues,
    stamp: dt.datetime,
    notes: list[tuple[str | Figure, ...]],
    table_notes: dict[int | None, list[tuple[str | Figure, ...]]],
) -> tuple[bytes, bytes]:
    """Fill report.docx with the context (docxtpl, in the sandbox): return the package and the rendered body.

    `notes` are the page's 数据质量提示 (pipeline.report_notes), each its texts and figures: the template prints
    each as `quality_notes`, in its words, its figures printed as every figure of the Word file; `table_notes`, the
    notes under 表1 and each 附表, by its project's number (None for 表1), alike (`table_notes[p.number]`,
    `table_notes[none]`).

    The body is rendered by docxtpl's own steps (its tags merged across runs, `{%p`/`{%tr` resolved) but kept as
    text, for the caller to put into word/document.xml: docxtpl parses it back and moves it into the document,
    which takes seconds for a few hundred projects. Headers, footers and properties go through docxtpl whole.
    """
    import io

    from docxtpl import DocxTemplate

    class Template(DocxTemplate):
        def render_xml_part(self, src_xml: str, part: Any, context: dict, jinja_env: Any = None) -> str:
            """docxtpl's own, with plain replacements for its regular expressions over the filled body, and
            without its Listing pass: DocxValues writes a value's line breaks itself."""
            self.current_rendering_part = part
            src_xml = PARAGRAPH.sub(r"\n<w:p\1", src_xml)  # a paragraph a line: errors name its line
            self.source = src_xml
            filled = jinja_env.from_string(src_xml).render(context)
            filled = filled.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
            if "{_" not in filled and "_}" not in filled:  # two scans of the body instead of four
                return filled
            return filled.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")

    template = open_docx(folders, Template)
    path = Path(template.template_file)
    document = template.docx
    section = document.sections[0]
    values.width = section.page_width - section.left_margin - section.right_margin
    env = environment(folders, values, autoescape=True)
    names = context.names() | {
        "quality_notes": [Markup("".join(map(values, note))) for note in notes],
        "table_notes": {
            n: [Markup("".join(map(values, note))) for note in table] for n, table in table_notes.items()
        },
    }

    def render() -> str:
        body = template.render_xml_part(template.patch_xml(template.get_xml()), document.part, names, env)
        for uri in (template.HEADER_URI, template.FOOTER_URI):
            for key, xml in template.build_headers_footers_xml(names, uri, env):
                template.map_headers_footers_xml(key, xml)
        template.render_properties(names, env)
        template.render_footnotes(names, env)
        return body

    token = RENDERING.set(path.name)
    try:
        body = fill(render, path.name).encode("utf-8")
    except ReportError as exc:
        raise ReportError(quoting_paragraph(str(exc), path.name, getattr(template, "source", None))) from exc
    finally:
        RENDERING.reset(token)
    try:  # it goes into document.xml as text: a tag misplaced in the template must not make a broken document
        expat.ParserCreate().Parse(body, True)
    except expat.ExpatError as exc:
        raise ReportError(
            f"报告模板 {path.name} 填写后的正文不是完整的 Word 内容（{exc}）：请检查 {{%p …%}}、{{%tr …%}} "
            "标记是否成对、是否各占一段或表格的一行。"
        ) from exc
    props = document.core_properties
    props.title = context.title
    props.author = props.last_modified_by = context.issuer or ""
    props.subject = f"{context.year}年度预算绩效管理工作开展情况"
    props.comments = "由预算绩效数据仓库生成"
    props.revision = 1
    props.created = props.modified = props.last_printed = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), body


def quoting_paragraph(message: str, name: str, source: str | None) -> str:
    """Add to an error's `report.docx 第N行` the text of that paragraph (its tags as typed), for the clerk to find it
    with 查找: the line counts the paragraphs docxtpl renders, which WPS and Word show nowhere."""
    found = re.search(rf"{re.escape(name)} 第(\d+)行", message)
    lines = (source or "").split("\n")
    if found is None or not 1 <= int(found.group(1)) <= len(lines):
        return message
    text = html.unescape(TAG.sub("", lines[int(found.group(1)) - 1])).strip()
    if not text:
        return message
    if len(text) > QUOTED_CHARACTERS:
        text = text[:QUOTED_CHARACTERS] + "…"
    return (
        f"{message[: found.end()]}（Word 中这一段的文字为“{text}”，可用“查找”找到）{message[found.end() :]}"
    )
