"""The notes templates a bureau copied before a note moved, named in 报告模板提示 (pipeline/report_notes.py)."""

from __future__ import annotations

import dataclasses

from pipeline.report_notes import (
    TABLE_TEMPLATE,
    TEMPLATE,
    notes_warnings,
    page_notes_warning,
    quality_notes_warning,
)
from pipeline.report_render import render_html
from pipeline.report_templates import DEFAULT_TEMPLATES, HTML_TEMPLATE, template_folders
from pipeline.status import template_warnings
from tests.pipeline.test_report import _Page
from tests.pipeline.test_report_quality import report_of_thirds

# The 附表's rounding note as quality_notes.html.j2 printed it among the 数据质量提示 before 16a8758 moved it under each
# 附表 (table_notes.html.j2).
OLD_PARAGRAPH = """{% for p in projects if p.fig('printed_score_sum') is not none %}
<p>数据质量提示：附表{{ p.number }}中{{ p.name }}各项指标的得分按四舍五入印出，相加为{{ p.fig('printed_score_sum') }}，与自评得分{{ p.fig('self_evaluation_score') }}不同：自评得分和评价等级按各项未经四舍五入的得分相加得出，差额是四舍五入所致，并非数据有误。</p>
{% endfor %}
"""


def old_quality_notes(folder) -> None:
    """Write into a bureau's folder the shipped quality_notes.html.j2 with the old rounding paragraph at its end."""
    shipped = (DEFAULT_TEMPLATES / TEMPLATE).read_text(encoding="utf-8")
    assert "printed_score_sum" not in shipped  # the shipped template as this test knows it
    (folder / TEMPLATE).write_text(shipped + OLD_PARAGRAPH, encoding="utf-8")


def test_a_bureaus_quality_notes_with_the_old_rounding_paragraph_is_named_as_printing_it_twice(
    registry, settings, tmp_path
):
    # The bureau's copy printed the rounding of 附表1's 得分 among the 数据质量提示, and table_notes.html.j2 under 附表1
    # too: twice, with no word to the bureau why.
    old_quality_notes(tmp_path)
    page = _Page(render_html(report_of_thirds(registry, tmp_path))).text
    assert page.count("按四舍五入印出，相加为90.01分") == 2

    warning = quality_notes_warning(template_folders(tmp_path)) or ""
    assert str(tmp_path / TEMPLATE) in warning and "printed_score_sum" in warning and "两次" in warning
    assert warning in notes_warnings(template_folders(tmp_path))
    assert warning in template_warnings(dataclasses.replace(settings, report_templates=tmp_path))


def test_the_shipped_quality_notes_and_a_bureaus_copy_without_the_old_paragraph_are_not_named(tmp_path):
    assert quality_notes_warning(template_folders(None)) is None
    (tmp_path / TEMPLATE).write_text(
        (DEFAULT_TEMPLATES / TEMPLATE).read_text(encoding="utf-8"), encoding="utf-8"
    )
    assert quality_notes_warning(template_folders(tmp_path)) is None
    # A folder holding only its own report.docx uses the shipped quality_notes.html.j2.
    (tmp_path / TEMPLATE).unlink()
    assert quality_notes_warning(template_folders(tmp_path)) is None


def test_a_bureaus_page_template_including_no_notes_under_its_tables_is_named(registry, settings, tmp_path):
    # A report.html.j2 copied before table_notes.html.j2 printed no note under 附表1: its 得分 added up to 90.01分
    # beside 90.00分 without a word, while the Word file and the workbook said why.
    shipped = (DEFAULT_TEMPLATES / HTML_TEMPLATE).read_text(encoding="utf-8")
    includes = [
        '{% with p = none %}{% include "table_notes.html.j2" %}{% endwith %}\n',
        '{% include "table_notes.html.j2" %}\n',
    ]
    assert all(
        shipped.count(include) == 1 for include in includes
    )  # the shipped template as this test knows it
    for include in includes:
        shipped = shipped.replace(include, "")
    (tmp_path / HTML_TEMPLATE).write_text(shipped, encoding="utf-8")
    assert "按四舍五入印出" not in _Page(render_html(report_of_thirds(registry, tmp_path))).text

    warning = page_notes_warning(template_folders(tmp_path)) or ""
    assert str(tmp_path / HTML_TEMPLATE) in warning and TABLE_TEMPLATE in warning
    assert warning in template_warnings(dataclasses.replace(settings, report_templates=tmp_path))


def test_the_shipped_page_template_and_a_folder_without_one_are_not_named(tmp_path):
    assert page_notes_warning(template_folders(None)) is None
    assert page_notes_warning(template_folders(tmp_path)) is None  # the shipped one is used
    assert notes_warnings(template_folders(tmp_path)) == []
