"""Build what the report templates see: the year's figures by key, per project, with narratives and charts."""

# Templates ask for figures by key and never compute: what needs arithmetic or a comparison (a payment above
# receipts, an indicator short of full marks) is worked out here and in each project's view
# (pipeline/report_view.py), and the templates only word it.

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.report_charts import Chart
from pipeline.report_model import Project, SourceFile
from pipeline.report_quality import (
    EXECUTION_TOLERANCE,
    SCORE_TOLERANCE,
    doubts,
    open_warnings,
    progress_units_missing,
    self_reported,
    shared_slices,
    stated_actuals,
    stated_scores,
    unrated_budgets,
)
from pipeline.report_text import received_text
from pipeline.report_view import NOT_SUPPLIED, ProjectView
from pipeline.report_wording import load_report_notes


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a template sees, as names; `fig` is the district's figure by key."""

    year: int
    title: str
    issuer: str | None
    red_head: str | None  # the 红头 line, from registry/report.yaml
    stamp: str  # the latest receipt of a source file
    district: ProjectView
    projects: list[ProjectView]
    files: tuple[SourceFile, ...]
    forms: dict[str, str]  # template id → its Chinese name, for “未报送…”
    charts: list[Chart]
    wording: dict[str, str]  # rule → its words in a note (registry/report_notes.yaml rule_wording)
    # The families of open warnings the quality_notes.html.j2 in use words (report_notes.worded_families); None: all.
    # The others are worded after its notes by the shipped open_warning.html.j2 (`unworded_warnings`), never left
    # to an older copy's `else`, which calls each a reading in doubt.
    worded: frozenset[str] | None = None

    def names(self) -> dict[str, object]:
        """Return the template's variables."""
        return {
            "year": self.year,
            "title": self.title,
            "issuer": self.issuer,
            "red_head": self.red_head,
            "stamp": self.stamp,
            "district": self.district,
            "fig": self.district.fig,
            "projects": self.projects,
            "files": [
                {
                    "number": f.number,
                    "name": f.original_name,
                    "unit": f.unit,
                    "sha256": f.sha256,
                    "received": received_text(f.received_at),
                }
                for f in self.files
            ],  # fmt: skip
            "forms": self.forms,
            "not_supplied": NOT_SUPPLIED,
            "doubts": doubts(self.projects),
            "self_reported": self_reported(self.projects),
            "stated_scores": stated_scores(self.projects),
            "stated_actuals": stated_actuals(self.projects),
            "unrated": unrated_budgets(self.projects),
            "shared": shared_slices(self.projects, self.forms, self.year),
            "units_missing": progress_units_missing(self.projects),
            **self._open_warnings(),
            "score_tolerance": format(SCORE_TOLERANCE.normalize(), "f"),
            "execution_tolerance_points": format((EXECUTION_TOLERANCE * 100).normalize(), "f"),
        }

    def _open_warnings(self) -> dict[str, list]:
        """Return the open warnings the notes template in use words, and apart those it does not."""
        found = open_warnings(self.projects, self.forms, self.wording)
        if self.worded is None:
            return {"open_warnings": found, "unworded_warnings": []}
        return {
            "open_warnings": [w for w in found if w.family in self.worded],
            "unworded_warnings": [w for w in found if w.family not in self.worded],
        }


def build_context(
    year: int,
    title: str,
    issuer: str | None,
    red_head: str | None,
    stamp: dt.datetime,
    projects: list[Project],
    files: tuple[SourceFile, ...],
    forms: dict[str, str],
    keys: dict[str, str],
    bands: tuple = (),
    owed: dict[str, str | None] | None = None,
    worded: frozenset[str] | None = None,
) -> Context:
    """Wrap the year's projects for the templates, district apart, and list the charts they may show; `worded`: the
    families of open warnings the notes template in use words, None for all."""

    district = next((p for p in projects if p.name is None), Project(None, None))
    named = [
        ProjectView(p, n, keys, bands, forms, owed)
        for n, p in enumerate((p for p in projects if p.name is not None), 1)
    ]
    charts = [c for p in named for c in (*p.progress_charts, *p.funds_charts)]
    return Context(
        year,
        title,
        issuer,
        red_head,
        received_text(stamp),
        ProjectView(district, 0, keys),
        named,
        files,
        forms,
        charts,
        load_report_notes().rule_wording,
        worded,
    )
