"""What a report template sees of one project (or the district): its figures by key, narratives and charts."""

from __future__ import annotations

import sys
from collections import defaultdict
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.projects import is_derived
from pipeline.registry_errors import RegistryError, at_line, missing_file
from pipeline.registry_yaml import REGISTRY_DIR, read_yaml
from pipeline.report_charts import Chart, funds_chart, progress_chart
from pipeline.report_model import Figure, Project, ReportError, Source

FIGURE_KEYS = REGISTRY_DIR / "report_figures.yaml"
NOT_SUPPLIED = "（实施单位未提供）"


class FigureKeyError(ReportError):
    """A template asks for something the report does not have; the message names template, line and key."""


def load_figure_keys(path: Path = FIGURE_KEYS) -> dict[str, str]:
    """Load the keys `mart.report_figures` can hold, each with what it means."""
    if not path.is_file():
        raise missing_file(path)
    keys = read_yaml(path)
    if wrong := next(
        ((k, v) for k, v in keys.items() if not (isinstance(k, str) and isinstance(v, str))), None
    ):
        key, _ = wrong
        raise RegistryError(
            path,
            f"{key}: 每一行应为“键: 说明”，键和说明都是文字（expected `key: 说明` lines），"
            f"请写 {key}: <这个数字的含义>；像数字的键请加引号{at_line(path, (key,))}",
        )
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
        owed: dict[str, str | None] | None = None,
    ):
        self._project = project
        self._keys = keys
        self._forms = forms or {}
        self._owed = owed or {}  # template → the 项目类型 whose projects send it (register_project_type)
        # The templates ask for about 500 figures a project: looked up in the project's index straight away (a
        # view is made once its project's figures are all read).
        self._first, self._details = project.index()
        self._made: dict[object, list] = {}  # what a method below worked out, for each format after the first
        self.number = number
        self.name = project.name
        # The code the register gave; not the key made up for a project registered without one (`自编:单位/名称`),
        # which the report printed as its 项目编码.
        self.code = None if is_derived(project.code) else project.code
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
        """Say why a form's figures are missing: never sent, sent and returned to the unit to correct, or withdrawn."""
        form = self._forms.get(template, template)
        if template in self._project.returned:
            by = self._sent_by(self._project.returned[template])
            if not by:
                return f"（{form}已报送，但未通过校验被退回，待实施单位更正后重报）"
            # The receipt went to the office that sent the file, not to the 实施单位, which may never have seen it.
            return f"（{form}已由{by}报送，但未通过校验被退回，待报送单位按回执更正后重报）"
        if template in self._project.withdrawn:
            by = self._sent_by(self._project.withdrawn[template])
            return f"（{form}已由{by}报送，但已被撤回）" if by else f"（{form}已报送，但已被撤回）"
        return f"（未报送{form}）"

    def _sent_by(self, senders: set[str | None]) -> str:
        """Name the offices that sent a form, or nothing where only the project's 实施单位 (or no one known) did."""
        if not senders - {self._project.unit, None}:
            return ""
        return "、".join(sorted(s for s in senders if s))

    def owes(self, template: str) -> bool:
        """Say whether the project's type is the one a form is sent for: a 老旧小区改造 project's compound list."""
        wanted = self._owed.get(template)
        return wanted is not None and wanted == self._project.project_type

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
