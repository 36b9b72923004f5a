"""Warn of a row (a compound) listed figure for figure under two projects of one period: both are counted.

Two sub-districts may each have a compound of one name, so a name alone proves nothing (the synthetic inbox repeats
names across projects thousands of times). A row whose name and every figure (its summable columns: 改造面积, 惠及户数,
计划投资) are the same as another project's row is almost surely one compound listed twice; only the clerks can say
which project it belongs to, so both files are told and both stay counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

import duckdb

from pipeline.intake.unique_rows import rows_by_entry, sheets_of, unique_templates
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, row_value_problem
from pipeline.registry import Registry
from pipeline.registry_columns import SUMMABLE_TYPES
from pipeline.registry_templates import Template
from pipeline.slice_keys import slice_parts

# (year, month or "", the unique column's value, each figure as a number or None)
_Key = tuple[str, str, str, tuple[Decimal | None, ...]]


@dataclass(frozen=True, slots=True)
class _Row:
    """A row listing the compound: of this run (`file`) or of a file in force (`submission_id`)."""

    project_code: str
    project_name: str | None
    sheet: str
    excel_row: int
    unit: str
    original_name: str
    file: ParsedFile | None = None
    submission_id: int | None = None

    def where(self, told: ParsedFile) -> str:
        at = f"项目“{self.project_name}”，工作表“{self.sheet}”第{self.excel_row}行"
        if self.submission_id is not None:
            return f"{self.unit}报送的第{self.submission_id}号提交“{self.original_name}”（{at}）"
        if self.file is told:
            return f"本文件的{at}"
        return f"本次同时接收的{self.unit}报送的“{self.original_name}”（{at}）"


def _figure_columns(template: Template) -> list[str]:
    return [c.name for c in template.columns if c.type in SUMMABLE_TYPES]


def _number(value: object) -> Decimal | None:
    # Stored rows come back as DuckDB's types, parsed ones as the parser's: one number either way (1.20 is 1.2).
    if value.__class__ is Decimal:  # a parsed amount: its text would read back as itself
        return value.normalize()
    return None if value is None else Decimal(str(value)).normalize()


def _key(period: tuple[str, str, str, str], value: str, record: dict, figures: list[str]) -> _Key:
    return period[2], period[3], value, tuple(_number(record.get(f)) for f in figures)


def flag_other_projects(
    con: duckdb.DuckDBPyConnection | None, registry: Registry, files: list[ParsedFile]
) -> None:
    """Warn on each row another project's list of the same period holds figure for figure, in this run or in
    force; a file in force is told too, once this one is stored."""
    for template, unique in unique_templates(registry):
        figures = _figure_columns(template)
        sheets = sheets_of(files, template)
        if not figures or not sheets:
            continue
        rows: dict[_Key, list[_Row]] = defaultdict(list)
        mine: list[tuple[_Key, ParsedFile, ParsedSheet, dict]] = []
        for file, sheet in sheets:
            for (period, value), record in rows_by_entry(sheet, unique).items():
                key = _key(period, value, record, figures)
                rows[key].append(
                    _Row(period[1], record.get("project_name"), sheet.name, record["excel_row"], file.unit or "",
                         file.original_name, file=file)
                )  # fmt: skip
                mine.append((key, file, sheet, record))
        for key, row in _stored(con, template, unique, figures, sorted({k[2] for k, *_ in mine})):
            if key in rows:
                rows[key].append(row)
        for key, file, sheet, record in mine:
            code = str(record["project_code"])
            others = [r for r in rows[key] if r.project_code != code]
            if not others:
                continue
            header = sheet.header_of(unique)
            named = tuple(
                r.submission_id if r.submission_id is not None else ("run", id(r.file))
                for r in others
                if r.file is not file
            )
            file.problems.append(
                _warning(sheet, record, header, key[2], [r.where(file) for r in others], named)
            )
            for stored in (r for r in others if r.submission_id is not None):
                file.told_stored.append(
                    (stored.submission_id, partial(_told, stored, header, key[2], file, sheet, record))
                )


def _stored(
    con: duckdb.DuckDBPyConnection | None,
    template: Template,
    unique: str,
    figures: list[str],
    values: list[str],
) -> list[tuple[_Key, _Row]]:
    """Return the rows of files in force listing one of `values` in the unique column, keyed as this run's are."""
    if con is None or not values:
        return []
    found = []
    for key, value, submission, name, sheet, row, project, *numbers in con.execute(
        f"select r.slice_key, r.{unique}, r.submission_id, s.original_name, r.sheet, r.excel_row, r.project_name, "
        f"{', '.join(f'r.{f}' for f in figures)} "
        f"from raw.{template.id} as r join ops.current_slices as c using (slice_key, submission_id) "
        "join ops.submissions as s using (submission_id) "
        f"where r.{unique} in (select unnest(?::varchar[]))",
        [values],
    ).fetchall():
        _, unit, code, year, month = slice_parts(key)
        record = dict(zip(figures, numbers, strict=True))
        found.append(
            (
                _key((template.id, code, year, month), str(value), record, figures),
                _Row(code, project, sheet, row, unit, name, submission_id=submission),
            )
        )
    return found


_FIX = "如是不同的同名{header}，无需处理；如是同一个，请与对方核对，只由负责其改造的项目填报，另一方删去该行后重新报送"


def _warning(
    sheet: ParsedSheet, record: dict, header: str, value: str, beside: list[str], named: tuple[object, ...]
) -> Problem:
    said = f"{header}“{value}”及其各项数字与{'、'.join(beside)}完全相同"
    return _problem(sheet.name, record["excel_row"], header, value, said, named)


def _told(
    stored: _Row, header: str, value: str, file: ParsedFile, sheet: ParsedSheet, record: dict, number: int
) -> Problem:
    """Tell a list in force that a list of another project, stored as `number`, holds its row figure for figure."""
    said = (
        f"{header}“{value}”及其各项数字与随后接收的{file.unit}报送的第{number}号提交“{file.original_name}”（项目"
        f"“{record.get('project_name')}”，工作表“{sheet.name}”第{record['excel_row']}行）完全相同"
    )
    return _problem(stored.sheet, stored.excel_row, header, value, said, (number,))


def _problem(
    sheet: str, excel_row: int, header: str, value: str, said: str, named: tuple[object, ...]
) -> Problem:
    expected = f"{said}，却列在另一个项目下；如是同一个{header}，两个项目都计入会重复计算"
    fix = _FIX.format(header=header)
    return row_value_problem(
        "listed_in_other_project",
        Severity.WARNING,
        sheet=sheet,
        excel_row=excel_row,
        header=header,
        value=value,
        expected=expected,
        fix=fix,
        named=named,
    )
