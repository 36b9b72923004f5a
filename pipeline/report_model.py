"""Hold the annual report's data: its settings, figures with their sources, projects, and the report as rendered."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.registry_errors import explain, missing_file
from pipeline.registry_refusals import refuse_blank
from pipeline.registry_yaml import REGISTRY_DIR, read_yaml

REPORT_CONFIG = REGISTRY_DIR / "report.yaml"


class ReportError(RuntimeError):
    """The report cannot be built; the message says why and what to do."""


class ReportConfig(BaseModel):
    """Settings of the published report (`registry/report.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    district: str = Field(min_length=1)
    issuer: str | None = None
    red_head: str | None = None  # the 红头 line above the title (发文机关标志), if the report carries one

    @model_validator(mode="after")
    def _not_blank(self) -> ReportConfig:
        # `district: "　"` loaded, and the report was titled 《　2024年度预算绩效管理工作开展情况》.
        for key in ("district", "issuer", "red_head"):
            if (words := getattr(self, key)) is not None:
                refuse_blank(
                    (words,),
                    f"{key} 只有空白",
                    f"{key} is blank",
                    (key,),
                    "，它会原样印在报告上",
                    "请写上文字" + ("" if key == "district" else f"，不印则删去 {key} 这一行"),
                )
        return self


def load_report_config(path: Path = REPORT_CONFIG) -> ReportConfig:
    """Load the report settings; a malformed file is refused with its path and key."""
    if not path.is_file():
        raise missing_file(path)
    try:
        return ReportConfig.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise explain(path, exc, ReportConfig) from exc


# What the warehouse holds for the report.


@dataclass(frozen=True, slots=True)
class Source:
    """One file, sheet and set of Excel rows a printed value came from."""

    submission_id: int
    original_name: str
    sha256: str
    unit: str | None
    sheet: str | None
    excel_rows: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Figure:
    """One printed number (or short text) of `mart.report_figures`."""

    key: str
    detail: str | None
    position: int
    value: Decimal | None
    unit: str | None
    decimals: int | None
    text: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Narrative:
    """One paragraph a unit supplied for a section of the report."""

    section: str
    text: str
    source: Source


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A submission the report draws on, for the appendix."""

    number: int
    submission_id: int
    original_name: str
    unit: str | None
    sha256: str
    received_at: dt.datetime


@dataclass(slots=True)
class Project:
    """The figures, scale-and-cost structure and narratives of one project (or the district: name None)."""

    code: str | None
    name: str | None
    figures: list[Figure] = field(default_factory=list)
    narratives: dict[str, list[Narrative]] = field(default_factory=dict)
    # Templates of forms sent for this project and year and returned, each with the offices that sent them: where the
    # marts hold no figure of such a form, the report says “returned” (and by whom, if not the 实施单位), not “never
    # sent”.
    returned: dict[str, set[str | None]] = field(default_factory=dict)
    # Templates of forms of this project and year accepted and then withdrawn, with their senders: said so too.
    withdrawn: dict[str, set[str | None]] = field(default_factory=dict)
    project_type: str | None = None  # as registered (mart.project_year); None for the district
    unit: str | None = None  # the 实施单位 as registered (mart.project_year); None for the district
    # scale_and_cost item position → (category, parent item); text structure, not numbers.
    structure: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    # (key, detail) → the first such figure, and key → its figures with a detail: the report looks figures up
    # about a hundred times a project, so they are indexed once, again whenever figures were added since.
    _first: dict[tuple[str, str | None], Figure] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _details: dict[str, list[Figure]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=0, init=False, repr=False, compare=False)

    def _index(self) -> None:
        if self._indexed == len(self.figures):
            return
        first: dict[tuple[str, str | None], Figure] = {}
        details: dict[str, list[Figure]] = defaultdict(list)
        for f in self.figures:
            first.setdefault((f.key, f.detail), f)
            if f.detail is not None:
                details[f.key].append(f)
        self._first, self._details, self._indexed = first, details, len(self.figures)

    def index(self) -> tuple[dict[tuple[str, str | None], Figure], dict[str, list[Figure]]]:
        """Return the figures by (key, detail), and the figures with a detail by key, as `one` and `each` read them."""
        self._index()
        return self._first, self._details

    def one(self, key: str, detail: str | None = None) -> Figure | None:
        """Return the figure with this key and detail, if the marts produced it."""
        self._index()
        return self._first.get((key, detail))

    def each(self, key: str) -> list[Figure]:
        """Return the figures of a key that have a detail, in report order."""
        self._index()
        return list(self._details.get(key, ()))


# The report as every format gets it: the templates' context and the tables the workbook holds.

Inline = str | Figure | None  # None prints as “—”


@dataclass(frozen=True, slots=True)
class Table:
    """A table of the workbook (.xlsx): its sheet, caption, header and rows."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    sheet: str
    # The number of the project a 附表 is of, None for 表1: the key of the notes (table_notes) under its rows.
    project: int | None = None


@dataclass(frozen=True, slots=True)
class Report:
    year: int
    title: str
    issuer: str | None
    stamp: dt.datetime  # the latest receipt of a source file: the report's fixed timestamp
    context: Any  # pipeline.report_context.Context: what the templates see
    tables: tuple[Table, ...]
    files: tuple[SourceFile, ...]
    templates: Path | None = None  # a deployment's templates folder, before templates/report
    # What the renderers work out once for all formats (report_lineage, report_charts, report_notes); not part of the report.
    memo: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    @property
    def file_number(self) -> dict[int, int]:
        """Map a submission id to its number in the appendix."""
        return {f.submission_id: f.number for f in self.files}
