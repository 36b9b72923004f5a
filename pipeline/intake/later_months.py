"""Flag a monthly file that stops before a month an earlier file of the same office still holds in force."""

from __future__ import annotations

from collections import defaultdict

import duckdb

from pipeline.parse import ParsedFile
from pipeline.problems import Severity
from pipeline.projects import project_name_problem, slice_parts
from pipeline.registry import Registry

# A month's slice without its month: (template, office, project code, year).
_Period = tuple[str, str, str, str]


# Who holds a month: (the submission id, or the parsed file's id in this run; the file's name).
_Holder = tuple[object, str]


def _held(con: duckdb.DuckDBPyConnection | None, templates: list[str]) -> dict[_Period, dict[int, _Holder]]:
    """Return, per period of these templates, each month in force and the file holding it."""
    held: dict[_Period, dict[int, _Holder]] = defaultdict(dict)
    if con is None or not templates:
        return held
    for key, submission, name in con.execute(
        "select c.slice_key, s.submission_id, s.original_name from ops.current_slices as c "
        "join ops.submissions as s using (submission_id) "
        "where split_part(c.slice_key, '|', 1) in (select unnest(?::varchar[]))",
        [templates],
    ).fetchall():
        template, unit, code, year, month = slice_parts(key)
        if month.isdigit():
            held[(template, unit, code, year)][int(month)] = (submission, name)
    return held


def flag_later_months(
    con: duckdb.DuckDBPyConnection | None, registry: Registry, files: list[ParsedFile]
) -> None:
    """Warn on a file correcting an earlier file of its office (replacing some of its months) that stops before a
    later month of it, in force or earlier in this run (`files` are in the order received, validated: a file
    returned lends no month).

    Each month is a slice of its own (submissions.md), so a corrected file replaces only the months it has: a month
    mistyped in the earlier file (June written 7) stays in force, and the report reads it as the latest month. The
    receipt of the correction says so, as only the clerk knows whether that month is real. A file of earlier months
    only (January and February sent after March) corrects nothing, and is not told.
    """
    templates = [t.id for t in registry.templates.values() if "month" in t.slice]
    held = _held(con, templates)
    for file in files:
        if file.errors or file.unit is None:
            continue
        for sheet in file.sheets:
            if sheet.template.id not in templates:
                continue
            last: dict[_Period, tuple[int, dict]] = {}
            months: dict[_Period, set[int]] = defaultdict(set)
            for record in sheet.records:
                code, year, month = record.get("project_code"), record.get("year"), record.get("month")
                if code is None or year is None or not isinstance(month, int):
                    continue
                period = (sheet.template.id, file.unit, str(code), str(year))
                months[period].add(month)
                if period not in last or month > last[period][0]:
                    last[period] = (month, record)
            for period, (month, record) in last.items():
                corrected = {holder for m, holder in held[period].items() if m in months[period]}
                later = {
                    m: holder[1]
                    for m, holder in held[period].items()
                    if m > month and m not in months[period] and holder in corrected
                }
                if later:
                    file.problems.append(_later(sheet, record, month, later))
            for period, written in months.items():  # in force for the files after it in this run
                held[period].update(dict.fromkeys(written, (id(file), file.original_name)))


def _later(sheet, record: dict, month: int, later: dict[int, str]):
    months = "、".join(f"{m}月" for m in sorted(later))
    names = "、".join(f"《{name}》" for name in dict.fromkeys(later[m] for m in sorted(later)))
    expected = (
        f"项目“{record.get('project_name')}”{record.get('year')}年度本表报至{month}月，但此前报送的{names}中"
        f"{months}的数据仍然有效，报告将以{max(later)}月为最新月份"
    )
    fix = f"如{months}的数据有误，请联系财政局撤回原文件；如确有该月数据，请在本表中一并填报"
    return project_name_problem(
        Severity.WARNING,
        "later_month_in_force",
        sheet,
        record,
        f"{expected}，{fix}。",
        expected=expected,
        fix=fix,
    )
