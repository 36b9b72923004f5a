"""Lay out the annual report 《…年度预算绩效管理工作开展情况》 from the warehouse and write it in every format."""

# Numbers come only from mart.report_figures, printed as the marts wrote them, with their lineage; paragraphs come
# only from staging.report_narrative, the text the units send. A section with nothing supplied says so, so
# nothing is ever invented. pipeline/report_render.py turns the laid-out report into HTML, Word and Excel.

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.objectstore import place as location_path
from pipeline.publish import publish_set
from pipeline.registry import REGISTRY_DIR, Registry, RegistryError, explain, load_registry, read_yaml
from pipeline.report_charts import Chart, funds_chart, progress_chart, read_bands
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.text import printable
from pipeline.warehouse import reader

REPORT_CONFIG = REGISTRY_DIR / "report.yaml"
NOT_SUPPLIED = "（实施单位未提供）"
# Characters Windows, Excel or a shell would trip over in a file name.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# The longest file name ext4 and APFS take, in bytes of UTF-8 (NTFS counts 255 characters), and the longest
# ending of a report file.
NAME_BYTES = 255
LONGEST_SUFFIX = "（指标表）.xlsx"
CHART_CACHE = "chart_cache"  # under the data root: drawn charts by a hash of their inputs


class ReportError(RuntimeError):
    """The report cannot be built; the message says why and what to do."""


class ReportConfig(BaseModel):
    """Settings of the published report (`registry/report.yaml`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    district: str = Field(min_length=1)
    issuer: str | None = None


def load_report_config(path: Path = REPORT_CONFIG) -> ReportConfig:
    """Load the report settings; a malformed file is refused with its path and key."""
    if not path.is_file():
        raise RegistryError(f"{path}: missing")
    try:
        return ReportConfig.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise explain(path, exc) from exc


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

    def one(self, key: str, detail: str | None = None) -> Figure | None:
        """Return the figure with this key and detail, if the marts produced it."""
        self._index()
        return self._first.get((key, detail))

    def each(self, key: str) -> list[Figure]:
        """Return the figures of a key that have a detail, in report order."""
        self._index()
        return list(self._details.get(key, ()))


# The document: a neutral structure every renderer walks, so the report's wording exists once.

Inline = str | Figure | None  # None prints as “—”


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 1 一、 · 2 （一） · 3 1． · 4 （1）
    text: str


@dataclass(frozen=True, slots=True)
class Text:
    parts: tuple[Inline, ...]
    source: Source | None = None  # a unit's narrative paragraph
    missing: bool = False  # a note that something was not supplied


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    sheet: str | None = None  # also written as this sheet of the .xlsx


Block = Heading | Text | Table | Chart


@dataclass(frozen=True, slots=True)
class Report:
    year: int
    title: str
    issuer: str | None
    stamp: dt.datetime  # the latest receipt of a source file: the report's fixed timestamp
    blocks: tuple[Block, ...]
    files: tuple[SourceFile, ...]
    # What the renderers work out once for all formats (pipeline/report_render.py); not part of the report.
    memo: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    @property
    def file_number(self) -> dict[int, int]:
        """Map a submission id to its number in the appendix."""
        return {f.submission_id: f.number for f in self.files}

    @property
    def tables(self) -> list[Table]:
        """Return the tables that also go into the .xlsx."""
        return [b for b in self.blocks if isinstance(b, Table) and b.sheet]


# Reading the warehouse.

# The lineage comes as JSON text: DuckDB turns a list of structs into Python objects slowly, while figures
# from the same rows share one text, read once (a year of 400 projects has 90,000 figures, 37,000 lineages).
# Values come as text, made Decimal here: the same Decimal, cheaper than DuckDB's own conversion.
FIGURES_SQL = """
select project_code, project_name, figure_key, detail, position, value::varchar, unit, decimals, display_text,
    to_json(lineage)::varchar
from mart.report_figures
where year = ?
order by project_code nulls first, project_name nulls first, position, figure_key, detail
"""
STRUCTURE_SQL = """
select project_code, position, category, parent_item
from mart.scale_and_cost
where year = ?
"""
NARRATIVE_SQL = """
select n.project_code, n.section, n.content, n.submission_id, s.original_name, s.sha256, s.unit, n.sheet,
    n.excel_row
from staging.report_narrative as n
join ops.submissions as s using (submission_id)
where n.year = ?
order by n.project_code, n.submission_id, n.sheet, n.excel_row
"""
# The 年度总体目标 of a national 自评表, for the sections whose narrative the unit did not supply.
GOALS_SQL = """
select t.project_code, t.goal_expected, t.goal_achieved, t.submission_id, s.original_name, s.sha256, s.unit,
    t.sheet, min(t.excel_row)
from staging.performance_targets as t
join ops.submissions as s using (submission_id)
where t.year = ? and (t.goal_expected is not null or t.goal_achieved is not null)
group by all
order by t.project_code, t.submission_id, t.sheet
"""
# Which 年度总体目标 cell stands in for which narrative section, and how it is introduced.
GOAL_SECTIONS = (("绩效目标", "年度总体目标："), ("完成情况", "年度总体目标实际完成情况："))
FILES_SQL = """
select submission_id, original_name, unit, sha256, received_at
from ops.submissions
where submission_id in (select unnest(?::integer[]))
order by submission_id
"""


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _source(entry: dict) -> Source:
    return Source(
        entry["submission_id"],
        entry["original_name"],
        entry["sha256"],
        entry["unit"],
        entry["sheet"],
        tuple(entry["excel_rows"] or ()),
    )


def read_projects(con: duckdb.DuckDBPyConnection, year: int) -> list[Project]:
    """Read the year's figures, scale-and-cost structure and narratives, district first, then by project."""
    if not _exists(con, "mart", "report_figures"):
        raise ReportError("仓库中还没有报告数字（mart.report_figures），请先运行 pipeline run 计算指标。")
    # By code: two offices' projects of one name are two projects; the district's own figures have none.
    projects: dict[str | None, Project] = {}
    # One tuple of sources per distinct lineage, shared by its figures (the renderers format each tuple once).
    lineages: dict[str | None, tuple[Source, ...]] = {None: ()}
    project = None
    for code, name, key, detail, position, value, unit, decimals, text, lineage in con.execute(
        FIGURES_SQL, [year]
    ).fetchall():
        if project is None or project.code != code:
            project = projects.get(code)
            if project is None:
                project = projects[code] = Project(code, name)
        sources = lineages.get(lineage)
        if sources is None:
            sources = lineages[lineage] = tuple(_source(entry) for entry in json.loads(lineage) or ())
        number = None if value is None else Decimal(value)
        project.figures.append(Figure(key, detail, position, number, unit, decimals, text or "", sources))
    if not projects:
        raise ReportError(
            f"仓库中没有{year}年度的报告数字，请确认该年度已有已接收的报表，并先运行 pipeline run。"
        )
    if _exists(con, "mart", "scale_and_cost"):
        for code, position, category, parent in con.execute(STRUCTURE_SQL, [year]).fetchall():
            if code in projects:
                # report_figures places scale_and_cost rows at 100 + their position in the mart.
                projects[code].structure[100 + position] = (category, parent)
    if _exists(con, "staging", "report_narrative"):
        for code, section, content, *source in con.execute(NARRATIVE_SQL, [year]).fetchall():
            if code in projects:
                sid, original, sha, unit, sheet, row = source
                narrative = Narrative(section, content, Source(sid, original, sha, unit, sheet, (row,)))
                projects[code].narratives.setdefault(section, []).append(narrative)
    if _exists(con, "staging", "performance_targets"):
        _read_goals(con, year, projects)
    return list(projects.values())


def _read_goals(con: duckdb.DuckDBPyConnection, year: int, projects: dict[str | None, Project]) -> None:
    """Give a project without a 绩效目标 or 完成情况 narrative its 自评表's 年度总体目标 text instead."""
    supplied = {code: set(p.narratives) for code, p in projects.items()}
    for code, expected, achieved, sid, original, sha, unit, sheet, row in con.execute(
        GOALS_SQL, [year]
    ).fetchall():
        if code not in projects:
            continue
        source = Source(sid, original, sha, unit, sheet, (row,))
        for (section, label), text in zip(GOAL_SECTIONS, (expected, achieved), strict=True):
            if text and section not in supplied[code]:
                projects[code].narratives.setdefault(section, []).append(
                    Narrative(section, label + text, source)
                )


def read_files(con: duckdb.DuckDBPyConnection, projects: Iterable[Project]) -> tuple[SourceFile, ...]:
    """Return every submission a figure or narrative of the report comes from, numbered in receipt order."""
    lineages = {id(f.sources): f.sources for p in projects for f in p.figures}  # figures share their tuples
    ids = {s.submission_id for sources in lineages.values() for s in sources}
    ids |= {n.source.submission_id for p in projects for ns in p.narratives.values() for n in ns}
    rows = con.execute(FILES_SQL, [sorted(ids)]).fetchall()
    return tuple(
        SourceFile(number, sid, name, unit, sha, received.astimezone(TIMEZONE))
        for number, (sid, name, unit, sha, received) in enumerate(rows, start=1)
    )


# Composing the report.

_ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """Write a section number in Chinese numerals: 一, 十, 十二, 二十三, 一百零五, 一千二百; Arabic from 10,000."""
    if n >= 10_000:
        return str(n)
    if 10 <= n < 20:
        return "十" + (_ZH_DIGITS[n - 10] if n > 10 else "")
    written, pending_zero = "", False
    for place, digit in zip(range(len(str(n)) - 1, -1, -1), map(int, str(n)), strict=True):
        if digit == 0:
            pending_zero = bool(written)
            continue
        written += ("零" if pending_zero else "") + _ZH_DIGITS[digit] + ("", "十", "百", "千")[place]
        pending_zero = False
    return written or _ZH_DIGITS[0]


def clauses(*items: tuple[str, Figure | None], sep: str = "，") -> list[Inline]:
    """Join `label figure` pairs into one sentence's parts, leaving out figures the marts did not produce."""
    parts: list[Inline] = []
    for label, figure in items:
        if figure is None:
            continue
        if parts:
            parts.append(sep)
        parts += [label, figure]
    return parts


def sentence(parts: list[Inline], missing: str) -> Text:
    """Return the parts as a sentence, or the note that nothing was supplied."""
    if not parts:
        return Text((missing,), missing=True)
    return Text((*parts, "。"))


def narratives(project: Project, section: str, label: str) -> list[Text]:
    """Return the unit's paragraphs for a section, or the note that none was supplied."""
    supplied = project.narratives.get(section, [])
    if not supplied:
        return [Text((f"{label}：{NOT_SUPPLIED}",), missing=True)]
    return [Text((line,), source=n.source) for n in supplied for line in n.text.split("\n") if line]


# A self-reported total further than this from the computed score, or an execution rate further than this from
# the ledger's, is named in the report's data-quality note.
SCORE_TOLERANCE = Decimal("0.5")
EXECUTION_TOLERANCE = Decimal("0.01")


def _differ(computed: Figure | None, stated: Figure | None, tolerance: Decimal) -> bool:
    """Say whether two figures both hold a value and differ by more than the tolerance."""
    if computed is None or stated is None or None in (computed.value, stated.value):
        return False
    return abs(computed.value - stated.value) > tolerance


class Composer:
    """Lay the report out in the structure of the district's published report."""

    def __init__(
        self, year: int, district: Project, projects: list[Project], registry: Registry, bands: tuple = ()
    ):
        self.year = year
        self.bands = bands  # the light bands, for the progress charts
        self.district = district
        self.projects = projects
        self.names = {t.id: t.name_zh for t in registry.templates.values()}
        self.blocks: list[Block] = []

    def not_sent(self, template: str) -> str:
        return f"（未报送{self.names[template]}）"

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def compose(self) -> list[Block]:
        self.summary()
        self.add(Heading(1, "二、项目绩效评价情况"))
        for number, project in enumerate(self.projects, start=1):
            self.project(number, project)
        self.add(Heading(1, "三、绩效指标表"))
        for number, project in enumerate(self.projects, start=1):
            self.indicator_table(number, project)
        return self.blocks

    def summary(self) -> None:
        d = self.district
        self.add(Heading(1, "一、总体情况"))
        parts = clauses(
            (f"{self.year}年度纳入绩效评价的项目共", d.one("projects")),
            ("全年到位资金", d.one("funds_received_wan")),
            ("支付资金", d.one("funds_paid_wan")),
            ("完成投资", d.one("completed_investment_wan")),
        )
        self.add(sentence(parts, "（本年度没有可汇总的数据）"), Text(("各项目绩效评价结果见下表。",)))
        rows = tuple(
            (
                p.name,
                p.one("planned_total_investment_wan"),
                p.one("completed_investment_wan"),
                p.one("payment_rate"),
                p.one("self_evaluation_score"),
                p.one("grade"),
                p.one("worst_light"),
            )
            for p in self.projects
        )
        header = ("项目名称", "计划总投资", "完成投资", "资金支付率", "自评得分", "评价等级", "最高预警")
        self.add(Table("表1 项目绩效评价结果汇总", header, rows, sheet="汇总"))
        self.data_quality()

    def data_quality(self) -> None:
        """Name the figures that cannot be right as sent, so no reader takes them at face value."""
        doubts: list[Inline] = []
        for p in self.projects:
            paid, received = p.one("funds_paid_wan"), p.one("funds_received_wan")
            if paid is None or received is None or None in (paid.value, received.value):
                continue
            if paid.value > received.value:
                doubts += [*(["；"] if doubts else []), f"{p.name}累计支付", paid, "超过累计到位", received]
        if doubts:
            self.add(Text(("数据质量提示：", *doubts, "，资金支付率超过100%，请核实资金台账。")))
        else:
            self.add(Text(("数据质量提示：未发现累计支付超过累计到位的项目。",)))
        self.self_reported()

    def self_reported(self) -> None:
        """Name each project whose 自评表 states a total or an execution rate the data do not bear out."""
        for p in self.projects:
            computed, stated = p.one("self_evaluation_score"), p.one("reported_self_evaluation_score")
            if _differ(computed, stated, SCORE_TOLERANCE):
                self.add(
                    Text(("数据质量提示：", f"{p.name}自评表填报的总分", stated, "，按数据计算为", computed,
                          f"，相差超过{SCORE_TOLERANCE}分，请核实自评得分。"))
                )  # fmt: skip
            ledger, stated = p.one("budget_execution_rate"), p.one("reported_budget_execution_rate")
            if _differ(ledger, stated, EXECUTION_TOLERANCE):
                self.add(
                    Text(("数据质量提示：", f"{p.name}自评表填报的预算执行率", stated, "，按资金台账计算为", ledger,
                          f"，相差超过{format((EXECUTION_TOLERANCE * 100).normalize(), 'f')}个百分点，请核实。"))
                )  # fmt: skip

    def project(self, number: int, p: Project) -> None:
        self.add(Heading(2, f"（{zh_number(number)}）{p.name}"))
        self.basics(p)
        self.evaluation(p)
        self.funds(p)
        self.performance(p)
        self.add(Heading(3, "5．存在的问题及下一步工作"))
        self.add(*narratives(p, "存在问题", "存在的问题"), *narratives(p, "下一步工作", "下一步工作"))

    def basics(self, p: Project) -> None:
        self.add(Heading(3, "1．项目基本情况"), Heading(4, "（1）项目概况"))
        self.add(*narratives(p, "项目概况", "项目概况"))
        facts: list[Inline] = [f"项目编码{p.code}"] if p.code else []
        money = clauses(
            ("计划总投资", p.one("planned_total_investment_wan")),
            ("年度计划投资", p.one("annual_planned_investment_wan")),
        )
        facts += [*(["，"] if facts and money else []), *money]
        if facts:
            self.add(Text((*facts, "。")))
        compounds = clauses(
            ("改造老旧小区", p.one("compounds")),
            ("改造面积", p.one("area_wan_m2")),
            ("惠及居民", p.one("households")),
            ("清单计划投资", p.one("compound_planned_investment_wan")),
        )
        if compounds:
            self.add(Text((*compounds, "。")))
        self.scale_and_cost(p)
        self.add(Heading(4, "（2）绩效目标"))
        self.add(*narratives(p, "绩效目标", "绩效目标"))
        targets: list[Inline] = []
        for target in p.each("indicator_target"):
            targets += [*(["；"] if targets else []), f"{target.detail}", target]
        if targets:
            self.add(Text(("年度绩效指标：", *targets, "。")))
        else:
            self.add(Text((self.not_sent("performance_targets"),), missing=True))

    def scale_and_cost(self, p: Project) -> None:
        """Print 建设规模 and 投资构成 in sheet order, each `其中` part after the row it belongs to."""
        by_category: dict[str | None, list[Inline]] = defaultdict(list)
        previous_parent: dict[str | None, str | None] = {}
        for figure in p.each("scale_and_cost"):
            category, parent = p.structure.get(figure.position, (None, None))
            parts = by_category[category]
            if parts:
                same_group = parent is not None and previous_parent.get(category) == parent
                parts.append("、" if same_group else ("，其中：" if parent else "；"))
            parts += [figure.detail, figure]
            previous_parent[category] = parent
        for category, parts in by_category.items():
            self.add(Text((f"{category or '建设规模及投资构成'}：", *parts, "。")))

    def evaluation(self, p: Project) -> None:
        self.add(Heading(3, "2．绩效评价工作开展情况"))
        self.add(*narratives(p, "主要做法", "主要做法"))
        self.add(Heading(4, "（1）资金到位情况"))
        received = clauses(("全年到位资金", p.one("funds_received_wan")))
        by_source = clauses(*((f.detail, f) for f in p.each("funds_received_wan")), sep="、")
        if received and by_source:
            received += ["，其中", *by_source]
        self.add(sentence(received, self.not_sent("fund_ledger")))
        self.add(Heading(4, "（2）投资完成情况"))
        invested = clauses(
            ("年度计划投资", p.one("annual_planned_investment_wan")),
            ("累计完成投资", p.one("completed_investment_wan")),
            ("年度计划投资完成率", p.one("investment_completion_rate")),
        )
        self.add(sentence(invested, self.not_sent("investment_progress")))
        self.add(Heading(4, "（3）绩效指标完成情况"))
        achieved: list[Inline] = []
        for target in p.each("indicator_target"):
            achieved += [*(["；"] if achieved else []), f"{target.detail}：年度指标值", target]
            achieved += clauses(("，实际完成值", p.one("indicator_actual", target.detail)), sep="")
        if achieved:
            achieved += ["。各指标的分值与得分见“三、绩效指标表”"]
        self.add(sentence(achieved, self.not_sent("performance_targets")))
        self.add(Heading(4, "（4）群众满意度"))
        survey = clauses(("有效问卷", p.one("surveys_valid")), ("群众满意度", p.one("satisfaction_rate")))
        self.add(sentence(survey, self.not_sent("satisfaction_survey")))
        self.add(Heading(4, "（5）监控预警情况"))
        worst = p.one("worst_light")
        if worst is None:
            self.add(Text((self.not_sent("investment_progress"),), missing=True))
        else:
            self.add(Text(("按月监控时间进度与投资进度，全年最高预警等级：", worst, "。")))
            rows = tuple(
                (light.detail, p.one("gap_points", light.detail), light) for light in p.each("light")
            )
            self.add(Table("各月监控预警", ("月份", "时间进度超出投资进度（百分点）", "预警灯"), rows))
            self.add(*progress_chart(p, self.bands))
        self.monitoring(p)
        self.add(Heading(4, "（6）负面清单核查"))
        hits = clauses(
            ("支出用途列入《财政补助资金使用负面清单》的支付", p.one("negative_list_hits")),
            ("金额", p.one("negative_list_amount_wan")),
        )
        self.add(sentence(hits, self.not_sent("fund_ledger")))

    def monitoring(self, p: Project) -> None:
        """Print what the unit's 运行监控表 reports: execution against time progress, and the doubtful indicators."""
        executions = p.each("monitoring_execution_rate")
        progress = {f.detail: f for f in p.each("monitoring_time_progress")}
        lines: list[Inline] = []
        for rate in executions:
            lines += [*(["；"] if lines else []), f"1-{rate.detail}预算执行率", rate]
            lines += clauses(("，时间进度", progress.get(rate.detail)), sep="")
        if lines:
            self.add(Text(("绩效运行监控表：", *lines, "。")))
        findings = p.each("monitoring_finding")
        if findings:
            rows = tuple((*f.detail.split("·", 1), f) for f in findings)
            self.add(
                Table(
                    "绩效运行监控：完成目标可能性不是“确定能”的指标",
                    ("截至月份", "三级指标", "完成目标可能性及原因"),
                    rows,
                )
            )
        elif lines:
            self.add(Text(("绩效运行监控表所列指标均确定能完成年度目标。",)))

    def funds(self, p: Project) -> None:
        self.add(Heading(3, "3．资金执行情况"))
        totals = clauses(
            ("到位资金", p.one("funds_received_wan")),
            ("已支付", p.one("funds_paid_wan")),
            ("资金支付率", p.one("payment_rate")),
            ("预算执行率", p.one("budget_execution_rate")),
        )
        self.add(sentence(totals, self.not_sent("fund_ledger")))
        lines: list[Inline] = []
        for received in p.each("funds_received_wan"):
            lines += [*(["；"] if lines else []), f"{received.detail}到位", received]
            lines += clauses(("、支付", p.one("funds_paid_wan", received.detail)), sep="")
        if lines:
            self.add(Text(("按资金来源：", *lines, "。")), *funds_chart(p))

    def performance(self, p: Project) -> None:
        self.add(Heading(3, "4．项目绩效情况"), Heading(4, "（1）完成情况"))
        done = clauses(
            ("已完工小区", p.one("completed_compounds")),
            ("自评得分", p.one("self_evaluation_score")),
            ("单位自评总分", p.one("reported_self_evaluation_score")),
            ("评价等级", p.one("grade")),
        )
        self.add(sentence(done, self.not_sent("performance_targets")))
        self.add(*narratives(p, "完成情况", "完成情况"))
        self.add(Heading(4, "（2）未完成情况及原因"))
        short: list[Inline] = []
        for weight in p.each("indicator_weight"):
            score = p.one("indicator_score", weight.detail)
            if score is not None and None not in (score.value, weight.value) and score.value < weight.value:
                short += [*(["；"] if short else []), f"{weight.detail}：分值", weight, "，得分", score]
        if short:
            self.add(Text(("未得满分的指标：", *short, "。")))
        elif p.each("indicator_weight"):
            self.add(Text(("各项绩效指标均得满分。",)))
        self.add(*narratives(p, "未完成情况及原因", "未完成情况及原因"))

    def indicator_table(self, number: int, p: Project) -> None:
        caption = f"附表{number} {p.name}绩效目标及自评表"
        indicators = p.each("indicator_target")
        if not indicators:
            self.add(Heading(4, caption), Text((self.not_sent("performance_targets"),), missing=True))
            return
        rows = [
            (
                target.detail,
                target,
                p.one("indicator_actual", target.detail),
                p.one("indicator_weight", target.detail),
                p.one("indicator_score", target.detail),
            )
            for target in indicators
        ]
        rows.append(("自评得分", None, None, None, p.one("self_evaluation_score")))
        rows.append(("评价等级", None, None, None, p.one("grade")))
        header = ("三级指标", "年度指标值", "实际完成值", "分值", "得分")
        if p.each("indicator_reported_score") or p.one("reported_self_evaluation_score"):
            # The national 自评表 states the unit's own scores: shown beside the computed ones.
            reported = [p.one("indicator_reported_score", t.detail) for t in indicators]
            reported += [p.one("reported_self_evaluation_score"), None]
            rows = [(*row, own) for row, own in zip(rows, reported, strict=True)]
            header = (*header[:4], "得分（按数据计算）", "单位自评得分")
        self.add(Table(caption, header, tuple(rows), sheet=f"附表{number}"))


@dataclass(frozen=True, slots=True)
class Year:
    """What the warehouse holds for one year's report, as read."""

    year: int
    title: str
    issuer: str | None
    stamp: dt.datetime  # the latest receipt of a source file: the report's fixed timestamp
    projects: list[Project]
    files: tuple[SourceFile, ...]
    bands: tuple


def read_year(con: duckdb.DuckDBPyConnection, year: int, config: ReportConfig) -> Year:
    """Read the year's projects, source files and light bands."""
    projects = read_projects(con, year)
    files = read_files(con, projects)
    stamp = max((f.received_at for f in files), default=dt.datetime(year + 1, 1, 1, tzinfo=TIMEZONE))
    title = f"{config.district}{year}年度预算绩效管理工作开展情况"
    return Year(
        year, title, config.issuer, stamp.replace(microsecond=0), projects, files, read_bands(con, year)
    )


def build_report(
    con: duckdb.DuckDBPyConnection,
    year: int,
    config: ReportConfig,
    registry: Registry,
    read: Year | None = None,
) -> Report:
    """Read the warehouse and lay out the year's report."""
    read = read or read_year(con, year, config)
    district = next((p for p in read.projects if p.name is None), Project(None, None))
    named = [p for p in read.projects if p.name is not None]
    blocks = Composer(year, district, named, registry, read.bands).compose()
    return Report(year, read.title, read.issuer, read.stamp, tuple(blocks), read.files)


def safe_name(text: str) -> str:
    """Return text usable as a file name on every system the bureau uses."""
    return printable(_UNSAFE_NAME.sub("_", text)).strip(" .") or "report"


def report_name(title: str) -> str:
    """Return the report's file name, cut and tagged with a hash of the title if a file would pass 255 bytes."""
    name = safe_name(title)
    room = NAME_BYTES - len(LONGEST_SUFFIX.encode())
    if len(name.encode()) <= room:
        return name
    tag = "_" + hashlib.sha256(title.encode()).hexdigest()[:12]
    # Cut on a character boundary: `ignore` drops the bytes of a character the cut went through.
    head = name.encode()[: room - len(tag)].decode("utf-8", "ignore").rstrip(" .")
    return head + tag


@dataclass(frozen=True, slots=True)
class ReportFiles:
    html: Path
    docx: Path
    xlsx: Path


def write_report(
    settings: Settings, year: int, registry: Registry | None = None, config: ReportConfig | None = None
) -> Path:
    """Write `reports/<year>/` (the report as .html and .docx, the tables as .xlsx); return the HTML's path."""
    return write_report_files(settings, year, registry, config).html


def write_report_files(
    settings: Settings, year: int, registry: Registry | None = None, config: ReportConfig | None = None
) -> ReportFiles:
    """Write the year's report in every format, under the run lock, and return where each went."""
    if not settings.warehouse.is_file():
        raise ReportError(f"找不到数据仓库 {settings.warehouse}，请先运行 pipeline run。")
    registry = registry or load_registry()
    config = config or load_report_config()
    with run_lock(settings, purpose="report"):  # reads the writer's copy, and writes reports/
        return _write_report_files(settings, year, registry, config)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the report is built and rendered.

    The report holds a few hundred thousand objects (figures, sources, cells), all alive until it is written, and
    rendering allocates millions more: the collector's full passes over them took about a second, for nothing
    to free. What the renderers leave in cycles (openpyxl's and python-docx's objects) is freed once it runs.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_report_files(
    settings: Settings, year: int, registry: Registry, config: ReportConfig
) -> ReportFiles:
    from pipeline import report_charts, report_render
    from pipeline.report_context import build_context, load_figure_keys

    with _collector_paused(), reader(settings.warehouse) as con:
        read = read_year(con, year, config)
        report = build_report(con, year, config, registry, read)
    forms = {t.id: t.name_zh for t in registry.templates.values()}
    context = build_context(
        year,
        read.title,
        read.issuer,
        read.stamp,
        read.projects,
        read.files,
        forms,
        load_figure_keys(),
        read.bands,
    )
    # Drawn with the collector running: matplotlib's artists live in cycles, a few megabytes per chart.
    charts = [*context.charts, *(block for block in report.blocks if isinstance(block, Chart))]
    report.memo["charts"] = report_charts.draw(charts, settings.home / CHART_CACHE)
    with _collector_paused():
        # Every format is rendered before anything is written: a failure leaves the published set as it was.
        name = report_name(report.title)
        content = {
            f"{name}.html": report_render.render_html_template(
                report, context, settings.report_templates
            ).encode("utf-8"),
            f"{name}.docx": report_render.render_docx(report),
            f"{name}{LONGEST_SUFFIX}": report_render.render_xlsx(report),
        }
    # Locally `reports/<year>`; on object storage the version prefix its LATEST.json names.
    folder = publish_set(location_path(settings.reports) / str(year), content)
    return ReportFiles(*(folder / file_name for file_name in content))
