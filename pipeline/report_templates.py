"""Fill the report templates (`templates/report/`, or a deployment's own) in Jinja2's sandbox."""

# The wording, order and layout of the report live in the templates; pipeline/report_context.py gives them the
# figures by key. A template cannot read files or reach Python's internals (SandboxedEnvironment), and every
# name it uses must exist (StrictUndefined): a misspelt key or variable fails the build, never prints empty.

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import BuiltinMethodType, MethodType
from typing import Any
from xml.parsers import expat

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.compiler import CodeGenerator
from jinja2.runtime import LoopContext
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from pipeline.report_charts import Chart
from pipeline.report_context import Context
from pipeline.report_model import Figure, ReportError, Source
from pipeline.report_text import DASH, docx_text
from pipeline.report_view import RENDERING

PARAGRAPH = re.compile(r"<w:p([ >])")
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "report"
HTML_TEMPLATE = "report.html.j2"
DOCX_TEMPLATE = "report.docx"


def template_folders(override: Path | None) -> list[Path]:
    """Return where templates are looked up: the deployment's folder (Settings.report_templates), then ours."""
    if override is not None and not override.is_dir():
        raise ReportError(f"报告模板目录 {override} 不存在（PIPELINE_REPORT_TEMPLATES）。")
    return [p for p in (override, DEFAULT_TEMPLATES) if p is not None]


def find_template(folders: list[Path], name: str) -> Path:
    """Return the first folder's copy of a template file."""
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise ReportError(f"找不到报告模板 {name}（查找了 {'、'.join(map(str, folders))}）。")


_ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """Write a section number in Chinese numerals: 一, 十, 十二, 二十三, 一百零五, 一千二百; Arabic from 10,000."""
    if n >= 10_000:
        return str(n)
    if 10 <= n < 20:
        return "十" + (_ZH_DIGITS[n - 10] if n > 10 else "")
    written, pending_zero = "", False
    for place, digit in zip(range(len(str(n)) - 1, -1, -1), map(int, str(n)), strict=True):
        if digit == 0:
            pending_zero = bool(written)
            continue
        written += ("零" if pending_zero else "") + _ZH_DIGITS[digit] + ("", "十", "百", "千")[place]
        pending_zero = False
    return written or _ZH_DIGITS[0]


def numbered(n: int, level: int) -> str:
    """Number a heading as official documents do: 1 一、 · 2 （一） · 3 1． · 4 （1）."""
    n = int(n)
    return {1: f"{zh_number(n)}、", 2: f"（{zh_number(n)}）", 3: f"{n}．", 4: f"（{n}）"}[int(level)]


def present(pairs: list) -> list:
    """Keep the `(label, figure)` pairs whose figure the marts produced."""
    return [pair for pair in pairs if pair[1] is not None]


class _EscapedByFinalize(CodeGenerator):
    """Jinja's code generator, printing a value as the environment's finalize returns it, without escape() around it.

    Every environment here has a finalize (HtmlFigures, DocxValues) that returns Markup, escaped for its format,
    for any value; escape() around it only copied that Markup again, once per printed value (half a million a
    year). Where autoescaping is switched inside a template (volatile) or off, Jinja's own code is kept.
    """

    def _escaped(self, frame: Any, finalize: Any) -> bool:
        return finalize.src is not None and frame.eval_ctx.autoescape and not frame.eval_ctx.volatile

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if self._escaped(frame, finalize):
            self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: Any, frame: Any, finalize: Any) -> None:
        if self._escaped(frame, finalize):
            self.write(")")
        else:
            super()._output_child_post(node, frame, finalize)


def _length(value: Any) -> int:
    """Return a text's or list's length, 0 for anything else."""
    return len(value) if isinstance(value, str | list | tuple) else 0


def _times(value: Any) -> int:
    """Return an integer operand as it is, 0 for anything else."""
    return value if isinstance(value, int) else 0


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, its verdict on an attribute of the report's own objects worked out once per class.

    The verdict on such an object depends only on its class and the attribute's name (functions, methods and
    types are judged on their own), and a year's templates look up a few hundred thousand attributes.
    """

    code_generator_class = _EscapedByFinalize
    plain: frozenset[type] = frozenset()
    _verdicts: dict[tuple[type, str], bool] = {}
    # The sandbox bounds range() (MAX_RANGE items) but not `*` and `**`: `'x' * 10**9` or `10**(10**9)` would
    # hold the nightly run's memory or CPU. Intercepted, they are also no longer folded when the template is
    # compiled, where `10**(10**9)` would hang before any line could be named.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Multiply or raise to a power, refusing a text or list repeated, or an integer, past the bounds."""
        if operator == "*" and max(_length(left) * _times(right), _length(right) * _times(left)) > MAX_RANGE:
            raise OverflowError(f"重复后的长度超过沙箱上限 {MAX_RANGE}")
        if operator == "**" and _times(left) and abs(left).bit_length() * _times(right) > MAX_RANGE * 10:
            raise OverflowError(f"{left} 的 {right} 次方超过沙箱允许的大小")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        kind = type(obj)
        if kind not in self.plain:
            return super().is_safe_attribute(obj, attr, value)
        known = self._verdicts.get((kind, attr))
        if known is None:
            known = self._verdicts[(kind, attr)] = super().is_safe_attribute(obj, attr, value)
        return known

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Look an attribute up; one the sandbox allowed on this class before is returned straight away."""
        if self._verdicts.get((type(obj), attribute)):
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return super().getattr(obj, attribute)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Call a function; a method of the report's own objects or of a list (neither takes a context, both
        allowed by the sandbox) is called directly."""
        kind = type(__obj)
        if (kind is MethodType and type(__obj.__self__) in __self.plain) or (
            kind is BuiltinMethodType and type(__obj.__self__) is list  # `rows.append(…)` building a table
        ):
            kwargs.pop("_loop_vars", None)  # what Jinja passes for a context function, as Context.call drops
            kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _plain_classes() -> frozenset[type]:
    from pipeline import report_quality, report_view

    return frozenset(
        {Figure, Source, Chart, LoopContext, report_view.ProjectView, report_view.Paragraph, report_view.ScalePart,
         report_view.Shortfall, report_quality.Doubt}
    )  # fmt: skip


def environment(folders: list[Path], finalize: Any, autoescape: bool) -> SandboxedEnvironment:
    """Return the sandbox templates are filled in, with the report's filters and helpers; `finalize` must return
    every value as Markup escaped for the format (see _EscapedByFinalize)."""
    if not _Sandbox.plain:
        _Sandbox.plain = _plain_classes()
    env = _Sandbox(
        loader=ChoiceLoader([FileSystemLoader(str(f), encoding="utf-8") for f in folders]),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
        extensions=["jinja2.ext.do"],
    )
    env.filters["numbered"] = numbered
    env.filters["zh_number"] = zh_number
    env.globals["present"] = present
    env.tests["figure"] = lambda value: isinstance(value, Figure)
    return env


def _place(exc: BaseException, name: str) -> str:
    """Name the template file and line an error was raised at, from Jinja's rewritten traceback."""
    where = f"模板 {name}"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            where = f"模板 {Path(filename).name} 第{tb.tb_lineno}行"
        elif filename == "<template>":
            where = f"模板 {name} 第{tb.tb_lineno}行"
        tb = tb.tb_next
    return where


_REASONS = {
    ZeroDivisionError: "除数为零",
    OverflowError: "数值或范围超出允许的大小",
    TypeError: "类型不对",
    ValueError: "值不对",
    MemoryError: "内存不足",
    RecursionError: "递归过深",
}


def _reason(exc: BaseException) -> str:
    """Say in Chinese what went wrong in a template's Python code, Python's own words after it."""
    said = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    gloss = next((text for kind, text in _REASONS.items() if isinstance(exc, kind)), "")
    return f"{gloss}（{said}）" if gloss else said


def fill(render: Any, name: str) -> Any:
    """Run a template's rendering; what goes wrong is a ReportError naming the template and line."""
    try:
        return render()
    except ReportError:  # an unknown figure key: its message names template, line and key already
        raise
    except TemplateSyntaxError as exc:
        raise ReportError(f"报告模板 {exc.name or name} 第{exc.lineno}行有语法错误：{exc.message}") from exc
    except TemplateNotFound as exc:
        raise ReportError(
            f"找不到报告模板 {exc.name}：请检查 PIPELINE_REPORT_TEMPLATES 指向的文件夹及默认的 templates/report/"
        ) from exc
    except SecurityError as exc:
        raise ReportError(f"{_place(exc, name)}试图访问不允许的内容，已被沙箱拒绝：{exc}") from exc
    except TemplateError as exc:
        raise ReportError(f"{_place(exc, name)}出错：{exc}") from exc
    # `{{ 1/0 }}`, `range(10**9)`: Python's own errors, raised by a line of the bureau's template.
    except Exception as exc:
        raise ReportError(f"{_place(exc, name)}出错：{_reason(exc)}") from exc


# HTML


DASH_MARKUP = Markup(DASH)


class _MarkupMemo(dict):
    """Each text as escaped Markup, made once: a page prints far fewer distinct texts than texts."""

    def __init__(self, escape: Any):
        super().__init__()
        self.escape = escape

    def __missing__(self, key: str) -> Markup:
        value = self[key] = Markup(self.escape[key])
        return value


class HtmlFigures:
    """Print figures in the page: each with its lineage on hover, numbered in page order as before."""

    def __init__(self, lineage: Any, escaped: Any, numbers: dict[int, int], source_line: Any):
        self.lineage = lineage  # figure → lines
        self.escaped = escaped  # text → escaped text, memoised
        self.numbers = numbers
        self.source_line = source_line
        self.count = 0
        self._tips: dict[object, tuple[object, str]] = {}
        # id(figure) → (figure, its span before its number, between its two numbers, after them): a figure
        # printed again (a summary table, an appendix) costs a lookup.
        self._spans: dict[int, tuple[Figure, str, str, str]] = {}
        self.markup = _MarkupMemo(escaped)  # text → its escaped Markup, memoised

    def tip(self, figure: Figure) -> str:
        """Return a figure's escaped lineage, once per tuple of sources (or per key, for a figure without)."""
        sources = figure.sources
        memo = id(sources) if sources else figure.key
        known = self._tips.get(memo)
        if known is None or (sources and known[0] is not sources):
            text = "\n".join(["来源：", *self.lineage(figure)])
            known = self._tips[memo] = (sources, self.escaped[text])
        return known[1]

    def _span(self, figure: Figure) -> tuple[Figure, str, str, str]:
        escaped = self.escaped
        span = self._spans[id(figure)] = (
            figure,
            f'<span class="fig" tabindex="0" data-key="{escaped[figure.key]}" aria-describedby="fig-',
            f'">{escaped[figure.text]}<span class="src" role="tooltip" id="fig-',
            f'">{self.tip(figure)}</span></span>',
        )
        return span

    def __call__(self, value: object) -> object:
        """Finalize a printed value: a figure with its lineage, nothing as —, text as printed and escaped."""
        kind = type(value)
        if kind is str:
            return self.markup[value]
        if kind is Figure:
            self.count += 1  # the figure's number in page order: its tooltip's id
            span = self._spans.get(id(value))
            if span is None or span[0] is not value:
                span = self._span(value)  # type: ignore[arg-type]
            number = self.count
            return Markup(f"{span[1]}{number}{span[2]}{number}{span[3]}")
        if kind is Markup or value is None:  # a macro's output, escaped already; nothing
            return DASH_MARKUP if value is None else value
        if isinstance(value, str):
            return self.markup[str(value)]
        if kind is Source:
            return self.markup["来源：" + self.source_line(value, self.numbers.get(value.submission_id))]
        return escape(value)  # a number, a loop's index: as Jinja's autoescape prints it


def render_html(context: Context, folders: list[Path], figures: HtmlFigures, svg: Any) -> str:
    """Fill report.html.j2 with the context; `svg(chart)` is a chart's inline SVG."""
    env = environment(folders, figures, autoescape=True)
    env.filters["svg"] = lambda chart: Markup(svg(chart))
    return fill(lambda: env.get_template(HTML_TEMPLATE).render(context.names()), HTML_TEMPLATE)


# Word


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
) -> tuple[bytes, bytes]:
    """Fill report.docx with the context (docxtpl, in the sandbox): return the package and the rendered body.

    `notes` are the page's 数据质量提示 (pipeline.report_notes), each its texts and figures: the template prints
    each as `quality_notes`, in its words, its figures printed as every figure of the Word file.

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
    names = context.names() | {"quality_notes": [Markup("".join(map(values, note))) for note in notes]}

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
