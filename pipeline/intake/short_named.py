"""Take out of force what an unlisted unit sent under its short name, once the register names it in full too."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import duckdb

from pipeline.intake.periods import said_when
from pipeline.offices import Offices
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, row_value_problem
from pipeline.project_names import project_name_problem
from pipeline.projects import ProjectRegister
from pipeline.registered_units import RULE, registered_in_full, registered_units
from pipeline.registry import Registry
from pipeline.slice_keys import SheetSlices, project_year_records, slice_fields, slice_parts


def take_short_named(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    register: ProjectRegister,
    offices: Offices,
    sliced: SheetSlices,
) -> None:
    """Give a file of a unit registered both short and in full the slices of its projects and periods that files
    under the short name hold in force, and tell both files.

    Such a file is read as the full name (`registered_units.name_registered_unit`), but what was stored under the
    short name on earlier nights (before the register named the unit in full) stayed in force beside it, and the
    marts added the two up. Only the templates a project's implementing unit sends: the others have their own rule.
    """
    if con is None:
        return
    shorts = _short_names(register, offices)
    if not shorts:
        return
    templates = [t for t in registry.templates.values() if t.project.by_implementing_unit]
    wanted: dict[str, list[tuple[ParsedFile, ParsedSheet, dict]]] = defaultdict(list)
    # A monthly form's project and year under the short name (its key up to the month), with the files holding it.
    years: dict[str, list[tuple[ParsedFile, ParsedSheet, dict]]] = defaultdict(list)
    for file in files:
        if file.errors or file.unit not in shorts:
            continue
        for template in templates:
            sheets = [s for s in file.sheets if s.template.id == template.id]
            for sheet, record, key in project_year_records(template, sheets, sliced):
                _, _, rest = key.split("|", 2)
                for short in shorts[file.unit]:
                    taken = f"{template.id}|{short}|{rest}"
                    if not any(f is file for f, _, _ in wanted[taken]):
                        wanted[taken].append((file, sheet, record))
                    year = taken.rsplit("|", 1)[0] + "|"
                    if "month" in template.slice and not any(f is file for f, _, _ in years[year]):
                        years[year].append((file, sheet, record))
    if not wanted:
        return
    _tell_other_months(con, years, wanted)
    for key, holder, own, name, sheet, row, project in _held(con, list(wanted)):
        for file, file_sheet, record in wanted[key]:
            file.taken_slices[key] = slice_fields(key, project)
            if not own:
                continue  # an earlier file of the unit took it: this one keeps it out of force in that one's place
            file.problems.append(_took(file, file_sheet, record, key, holder, name))
            told = (holder, partial(_taken, file_sheet, record, key, file, sheet, row))
            file.told_stored.append(told)
            file.taken_told.setdefault(key, []).extend([file.problems[-1], told])


def _tell_other_months(
    con: duckdb.DuckDBPyConnection,
    years: dict[str, list[tuple[ParsedFile, ParsedSheet, dict]]],
    wanted: dict[str, list[tuple[ParsedFile, ParsedSheet, dict]]],
) -> None:
    """Warn a monthly form of the unit of the months of its project and year the short name holds that it does not:
    they stay counted, and the marts carry the short name's last month forward beside the unit's later ones."""
    if not years:
        return
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, number in con.execute(
        "select c.slice_key, c.submission_id from ops.current_slices as c join ops.submissions as s "
        "using (submission_id) where s.unit = split_part(c.slice_key, '|', 2) "
        "and regexp_replace(c.slice_key, '[^|]*$', '') in (select unnest(?::varchar[]))",
        [sorted(years)],
    ).fetchall():
        found[key.rsplit("|", 1)[0] + "|"].append((key, number))
    for year, held in found.items():
        for file, sheet, record in years[year]:
            others = [(k, n) for k, n in held if not any(f is file for f, _, _ in wanted.get(k, ()))]
            if others:
                months = sorted({int(slice_parts(k)[4]) for k, _ in others})
                numbers = sorted({n for _, n in others})
                file.problems.append(_other_months(file, sheet, record, others[0][0], months, numbers))


def _other_months(
    file: ParsedFile, sheet: ParsedSheet, record: dict, key: str, months: list[int], numbers: list[int]
) -> Problem:
    """Tell a monthly form of the unit which months of its project and year still count under the short name."""
    _, short, _, year, _ = slice_parts(key)
    held, said = "、".join(f"{m}月" for m in months), "、".join(f"第{n}号" for n in numbers)
    expected = (
        f"项目“{record.get('project_name')}”{year}年度{held}的{sheet.template.name_zh}仍以“{short}”报送的数据计入"
        f"（{said}提交）；{_both_names(short, file.unit)}，"
        "但本表没有这些月份，两个名称的数据分别计入、合计发布，可能重复计算"
    )
    fix = (
        f"如是同一单位，请以“{file.unit}”重新报送这些月份（可连同本表各月一并报送），即替代“{short}”的原表；"
        f"如“{short}”和“{file.unit}”是两个单位，请区财政局在单位名录中分别登记"
    )
    return project_name_problem(
        Severity.WARNING, RULE, sheet, record, f"{expected}。{fix}。", expected=expected, fix=fix
    )


def _short_names(register: ProjectRegister, offices: Offices) -> dict[str, list[str]]:
    """Return each unlisted unit registered in full, with the short names also registered for it alone."""
    units = registered_units(register, offices)
    shorts: dict[str, list[str]] = defaultdict(list)
    for short, full in registered_in_full(register, offices).items():
        if len(full) == 1:  # written in full of several, its files are refused, and what it holds is no one's
            shorts[full[0]].append(units[short])
    return shorts


def _held(
    con: duckdb.DuckDBPyConnection, keys: list[str]
) -> list[tuple[str, int, bool, str, str | None, int | None, str | None]]:
    """Return the holder of each of these slices in force: its submission, whether the slice is its office's own
    (not one it took), its file's name, and the sheet, Excel row and project name of its first row there."""
    found = con.execute(
        "select c.slice_key, c.submission_id, s.unit = split_part(c.slice_key, '|', 2), s.original_name, "
        "l.template, l.project_name "
        "from ops.current_slices as c join ops.submissions as s using (submission_id) "
        "join ops.slices as l using (submission_id, slice_key) "
        "where c.slice_key in (select unnest(?::varchar[]))",
        [sorted(keys)],
    ).fetchall()
    rows: dict[tuple[str, int], tuple[str, int]] = {}
    for template in sorted({t for _, _, own, _, t, _ in found if own}):
        held = [k for k, _, own, _, t, _ in found if own and t == template]
        for key, number, sheet, row in con.execute(
            f"select slice_key, submission_id, arg_min(sheet, excel_row), min(excel_row) from raw.{template} "
            "where slice_key in (select unnest(?::varchar[])) group by all",
            [held],
        ).fetchall():
            rows[(key, number)] = (sheet, row)
    # A slice an office holds as its own has rows there (`file_rows._add_data`); one taken has none, nor is told.
    return [
        (key, number, (key, number) in rows, name, *rows.get((key, number), (None, None)), project)
        for key, number, _, name, _, project in found
    ]


def _both_names(short: str, unit: str) -> str:
    """Say why a file under one name stands for the other's: the register names the unit both ways."""
    return f"项目基本信息表登记的实施单位“{short}”和“{unit}”两种写法都有，按同一单位读取"


def _fix_if_two(short: str, unit: str) -> str:
    """Tell what to do about a slice taken from the short name's file if the two names are two offices."""
    return f"如“{short}”和“{unit}”是两个单位，请区财政局在单位名录中分别登记后重新报送本表；如是同一单位，无需处理"


def _what(sheet: ParsedSheet, record: dict, key: str) -> str:
    """Word the project, period and form of a slice: 项目“甲”2023年度的资金台账."""
    template, _, code, year, month = slice_parts(key)
    return f"项目“{record.get('project_name')}”{said_when(year, month)}的{sheet.template.name_zh}"


def _took(file: ParsedFile, sheet: ParsedSheet, record: dict, key: str, holder: int, name: str) -> Problem:
    """Tell a file of the unit that it replaces what the unit sent under its short name."""
    short, unit = slice_parts(key)[1], file.unit
    expected = (
        f"{_what(sheet, record, key)}此前以“{short}”报送（第{holder}号提交“{name}”）；{_both_names(short, unit)}，"
        "该份数据由本表替代，不再计入"
    )
    fix = _fix_if_two(short, unit)
    return project_name_problem(
        Severity.WARNING, RULE, sheet, record, f"{expected}。{fix}。", expected=expected, fix=fix
    )


def _taken(
    sheet: ParsedSheet,
    record: dict,
    key: str,
    file: ParsedFile,
    held_sheet: str,
    held_row: int,
    number: int,
) -> Problem:
    """Tell the file under the short name that the unit's file, stored as `number`, replaced it for the slice."""
    short = slice_parts(key)[1]
    expected = (
        f"{_what(sheet, record, key)}现以{file.unit}随后报送的第{number}号提交“{file.original_name}”为准，"
        f"本表中该项目该期间的数据不再计入（{_both_names(short, file.unit)}）"
    )
    fix = _fix_if_two(short, file.unit)
    return row_value_problem(
        RULE,
        Severity.WARNING,
        sheet=held_sheet,
        excel_row=held_row,
        header="项目名称",
        value=record.get("project_name"),
        expected=expected,
        fix=fix,
        # Out of force with no file of the unit holding the slice after it, this file's rows count again: the
        # warning no longer applies (`stored_before._name_keepers` names a later file keeping it).
        named=(number,),
    )
