"""The order a night of several chunks is stored in: a later file's slices replace an earlier one's across chunks
as they do within one (settle._load_order)."""

from __future__ import annotations

import duckdb

from pipeline.intake.settle import held_slices, stored_first
from pipeline.intake.shared_rows import flag_shared_rows
from pipeline.intake.work import WorkFile
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
    its project finds it there, wherever it is placed. Only the files that can share a slice with such a workbook
    are read, one at a time, for their slices, those an implementing unit's list takes from another office's included.
    """
    ordered = sorted(work_files, key=lambda w: w.load_order)
    workbooks = [w for w in ordered if w.carries_register and set(w.templates) - {REGISTER_TEMPLATE}]
    if not workbooks:
        return ordered, 0
    last = max(_received(w) for w in workbooks)
    # A form shares a slice only with a file of its own form: the forms of the workbooks, and of each file received
    # before the last of them holding one of those, as a file moved brings the older files of its slices.
    forms = {t for w in workbooks for t in w.templates} - {REGISTER_TEMPLATE}
    before = [w for w in ordered if not w.carries_register and w.state == "parsed" and _received(w) < last]
    while grown := {t for w in before if forms & set(w.templates) for t in w.templates} - forms:
        forms |= grown
    looked = [w for w in before if forms & set(w.templates)]
    if not looked:
        return ordered, 0
    # The projects named as settling names them: from the register in force and every register of the night.
    register = ProjectRegister.from_warehouse(con)
    for work_file in ordered:
        if work_file.carries_register and work_file.state == "parsed":
            parsed = work_file.candidate().parsed
            settle_register(parsed)
            register.refuse_recoded(parsed)
            if not parsed.errors:
                register.add_from(parsed)
    slices: dict[str, set[str]] = {}
    for work_file in [*workbooks, *looked]:
        candidate = work_file.candidate()
        if candidate.parsed is not None and not candidate.parsed.errors:
            resolve_projects(candidate.parsed, register, registry.offices)
            # With the slices an implementing unit's list takes from another office's list in force (which the
            # warehouse alone decides): a list of that office received before it is then settled with it, as in
            # one chunk, where it keeps its slice (shared_rows.give_back_slices).
            flag_shared_rows(con, registry, [candidate.parsed], register, registry.offices)
            slices[work_file.inbox_path] = held_slices(candidate)
    first = stored_first(
        [(_received(w), w.carries_register, lambda w=w: slices.get(w.inbox_path, set())) for w in ordered]
    )
    if all(ordered[at].carries_register for at in first):
        return ordered, 0
    together = sorted((ordered[at] for at in first), key=_received)
    return together + [w for at, w in enumerate(ordered) if at not in first], len(together)


def _received(work_file: WorkFile) -> tuple[int, str]:
    return work_file.mtime_ns, work_file.inbox_path
