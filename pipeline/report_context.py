"""Build what the report templates see: the year's figures by key, per project, with narratives and charts."""

# Templates ask for figures by key and never compute: what needs arithmetic or a comparison (a payment above
# receipts, an indicator short of full marks) is worked out here, and the templates only word it.

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from pipeline.registry import REGISTRY_DIR, RegistryError, read_yaml
from pipeline.report_charts import Chart, funds_chart, progress_chart
from pipeline.report_model import Figure, Project, ReportError, Source, SourceFile, Table
from pipeline.report_text import received_text
from pipeline.rounding import as_rounded, as_written

FIGURE_KEYS = REGISTRY_DIR / "report_figures.yaml"
NOT_SUPPLIED = "（实施单位未提供）"
# A self-reported total further than this from the computed score, or an execution rate further than this from
# the ledger's, is named in the report's data-quality note.
SCORE_TOLERANCE = Decimal("0.5")
EXECUTION_TOLERANCE = Decimal("0.01")
# An indicator's stated score is the computed one when they agree to the two decimals a score is shown with, or as
# rounded as written (9.8 for 9.817): `score_differs`.
INDICATOR_SCORE_TOLERANCE = Decimal("0.005")


class FigureKeyError(ReportError):
    """A template asks for something the report does not have; the message names template, line and key."""


def load_figure_keys(path: Path = FIGURE_KEYS) -> dict[str, str]:
    """Load the keys `mart.report_figures` can hold, each with what it means."""
    if not path.is_file():
        raise RegistryError(f"{path}: missing")
    keys = read_yaml(path)
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keys.items()
    ):
        raise RegistryError(f"{path}: expected `key: 说明` lines")
    return keys


# The template file being filled: a Word template is compiled from its document.xml, without a name of its own.
RENDERING: ContextVar[str] = ContextVar("rendering", default="")


def template_place() -> str:
    """Name the template and line being rendered, from the innermost frame of a compiled template."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            name = template.name or RENDERING.get() or "模板"
            return f"模板 {name} 第{template.get_corresponding_lineno(frame.f_lineno)}行"
        frame = frame.f_back
    return "模板"


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One line of a unit's narrative, with where it came from."""

    text: str
    source: Source


@dataclass(frozen=True, slots=True)
class ScalePart:
    """One 建设规模/投资构成 item: `joint` says how it follows the one before (first, sibling, part, next)."""

    joint: str
    detail: str | None
    figure: Figure


@dataclass(frozen=True, slots=True)
class Shortfall:
    """An indicator scored below its weight."""

    detail: str | None
    weight: Figure
    score: Figure


class ProjectView:
    """A project (or the district) as templates see it: figures by key, narratives by section, charts."""

    def __init__(
        self,
        project: Project,
        number: int,
        keys: dict[str, str],
        bands: tuple = (),
        forms: dict[str, str] | None = None,
    ):
        self._project = project
        self._keys = keys
        self._forms = forms or {}
        # The templates ask for about 500 figures a project: looked up in the project's index straight away (a
        # view is made once its project's figures are all read).
        self._first, self._details = project.index()
        self._made: dict[object, list] = {}  # what a method below worked out, for each format after the first
        self.number = number
        self.name = project.name
        self.code = project.code
        self.progress_charts: list[Chart] = progress_chart(project, bands) if project.name else []
        self.funds_charts: list[Chart] = funds_chart(project) if project.name else []

    def _unknown(self, key: object) -> FigureKeyError:
        return FigureKeyError(f"{template_place()}：报告数字中没有“{key}”（可用的键见 {FIGURE_KEYS.name}）。")

    @property
    def planned_nothing(self) -> bool:
        """Say whether the project's monthly reports plan 0 for the year: progress, and so lights, cannot be had."""
        plan = self.fig("annual_planned_investment_wan")
        return plan is not None and plan.value == 0

    def unsent(self, template: str) -> str:
        """Say why a form's figures are missing: never sent, or sent and returned to the unit to correct."""
        form = self._forms.get(template, template)
        if template in self._project.returned:
            return f"（{form}已报送，但未通过校验被退回，待实施单位更正后重报）"
        return f"（未报送{form}）"

    def fig(self, key: str, detail: str | None = None) -> Figure | None:
        """Return the figure of this key (and detail), or None where the marts produced none for this project."""
        if key not in self._keys:
            raise self._unknown(key)
        return self._first.get((key, detail))

    def each(self, key: str) -> list[Figure]:
        """Return the figures of a key that have a detail (a fund source, an indicator, a month), in order."""
        if key not in self._keys:
            raise self._unknown(key)
        return list(self._details.get(key, ()))

    def _once(self, what: object, make: Any) -> list:
        """Return a fresh list of what `make()` returns, made once for every format."""
        made = self._made.get(what)
        if made is None:
            made = self._made[what] = make()
        return list(made)

    def narratives(self, section: str) -> list[Paragraph]:
        """Return the lines the unit wrote for a section (or the 年度总体目标 standing in), none if not supplied."""
        return self._once(("narratives", section), lambda: self._narratives(section))

    def _narratives(self, section: str) -> list[Paragraph]:
        return [
            Paragraph(line, n.source)
            for n in self._project.narratives.get(section, [])
            for line in n.text.split("\n")
            if line
        ]

    def scale_and_cost(self) -> list[tuple[str | None, list[ScalePart]]]:
        """Return 建设规模 and 投资构成 by category, in sheet order, each `其中` part after the row it belongs to."""
        return self._once("scale_and_cost", self._scale_and_cost)

    def _scale_and_cost(self) -> list[tuple[str | None, list[ScalePart]]]:
        p = self._project
        groups: dict[str | None, list[ScalePart]] = defaultdict(list)
        previous_parent: dict[str | None, str | None] = {}
        for figure in p.each("scale_and_cost"):
            category, parent = p.structure.get(figure.position, (None, None))
            parts = groups[category]
            if not parts:
                joint = "first"
            elif parent is not None and previous_parent.get(category) == parent:
                joint = "sibling"
            else:
                joint = "part" if parent else "next"
            parts.append(ScalePart(joint, figure.detail, figure))
            previous_parent[category] = parent
        return list(groups.items())

    def shortfalls(self) -> list[Shortfall]:
        """Return the indicators scored below their weight."""
        return self._once("shortfalls", self._shortfalls)

    def _shortfalls(self) -> list[Shortfall]:
        short = []
        for weight in self._project.each("indicator_weight"):
            score = self._project.one("indicator_score", weight.detail)
            if score is not None and None not in (score.value, weight.value) and score.value < weight.value:
                short.append(Shortfall(weight.detail, weight, score))
        return short


def _differ(computed: Figure | None, stated: Figure | None, tolerance: Decimal) -> bool:
    """Say whether two figures both hold a value and differ by more than the tolerance."""
    if computed is None or stated is None or None in (computed.value, stated.value):
        return False
    return abs(computed.value - stated.value) > tolerance


@dataclass(frozen=True, slots=True)
class Doubt:
    """A project whose figures cannot both be right: `kind` is overpaid, score or execution."""

    kind: str
    project: ProjectView
    stated: Figure
    computed: Figure


def doubts(projects: list[ProjectView]) -> list[Doubt]:
    """Return the payments above receipts, in project order."""
    found = []
    for p in projects:
        paid, received = p.fig("funds_paid_wan"), p.fig("funds_received_wan")
        if paid is None or received is None or None in (paid.value, received.value):
            continue
        if paid.value > received.value:
            found.append(Doubt("overpaid", p, paid, received))
    return found


def self_reported(projects: list[ProjectView]) -> list[Doubt]:
    """Return each 自评表 total or execution rate the data do not bear out, in project order."""
    found = []
    for p in projects:
        computed, stated = p.fig("self_evaluation_score"), p.fig("reported_self_evaluation_score")
        if _differ(computed, stated, SCORE_TOLERANCE):
            found.append(Doubt("score", p, stated, computed))  # type: ignore[arg-type]
        ledger, stated = p.fig("budget_execution_rate"), p.fig("reported_budget_execution_rate")
        if _differ(ledger, stated, EXECUTION_TOLERANCE):
            found.append(Doubt("execution", p, stated, ledger))  # type: ignore[arg-type]
    return found


@dataclass(frozen=True, slots=True)
class StatedScores:
    """A project whose 自评表 states indicator scores the rules do not give: (三级指标, stated, computed) each."""

    project: ProjectView
    indicators: tuple[tuple[str, Figure, Figure], ...]


def score_differs(stated: Decimal, computed: Decimal) -> bool:
    """Say whether a 得分 as stored differs from the computed score beyond the rounding its digits show (9.8 is
    9.817 to one decimal), never closer than INDICATOR_SCORE_TOLERANCE; a whole 得分 is no rounding (10 is full
    marks claimed, not 9.5–10.5), the 总分 and 执行率 checks' rule (`pipeline.rounding.as_rounded`)."""
    return not as_rounded(as_written(stated), computed, INDICATOR_SCORE_TOLERANCE, whole=False)


def stated_scores(projects: list[ProjectView]) -> list[StatedScores]:
    """Return, per project, each indicator whose 自评表 得分 differs from the score computed by the rules."""
    found = []
    for p in projects:
        differing = tuple(
            (stated.detail or "", stated, computed)
            for stated in p.each("indicator_reported_score")
            if (computed := p.fig("indicator_score", stated.detail)) is not None
            and None not in (computed.value, stated.value)
            and score_differs(stated.value, computed.value)
        )
        if differing:
            found.append(StatedScores(p, differing))  # type: ignore[arg-type]
    return found


class Cited(str):
    """A name a template prints that stands for rows it prints no figure of (the form a warning is on, with the
    figures of the rows warned): every format prints it as the plain name, a 数据质量提示 cites those rows."""

    figures: tuple[Figure, ...]

    def __new__(cls, name: str, figures: tuple[Figure, ...]) -> Cited:
        cited = super().__new__(cls, name)
        cited.figures = figures
        return cited


@dataclass(frozen=True, slots=True)
class Shared:
    """A project's form for one period that several offices' files feed at once, their rows added up."""

    project: ProjectView
    form: Cited  # the template's Chinese name, citing the offices' rows
    period: str  # 2022年度, or 2022年度5月 for a monthly form
    offices: str  # 、-joined, as mart.shared_slices sorts them
    figure: Figure


def shared_slices(projects: list[ProjectView], forms: dict[str, str], year: int) -> list[Shared]:
    """Return each form and period of a project that more than one office's file feeds, in project order."""
    found = []
    for p in projects:
        for figure in p.each("shared_slice"):
            template, _, month = (figure.detail or "").partition("|")
            period = f"{year}年度{f'{month}月' if month else ''}"
            form = Cited(forms.get(template, template), (figure,))
            found.append(Shared(p, form, period, figure.text, figure))
    return found


@dataclass(frozen=True, slots=True)
class UnitMissing:
    """Months an office of a project did not report on its 月报 while another office did."""

    project: ProjectView
    unit: str
    carried_from: str  # the month its figures were counted from, e.g. 11; empty when not counted at all
    figure: Figure  # its text is the months, e.g. 12月 or 1、2月


def progress_units_missing(projects: list[ProjectView]) -> list[UnitMissing]:
    """Return each office and month counted from of a project's months it did not report, in project order."""
    found = []
    for p in projects:
        for figure in p.each("progress_unit_missing"):
            unit, _, carried_from = (figure.detail or "").rpartition("|")
            found.append(UnitMissing(p, unit, carried_from, figure))
    return found


@dataclass(frozen=True, slots=True)
class OpenWarning:
    """The intake's warnings of one family on a project's form that leave its figures possibly wrong, still open."""

    project: ProjectView
    family: str  # pipeline.problems.FIGURE_WARNINGS: other_year, left_in_force, replaced, area or reading
    form: Cited  # the template's Chinese name, citing the cells warned
    rules: tuple[str, ...]  # their rule codes, in FIGURE_WARNINGS' order
    parts: tuple[tuple[str, Figure], ...]  # each rule's name on the receipt, with how many are open (1处)


def open_warnings(projects: list[ProjectView], forms: dict[str, str]) -> list[OpenWarning]:
    """Return, per project, family and form, the open warnings mart.open_warnings holds, in project order."""
    families, rules = list(dict.fromkeys(FIGURE_WARNINGS.values())), list(FIGURE_WARNINGS)
    found = []
    for p in projects:
        grouped: dict[tuple[int, str], list[tuple[int, str, Figure]]] = defaultdict(list)
        for figure in p.each("open_warning"):
            template, _, rule = (figure.detail or "").partition("|")
            grouped[(families.index(FIGURE_WARNINGS[rule]), template)].append(
                (rules.index(rule), rule, figure)
            )
        for (family, template), warned in sorted(grouped.items()):
            warned.sort(key=lambda each: each[0])
            # A note may print no count (a list replaced): its form still names the cells warned.
            form = Cited(forms.get(template, template), tuple(figure for _, _, figure in warned))
            found.append(
                OpenWarning(
                    p,
                    families[family],
                    form,
                    tuple(rule for _, rule, _ in warned),
                    tuple((RULE_ZH[rule], figure) for _, rule, figure in warned),
                )
            )
    return found


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
            "shared": shared_slices(self.projects, self.forms, self.year),
            "units_missing": progress_units_missing(self.projects),
            "open_warnings": open_warnings(self.projects, self.forms),
            "score_tolerance": format(SCORE_TOLERANCE.normalize(), "f"),
            "execution_tolerance_points": format((EXECUTION_TOLERANCE * 100).normalize(), "f"),
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
) -> Context:
    """Wrap the year's projects for the templates, district apart, and list the charts they may show."""
    district = next((p for p in projects if p.name is None), Project(None, None))
    named = [
        ProjectView(p, n, keys, bands, forms)
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
    )


def workbook_tables(context: Context) -> tuple[Table, ...]:
    """Return the tables the .xlsx holds: the summary, then each project's indicators (附表n)."""
    summary = Table(
        "表1 项目绩效评价结果汇总",
        # The workbook's cells are bare numbers: the header names their unit, as the page's cells do.
        (
            "项目名称",
            "计划总投资（万元）",
            "完成投资（万元）",
            "资金支付率",
            "自评得分（分）",
            "评价等级",
            "最高预警",
        ),
        tuple(
            (
                p.name,
                *(
                    p.fig(key)
                    for key in (
                        "planned_total_investment_wan",
                        "completed_investment_wan",
                        "payment_rate",
                        "self_evaluation_score",
                        "grade",
                        "worst_light",
                    )
                ),
            )
            for p in context.projects
        ),  # fmt: skip
        "汇总",
    )
    return (summary, *(table for p in context.projects if (table := indicator_table(p)) is not None))


def indicator_table(p: ProjectView) -> Table | None:
    """Return a project's 绩效目标及自评表 for the workbook, with the unit's own scores where its 自评表 states them."""
    targets = p.each("indicator_target")
    if not targets:
        return None
    rows = [
        (
            t.detail,
            t,
            *(p.fig(key, t.detail) for key in ("indicator_actual", "indicator_weight", "indicator_score")),
        )
        for t in targets
    ]
    rows.append(("自评得分", None, None, None, p.fig("self_evaluation_score")))
    rows.append(("评价等级", None, None, None, p.fig("grade")))
    header: tuple[str, ...] = ("三级指标", "年度指标值", "实际完成值", "分值", "得分")
    if p.each("indicator_reported_score") or p.fig("reported_self_evaluation_score"):
        own = [p.fig("indicator_reported_score", t.detail) for t in targets]
        own += [p.fig("reported_self_evaluation_score"), None]
        rows = [(*row, score) for row, score in zip(rows, own, strict=True)]
        header = (*header[:4], "得分（按数据计算）", "单位自评得分")
    caption = f"附表{p.number} {p.name}绩效目标及自评表"
    return Table(caption, header, tuple(rows), f"附表{p.number}")
