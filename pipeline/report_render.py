"""Render the report (`pipeline.report_model.Report`) as its HTML page; every text escaped once."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from pipeline import report_charts
from pipeline.report_lineage import _Lineage
from pipeline.report_model import Report
from pipeline.report_text import shown, source_line


def _escaped(text: str) -> str:
    """Return text for HTML: shown as printed, then escaped; every text of the page goes through here."""
    return escape(shown(text))


class _Memo(dict):
    """A dict that computes a missing value with `make`, once: `memo[text]` looks up at C speed."""

    def __init__(self, make: Callable[[str], str]):
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> str:
        value = self[key] = self.make(key)
        return value


def render_html(report: Report) -> str:
    """Fill the page template (report.html.j2) with the report; hovering a number shows its lineage."""
    from pipeline import report_html_fill, report_templates

    # A page of 400 projects prints 150,000 figures but far fewer distinct texts and lineages: each is escaped once.
    figures = report_html_fill.HtmlFigures(_Lineage(report), _Memo(_escaped), report.file_number, source_line)
    folders = report_templates.template_folders(report.templates)
    return report_html_fill.render_html(
        report.context, folders, figures, lambda chart: report_charts.drawing(report, chart).svg
    )
