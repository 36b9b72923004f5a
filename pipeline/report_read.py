"""Read a year's report from the warehouse: its figures with their lineage, narratives, source files and fingerprint."""

# Numbers come only from mart.report_figures, printed as the marts wrote them, with their lineage; paragraphs come
# only from staging.report_narrative, the text the units send. A section with nothing supplied says so, so
# nothing is ever invented. The wording and layout are templates (templates/report/, filled by
# pipeline/report_html_fill.py and pipeline/report_docx_fill.py) given the figures by key (pipeline/report_context.py);
# pipeline/report_render.py, report_docx.py and report_xlsx.py write HTML, Word and Excel.

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from pipeline.registry import Registry
from pipeline.relations import has_relation
from pipeline.report_model import (
    Figure,
    Narrative,
    Project,
    Report,
    ReportConfig,
    ReportError,
    Source,
    SourceFile,
)
from pipeline.settings import TIMEZONE

# Each figure names its lineage by hash; LINEAGES_SQL gives each distinct lineage once (45,000 for 89,000 figures in
# a year of 400 projects), as JSON text: DuckDB turns a list of structs into Python objects slowly. Each source is
# `[submission, sheet, rows]`, its file's name, SHA-256 and office read once per file (LINEAGE_FILES_SQL) instead of
# once per source: a fifth of the text (3.6 MB against 16.4 MB at 400 projects), and arrays, which decode faster
# than objects. Values come as text, made Decimal here: the same Decimal, cheaper than DuckDB's own conversion.
FIGURES_SQL = """
select project_code, project_name, figure_key, detail, position, value::varchar, unit, decimals, display_text,
    hash(lineage)
from mart.report_figures
where year = ?
order by project_code nulls first, project_name nulls first, position, figure_key, detail
"""
LINEAGES_SQL = """
select
    hash(lineage),
    '[' || array_to_string(
        list_transform(
            lineage,
            lambda cell: '[' || coalesce(cell.submission_id::varchar, 'null') || ','
                || coalesce(to_json(cell.sheet)::varchar, 'null') || ','
                || coalesce(to_json(cell.excel_rows)::varchar, 'null') || ']'
        ),
        ','
    ) || ']'
from (select distinct lineage from mart.report_figures where year = ?)
"""
LINEAGE_FILES_SQL = """
select submission_id, original_name, sha256, unit
from ops.submissions
where submission_id in (
    select distinct unnest(list_transform(lineage, lambda cell: cell.submission_id))
    from mart.report_figures
    where year = ?
)
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
# The 年度总体目标 of a national 自评表, for the sections whose narrative the unit did not supply, each cited to the row
# its text was read from (a form stored before ops.sheet_fields existed, to its first indicator row).
GOALS_SQL = """
select t.project_code, t.goal_expected, t.goal_achieved, t.submission_id, s.original_name, s.sha256, s.unit,
    t.sheet, coalesce(any_value(expected.excel_row), min(t.excel_row)),
    coalesce(any_value(achieved.excel_row), min(t.excel_row))
from staging.performance_targets as t
join ops.submissions as s using (submission_id)
left join ops.sheet_fields as expected
    on expected.submission_id = t.submission_id and expected.sheet = t.sheet
    and expected.field_name = 'goal_expected'
left join ops.sheet_fields as achieved
    on achieved.submission_id = t.submission_id and achieved.sheet = t.sheet
    and achieved.field_name = 'goal_achieved'
where t.year = ? and (t.goal_expected is not null or t.goal_achieved is not null)
group by all
order by t.project_code, t.submission_id, t.sheet
"""
# The 偏差原因分析及改进措施 the 自评表 gives for each indicator scored below its 分值, for a project whose unit sent no
# 未完成情况及原因 narrative: the unit's own words, cited to the indicator's row.
DEVIATIONS_SQL = """
select e.project_code, e.level3, e.deviation_note, s.submission_id, s.original_name, s.sha256, s.unit,
    e.target_lineage[1].sheet, e.target_lineage[1].excel_row
from mart.self_evaluation as e
join ops.submissions as s on s.submission_id = e.target_lineage[1].submission_id
where e.year = ? and e.position > 0 and e.score < e.weight and nullif(trim(e.deviation_note), '') is not null
order by e.project_code, e.position
"""
DEVIATION_SECTION = "未完成情况及原因"
# Which 年度总体目标 cell stands in for which narrative section, and how it is introduced.
GOAL_SECTIONS = (("绩效目标", "年度总体目标："), ("完成情况", "年度总体目标实际完成情况："))
# Forms returned for a project and year, with who sent them (the office whose receipt says what to do): matched by
# code, else (a name no register resolved) by name.
RETURNED_SQL = """
select distinct r.project_code, r.project_name, r.template, s.unit
from ops.returned_slices as r
join ops.submissions as s using (submission_id)
where r.year = ? and s.status = 'rejected'
order by all
"""
# Forms of a project and year sent, accepted and then withdrawn (`pipeline withdraw`), by the code of their slice.
WITHDRAWN_SQL = """
select distinct nullif(split_part(l.slice_key, '|', 3), ''), l.project_name, l.template, s.unit
from ops.slices as l
join ops.submissions as s using (submission_id)
where l.year = ? and s.status = 'withdrawn'
order by all
"""
# Each project's 项目类型 and 实施单位 as registered: a 老旧小区改造 project owes a compound list (submissions.md), and
# a form returned to another office is not the 实施单位's to correct.
PROJECT_TYPES_SQL = """
select project_code, project_type, implementing_unit
from mart.project_year
where year = ?
order by all
"""
BANDS_SQL = "select light, up_to_points::varchar from config.light_bands where year = ? order by severity"
FILES_SQL = """
select submission_id, original_name, unit, sha256, received_at
from ops.submissions
where submission_id in (select unnest(?::integer[]))
order by submission_id
"""


def read_bands(con: duckdb.DuckDBPyConnection, year: int) -> tuple[tuple[str, Decimal | None], ...]:
    """Read the year's light bands as the marts applied them: (light, up to points), mildest first."""
    if not has_relation(con, "config", "light_bands"):
        return ()
    return tuple(
        (light, None if bound is None else Decimal(bound))
        for light, bound in con.execute(BANDS_SQL, [year]).fetchall()
    )


def _read_lineages(con: duckdb.DuckDBPyConnection, year: int) -> dict[int, tuple[Source, ...]]:
    """Return each distinct lineage of the year's figures by its hash, as one tuple of sources its figures share."""
    # Shared, the renderers format each tuple once; and a file's sheet and rows named by many lineages are one Source.
    files = {
        sid: (name, sha, unit) for sid, name, sha, unit in con.execute(LINEAGE_FILES_SQL, [year]).fetchall()
    }
    unknown = (None, None, None)  # as the mart's left join left a file it no longer finds
    lineages: dict[int, tuple[Source, ...]] = {}
    sources: dict[tuple, Source] = {}
    for lineage_id, text in con.execute(LINEAGES_SQL, [year]).fetchall():
        listed = []
        for sid, sheet, rows in (json.loads(text) if text is not None else None) or ():  # NULL names no rows
            key = (sid, sheet, *rows) if rows else (sid, sheet)
            source = sources.get(key)
            if source is None:
                source = sources[key] = Source(sid, *files.get(sid, unknown), sheet, tuple(rows or ()))
            listed.append(source)
        # Two lineages with one hash cannot be told apart, unless they name the same rows (NULL and [] do).
        if lineages.setdefault(lineage_id, tuple(listed)) != tuple(listed):
            raise ReportError(
                "mart.report_figures 中两组不同来源的哈希值相同，无法区分数字的来源，报告未生成；请将此信息告知维护人员。"
            )
    return lineages


def read_projects(con: duckdb.DuckDBPyConnection, year: int) -> list[Project]:
    """Read the year's figures, scale-and-cost structure and narratives, district first, then by project."""
    if not has_relation(con, "mart", "report_figures"):
        raise ReportError("仓库中还没有报告数字（mart.report_figures），请先运行 pipeline run 计算指标。")
    # By code: two offices' projects of one name are two projects; the district's own figures have none.
    projects: dict[str | None, Project] = {}
    lineages = _read_lineages(con, year)
    project = None
    for code, name, key, detail, position, value, unit, decimals, text, lineage in con.execute(
        FIGURES_SQL, [year]
    ).fetchall():
        if project is None or project.code != code:
            project = projects.get(code)
            if project is None:
                project = projects[code] = Project(code, name)
        number = None if value is None else Decimal(value)
        project.figures.append(
            Figure(key, detail, position, number, unit, decimals, text or "", lineages[lineage])
        )
    if not projects:
        raise ReportError(
            f"仓库中没有{year}年度的报告数字，请确认该年度已有已接收的报表，并先运行 pipeline run。"
        )
    if has_relation(con, "mart", "scale_and_cost"):
        for code, position, category, parent in con.execute(STRUCTURE_SQL, [year]).fetchall():
            if code in projects:
                # report_figures places scale_and_cost rows at 100 + their position in the mart.
                projects[code].structure[100 + position] = (category, parent)
    if has_relation(con, "staging", "report_narrative"):
        for code, section, content, *source in con.execute(NARRATIVE_SQL, [year]).fetchall():
            if code in projects:
                sid, original, sha, unit, sheet, row = source
                narrative = Narrative(section, content, Source(sid, original, sha, unit, sheet, (row,)))
                projects[code].narratives.setdefault(section, []).append(narrative)
    if has_relation(con, "staging", "performance_targets"):
        _read_goals(con, year, projects)
    if has_relation(con, "mart", "self_evaluation"):
        _read_deviations(con, year, projects)
    if has_relation(con, "ops", "returned_slices"):
        _read_returned(con, year, projects)
    if has_relation(con, "mart", "project_year"):
        for code, project_type, unit in con.execute(PROJECT_TYPES_SQL, [year]).fetchall():
            if code in projects:
                projects[code].project_type, projects[code].unit = project_type, unit
    return list(projects.values())


def _read_returned(con: duckdb.DuckDBPyConnection, year: int, projects: dict[str | None, Project]) -> None:
    """Note on each project the forms sent for it this year that were returned, or accepted and then withdrawn."""
    by_name = {p.name: p for p in projects.values() if p.name is not None}
    # A withdrawn form was told （未报送…）, as if the office had never sent it.
    for sql, forms in ((RETURNED_SQL, "returned"), (WITHDRAWN_SQL, "withdrawn")):
        for code, name, template, sender in con.execute(sql, [year]).fetchall():
            project = projects.get(code) if code is not None else by_name.get(name)
            if project is not None and project.name is not None:
                getattr(project, forms).setdefault(template, set()).add(sender)


def _read_goals(con: duckdb.DuckDBPyConnection, year: int, projects: dict[str | None, Project]) -> None:
    """Give a project without a 绩效目标 or 完成情况 narrative its 自评表's 年度总体目标 text instead."""
    supplied = {code: set(p.narratives) for code, p in projects.items()}
    for code, expected, achieved, sid, original, sha, unit, sheet, *rows in con.execute(
        GOALS_SQL, [year]
    ).fetchall():
        if code not in projects:
            continue
        for (section, label), text, row in zip(GOAL_SECTIONS, (expected, achieved), rows, strict=True):
            if text and section not in supplied[code]:
                source = Source(sid, original, sha, unit, sheet, (row,))
                projects[code].narratives.setdefault(section, []).append(
                    Narrative(section, label + text, source)
                )


def _read_deviations(con: duckdb.DuckDBPyConnection, year: int, projects: dict[str | None, Project]) -> None:
    """Give a project without a 未完成情况及原因 narrative the reasons its 自评表 gives for the points it lost."""
    supplied = {code for code, p in projects.items() if DEVIATION_SECTION in p.narratives}
    # One reason written for several indicators (a cell merged down their rows, each row holding its text) is said
    # once, after their names, citing every row: by project, file, sheet and text, in the order first given.
    said: dict[tuple, tuple[list[str], list[int]]] = {}
    for code, indicator, note, sid, original, sha, unit, sheet, row in con.execute(
        DEVIATIONS_SQL, [year]
    ).fetchall():
        if code in projects and code not in supplied:
            indicators, rows = said.setdefault(
                (code, note.strip(), sid, original, sha, unit, sheet), ([], [])
            )
            indicators.append(indicator)
            rows.append(row)
    for (code, note, *source), (indicators, rows) in said.items():
        text = f"{'、'.join(dict.fromkeys(indicators))}：{note}"
        narrative = Narrative(DEVIATION_SECTION, text, Source(*source, tuple(sorted(set(rows)))))
        projects[code].narratives.setdefault(DEVIATION_SECTION, []).append(narrative)


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
    templates: Path | None = None,
) -> Report:
    """Read the warehouse and gather what the templates and the workbook print."""
    from pipeline.report_context import build_context
    from pipeline.report_notes import worded_families
    from pipeline.report_tables import workbook_tables
    from pipeline.report_templates import template_folders
    from pipeline.report_view import load_figure_keys

    read = read_year(con, year, config)
    forms = {t.id: t.name_zh for t in registry.templates.values()}
    owed = {t.id: t.project.register_project_type for t in registry.templates.values()}
    context = build_context(
        year, read.title, read.issuer, config.red_head, read.stamp, read.projects, read.files, forms,
        load_figure_keys(), read.bands, owed, worded_families(template_folders(templates)),
    )  # fmt: skip
    tables = workbook_tables(context)
    return Report(year, read.title, read.issuer, read.stamp, context, tables, read.files, templates)


# What a year's report reads from the warehouse, each query with the table it needs. The files of the appendix
# are those the figures' lineage and the narratives name, so they are covered too.
REPORT_READS = (
    ("mart", "report_figures", FIGURES_SQL),
    ("mart", "scale_and_cost", STRUCTURE_SQL),
    ("staging", "report_narrative", NARRATIVE_SQL),
    ("staging", "performance_targets", GOALS_SQL),
    ("mart", "self_evaluation", DEVIATIONS_SQL),
    ("config", "light_bands", BANDS_SQL),
    ("ops", "returned_slices", RETURNED_SQL),
    ("mart", "project_year", PROJECT_TYPES_SQL),
)


# A read's closing ORDER BY (none of the reads sorts inside parentheses), and what makes the order choose the rows.
_ORDER = re.compile(r"\border by\b[^()]*$", re.IGNORECASE)
_CUT = re.compile(r"\b(limit|offset|fetch)\b", re.IGNORECASE)


def unordered(sql: str) -> str:
    """Return a read without its closing ORDER BY: the same rows, in any order (a read cut to its first rows keeps it)."""
    read = sql.rstrip()
    match = _ORDER.search(read)
    return read if match is None or _CUT.search(match.group()) else read[: match.start()]


def data_fingerprint(con: duckdb.DuckDBPyConnection, year: int) -> str:
    """Return a digest of everything the year's report reads from the warehouse: it changes when that does."""
    digest = hashlib.sha256()
    for schema, table, sql in REPORT_READS:
        # Summed row hashes, in the database: the report's own reads again, but no rows brought into Python (which
        # cost half a second at 88,000 figures). A sum does not depend on the rows' order, so they are not sorted:
        # sorting the year's 89,000 figures took half the fingerprint's time.
        if has_relation(con, schema, table):
            count, total = con.execute(
                f"select count(*), coalesce(sum(hash(read)::hugeint), 0)::varchar from ({unordered(sql)}) as read",
                [year],
            ).fetchone()
            digest.update(f"{count}:{total}".encode())
        digest.update(b"\0")
    return digest.hexdigest()
