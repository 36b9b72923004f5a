"""Read the report page's 数据质量提示, and the notes under 表1 and each 附表, as notes of plain text, each with the
figures it prints or cites, for Word and Excel."""

# The words are the page's own: the page includes quality_notes.html.j2 after 表1, and the Word file and the
# workbook's sheet print that template filled again with the same context, so a bureau's rewording reaches all three.

from __future__ import annotations

import re
from functools import partial
from html import unescape
from pathlib import Path
from typing import NamedTuple

from markupsafe import Markup, escape

from pipeline.problems import FIGURE_WARNINGS
from pipeline.report_context import Context
from pipeline.report_docx_fill import open_docx
from pipeline.report_fill import fill
from pipeline.report_model import Figure, Report
from pipeline.report_quality import Cited
from pipeline.report_sandbox import environment
from pipeline.report_templates import (
    HTML_TEMPLATE,
    NOTES_TEMPLATE,
    WARNING_TEMPLATE,
    find_template,
    template_folders,
)
from pipeline.report_text import DASH, shown

TEMPLATE = NOTES_TEMPLATE
TABLE_TEMPLATE = "table_notes.html.j2"  # the notes under 表1 and each 附表, read alike
# Each paragraph of the template; the text of the context is escaped, so every tag is the template's own.
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# A printed figure or cited name, as its place in `_PlainFigures.printed`: shown() makes every NUL of a text
# visible, so a bare NUL is only ever a mark.
_MARK = re.compile("\x00([0-9]+)\x00")


class Note(NamedTuple):
    """One 数据质量提示: its text, that text cut at the figures it prints (texts and figures in turn), and the
    figures of the rows it names without printing them (`report_quality.Cited`, a warning's form)."""

    text: str
    parts: tuple[str | Figure, ...]
    cited: tuple[Figure, ...] = ()

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Return the figures the note prints, in its order."""
        return tuple(part for part in self.parts if isinstance(part, Figure))


# What the workbook's sheet says where the template prints nothing (a bureau's own page may say nothing when all is
# well); the Word file, as the page, then prints nothing.
_NOTHING = "未发现需要提示的数据质量问题。"
NOTHING = Note(_NOTHING, (_NOTHING,))


class _PlainFigures:
    """Print values as the page does, escaped for HTML, but a figure or a cited name as a mark of where it went."""

    def __init__(self) -> None:
        self.printed: list[Figure | Cited] = []

    def __call__(self, value: object) -> object:
        if type(value) is Figure or type(value) is Cited:
            self.printed.append(value)
            return Markup(f"\x00{len(self.printed) - 1}\x00")
        if value is None:
            return Markup(DASH)
        if isinstance(value, Markup):  # a macro's output, escaped already
            return value
        return escape(shown(value)) if isinstance(value, str) else escape(value)


def _parts(
    paragraph: str, printed: list[Figure | Cited]
) -> tuple[tuple[str | Figure, ...], tuple[Figure, ...]]:
    """Cut a paragraph's text at its figures, without the whitespace around it (as the page shows a paragraph); and
    return the figures its cited names cite."""
    cut = _MARK.split(_TAG.sub("", paragraph))  # text, a mark's place, text, …, text
    texts, figures, cited = [unescape(cut[0])], [], []  # a figure between each two texts
    for place, text in zip(cut[1::2], cut[2::2], strict=True):
        value = printed[int(place)]
        if type(value) is Cited:  # printed as the plain name it is, part of the text around it
            cited += value.figures
            texts[-1] += shown(value) + unescape(text)
        else:
            figures.append(value)
            texts.append(unescape(text))
    texts[0] = texts[0].lstrip()
    texts[-1] = texts[-1].rstrip()
    parts: list[str | Figure] = [texts[0]]
    for figure, text in zip(figures, texts[1:], strict=True):
        parts += [figure, text]
    return tuple(part for part in parts if part != ""), tuple(cited)


def _notes(paragraphs: str, printed: list[Figure | Cited]) -> list[Note]:
    """Return the notes of a filled notes template, one a paragraph that prints something."""
    notes = []
    for paragraph in _PARAGRAPH.findall(paragraphs):
        parts, cited = _parts(paragraph, printed)
        if parts:
            text = "".join(part if isinstance(part, str) else shown(part.text) for part in parts)
            notes.append(Note(text, parts, cited))
    return notes


def quality_notes(context: Context, folders: list[Path]) -> list[Note]:
    """Return each 数据质量提示 of the page in its order and words; none where the page prints none."""
    values = _PlainFigures()

    def render() -> str:
        return environment(folders, values, autoescape=True).get_template(TEMPLATE).render(context.names())

    return _notes(fill(render, TEMPLATE), values.printed)


def table_notes(context: Context, folders: list[Path]) -> dict[int | None, list[Note]]:
    """Return the notes under each project's 附表 (table_notes.html.j2 filled with it as `p`), by its number, and
    under 表1 (filled with none), by None."""
    values = _PlainFigures()
    env = environment(folders, values, autoescape=True)
    names = context.names()

    def render(project: object) -> str:
        return env.get_template(TABLE_TEMPLATE).render(names | {"p": project})

    return {
        None if project is None else project.number: _notes(
            fill(partial(render, project), TABLE_TEMPLATE), values.printed
        )
        for project in (None, *context.projects)
    }


def report_quality_notes(report: Report) -> list[Note]:
    """Return `quality_notes` of a report, filled once for every format that prints them."""
    memo = report.memo.setdefault("quality_notes", {})
    if "notes" not in memo:
        memo["notes"] = quality_notes(report.context, template_folders(report.templates))
    return memo["notes"]


def report_table_notes(report: Report) -> dict[int | None, list[Note]]:
    """Return `table_notes` of a report, filled once for every format that prints them."""
    memo = report.memo.setdefault("table_notes", {})
    if "notes" not in memo:
        memo["notes"] = table_notes(report.context, template_folders(report.templates))
    return memo["notes"]


# The name report.docx prints the notes by (`{%p for note in quality_notes %}`), since commit 8aa39ef (2026-12); a
# bureau's copy made before holds its own old words of the notes instead, which quality_notes.html.j2 never reaches.
NOTES_NAME = "quality_notes"
# The name it prints the notes under 表1 and each 附表 by (`table_notes[none]`, `table_notes[p.number]`), since
# session 78: a copy made before prints none of them, the rounding of a 附表's 得分 among them, which before stood
# among the 数据质量提示.
TABLE_NOTES_NAME = "table_notes"


def docx_notes_warning(folders: list[Path]) -> str | None:
    """Say so when the Word template in use prints no `quality_notes` (its notes are not the page's) or no
    `table_notes` (it prints none of the notes under the page's tables)."""
    from jinja2 import TemplateSyntaxError, meta

    template = open_docx(folders)  # a file that is no Word document: the report's own ReportError, naming it
    path = template.template_file
    try:  # as render_docx reads it: tags split across runs joined, {%p …%} as {% …%}
        source = template.patch_xml(template.get_xml())
        names = meta.find_undeclared_variables(environment(folders, None, autoescape=True).parse(source))
    except TemplateSyntaxError:
        return None  # the report is not written, and says where the template is wrong
    said = []
    if NOTES_NAME not in names:
        said.append(
            f"报告模板 {path} 没有 {{%p for note in {NOTES_NAME} %}} 循环：Word 版的数据质量提示不取自 {TEMPLATE}，"
            "可能与网页版、Excel 版不同（2026年12月以前复制的 report.docx 里是数据质量提示各段文字的旧副本）。报告照常生成；"
            f"请按 docs/report-templates.md 把旧副本的那些段落换成 {{%p for note in {NOTES_NAME} %}}、{{{{ note }}}}、"
            "{%p endfor %} 三段。"
        )
    if TABLE_NOTES_NAME not in names:
        said.append(
            f"报告模板 {path} 没有 {{%p for note in {TABLE_NOTES_NAME}[…] %}} 循环：Word 版不印表1和附表之下的注"
            f"（{TABLE_TEMPLATE}，如附表“得分”按四舍五入印出、相加与自评得分不同的说明），网页版、Excel 版照印。报告照常生成；"
            f"请按 docs/report-templates.md 在表1之后加上 {{%p for note in {TABLE_NOTES_NAME}[none] %}}、{{{{ note }}}}、"
            f"{{%p endfor %}} 三段，在每张附表之后加上 {{%p for note in {TABLE_NOTES_NAME}[p.number] %}}、{{{{ note }}}}、"
            "{%p endfor %} 三段。"
        )
    return "".join(said) or None


# The 附表's rounding note, which quality_notes.html.j2 printed among the 数据质量提示 before table_notes.html.j2 took it
# under each 附表 (16a8758): a bureau's copy made before still prints it there, so the page, the Word file and the
# workbook print it twice.
MOVED_FIGURE = "printed_score_sum"


def _strings(folders: list[Path], name: str) -> tuple[Path, set[str]] | None:
    """Return the template of that name in use and the strings it writes (included templates, figure keys); None
    where it does not parse (the report is not written, and says where the template is wrong)."""
    from jinja2 import TemplateSyntaxError, nodes

    path = find_template(folders, name)
    try:
        parsed = environment(folders, None, autoescape=True).parse(path.read_text(encoding="utf-8"))
    except TemplateSyntaxError:
        return None
    return path, {node.value for node in parsed.find_all(nodes.Const) if isinstance(node.value, str)}


def quality_notes_warning(folders: list[Path]) -> str | None:
    """Say so when the quality_notes.html.j2 in use still prints the 附表's rounding note that table_notes.html.j2 now
    prints under each 附表 (a bureau's copy made before 16a8758): the report prints it twice."""
    read = _strings(folders, TEMPLATE)
    if read is None or MOVED_FIGURE not in read[1]:
        return None
    return (
        f"报告模板 {read[0]} 仍有附表“得分”按四舍五入印出、相加与自评得分不同的旧段落（{MOVED_FIGURE}）：这段说明现在印在每张"
        f"附表之下（{TABLE_TEMPLATE}），网页版、Word 版和 Excel 版因此各印两次。报告照常生成；请按 docs/report-templates.md "
        f"删去 {TEMPLATE} 中取 {MOVED_FIGURE} 的那一段（连同它的 {{% for %}}、{{% endfor %}}）。"
    )


def page_notes_warning(folders: list[Path]) -> str | None:
    """Say so when the report.html.j2 in use includes no table_notes.html.j2 (a bureau's copy made before 2978879 and
    16a8758): its page prints none of the notes under 表1 and the 附表 the Word file and the workbook print, the
    month a 完成投资 stands at and the rounding of a 附表's 得分 among them."""
    read = _strings(folders, HTML_TEMPLATE)
    if read is None or TABLE_TEMPLATE in read[1]:
        return None
    return (
        f"报告模板 {read[0]} 没有引用 {TABLE_TEMPLATE}：网页版不印表1和附表之下的注（如完成投资按月报最新月份计、截至几月，"
        "附表“得分”按四舍五入印出、相加与自评得分不同的说明），Word 版、Excel 版照印。报告照常生成；请按 "
        f'docs/report-templates.md 在表1之后加上 {{% with p = none %}}{{% include "{TABLE_TEMPLATE}" %}}{{% endwith %}}，'
        f'在每个项目的附表之后加上 {{% include "{TABLE_TEMPLATE}" %}}。'
    )


def notes_warnings(folders: list[Path]) -> list[str]:
    """Say what of the templates in use (report.docx, report.html.j2, quality_notes.html.j2) prints the notes other
    than the shipped ones do."""
    found = (docx_notes_warning(folders), page_notes_warning(folders), quality_notes_warning(folders))
    return [warning for warning in found if warning]


def worded_families(folders: list[Path]) -> frozenset[str] | None:
    """Return the families of open warnings the notes template in use words: those its open_warnings loop (or the
    open_warning.html.j2 it includes) compares `w.family` with, and `reading`, its `else`; None where that is every
    family, or where it does not parse (the report is not written, and says where)."""
    from jinja2 import TemplateSyntaxError, meta, nodes

    families = set(FIGURE_WARNINGS.values())
    compared: set[str] = set()
    loops = False
    names = [TEMPLATE]
    env = environment(folders, None, autoescape=True)
    while names:
        path = find_template(folders, names.pop())
        try:
            parsed = env.parse(path.read_text(encoding="utf-8"))
        except TemplateSyntaxError:
            return None
        loops = loops or "open_warnings" in meta.find_undeclared_variables(parsed)
        for node in parsed.find_all(nodes.Compare):
            compared |= {c.value for c in node.find_all(nodes.Const) if c.value in families}
        names += [
            c.value
            for node in parsed.find_all(nodes.Include)
            for c in node.find_all(nodes.Const)
            if c.value == WARNING_TEMPLATE
        ]
    worded = compared | ({"reading"} if loops else set())
    return None if worded >= families else frozenset(worded)
