"""Fill report.html.j2: each figure printed with its lineage, numbered in page order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from pipeline.report_context import Context
from pipeline.report_fill import fill
from pipeline.report_markup import DASH_MARKUP, _MarkupMemo
from pipeline.report_model import Figure, Source
from pipeline.report_sandbox import environment
from pipeline.report_templates import HTML_TEMPLATE


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
