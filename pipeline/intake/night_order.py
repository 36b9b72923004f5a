"""The order a night of several chunks is stored in: a later file's slices replace an earlier one's across chunks
as they do within one (settle._load_order)."""

from __future__ import annotations

import duckdb

from pipeline.intake.settle import held_slices, stored_first
from pipeline.intake.shared_rows import flag_shared_rows, implements_project, listed_entries, listed_rows
from pipeline.intake.unique_rows import unique_templates
from pipeline.intake.work_format import WorkFile
from pipeline.project_names import resolve_projects
from pipeline.projects import REGISTER_TEMPLATE, ProjectRegister
from pipeline.registry import Registry
from pipeline.settle_register import settle_register


def night_order(
    con: duckdb.DuckDBPyConnection, registry: Registry, work_files: list[WorkFile]
) -> tuple[list[WorkFile], int]:
    """Return the files in the order they are stored, and how many of the first must be settled in one chunk.

    Registers go first, so a list in a later chunk finds its project. A file received before a workbook carrying a
    register and a form, holding one of its slices (or before a file so moved: `stored_first`), goes with them as
    received, or a later chunk would store it after the workbook and its rows would stand in place of the newer
    ones. Those files and the registers are then settled in one chunk: a list moved ahead of the register naming
    its project finds it there, wherever it is placed. So is an implementing unit's list naming a row another
    office's list of the night names, with the lists of other offices naming its rows received before it: in one
    chunk theirs are returned (`flag_shared_rows`), as they are once its rows are stored. Only the files that can
    share a slice or a row with such a file are read, one at a time, for their slices, those an implementing unit's
    list takes from another office's included.
    """
    ordered = sorted(work_files, key=lambda w: w.load_order)
    workbooks = [w for w in ordered if w.carries_register and set(w.templates) - {REGISTER_TEMPLATE}]
    listing = {template.id for template, _ in unique_templates(registry)}
    lists = [w for w in ordered if w.state == "parsed" and w.listed]
    if not workbooks and not lists:
        return ordered, 0
    # The projects named as settling names them: from the register in force and every register of the night.
    register = ProjectRegister.from_warehouse(con)
    for work_file in ordered:
        if work_file.carries_register and work_file.state == "parsed":
            parsed = work_file.candidate().parsed
            if parsed is None:  # its work file unreadable: left for the next run (work_versions)
                continue
            settle_register(parsed)
            register.refuse_recoded(parsed)
            if not parsed.errors:
                register.add_from(parsed)
    slices: dict[str, set[str]] = {}
    # A list takes a slice only of a project some list holds in force: one query says which, for the night.
    held_elsewhere = {
        code
        for (code,) in con.execute(
            "select distinct project_code from ops.current_slices join ops.slices using (slice_key, submission_id) "
            "where template in (select unnest(?::varchar[]))",
            [sorted(listing)],
        ).fetchall()
    }

    def read(work_file: WorkFile) -> tuple[set[str], set[str]]:
        """Keep a file's slices; return the rows it lists, of projects its office implements and of others."""
        candidate = work_file.candidate()
        if candidate.parsed is None or candidate.parsed.errors:
            return set(), set()
        resolve_projects(candidate.parsed, register, registry.offices)
        entries = listed_rows(registry, candidate.parsed)
        listed = listed_entries(candidate.parsed, entries, register, registry.offices)
        if listed[0] and any(
            r.get("project_code") in held_elsewhere
            for sheet in candidate.parsed.sheets
            for r in sheet.records
        ):
            # With the slices an implementing unit's list takes from another office's list in force (which the
            # warehouse alone decides): a list of that office received before it is then settled with it, as in
            # one chunk, where it keeps its slice (shared_rows.give_back_slices).
            flag_shared_rows(con, registry, [candidate.parsed], register, registry.offices, entries)
        slices[work_file.inbox_path] = held_slices(candidate)
        return listed

    own = {}
    others: set[str] = set()
    for work_file in _shared_lists(register, registry, lists):
        own[work_file.inbox_path], named = read(work_file)
        others |= named
        slices.setdefault(work_file.inbox_path, set()).update(f"listed:{key}" for key in named)
    units = [w for w in lists if own.get(w.inbox_path, set()) & others]
    for work_file in units:
        slices[work_file.inbox_path] |= {f"listed:{key}" for key in own[work_file.inbox_path]}
    anchors = {w.inbox_path for w in [*workbooks, *units]}
    if not anchors:
        return ordered, 0
    last = max(_received(w) for w in ordered if w.inbox_path in anchors)
    # A form shares a slice only with a file of its own form: the forms of the workbooks, and of each file received
    # before the last of them holding one of those, as a file moved brings the older files of its slices.
    forms = {t for w in [*workbooks, *units] for t in w.templates} - {REGISTER_TEMPLATE}
    before = [w for w in ordered if not w.carries_register and w.state == "parsed" and _received(w) < last]
    while grown := {t for w in before if forms & set(w.templates) for t in w.templates} - forms:
        forms |= grown
    for work_file in [*workbooks, *(w for w in before if forms & set(w.templates))]:
        if work_file.inbox_path not in slices:
            read(work_file)
    first = stored_first(
        [
            (
                _received(w),
                w.inbox_path in anchors or w.carries_register,
                lambda w=w: slices.get(w.inbox_path, set()),
            )
            for w in ordered
        ]
    )
    if all(ordered[at].carries_register for at in first):
        return ordered, 0
    together = sorted((ordered[at] for at in first), key=_received)
    return together + [w for at, w in enumerate(ordered) if at not in first], len(together)


def _shared_lists(register: ProjectRegister, registry: Registry, lists: list[WorkFile]) -> list[WorkFile]:
    """Return the lists that may name a row another office's list of the night names for the same project and year,
    one of the two its implementing unit's: told by their heads, read by none."""
    periods: dict[str, set[tuple]] = {}
    others: set[tuple] = set()  # (template, project, year) another office lists
    for work_file in lists:
        unit, named = work_file.listed
        found = periods[work_file.inbox_path] = set()
        for template, name, year in named:
            if not name or not isinstance(year, int):
                found.add((template, None, year))  # its office's own project, named as settling names it
                continue
            code = register.resolve(name, year, unit, registry.offices).code
            if code is not None and not implements_project(register, registry.offices, unit, code, year):
                others.add((template, code, year))
            found.add((template, code, year))
    if not others:
        return []
    years = {(template, year) for template, _, year in others}
    return [
        w
        for w in lists
        if any(p in others or (p[1] is None and (p[0], p[2]) in years) for p in periods[w.inbox_path])
    ]


def _received(work_file: WorkFile) -> tuple[int, str]:
    return work_file.mtime_ns, work_file.inbox_path
