"""Tell where each figure of the report came from, as lines written once for every format."""

from __future__ import annotations

from pipeline.report_model import Figure, Report, Source
from pipeline.report_text import source_line

# A figure with no rows behind it: say why, rather than show an empty source.
NO_ROWS = {
    "negative_list_hits": "资金台账中没有支出用途列入负面清单的支付，故无对应的报表行",
    "grade": "按自评得分和评价等级标准评定，无单独的报表行",
    "projects": "由本年度各项目汇总，无单独的报表行",
}
NO_ROWS_DEFAULT = "无对应的报表行"


class _Lineage:
    """Lineage lines for one rendering, each tuple of sources and each source written once: figures computed from
    the same rows share their tuple, and lineages the same sheet's rows (pipeline.report_read.read_projects)."""

    def __init__(self, report: Report):
        self.numbers = report.file_number
        # Kept with the report, so each format after the first finds the lines written.
        self._lines: dict[int, tuple[tuple[Source, ...], list[str]]] = report.memo.setdefault("lineage", {})
        self._source_lines: dict[int, tuple[Source, str]] = report.memo.setdefault("source_lines", {})

    def __call__(self, figure: Figure) -> list[str]:
        """Return the lines that tell where a figure came from; the list is shared, so never change it."""
        sources = figure.sources
        if not sources:
            return [NO_ROWS.get(figure.key, NO_ROWS_DEFAULT)]
        known = self._lines.get(id(sources))
        if known is None or known[0] is not sources:
            known = self._lines[id(sources)] = (sources, [self.line(source) for source in sources])
        return known[1]

    def line(self, source: Source) -> str:
        """Return `source_line` for a source, numbered as in the appendix."""
        known = self._source_lines.get(id(source))
        if known is None or known[0] is not source:
            line = source_line(source, self.numbers.get(source.submission_id))
            known = self._source_lines[id(source)] = (source, line)
        return known[1]
