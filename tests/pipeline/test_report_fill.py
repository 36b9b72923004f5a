"""A template's failure told as pipeline/report_fill.py tells it: in Chinese, naming the file and line the clerk edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import Markup, escape

from pipeline.report_fill import fill
from pipeline.report_model import ReportError
from pipeline.report_sandbox import environment


def rendered(folder: Path, templates: dict[str, str], **names) -> str:
    """Fill page.j2 among these templates, written into the folder, as the report fills its own."""
    for name, text in templates.items():
        (folder / name).write_text(text, encoding="utf-8")
    env = environment([folder], lambda value: Markup(escape(value)), autoescape=True)
    return fill(lambda: env.get_template("page.j2").render(names), "page.j2")


def test_a_misspelt_name_is_told_in_chinese_with_its_line(tmp_path):
    with pytest.raises(ReportError) as raised:
        rendered(tmp_path, {"page.j2": "<p>标题</p>\n<p>{{ yaer }}年度</p>\n"}, year=2025)

    assert str(raised.value) == (
        "模板 page.j2 第2行出错：没有名为“yaer”的名称，是否写错了？"
        "模板里能用的名称见 docs/report-templates.md“模板里能用的名称”（'yaer' is undefined）"
    )


def test_a_misspelt_attribute_printed_by_a_macro_names_the_line_that_called_it_too(tmp_path):
    # The clerk edited page.j2; the misspelt attribute fails only where the macro prints it.
    templates = {
        "macros.j2": "{% macro row(values) %}\n<td>{{ values[0] }}</td>\n{% endmacro %}\n",
        "page.j2": '{% import "macros.j2" as m %}\n<p>表</p>\n{{ m.row([project.grdae]) }}\n',
    }

    with pytest.raises(ReportError) as raised:
        rendered(tmp_path, templates, project={"grade": "优"})

    message = str(raised.value)
    assert message.startswith(
        "模板 macros.j2 第2行（由 page.j2 第3行 调用）出错：“grdae”不是可以取用的内容，是否写错了？"
    )
    assert message.endswith("（'dict object' has no attribute 'grdae'）")


def test_a_good_template_is_filled(tmp_path):
    assert rendered(tmp_path, {"page.j2": "{{ year }}年度"}, year=2025) == "2025年度"


@pytest.mark.parametrize(
    ("page", "line", "told"),
    [
        # An endfor deleted: Jinja finds it missing only where it stops reading, which the clerk is told.
        (
            "{% for x in xs %}\n<p>{{ x }}</p>\n<p>完</p>\n",
            2,  # the line Jinja read last, said so: not where the endfor is missing
            "直到模板结尾也没有与 {% for … %} 配对的 {% endfor %}",
        ),
        ("<p>a</p>\n{% endfor %}\n", 2, "{% endfor %} 没有可配对的开头"),
        ("{% if xs %}\n{% endfor %}\n", 2, "此处应先结束 {% if %}"),
        ("{% edfor %}\n", 1, "没有名为“edfor”的标记，是否写错了？"),
        ("<p>\n{{ fig('grade' }}</p>\n", 2, "写法不完整或多了字符"),
        ("<p>见下表{{ 。</p>\n", 1, "是否混入了中文标点"),
    ],
)
def test_a_syntax_error_is_told_in_chinese_what_to_fix_with_its_line(tmp_path, page, line, told):
    with pytest.raises(ReportError) as raised:
        rendered(tmp_path, {"page.j2": page}, xs=[1])

    message = str(raised.value)
    assert message.startswith(f"报告模板 page.j2 第{line}行有语法错误：")
    assert told in message
    assert message.endswith("）")  # Jinja's own words kept after the gloss, for whoever knows them
