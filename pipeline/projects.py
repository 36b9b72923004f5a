"""Projects are identified by their 项目编码 (project_code); submissions name them by 项目名称.

The register (template project_register) says which codes exist, under which names, for which years and by
which implementing unit. A register row without a 项目编码 gets a derived code, `自编:<实施单位>/<项目名称>`,
so two units' projects of the same name are two projects even then. A register row that gives a known code a
new name renames that project: the old name stays an alias that still finds it.

A submission's 项目名称 is resolved to a code at ingest (`project_names.resolve_projects`), and the code is stored
with every row and slice: the names matching it (current names first, else aliases), the sending office's own
projects first (it is their implementing unit), then the projects registered for the submission's year (else
the nearest earlier year, else the nearest later one). A name still matching several codes is an error naming
them.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import chain

import duckdb

from pipeline.implementers import Implementers, is_implementer
from pipeline.offices import Offices, office_key
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, display

REGISTER_TEMPLATE = "project_register"
# A derived code reads as what it is made of, so an analyst can tell it at a glance; real codes never start so.
DERIVED_PREFIX = "自编:"
# Rows received in this run sort after every stored submission.
_RUN_ORDER = 1 << 62


def implemented_by(project: RegisteredProject, unit: str | None, offices: Offices | None) -> bool:
    """Say whether `unit` implements a registered project; without the office registry, by its exact name only."""
    return is_implementer(unit, project.implementing_unit, offices)


def derived_code(implementing_unit: str | None, name: str) -> str:
    """Return the code of a project registered without a 项目编码: its implementing unit and name."""
    return f"{DERIVED_PREFIX}{implementing_unit or ''}/{name}"


def is_derived(code: str | None) -> bool:
    return code is None or code.startswith(DERIVED_PREFIX)


@dataclass(slots=True)
class RegisteredProject:
    """One register row: a project's code, name and attributes as registered for one year."""

    code: str
    name: str
    project_type: str | None = None
    implementing_unit: str | None = None
    supervising_department: str | None = None  # 主管部门: whose template a title may copy, not a sender
    year: int | None = None
    planned_total_wan: Decimal | None = None
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    unit: str | None = None  # the office that sent the register
    order: tuple[int, int] = (0, 0)  # (submission, Excel row): later rows are newer
    current: bool = True  # False once a later register replaced its slice
    sheet: str | None = None  # the sheet it is on
    file: ParsedFile | None = None  # the file of this run it is in; None for a stored one

    @property
    def derived(self) -> bool:
        return is_derived(self.code)

    def describe(self) -> str:
        """Name the project for a clerk: its name, code (unless derived) and implementing unit."""
        code = "未登记项目编码" if self.derived else f"项目编码{self.code}"
        return f"“{self.name}”（{code}，实施单位：{self.implementing_unit or '未填写'}）"


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a 项目名称 resolves to: one code, or the candidates it cannot choose between (none: unknown)."""

    code: str | None
    candidates: tuple[RegisteredProject, ...] = ()


def _told_total(
    told: RegisteredProject, record: dict, later: ParsedFile, unit: str | None, number: int | None
) -> Problem:
    """Tell a register row that a later register of another office (`later`, stored as `number`; None: not yet
    stored) states another 计划总投资 for its project and year, which the report now takes."""
    total = record["planned_total_investment_wan"]
    # Worded without the number: the same night in one chunk or in several tells it alike.
    expected = (
        f"项目“{told.name}”{told.year}年度的计划总投资本表为{display(told.planned_total_wan.normalize())}万元，"
        f"{unit}随后报送的“{later.original_name}”登记为{display(total.normalize())}万元，两者不一致；"
        "报告采用最后报送的数值"
    )
    fix = f"请与{unit}核对，以正确的数值重新报送"
    row = told.order[1] or None
    return Problem(
        Severity.WARNING,
        "planned_total_differs",
        f"{f'第{row}行' if row else ''}{expected}，{fix}。",
        sheet=told.sheet,
        excel_row=row,
        column_header="计划总投资",
        value=display(told.planned_total_wan),
        expected=expected,
        fix=fix,
        # Once that register is out of force the report takes this one again: the warning no longer applies.
        named=(number if number is not None else ("run", id(later)),),
    )


def _year_rank(registered: int | None, wanted: int) -> tuple[int, int]:
    """Rank a register year for a submission year: the same year, then the nearest earlier, then later."""
    if registered is None:
        return (3, 0)
    if registered == wanted:
        return (0, 0)
    if registered < wanted:
        return (1, wanted - registered)
    return (2, registered - wanted)


@dataclass(slots=True)
class ProjectRegister:
    """The project register as known at ingest time: the warehouse's, plus registers arriving in this run."""

    projects: list[RegisteredProject] = field(default_factory=list)
    _by_code: dict[str, list[RegisteredProject]] = field(default_factory=lambda: defaultdict(list))
    _by_name: dict[str, list[RegisteredProject]] = field(default_factory=lambda: defaultdict(list))
    # By project type, then implementing unit: each project with its place in `projects`.
    _by_type: dict[str | None, dict[str | None, list[tuple[int, RegisteredProject]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    _files: int = 0
    # The implementing units indexed for `projects_of`, for one office registry; made again once a project is added.
    _implementers: Implementers | None = None
    # The registered units read against an office registry (registered_units.py), with the count of projects they
    # were read from and that registry's offices: projects are only ever added, so one count is one register.
    units_read: tuple[int, object, tuple[dict[str, str], dict[str, tuple[str, ...]]]] | None = None

    def __post_init__(self) -> None:
        projects, self.projects = self.projects, []
        for project in projects:
            self._add(project)

    def _add(self, project: RegisteredProject) -> None:
        held = self._by_type[project.project_type].setdefault(project.implementing_unit, [])
        if project.implementing_unit not in (self._implementers or ()):
            self._implementers = None
        held.append((len(self.projects), project))
        self.projects.append(project)
        self._by_code[project.code].append(project)
        self._by_name[project.name].append(project)

    @classmethod
    def from_warehouse(cls, con: duckdb.DuckDBPyConnection | None) -> ProjectRegister:
        """Load every register row of an accepted or superseded file (superseded ones only lend aliases)."""
        if (
            con is None
            or not con.execute(
                "select 1 from duckdb_tables() where schema_name = 'raw' and table_name = ?",
                [REGISTER_TEMPLATE],
            ).fetchall()
        ):
            return cls()
        rows = con.execute(
            """
            select r.project_code, r.project_name, r.project_type, r.implementing_unit, r.year,
                r.planned_total_investment_wan, r.planned_start, r.planned_finish, r.unit, r.submission_id,
                r.excel_row, c.submission_id is not null as current, r.sheet,
                r.supervising_department
            from raw.project_register as r
            inner join ops.submissions as s using (submission_id)
            left join ops.current_slices as c using (submission_id, slice_key)
            where s.status in ('accepted', 'superseded') and r.project_name is not null
            order by r.submission_id, r.excel_row
            """
        ).fetchall()
        register = cls()
        for *described, sheet, supervisor in rows:
            code, name, kind, implementer, year, total, start, finish, unit, number, row, current = described
            register._add(
                RegisteredProject(
                    # Rows stored before codes existed are read as their code would be derived.
                    code=code or derived_code(implementer, name),
                    name=name,
                    project_type=kind,
                    implementing_unit=implementer,
                    supervising_department=supervisor,
                    year=year,
                    planned_total_wan=total,
                    planned_start=start,
                    planned_finish=finish,
                    unit=unit,
                    order=(number, row or 0),
                    current=current,
                    sheet=sheet,
                )
            )
        return register

    def add_from(self, parsed: ParsedFile) -> None:
        """Add the projects of a readable register sheet received in this run; they replace their slices."""
        self._files += 1
        added = []
        for sheet in parsed.sheets:
            if sheet.template.id != REGISTER_TEMPLATE:
                continue
            assign_codes(sheet)
            for r in sheet.records:
                if r.get("project_name") and r.get("project_code"):
                    self._warn_other_total(parsed, sheet, r)
                    added.append(
                        RegisteredProject(
                            code=r["project_code"],
                            name=r["project_name"],
                            project_type=r.get("project_type"),
                            implementing_unit=r.get("implementing_unit"),
                            supervising_department=r.get("supervising_department"),
                            year=r.get("year"),
                            planned_total_wan=r.get("planned_total_investment_wan"),
                            planned_start=r.get("planned_start"),
                            planned_finish=r.get("planned_finish"),
                            unit=r.get("unit") or parsed.unit,
                            order=(_RUN_ORDER + self._files, r.get("excel_row") or 0),
                            sheet=sheet.name,
                            file=parsed,
                        )
                    )
        if not added:  # most files carry no register: nothing to replace, no need to look at every project
            return
        replaced = {(p.unit, p.code, p.year) for p in added}
        for project in self.projects:
            if (project.unit, project.code, project.year) in replaced:
                project.current = False
        for project in added:
            self._add(project)

    def refuse_recoded(self, parsed: ParsedFile) -> None:
        """Reject a register row for a project already in force under another code (same name, implementing unit
        and year): kept, the two codes would be two projects, the report counting it twice."""
        for sheet in parsed.sheets:
            if sheet.template.id != REGISTER_TEMPLATE:
                continue
            assign_codes(sheet)
            for record in sheet.records:
                name, code, year = record.get("project_name"), record.get("project_code"), record.get("year")
                if not name or not code:
                    continue
                implementer = office_key(record.get("implementing_unit") or "")
                held = next(
                    (
                        p
                        for p in self._by_name.get(name, ())
                        if p.current
                        and p.code != code
                        and p.year == year
                        and office_key(p.implementing_unit or "") == implementer
                    ),
                    None,
                )
                if held is not None:
                    sheet.problems.append(_recoded(sheet, record, held))

    def _warn_other_total(self, parsed: ParsedFile, sheet: ParsedSheet, record: dict) -> None:
        """Warn on a register row whose 计划总投资 differs from the one another office's register states for the
        same project and year, and tell that register: the report takes the later one, and only the two offices
        know which is right."""
        total, unit = record.get("planned_total_investment_wan"), record.get("unit") or parsed.unit
        if total is None:
            return
        others = [
            r
            for r in self._by_code.get(record["project_code"], [])
            if r.current
            and r.year == record.get("year")
            and r.unit != unit
            and r.planned_total_wan is not None
            and r.planned_total_wan != total
        ]
        if not others:
            return
        differing = sorted({(r.unit or "", r.planned_total_wan) for r in others})
        stated = "、".join(f"{office}登记为{display(amount.normalize())}万元" for office, amount in differing)
        expected = (
            f"项目“{record['project_name']}”{record.get('year')}年度的计划总投资{stated}，本表为{display(total.normalize())}"
            "万元，两者不一致；报告采用最后报送的数值"
        )
        fix = f"请与{differing[0][0]}核对，以正确的数值重新报送"
        row = record.get("excel_row")
        sheet.problems.append(
            Problem(
                Severity.WARNING,
                "planned_total_differs",
                f"{f'第{row}行' if row else ''}{expected}，{fix}。",
                sheet=sheet.name,
                excel_row=row,
                column_header=sheet.header_of("planned_total_investment_wan", "计划总投资"),
                value=display(total),
                expected=expected,
                fix=fix,
            )
        )
        # The office whose figure the report no longer takes is told on its own register's receipt too: it may be
        # the one that is right, and it reads only its own receipts.
        for other in others:
            if other.file is parsed:  # a row of this file: its own warning says it
                continue
            if other.file is None:
                parsed.told_stored.append((other.order[0], partial(_told_total, other, record, parsed, unit)))
            else:
                other.file.problems.append(_told_total(other, record, parsed, unit, None))

    def rows_of(self, code: str) -> list[RegisteredProject]:
        """Return a code's register rows in force (or, if none is, every row it ever had)."""
        rows = self._by_code.get(code, [])
        return [r for r in rows if r.current] or rows

    def latest(self, code: str) -> RegisteredProject:
        """Return a code's newest register row: its latest name and attributes."""
        return max(self.rows_of(code), key=lambda r: (r.year or 0, r.order))

    def row_for(self, code: str, year: int) -> RegisteredProject:
        """Return the register row that describes a project in a year: that year's, else the nearest."""
        return min(self.rows_of(code), key=lambda r: (_year_rank(r.year, year), -r.order[0], -r.order[1]))

    def resolve(self, name: str, year: int, unit: str | None, offices: Offices | None = None) -> Resolution:
        """Resolve a 项目名称 written by `unit` for `year` to one project code."""
        rows = self._by_name.get(name, [])
        if not rows:
            return Resolution(None)
        # The sending office's own project wins, even by a name it carried before a rename (an alias): another
        # office's project that still carries the name is not the sender's. Then a name some row in force
        # carries wins over a name only a replaced row carried.
        every = {r.code for r in rows}
        own = {c for c in every if any(implemented_by(r, unit, offices) for r in self.rows_of(c))}
        candidates = [r for r in rows if r.code in (own or every)]
        pool = {r.code for r in candidates if r.current} or {r.code for r in candidates}
        ranks = {c: min(_year_rank(r.year, year) for r in self.rows_of(c)) for c in pool}
        best = min(ranks.values())
        chosen = sorted(c for c in pool if ranks[c] == best)
        if len(chosen) == 1:
            return Resolution(chosen[0])
        return Resolution(None, tuple(self.latest(c) for c in chosen))

    def projects_of(
        self, unit: str, year: int, project_type: str, offices: Offices | None = None
    ) -> list[RegisteredProject]:
        """Return the unit's projects of one type under way in a year, one row per code: those registered for the
        year, and those registered earlier whose planned span still runs into it."""
        found: dict[str, RegisteredProject] = {}
        # Asked for each sheet naming no project: whether the unit implements is asked once per implementing unit,
        # and only the projects of the units it finds are looked at, in the register's order.
        if self._implementers is None or self._implementers.offices is not offices:
            units = {u for by_unit in self._by_type.values() for u in by_unit}
            self._implementers = Implementers(units, offices)
        by_unit = self._by_type.get(project_type, {})
        ours = [by_unit[u] for u in self._implementers.of(unit) if u in by_unit]
        for _, p in sorted(chain.from_iterable(ours), key=operator.itemgetter(0)):
            if not p.current:
                continue
            # A project registered the year before and finishing this year is as likely the one meant as the
            # new one, so it is a candidate too: the file is then asked about, not filed under one of them.
            if p.year == year or (p.year is not None and p.year < year and _runs_in(p, year)):
                held = found.get(p.code)
                if held is None or _year_rank(p.year, year) < _year_rank(held.year, year):
                    found[p.code] = p
        return sorted(found.values(), key=lambda p: (p.name, p.code))

    def names_of(self, unit: str, year: int, project_type: str) -> list[str]:
        """Return the unit's projects of one type and year, by name."""
        return sorted({p.name for p in self.projects_of(unit, year, project_type)})

    @property
    def known_names(self) -> set[str]:
        """Every name a project is or was registered under."""
        return set(self._by_name)

    def planned_total(self, name: str | None, year: int | None) -> Decimal | None:
        """Return the 计划总投资 of the one project a name finds, as registered for a year (else the nearest year's)."""
        codes = {r.code for r in self._by_name.get(name, ())} if name else set()
        if len(codes) != 1:
            return None
        code = codes.pop()
        row = self.row_for(code, year) if year is not None else self.latest(code)
        return row.planned_total_wan


def assign_codes(sheet: ParsedSheet) -> None:
    """Give each register row its code: its 项目编码, else one derived from its implementing unit and name."""
    for record in sheet.records:
        if record.get("project_code_derived") is not None or not record.get("project_name"):
            continue
        if record.get("project_code"):
            record["project_code_derived"] = False
        else:
            record["project_code"] = derived_code(record.get("implementing_unit"), record["project_name"])
            record["project_code_derived"] = True


def _recoded(sheet: ParsedSheet, record: dict, held: RegisteredProject) -> Problem:
    """Say that a register row gives a project in force another code, and how to put it right."""
    sent = f"第{held.order[0]}号提交" if held.order[0] < _RUN_ORDER else "本次收到的另一份项目基本信息表"
    held_code = "未填编码" if held.derived else f"编码{held.code}"
    # A row without a code is known by its unit and name, which is another project than the coded one: said so,
    # not that its (blank) code differs.
    differs = (
        "本行未填写项目编码，会被当作另一个项目重复计入"
        if record.get("project_code_derived")
        else "本行的项目编码与之不同，两个编码会被当作两个项目重复计入"
    )
    expected = (
        f"项目“{held.name}”（实施单位{held.implementing_unit or '未填'}，{held.year}年度）已由{held.unit or '其他单位'}"
        f"以{held_code}登记（{sent}），{differs}"
    )
    if record.get("project_code_derived") and not held.derived:
        fix = f"请在项目编码栏填写{held.code}"
    else:
        # The bureau withdraws, not the clerk: the submission is named, and the command for the bureau beside it, as
        # project_left_in_force names them (a file of this run has no number yet: its receipt shows it).
        withdraw = (
            f"第{held.order[0]}号提交（命令 pipeline withdraw {held.order[0]}）"
            if held.order[0] < _RUN_ORDER
            else "该表（提交编号见其回执）"
        )
        fix = f"如为更正项目编码，请先联系财政局撤回{withdraw}再重新报送；如确为另一项目，请在项目名称中加以区分"
    column = "project_name" if record.get("project_code_derived") else "project_code"
    row = record.get("excel_row")
    return Problem(
        Severity.ERROR,
        "project_recoded",
        f"{f'第{row}行' if row else ''}{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=row,
        column_header=sheet.header_of(column, "项目名称" if column == "project_name" else "项目编码"),
        value=record[column],
        expected=expected,
        fix=fix,
    )


def _planned_years(project: RegisteredProject) -> tuple[int | None, int | None]:
    """Return the first and last year of the project's planned span (开工 to 完工); None where the register is silent."""
    start, finish = project.planned_start, project.planned_finish
    return (start.year if start else None, finish.year if finish else None)


def _runs_in(project: RegisteredProject, year: int) -> bool:
    """Tell whether the project's planned span covers a year; a register silent on 完工 cannot say it has ended."""
    first, last = _planned_years(project)
    return (first is None or first <= year) and (last is None or year <= last)
