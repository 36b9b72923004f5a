"""Flag a file whose slices replace an earlier file's and leave the published figures likely wrong: projects the
earlier file holds that the new one does not list stay in force; earlier dates, or a whole list, drop out."""

from __future__ import annotations

from collections import defaultdict

import duckdb

from pipeline.intake.replaced_rows import Columns, Holder, Slice, amounts, dropped_rows
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity
from pipeline.registry import Registry
from pipeline.registry_templates import Template
from pipeline.slice_keys import SheetSlices, project_year_records, slice_parts

# The slice fields a file's projects are told apart by: a slice without them is no project's of an office's year.
_SLICED = {"unit", "project", "year"}


# Projects left in force: (the new file, its first sheet of the template, the template and its columns, the earlier
# file, the year, the slices that file keeps).
_Left = tuple[ParsedFile, ParsedSheet, Template, Columns, Holder, str, dict[str, Slice]]


def flag_replaced(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    stored_in_run: set[int] = frozenset(),
    sliced: SheetSlices | None = None,
) -> None:
    """Warn on a file whose slices replace an earlier file's (in force, or earlier in this run) where that leaves
    the figures likely wrong; `files` are in the order they are stored, validated: a file returned replaces nothing.
    A file of this run stored in an earlier chunk (`stored_in_run`) is named as one of this run, unnumbered: a run
    cut into chunks words its receipts as a run in one piece does.

    The replacement stays as submissions.md says: a slice is replaced whole, and one not sent again stays. Only the
    clerk knows whether a project left out of a resent file (its row moved to another project), a ledger's earlier
    months missing from one meant to hold the whole year so far, or a list sharing no row with the list it replaces
    (a 补充清单) is meant, so the new file's receipt says what stays in force or drops out, and what to do.
    """
    sheets: dict[str, dict[int, tuple[ParsedFile, list[ParsedSheet]]]] = defaultdict(dict)
    for file in files:
        if file.errors or file.unit is None:
            continue
        for sheet in file.sheets:
            if set(sheet.template.slice) >= _SLICED:
                sheets[sheet.template.id].setdefault(id(file), (file, []))[1].append(sheet)
    left: list[_Left] = []
    final: dict[str, Holder] = {}  # each slice's holder once the run is stored
    # The files of this run holding each slice, after the one they replaced: withdrawing one gives it back.
    chains: dict[str, list[Holder]] = {}
    for template_id, by_file in sheets.items():
        template = registry.templates[template_id]
        columns = Columns.of(template, registry)
        sent = [_slices(template, file, its, sliced) for file, its in by_file.values()]
        periods = sorted({period for slices in sent for period in slices})
        held = _stored(con, template, columns, periods, stored_in_run)
        for (file, its), slices in zip(by_file.values(), sent, strict=True):
            left.extend(_replace(file, its[0], template, columns, slices, held, chains))
        final.update({key: s.holder for period in held.values() for key, s in period.items()})
    left = [(*entry, kept) for *entry, slices in left if (kept := _still(slices, final))]
    if not left:
        return
    stored = _earlier_holders(con, sorted({key for *_, kept in left for key in kept}), stored_in_run)
    plans = [_withdrawals(holder, kept, stored, chains) for *_, holder, _, kept in left]
    in_force = _stored_slices(con, sorted({h.number for plan in plans for h in plan if h.number is not None}))
    for key, holder in final.items():
        if holder.number is None:
            in_force[holder.key].add(key)
    for (file, sheet, template, columns, _, year, kept), plan in zip(left, plans, strict=True):
        # What else withdrawing them would take out: their other slices in force once the run is stored.
        others = {
            key for h in plan for key in in_force.get(h.key, ()) if final.get(key, h) == h
        } - kept.keys()
        file.problems.append(_left_in_force(sheet, template, columns, plan, year, kept, len(others)))


def _still(slices: dict[str, Slice], final: dict[str, Holder]) -> dict[str, Slice]:
    """Return the slices left in force that stay so once the run is stored: a later file may replace them too."""
    return {key: held for key, held in slices.items() if final[key] == held.holder}


def _withdrawals(
    holder: Holder,
    kept: dict[str, Slice],
    stored: dict[str, list[Holder]],
    chains: dict[str, list[Holder]],
) -> list[Holder]:
    """Return the files to withdraw for slices kept in force to drop out: their holder, then every earlier file
    still holding them, as withdrawing a file gives its slices back to the file before it."""
    plan = [holder]
    for key in kept:
        chain = chains.get(key, [])
        before = chain[: chain.index(holder)] if holder in chain else []
        older = [h for h in stored.get(key, ()) if holder.number is None or h.number < holder.number]
        plan.extend(h for h in [*reversed(before), *reversed(older)] if h not in plan)
    return plan


# Slices by the office and year they are of (`unit|year`): a file's projects are judged within each.
_ByPeriod = dict[str, dict[str, Slice]]


def _period(key: str) -> str:
    _, unit, _, year, _ = slice_parts(key)
    return f"{unit}|{year}"


def _slices(
    template: Template, file: ParsedFile, sheets: list[ParsedSheet], sliced: SheetSlices | None = None
) -> _ByPeriod:
    """Return the slices a file's sheets of one template hold, each with its records (keyed once in `sliced`)."""
    holder = Holder(("run", id(file)), file.original_name, None)
    slices: _ByPeriod = defaultdict(dict)
    found: dict[str, Slice] = {}  # by key: rows of a sheet share a few slices
    for sheet, record, key in project_year_records(template, sheets, sliced):
        held = found.get(key)
        if held is None:
            held = found[key] = slices[_period(key)].setdefault(
                key, Slice(holder, record.get("project_name"))
            )
        held.records.append((sheet, record))
    return slices


def _stored(
    con: duckdb.DuckDBPyConnection | None,
    template: Template,
    columns: Columns,
    periods: list[str],
    stored_in_run: set[int],
) -> _ByPeriod:
    """Return the slices of a template in force for these offices' years (`unit|year`), with their rows."""
    held: _ByPeriod = defaultdict(dict)
    if con is None or not periods:
        return held
    read = ", ".join(f'r."{name}"' if name else "null" for name in columns.names)
    for key, submission, name, project, *values in con.execute(
        "with held as (select c.slice_key, c.submission_id, s.project_name from ops.current_slices as c "
        "join ops.slices as s using (slice_key, submission_id) "
        "where s.template = ? and concat(s.unit, '|', s.year) in (select unnest(?::varchar[]))) "
        f"select r.slice_key, r.submission_id, o.original_name, h.project_name, {read} from raw.{template.id} as r "
        "join held as h on r.slice_key = h.slice_key and r.submission_id = h.submission_id "
        "join ops.submissions as o on o.submission_id = r.submission_id "
        "order by r.submission_id, r.sheet, r.excel_row",
        [template.id, periods],
    ).fetchall():
        period = held[_period(key)]
        if key not in period:
            period[key] = Slice(Holder.stored(submission, name, stored_in_run), project)
        period[key].rows.append(columns.row(values))
    return held


def _earlier_holders(
    con: duckdb.DuckDBPyConnection | None, keys: list[str], stored_in_run: set[int]
) -> dict[str, list[Holder]]:
    """Return the stored files holding each of these slices, in force or superseded, oldest first."""
    holders: dict[str, list[Holder]] = defaultdict(list)
    if con is None or not keys:
        return holders
    for key, submission, name in con.execute(
        "select s.slice_key, s.submission_id, o.original_name from ops.slices as s "
        "join ops.submissions as o on o.submission_id = s.submission_id "
        "where s.slice_key in (select unnest(?::varchar[])) and o.status in ('accepted', 'superseded') "
        "order by s.submission_id",
        [keys],
    ).fetchall():
        holders[key].append(Holder.stored(submission, name, stored_in_run))
    return holders


def _stored_slices(con: duckdb.DuckDBPyConnection | None, submissions: list[int]) -> dict[object, set[str]]:
    """Return the slices each of these submissions holds in force, of every template."""
    slices: dict[object, set[str]] = defaultdict(set)
    if con is None or not submissions:
        return slices
    for submission, key in con.execute(
        "select submission_id, slice_key from ops.current_slices where submission_id in (select unnest(?::integer[]))",
        [submissions],
    ).fetchall():
        slices[submission].add(key)
    return slices


def _replace(
    file: ParsedFile,
    sheet: ParsedSheet,
    template: Template,
    columns: Columns,
    slices: _ByPeriod,
    held: _ByPeriod,
    chains: dict[str, list[Holder]],
) -> list[_Left]:
    """Put a file's slices in place of those `held`; flag the rows they drop and return the projects they leave.
    `chains` gets each slice's holders in this run, after the one it replaced."""
    left: list[_Left] = []
    for period, mine in slices.items():
        in_force = held[period]
        replaced: dict[object, Holder] = {}
        for key, new in mine.items():
            old = in_force.get(key)
            chains.setdefault(key, [] if old is None else [old.holder]).append(new.holder)
            if old is None or old.holder.key == new.holder.key:
                continue
            replaced[old.holder.key] = old.holder
            file.problems.extend(dropped_rows(template, columns, key, new, old))
        if "month" in template.slice:
            # A month's file corrects its months: a 月报 of two projects corrected for one month of one project is
            # the ordinary way, and the other project's months rightly stay (a ledger is sent whole instead).
            in_force.update(mine)
            continue
        listed = {slice_parts(key)[2] for key in mine}
        for holder in replaced.values():
            kept = {
                key: other
                for key, other in in_force.items()
                if other.holder == holder and slice_parts(key)[2] not in listed
            }
            if kept:
                left.append((file, sheet, template, columns, holder, period.rsplit("|", 1)[1], kept))
        in_force.update(mine)
    return left


# The projects a warning names, at most; a newer register of one project beside a register of fifty.
_NAMED = 10


def _left_in_force(
    sheet: ParsedSheet,
    template: Template,
    columns: Columns,
    plan: list[Holder],
    year: str,
    kept: dict[str, Slice],
    others: int,
) -> Problem:
    projects: dict[str, list[str]] = defaultdict(list)  # by code: a project's months are told together
    for key in sorted(kept):
        projects[slice_parts(key)[2]].append(key)
    said = []
    for keys in list(projects.values())[:_NAMED]:
        months = sorted(int(slice_parts(key)[4]) for key in keys if slice_parts(key)[4])
        rows = [row for key in keys for row in kept[key].read(columns)]
        said.append(f"项目“{kept[keys[0]].project}”{_months(months)}的{amounts(columns, rows)}")
    more = f"等{len(projects)}个项目" if len(projects) > _NAMED else ""
    expected = (
        f"本表替代了{plan[0].said()}中{year}年度{template.name_zh}的部分项目，但该文件中本表未列出的"
        f"{'、'.join(said)}{more}仍然有效，与本表一并计入报告"
    )
    # A file of this run has no number yet: its receipt shows it (提交编号).
    named = "、".join(
        f"第{h.number}号提交" if h.number is not None else f"《{h.name}》（提交编号见其回执）" for h in plan
    )
    commands = "、".join(f"pipeline withdraw {h.number}" for h in plan if h.number is not None)
    notes = [f"命令 {commands}"] if commands else []
    if len(plan) > 1:
        notes.append(f"{'、'.join(h.said() for h in plan[1:])}也含有这些数据，只撤回前者会使其恢复有效")
    notes.append(
        f"撤回后另有{others}项仍然有效的数据（其他项目、报表或期间）也不再计入，须随后重新报送"
        if others
        else "这些文件的其余数据已由本表或此后的报送替代"
        if len(plan) > 1
        else "该文件的其余数据已由本表替代"
    )
    fix = (
        f"如这些数据已移入本表的其他项目或不应再计入，请联系财政局撤回{named}（{'；'.join(notes)}）；"
        "如本表漏列了这些项目，请补列后将全部内容重新报送"
    )
    return Problem(
        Severity.WARNING,
        "project_left_in_force",
        f"工作表“{sheet.name}”：{expected}，{fix}。",
        sheet=sheet.name,
        value="、".join(dict.fromkeys(kept[keys[0]].project or "" for keys in projects.values())),
        expected=expected,
        fix=fix,
        named=tuple(h.key for h in plan),
    )


def _months(months: list[int]) -> str:
    """Say sorted months with runs joined: 1月至6月、9月."""
    runs: list[list[int]] = []
    for month in months:
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return "、".join(
        f"{run[0]}月至{run[-1]}月" if len(run) > 2 else "、".join(f"{m}月" for m in run) for run in runs
    )
