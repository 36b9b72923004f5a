"""Find what the 数据质量提示 name: figures that disagree or are missing, shared forms, months unreported, open warnings."""

# Templates only word these notes: every comparison one makes (a payment above receipts, a stated score the
# rules do not give) is worked out here, as pipeline/report_context.py does for the rest.

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pipeline.offices import is_written_in_full
from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from pipeline.report_model import Figure
from pipeline.report_view import ProjectView
from pipeline.rounding import as_rounded, as_written

# A self-reported total further than this from the computed score, or an execution rate further than this from
# the ledger's, is named in the report's data-quality note.
SCORE_TOLERANCE = Decimal("0.5")
EXECUTION_TOLERANCE = Decimal("0.01")
# An indicator's stated score is the computed one when they agree to the two decimals a score is shown with, or as
# rounded as written (9.8 for 9.817): `score_differs`.
INDICATOR_SCORE_TOLERANCE = Decimal("0.005")


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
class Unrated:
    """A project whose 预算执行率 nothing gives (no ledger, 执行率 or 执行数 and 预算数): scored 0 for want of data."""

    project: ProjectView
    reason: Figure  # mart.self_evaluation's note on the 预算执行率 row: what was missing, and the 0 it scored
    total: Figure | None  # the 自评总分 and 评价等级 counting it so
    grade: Figure | None


def unrated_budgets(projects: list[ProjectView]) -> list[Unrated]:
    """Return each project whose 预算执行率 was scored 0 for want of any figure to compute it, in project order."""
    return [
        Unrated(p, reason, p.fig("self_evaluation_score"), p.fig("grade"))
        for p in projects
        if (reason := p.fig("budget_execution_unrated")) is not None
    ]


@dataclass(frozen=True, slots=True)
class StatedScores:
    """A project whose 自评表 states indicator figures (得分, 实际完成值) the data do not give: (三级指标, stated,
    computed) each."""

    project: ProjectView
    indicators: tuple[tuple[str, Figure, Figure], ...]


def score_differs(stated: Decimal, computed: Decimal) -> bool:
    """Say whether a 得分 as stored differs from the computed score beyond the rounding its digits show (9.8 is
    9.817 to one decimal), never closer than INDICATOR_SCORE_TOLERANCE; a whole 得分 is no rounding (10 is full
    marks claimed, not 9.5–10.5), the 总分 and 执行率 checks' rule (`pipeline.rounding.as_rounded`)."""
    return not as_rounded(as_written(stated), computed, INDICATOR_SCORE_TOLERANCE, whole=False)


def _stated_against(
    projects: list[ProjectView], stated_key: str, computed_key: str, differs: Callable[[Figure, Figure], bool]
) -> list[StatedScores]:
    """Return, per project, each indicator whose stated figure differs from the computed one of its 三级指标."""
    found = []
    for p in projects:
        differing = tuple(
            (stated.detail or "", stated, computed)
            for stated in p.each(stated_key)
            if (computed := p.fig(computed_key, stated.detail)) is not None and differs(stated, computed)
        )
        if differing:
            found.append(StatedScores(p, differing))  # type: ignore[arg-type]
    return found


def stated_scores(projects: list[ProjectView]) -> list[StatedScores]:
    """Return, per project, each indicator whose 自评表 得分 differs from the score computed by the rules."""
    return _stated_against(
        projects,
        "indicator_reported_score",
        "indicator_score",
        lambda stated, computed: (
            None not in (computed.value, stated.value) and score_differs(stated.value, computed.value)
        ),
    )


def stated_actuals(projects: list[ProjectView]) -> list[StatedScores]:
    """Return, per project, each indicator whose 自评表 实际完成值 differs from the one computed from the data."""
    # Kept and flagged only in mart.self_evaluation.differs_from_reported, the report scored 3 compounds where the
    # unit had written 4个 and said nothing of the 4. The mart has judged the difference: each such figure is one.
    return _stated_against(
        projects, "indicator_reported_actual", "indicator_actual", lambda stated, computed: True
    )


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
    # Two of them one office's short and full name (`“东关街道”与“东关街道办事处”`), else empty: the doubt is then
    # one office under two names, not one office's data sent on by another (代报, 转报).
    twin: str = ""


def shared_slices(projects: list[ProjectView], forms: dict[str, str], year: int) -> list[Shared]:
    """Return each form and period of a project that more than one office's file feeds, in project order."""
    found = []
    for p in projects:
        for figure in p.each("shared_slice"):
            template, _, month = (figure.detail or "").partition("|")
            period = f"{year}年度{f'{month}月' if month else ''}"
            form = Cited(forms.get(template, template), (figure,))
            found.append(Shared(p, form, period, figure.text, figure, _twin(figure.text.split("、"))))
    return found


def _twin(offices: list[str]) -> str:
    """Name the first two offices of a list that are one office's short and full name, else return ''."""
    for short in offices:
        if full := next((o for o in offices if is_written_in_full(o, short)), None):
            return f"“{short}”与“{full}”"
    return ""


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


class Rule(str):
    """A rule code a note loops over (`w.rules`), carrying its words in a note: a bureau's table of words older than
    the rule, indexed by it (`{…}[rule]`, the form before 3d34173) or looked up in it (`{…}.get(rule, …)`, until
    7070270), gives these instead of failing the report or printing the rule's name (`report_sandbox`)."""

    words: str

    def __new__(cls, code: str, words: str) -> Rule:
        rule = super().__new__(cls, code)
        rule.words = words
        return rule


@dataclass(frozen=True, slots=True)
class OpenWarning:
    """The intake's warnings of one family on a project's form that leave its figures possibly wrong, still open."""

    project: ProjectView
    family: str  # pipeline.problems.FIGURE_WARNINGS: other_year, left_in_force, replaced, area, … or reading
    form: Cited  # the template's Chinese name, citing the cells warned
    rules: tuple[Rule, ...]  # their rule codes, in FIGURE_WARNINGS' order, each with its words
    parts: tuple[tuple[str, Figure], ...]  # each rule's name on the receipt, with how many are open (1处)
    # A 自评表's `stated_rate`: the 执行率 written, and its own 全年执行数 ÷ 全年预算数, the one scored.
    figures: tuple[Figure, ...] = ()
    # Each rule's words in a note (registry/report_notes.yaml rule_wording), else its name: as `rules` are ordered.
    words: tuple[str, ...] = ()
    # The files warned, as `（单位）报送的“name”`, 、-joined: which file's figures stand, for a `file` note.
    files: str = ""


def _files(figures: tuple[Figure, ...]) -> str:
    """Say which files the figures warned are of: 枣林街道办事处报送的“清单.csv”, each once, in their order."""
    sent = dict.fromkeys(
        f"{source.unit or ''}报送的“{source.original_name}”"
        for figure in figures
        for source in figure.sources
    )
    return "、".join(sent)


def open_warnings(
    projects: list[ProjectView], forms: dict[str, str], wording: dict[str, str] | None = None
) -> list[OpenWarning]:
    """Return, per project, family and form, the open warnings mart.open_warnings holds, in project order; each rule
    worded as `wording` (registry/report_notes.yaml) words it, else by its name."""
    wording = wording or {}
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
            figures: tuple[Figure, ...] = ()
            if families[family] == "stated_rate" and template == "performance_targets":
                # A 自评表's own quotient is scored in place of its written 执行率 only where no ledger gives the
                # rate: mart.report_figures gives it then alone, and with a ledger the `execution` doubt compares.
                if (computed := p.fig("form_budget_execution_rate")) is None:
                    continue
                figures = (p.fig("reported_budget_execution_rate"), computed)  # type: ignore[assignment]
            if families[family] == "over_budget" and p.fig("funds_received_wan") is not None:
                continue  # the ledger gives the rate scored: the form's 执行数 and 预算数 are not used
            # A note may print no count (a list replaced): its form still names the cells warned.
            form = Cited(forms.get(template, template), tuple(figure for _, _, figure in warned))
            worded = tuple(Rule(rule, wording.get(rule, RULE_ZH[rule])) for _, rule, _ in warned)
            found.append(
                OpenWarning(
                    p,
                    families[family],
                    form,
                    worded,
                    tuple((RULE_ZH[rule], figure) for _, rule, figure in warned),
                    figures,
                    tuple(rule.words for rule in worded),
                    _files(form.figures),
                )
            )
    return found
