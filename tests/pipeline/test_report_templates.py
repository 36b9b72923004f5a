"""The report as templates: the defaults write today's report, a deployment's own templates are used, a template
asking for an unknown figure or reaching into Python fails with its name and line.

"Today's report" is a frozen outline (tests/pipeline/data/report_outline_*.json) read from the report the
pre-template code wrote, on the demo and on the synthetic year of test_report.py; tests/pipeline/report_outline.py
reads it back from every format.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2.compiler import CodeGenerator
from markupsafe import Markup

from pipeline import report_docx, report_render, report_text
from pipeline.report import write_report_files
from pipeline.report_docx_fill import DocxValues
from pipeline.report_filters import numbered
from pipeline.report_html_fill import HtmlFigures
from pipeline.report_model import Figure, ReportError
from pipeline.report_sandbox import environment
from pipeline.report_templates import DEFAULT_TEMPLATES
from pipeline.settings import Settings
from tests.pipeline.report_outline import outline
from tests.pipeline.test_report import CONFIG, YEAR, make_warehouse, write_demo_report

FROZEN = Path(__file__).parent / "data"


def frozen(name: str) -> dict:
    return json.loads((FROZEN / f"report_outline_{name}.json").read_text(encoding="utf-8"))


def written(files) -> dict:
    return outline(files.html.read_bytes(), files.docx.read_bytes(), files.xlsx.read_bytes())


@pytest.fixture
def synthetic(tmp_path: Path) -> Settings:
    """A data root whose warehouse holds the synthetic year of test_report.py."""
    home = tmp_path / "home"
    make_warehouse(home / "warehouse.duckdb")
    return Settings(
        home, home / "inbox", home / "archive", home / "receipts", home / "warehouse.duckdb",
        home / "reports", home / "data_docs",
    )  # fmt: skip


def write(settings: Settings, registry, templates: Path | None = None):
    return write_report_files(
        dataclasses.replace(settings, report_templates=templates), YEAR, registry, CONFIG
    )


@pytest.fixture
def own(tmp_path: Path) -> Path:
    """A deployment's copy of the default templates."""
    return Path(shutil.copytree(DEFAULT_TEMPLATES, tmp_path / "own-templates"))


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, registry, demo):
    return write_demo_report(tmp_path_factory.mktemp("templates") / "home", registry, demo)


@pytest.mark.slow  # 5 s or more on two cores
def test_the_default_templates_write_todays_demo_report(demo_report):
    _, files, _ = demo_report
    before, after = frozen("demo"), written(files)

    for fmt in ("html", "docx", "xlsx"):
        assert after[fmt] == before[fmt], fmt
    assert len(after["html"]["figures"]) > 100  # the outline is read, not empty on both sides


def test_the_default_templates_write_todays_synthetic_report(synthetic, registry):
    before, after = frozen("synthetic"), written(write(synthetic, registry))

    for fmt in ("html", "docx", "xlsx"):
        assert after[fmt] == before[fmt], fmt


def test_a_template_asking_for_an_unknown_figure_fails_naming_template_line_and_key(synthetic, registry, own):
    page = own / "report.html.j2"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if "总体情况</h2>" in line)
    lines.insert(at + 1, "<p>{{ fig('no_such_figure') }}</p>\n")
    page.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(ReportError) as failure:
        write(synthetic, registry, own)

    assert f"report.html.j2 第{at + 2}行" in str(failure.value)
    assert "no_such_figure" in str(failure.value)
    assert not (synthetic.reports / str(YEAR)).exists()  # nothing published, not an empty number


def test_a_template_asking_a_project_for_an_unknown_figure_fails_too(synthetic, registry, own):
    page = own / "report.html.j2"
    text = page.read_text(encoding="utf-8").replace("p.fig('grade')", "p.fig('grades')", 1)
    page.write_text(text, encoding="utf-8")
    line = 1 + text[: text.index("p.fig('grades')")].count("\n")

    with pytest.raises(ReportError, match=rf"report\.html\.j2 第{line}行.*grades"):
        write(synthetic, registry, own)


@pytest.mark.parametrize(
    "reach", ["{{ ''.__class__.__mro__ }}", "{{ fig.__globals__ }}", "{{ projects[0]._project }}"]
)
def test_a_template_reaching_into_python_fails_in_the_sandbox(synthetic, registry, own, reach):
    page = own / "report.html.j2"
    page.write_text(page.read_text(encoding="utf-8").replace("<main>\n", f"<main>\n{reach}\n", 1), "utf-8")

    with pytest.raises(ReportError, match=r"report\.html\.j2 第\d+行试图访问不允许的内容，已被沙箱拒绝"):
        write(synthetic, registry, own)


def published(settings: Settings) -> dict[str, bytes]:
    """Return the published year's files by name, and the folder its link points at."""
    folder = (settings.reports / str(YEAR)).resolve()
    return {"": str(folder).encode()} | {
        f.name: f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()
    }


@pytest.mark.parametrize(
    ("mistake", "reason"),
    [
        ("{{ 1/0 }}", "除数为零"),
        ("{{ range(10**9)|list|length }}", "MAX_RANGE"),
        ("{{ ('x' * 10**9)|length }}", "沙箱上限"),
        ("{{ 10**(10**9) }}", "次方超过沙箱允许的大小"),
    ],
)
def test_a_python_error_in_a_template_fails_naming_template_and_line(
    synthetic, registry, own, mistake, reason
):
    """Not only Jinja's own errors: Python's, raised by a template line, and a size past the sandbox's bounds."""
    write(synthetic, registry)
    before = published(synthetic)
    page = own / "report.html.j2"
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if "总体情况</h2>" in line)
    lines.insert(at + 1, f"<p>{mistake}</p>\n")
    page.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(ReportError) as failure:
        write(synthetic, registry, own)

    assert str(failure.value).startswith(f"模板 report.html.j2 第{at + 2}行出错：")
    assert reason in str(failure.value)
    assert published(synthetic) == before  # the published report is left as it was


def test_a_deployment_templates_folder_that_does_not_exist_is_refused(synthetic, registry, tmp_path):
    with pytest.raises(ReportError, match="PIPELINE_REPORT_TEMPLATES"):
        write(synthetic, registry, tmp_path / "missing")


def test_pipeline_report_templates_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PIPELINE_REPORT_TEMPLATES", str(tmp_path))
    assert Settings.from_env(tmp_path).report_templates == tmp_path
    monkeypatch.delenv("PIPELINE_REPORT_TEMPLATES")
    assert Settings.from_env(tmp_path).report_templates is None


@pytest.mark.parametrize(
    ("n", "level", "text"),
    [(1, 1, "一、"), (12, 1, "十二、"), (105, 2, "（一百零五）"), (100, 3, "100．"), (101, 4, "（101）")],
)
def test_section_numbers_are_a_filter_past_ninety_nine(n, level, text):
    assert numbered(n, level) == text


def test_every_key_the_demo_marts_produce_is_declared_for_the_templates(demo_report):
    import duckdb

    from pipeline.report_view import load_figure_keys

    settings, _, _ = demo_report
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        produced = {
            key for (key,) in con.execute("select distinct figure_key from mart.report_figures").fetchall()
        }
    assert produced and produced <= set(load_figure_keys())


def test_sections_reordered_as_the_guide_says_leave_no_stale_cross_reference(synthetic, registry, own):
    """docs/report-templates.md: cut a section from its `==== 节名 ====` comment, paste it, renumber."""
    page = own / "report.html.j2"
    text = page.read_text(encoding="utf-8")
    second, third, appendix = (text.index(f"{{# ==== {name}") for name in ("二、", "三、", "附："))
    text = text[:second] + text[third:appendix] + text[second:third] + text[appendix:]
    text = text.replace("{{ 2|numbered(1) }}", "{{ 9|numbered(1) }}").replace(
        "{{ 3|numbered(1) }}", "{{ 2|numbered(1) }}"
    )
    page.write_text(text.replace("{{ 9|numbered(1) }}", "{{ 3|numbered(1) }}"), encoding="utf-8")

    html = written(write(synthetic, registry, own))["html"]

    headings = [h.split(":", 1)[1] for h in html["headings"]]
    assert headings.index("二、绩效指标表") < headings.index("三、项目绩效评价情况")  # the move took
    sections = [quoted for p in html["paragraphs"] for quoted in re.findall(r"见“([^”]+)”", p)]
    tables = [table for p in html["paragraphs"] for table in re.findall(r"见(附表\d+)", p)]
    assert sections or tables  # the page does refer to its tables
    assert all(section in headings for section in sections), sections
    assert all(any(c.startswith(f"{table} ") for c in html["captions"]) for table in tables), tables


# The Word template, as a bureau edits it in WPS or Word.


def docx_texts(path: Path) -> list[str]:
    import docx

    return [p.text for p in docx.Document(str(path)).paragraphs]


def edit_docx(path: Path, edit) -> None:
    import docx

    document = docx.Document(str(path))
    edit(document)
    document.save(str(path))


def paragraph(document, text: str):
    [found] = [p for p in document.paragraphs if p.text == text]
    return found


def test_a_changed_sentence_is_in_every_written_report_as_the_guide_says(synthetic, registry, own):
    old, new = "各项目绩效评价结果见下表。", "各项目绩效评价结果如下表所示（模板已修改）。"
    page = own / "report.html.j2"
    assert old in page.read_text(encoding="utf-8")  # the sentence docs/report-templates.md changes
    page.write_text(page.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    edit_docx(own / "report.docx", lambda d: setattr(paragraph(d, old), "text", new))

    files = write(synthetic, registry, own)

    assert new in files.html.read_text(encoding="utf-8")
    assert new in docx_texts(files.docx) and old not in docx_texts(files.docx)
    # The workbook holds the tables only: its outline is the default one.
    assert written(files)["xlsx"] == frozen("synthetic")["xlsx"]


def test_a_deployment_word_template_with_a_red_head_and_a_moved_section_is_used(
    synthetic, registry, tmp_path
):
    """The deployment's folder holds only report.docx: the page still comes from the defaults."""
    own = tmp_path / "bureau"
    own.mkdir()
    shutil.copy(DEFAULT_TEMPLATES / "report.docx", own / "report.docx")
    red_head = "测试区财政局文件（红头）"

    def bureau_edits(document) -> None:
        from docx.shared import RGBColor

        first = document.paragraphs[0]
        head = first.insert_paragraph_before(red_head)
        head.runs[0].font.color.rgb = RGBColor(0xC0, 0, 0)
        # Move 三、绩效指标表 (its heading up to 附：数据来源) before 二、项目绩效评价情况.
        body = document.element.body
        start = paragraph(document, "{{ 3|numbered(1) }}绩效指标表")._p
        end = paragraph(document, "附：数据来源")._p
        target = paragraph(document, "{{ 2|numbered(1) }}项目绩效评价情况")._p
        elements = list(body)
        for element in elements[elements.index(start) : elements.index(end)]:
            target.addprevious(element)

    edit_docx(own / "report.docx", bureau_edits)

    files = write(synthetic, registry, own)

    texts = docx_texts(files.docx)
    assert texts.index(red_head) < texts.index("测试区2022年度预算绩效管理工作开展情况")
    assert texts.index("三、绩效指标表") < texts.index("二、项目绩效评价情况")
    assert written(files)["docx"]["rows"] == frozen("synthetic")["docx"]["rows"]  # every table still there
    assert written(files)["html"] == frozen("synthetic")["html"]  # the page: default template


def test_the_red_head_of_registry_report_yaml_prints_above_the_title(synthetic, registry):
    config = CONFIG.model_copy(update={"red_head": "测试区财政局文件"})
    files = write_report_files(synthetic, YEAR, registry, config)

    texts = docx_texts(files.docx)
    assert texts.index("测试区财政局文件") < texts.index("测试区2022年度预算绩效管理工作开展情况")
    html = files.html.read_text(encoding="utf-8")
    assert html.index("测试区财政局文件") < html.index("<h1>")


def test_a_word_template_asking_for_an_unknown_figure_fails_naming_it(synthetic, registry, own):
    edit_docx(own / "report.docx", lambda d: setattr(paragraph(d, "各项目绩效评价结果见下表。"), "text",
                                                     "{{ fig('no_such_figure') }}"))  # fmt: skip

    with pytest.raises(ReportError, match=r"report\.docx 第\d+行.*no_such_figure"):
        write(synthetic, registry, own)
    assert not (synthetic.reports / str(YEAR)).exists()


def test_a_word_template_error_quotes_its_paragraph_for_the_clerk_to_find_with_search(
    synthetic, registry, own
):
    # WPS and Word number no lines: `第N行` counts the paragraphs docxtpl renders, so the clerk is given the text too.
    typed = "全区评价等级：{{ fig('grdae') }}，详见附表。"
    edit_docx(
        own / "report.docx", lambda d: setattr(paragraph(d, "各项目绩效评价结果见下表。"), "text", typed)
    )

    with pytest.raises(ReportError) as raised:
        write(synthetic, registry, own)
    assert re.match(
        rf"^模板 report\.docx 第\d+行（Word 中这一段的文字为“{re.escape(typed)}”，可用“查找”找到）：",
        str(raised.value),
    )
    assert "grdae" in str(raised.value)


def test_a_syntax_error_in_a_word_template_quotes_its_paragraph_cut_short(synthetic, registry, own):
    typed = "{{ fig('grade' }}" + "各项目绩效评价结果见下表" * 10
    edit_docx(
        own / "report.docx", lambda d: setattr(paragraph(d, "各项目绩效评价结果见下表。"), "text", typed)
    )

    with pytest.raises(
        ReportError, match=r"^报告模板 report\.docx 第\d+行（Word 中这一段的文字为“(.{60})…”.*有语法错误"
    ) as raised:
        write(synthetic, registry, own)
    assert f"“{typed[:60]}…”" in str(raised.value)


def test_a_python_error_in_a_word_template_fails_naming_it_and_the_line(synthetic, registry, own):
    edit_docx(own / "report.docx", lambda d: setattr(paragraph(d, "各项目绩效评价结果见下表。"), "text",
                                                     "{{ 1/0 }}"))  # fmt: skip

    with pytest.raises(
        ReportError,
        match=r"^模板 report\.docx 第\d+行（Word 中这一段的文字为“\{\{ 1/0 \}\}”，可用“查找”找到）出错：除数为零",
    ):
        write(synthetic, registry, own)
    assert not (synthetic.reports / str(YEAR)).exists()


def test_a_word_template_reaching_into_python_fails_in_the_sandbox(synthetic, registry, own):
    edit_docx(own / "report.docx", lambda d: setattr(paragraph(d, "各项目绩效评价结果见下表。"), "text",
                                                     "{{ ''.__class__.__mro__ }}"))  # fmt: skip

    with pytest.raises(ReportError, match="沙箱"):
        write(synthetic, registry, own)


def test_a_word_template_whose_tags_leave_a_broken_body_is_refused(synthetic, registry, own):
    """A `{%p if %}` without its `{%p endif %}` in a table cell cuts the document's XML apart."""

    def unbalance(document) -> None:
        document.tables[0].cell(0, 0).paragraphs[0].add_run("{% if false %}")
        paragraph(document, "附：数据来源").insert_paragraph_before("{% endif %}")

    edit_docx(own / "report.docx", unbalance)

    with pytest.raises(ReportError, match="report.docx"):
        write(synthetic, registry, own)
    assert not (synthetic.reports / str(YEAR)).exists()


def test_a_misspelt_name_in_a_template_fails_naming_it_and_the_line(synthetic, registry, own):
    page = own / "report.html.j2"
    text = page.read_text(encoding="utf-8").replace("{{ title }}</h1>", "{{ titel }}</h1>", 1)
    page.write_text(text, encoding="utf-8")
    line = 1 + text[: text.index("{{ titel }}")].count("\n")

    with pytest.raises(ReportError, match=rf"report\.html\.j2 第{line}行.*titel"):
        write(synthetic, registry, own)


PRINTED = (
    "{{ text }}|{{ number }}|{{ amount }}|{{ pair }}|{{ markup }}|{{ nothing }}|{{ figure }}|{{ figure.value }}|"
    "{% for x in [text] %}{{ loop.index }}{{ x }}{% endfor %}|"
    "{% autoescape false %}{{ text }}{{ number }}{% endautoescape %}|{% set kept %}{{ text }}{% endset %}{{ kept }}"
)


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_every_printed_value_is_escaped_as_with_jinjas_own_escape_around_the_finalizer(tmp_path, fmt):
    (tmp_path / "page.j2").write_text(PRINTED, encoding="utf-8")
    names = {
        "text": "<b>\"a\" & 'b'</b>\n第二行",
        "number": 3,
        "amount": Decimal("1250.10"),
        "pair": ("<", 1),  # printed as its str(), which holds markup
        "markup": Markup("<i>已转义</i>"),
        "nothing": None,
        "figure": Figure("grade", None, 1, Decimal("0.5"), "%", 2, "<50%>", ()),
    }

    def finalizer():
        if fmt == "html":
            memo = report_render._Memo(report_render._escaped)
            return HtmlFigures(lambda figure: ["来源"], memo, {}, report_text.source_line)
        return DocxValues(lambda chart: b"", report_docx.docx_chart)

    ours = environment([tmp_path], finalizer(), autoescape=True)
    jinjas = environment([tmp_path], finalizer(), autoescape=True)
    jinjas.code_generator_class = CodeGenerator  # escape() around every finalized value, as Jinja writes it

    printed = ours.get_template("page.j2").render(names)
    assert printed == jinjas.get_template("page.j2").render(names)
    assert "&lt;b&gt;" in printed and "<b>" not in printed


def test_the_guide_names_every_name_a_template_is_given():
    # The guide's table is the deployment's reference; district, stated_actuals, the tolerances and not_supplied,
    # all used by the default templates, were missing from it.
    import datetime as dt

    from pipeline.report_context import build_context

    guide = (Path(__file__).resolve().parents[2] / "docs" / "report-templates.md").read_text(encoding="utf-8")
    table = guide.split("## 模板里能用的名称", 1)[1]
    listed = set(re.findall(r"`([a-z_]+)", table))
    context = build_context(2022, "标题", None, None, dt.datetime(2023, 1, 1), [], (), {}, {})

    assert set(context.names()) - listed == set()


def test_a_compiled_template_is_kept_for_the_environment_that_compiled_it(tmp_path, monkeypatch):
    # Each report process read its templates' compiled code from the cache; an environment that compiles the same
    # file otherwise (another finalize, a filter passed the context, Jinja's own generator) must not be given it.
    from jinja2 import pass_context

    from pipeline import report_sandbox

    (tmp_path / "cache").mkdir()
    monkeypatch.setattr(report_sandbox, "_CACHE", [report_sandbox._Compiled(str(tmp_path / "cache"))])
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.j2").write_text("{{ x|shout }}<{{ y }}>", encoding="utf-8")

    def page(variant: str) -> str:
        env = environment([tmp_path / "t"], lambda value: Markup(f"[{value}]"), autoescape=True)
        env.filters["shout"] = (
            pass_context(lambda context, value: f"{value}!{context['y']}")
            if variant == "context"
            else lambda value: f"{value}!"
        )
        if variant == "jinja":
            env.code_generator_class = CodeGenerator
        made = env.from_string("{{ y }}{{ x|shout }}").render(x="a", y="<b>")
        return env.get_template("page.j2").render(x="a", y="<b>") + made

    first = {variant: page(variant) for variant in ("ours", "context", "jinja")}
    assert len(list((tmp_path / "cache").iterdir())) == 6  # a file and a text, for each of the three
    assert {variant: page(variant) for variant in first} == first  # the second time from the cache
    assert first["ours"] == "[a!]<[<b>]>[<b>][a!]"
    assert first["context"] == "[a!<b>]<[<b>]>[<b>][a!<b>]"
    assert first["jinja"] == first["ours"]  # escape() around a finalized value changes nothing but the time
