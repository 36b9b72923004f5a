"""Settle a set of parsed files together: duplicates, projects named by the register, one validation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

import duckdb
from tqdm import tqdm

from pipeline.file_names import written_path
from pipeline.frames import Context
from pipeline.inbox_entries import InboxEntry
from pipeline.intake.candidates import Candidate, outcome_of, parse_candidate
from pipeline.intake.held_months import HeldMonth, monthly_history, months_held, run_names, stored_namer
from pipeline.intake.later_months import flag_later_months
from pipeline.intake.month_rows import Period
from pipeline.intake.odd_clock import flag_odd_clock
from pipeline.intake.other_project import flag_other_projects
from pipeline.intake.other_year import flag_other_years
from pipeline.intake.overlap import flag_overlaps, refuse_second_forms
from pipeline.intake.recheck import lend_no_returned_month
from pipeline.intake.replaced import flag_replaced
from pipeline.intake.shared_rows import flag_shared_rows, give_back_slices
from pipeline.intake.short_named import take_short_named
from pipeline.intake.stale_cumulatives import flag_stale_cumulatives
from pipeline.intake.within_file import flag_repeated_across_sheets, flag_second_forms
from pipeline.joined_problems import join_parser_problems
from pipeline.limits import Limits
from pipeline.parse import parse_file
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem, Severity
from pipeline.project_names import (
    name_close_projects,
    resolve_projects,
    returned_registers,
    tell_own_register,
)
from pipeline.projects import ProjectRegister
from pipeline.read_day import ReadOn
from pipeline.receipt_facts import force_sql
from pipeline.registry import Registry
from pipeline.rules import load_rules
from pipeline.settle_register import settle_register
from pipeline.slice_keys import SheetSlices
from pipeline.validate import Batch, Validation, validate

# A file taken in before, as a later copy names it: (submission number, file name, sending folder, how it stands as
# receipt_facts.force_sql says it: its status, or taken); number 0 and no status for a copy settled earlier in this
# run, not yet stored.
Original = tuple[int, str, str | None, str | None]


def known_shas(
    con: duckdb.DuckDBPyConnection | None, keys: Iterable[tuple[str, str | None]]
) -> dict[tuple[str, str | None], Original]:
    """Return the first submission taken in with these exact bytes for this office, by (SHA-256, office).

    A returned copy does not count: it was sent back to be sent again, and its bytes may pass now (a list sent
    before its project's register). Nor does another office's copy: what one office sent is not another's to
    repeat, nor to learn of from a receipt.
    """
    if con is None:
        return {}
    shas = {sha for sha, _ in keys if sha is not None}
    return {
        (sha, unit): (number, name, folder, status)
        for sha, unit, number, name, folder, status in con.execute(
            "select sha256, unit, min(submission_id), arg_min(original_name, submission_id), "
            f"arg_min(sending_folder, submission_id), arg_min({force_sql('s')}, submission_id) "
            "from ops.submissions as s "
            "where sha256 in (select unnest(?::varchar[])) and status not in ('rejected', 'duplicate') "
            "group by sha256, unit",
            [sorted(shas)],
        ).fetchall()
    }


def _key(candidate: Candidate) -> tuple[str, str | None] | None:
    """Key a file by its bytes and the office it speaks for; None when it could not be read."""
    if candidate.sha256 is None or candidate.parsed is None:
        return None
    return candidate.sha256, candidate.parsed.unit


def settle(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    candidates: list[Candidate],
    seen_in_run: dict[tuple[str, str | None], Original] | None = None,
    named_in_run: dict[str, dict[str, str]] | None = None,
    stored_in_run: set[int] | None = None,
    limits: Limits | None = None,
    returned_in_run: dict[str, tuple[str, str | None]] | None = None,
    sliced: SheetSlices | None = None,
) -> tuple[list[Candidate], Validation]:
    """Find duplicates, name missing projects and validate all sheets at once; return files in load order.

    Candidates come in the order they were received; registers load first (`_load_order`), so a list naming no
    project finds its project in a register sent in the same run. `seen_in_run` maps the fingerprint and office of each
    file taken in earlier in the run (in an earlier chunk) to it, and is extended with these files; `named_in_run`
    likewise maps each name as written to the inbox paths and fingerprints of the run's files of that name, and
    `stored_in_run` holds the submissions stored in its earlier chunks, and `returned_in_run` the projects of the
    registers returned in them (`returned_registers`), extended with this set's. `sliced` keeps each sheet's slice
    keys, made once its projects are named, for the store (`SheetSlices.take`).
    """
    seen = {} if seen_in_run is None else seen_in_run
    keys = {c.inbox_path: _key(c) for c in candidates}
    stored = known_shas(con, [k for k in keys.values() if k is not None])
    for candidate in candidates:
        key = keys[candidate.inbox_path]
        if key is not None:
            candidate.duplicate_of = seen.get(key) or stored.get(key)
    # A duplicate of a file taken in is recorded, never loaded or checked. Copies sent in this run are checked
    # each: which of them is taken in, and which are its duplicates, is known once they are (_twins).
    taken = [c for c in candidates if c.parsed is not None and not c.duplicate_of]
    held = months_held(con, registry, stored_in_run or set())
    withheld: set[str] = set()
    # Each sheet's slice keys, made once its projects are named: nothing after that changes a row's slice.
    sliced = SheetSlices() if sliced is None else sliced
    validation, lent = _judge(con, registry, taken, held, withheld, sliced, stored_in_run or set())
    # A register the suites return (its own sheet, or another sheet of its workbook) lent its projects to the run
    # before they knew: the run is judged again without it, read afresh, as a later chunk would be (its files
    # told of a project it alone held, as if it had not come). None returned: nothing is judged twice.
    while returned := {c.inbox_path for c in lent if c.parsed.errors} - withheld:
        withheld |= returned
        for candidate in taken:
            if (
                candidate.parsed.sheets
            ):  # a file refused unread has no sheet to judge, nor bytes to read again
                candidate.parsed = _read_again(candidate, registry, limits)
        # The sheets read again are new ones, keyed afresh; those they replace are judged no more.
        validation, lent = _judge(con, registry, taken, held, withheld, sliced, stored_in_run or set())
    # Registers are stored first: one returned in this run is in this set or an earlier one, never a later one.
    returned = {} if returned_in_run is None else returned_in_run
    for name, said in returned_registers(c.parsed for c in taken if c.carries_register).items():
        returned.setdefault(name, said)
    for candidate in taken:
        tell_own_register(candidate.parsed, returned)
    # Once every error is known: only a list taken in replaces the office's list in force before the unit's does.
    received = _received(candidates)
    give_back_slices(
        [c.parsed for c in sorted(taken, key=lambda c: received[c.inbox_path]) if not c.parsed.errors], sliced
    )
    _flag_same_name(con, candidates, {} if named_in_run is None else named_in_run)
    _twins(candidates, seen)
    # After validation and _twins: only files to be stored, in the order they are stored, replace, repeat or are
    # repeated, or hold a month. A copy of a file of this run changes nothing, as a copy of a stored one does not.
    # Nothing between the order and the clock check changes a file's rows: each file's slices are gathered once.
    slices = _slices_once(sliced)
    order = _load_order(candidates, taken, slices)
    kept = [c for c in sorted(taken, key=order) if not c.duplicate_of]
    stored = [c.parsed for c in kept]
    flag_odd_clock(con, [c for c in kept if not c.parsed.errors], slices, stored_in_run or set())
    flag_later_months(con, registry, stored, sliced)  # a file the validation returns lends no month
    flag_stale_cumulatives(held, registry, stored)
    flag_replaced(con, registry, stored, stored_in_run or set(), sliced)
    flag_other_years(con, registry, stored, stored_in_run or set(), sliced)
    for candidate in candidates:
        candidate.outcome = outcome_of(candidate, registry.offices)
        if candidate.duplicate_of:
            candidate.parsed = (
                None  # its office, year and templates are in its outcome; its rows are not wanted
            )
    return sorted(candidates, key=order), validation


def _judge(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    taken: list[Candidate],
    held: dict[Period, dict[int, HeldMonth]],
    withheld: set[str],
    sliced: SheetSlices,
    stored_in_run: set[int],
) -> tuple[Validation, list[Candidate]]:
    """Name the files' projects from the register, flag what they repeat and validate them; return the validation
    and the files whose register lent its projects (every register file without errors then, but `withheld`).

    `sliced` holds each sheet's slice keys once its projects are named here, for the checks that follow;
    `stored_in_run` the files stored earlier in the night, told of a file of these beside them.
    """
    parsed = [c.parsed for c in taken]
    register = ProjectRegister.from_warehouse(con)
    for file in parsed:
        settle_register(file)  # a register giving one code to two projects is rejected before it is used
    lent = []
    for candidate in taken:
        file = candidate.parsed
        register.refuse_recoded(file)  # against the register in force and the registers before it in this run
        if not file.errors and candidate.inbox_path not in withheld:
            register.add_from(file)
            if candidate.carries_register:
                lent.append(candidate)
    for file in parsed:
        resolve_projects(file, register, registry.offices)
    take_short_named(con, registry, parsed, register, registry.offices, sliced)
    flag_second_forms(parsed)
    flag_repeated_across_sheets(registry, parsed)
    validation_context = Context(
        known_projects=register.known_names,
        planned_total=register.planned_total,
        monthly_history=monthly_history(held),
        history_names=run_names(held),
        stored_name=stored_namer(con, held),
        run_files=_run_files(taken, _load_order(taken, taken, _slices_once(sliced))),
        negative_list=load_rules().negative_list_any_year,
    )
    validation = validate_files(parsed, registry, validation_context)
    for file in parsed:
        name_close_projects(file, register, registry.offices)
    refuse_second_forms(con, registry, parsed)
    # Once the suites have judged: a list they return holds no row another office's list would repeat.
    flag_shared_rows(con, registry, parsed, register, registry.offices)
    # Once the suites and the shared rows have judged: a file they return holds nothing beside another's, which its
    # warning would tell is added up with it (`本表与之分别计入、合计发布`), and it is told nothing beside one.
    flag_overlaps(con, registry, parsed, stored_in_run)
    flag_other_projects(con, registry, parsed)
    lend_no_returned_month(parsed, registry, validation_context)
    return validation, lent


def _read_again(candidate: Candidate, registry: Registry, limits: Limits | None) -> ParsedFile:
    """Parse a file's bytes again, as first read, by the same day: what judging it added is gone."""
    written = written_path(candidate.inbox_path, candidate.entry.raw if candidate.entry else None)
    return parse_file(
        candidate.content, written, registry, limits or Limits.from_env(), candidate.parsed.read_on
    )


def held_slices(candidate: Candidate, sliced: SheetSlices | None = None) -> set[str]:
    """Return the slices a file would hold once stored, those it takes from other offices included (each sheet's
    keys made once in `sliced`, if given)."""
    parsed = candidate.parsed
    if parsed is None:
        return set()
    sliced = SheetSlices() if sliced is None else sliced
    held = set(parsed.taken_slices)
    for sheet in parsed.sheets:
        held |= sliced.keys(sheet)
    return held


def _slices_once(sliced: SheetSlices) -> Callable[[Candidate], set[str]]:
    """Return `held_slices` that gathers each file's slices once, for files whose rows no longer change."""
    found: dict[str, set[str]] = {}

    def slices(candidate: Candidate) -> set[str]:
        held = found.get(candidate.inbox_path)
        if held is None:
            held = found[candidate.inbox_path] = held_slices(candidate, sliced)
        return held

    return slices


def _load_order(
    candidates: list[Candidate],
    taken: list[Candidate],
    slices: Callable[[Candidate], set[str]] = held_slices,
) -> Callable[[Candidate], tuple]:
    """Return the key files are stored in, a later one's slices replacing an earlier one's: registers first, so a
    list in a later chunk finds its project stored (settling names projects from every register of the set,
    whatever its place); then as received.

    A workbook carrying a register beside a list would so be stored before an older list of the same night and
    replaced by it: a file received before one stored with the registers that holds one of its slices goes with
    them, before it, as received (`stored_first`).
    """
    received = _received(candidates)
    # Only files to be taken in hold slices.
    first = stored_first([(received[c.inbox_path], c.carries_register, lambda c=c: slices(c)) for c in taken])
    firsts = {taken[at].inbox_path for at in first}
    # Settled now: a duplicate's parse is dropped before the files are sorted, and it stays where it came.
    later = {c.inbox_path: c.inbox_path not in firsts for c in candidates}
    return lambda c: (later[c.inbox_path], received[c.inbox_path])


def _received(candidates: list[Candidate]) -> dict[str, tuple]:
    """Key each file by when it was received: modified time, then inbox path; a file checked beside the inbox's
    waiting ones (pipeline check, the portal) has no entry and comes after them, as given."""
    return {
        c.inbox_path: (c.entry.mtime_ns, c.inbox_path, at) if c.entry else (float("inf"), "", at)
        for at, c in enumerate(candidates)
    }


def stored_first(files: list[tuple[tuple, bool, Callable[[], set[str]]]]) -> set[int]:
    """Return the positions of the files stored with the registers, of files given as (when received, whether it
    carries a register, its slices): the registers, and each file received before one of those holding one of
    its slices.

    Taken from the last received back, so that a file received before one moved to the registers for a slice of
    another moves too: stored after it, it would replace it in their shared slice.
    """
    first: set[int] = set()
    held: set[str] = set()  # the slices of the files stored first received after the one looked at
    for at in sorted(range(len(files)), key=lambda at: files[at][0], reverse=True):
        _, register, keys = files[at]
        if register or held:
            found = keys()
            if register or held & found:
                first.add(at)
                held |= found
    return first


def _run_files(taken: list[Candidate], order: Callable[[Candidate], tuple]) -> dict[int, str]:
    """Map each file to be taken in to its name, by its position (its batch key), in the order they are stored."""
    # A returned file is returned whole: its months must not judge another's 累计. Only the errors found so far
    # (parsing, the register, the project) can count here: a file only the validation returns is known once it has
    # run, and the 累计 it lent to are checked again without it (recheck.lend_no_returned_month).
    stored = sorted(range(len(taken)), key=lambda position: order(taken[position]))
    return {i: taken[i].parsed.original_name for i in stored if not taken[i].parsed.errors}


def _twins(candidates: list[Candidate], seen: dict[tuple[str, str | None], Original]) -> None:
    """Make each copy of a file taken in this run its duplicate; a copy that is returned stays returned."""
    for candidate in candidates:
        key = _key(candidate)
        if key is None or candidate.duplicate_of or candidate.parsed.errors:
            continue
        if key in seen:
            candidate.duplicate_of = seen[key]
        else:
            seen[key] = (0, candidate.parsed.original_name, candidate.parsed.sending_folder, None)


def _flag_same_name(
    con: duckdb.DuckDBPyConnection | None, candidates: list[Candidate], named: dict[str, dict[str, str]]
) -> None:
    """Warn on each file whose name, as written, another file of this run has with other bytes."""
    # A GBK name beside its UTF-8 twin reads the same to the clerk: both are the office's, and which one's data
    # stands is only the load order (modified time, then inbox path), which the spec leaves open. Never silent.
    # A twin stored in an earlier chunk is told once the last of this chunk's twins of its name is stored.
    here: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        # Only files to be taken in compete for a slice; a returned one is answered on its own errors.
        parsed = candidate.parsed
        if (
            parsed is not None
            and not parsed.errors
            and candidate.sha256 is not None
            and not candidate.duplicate_of
        ):
            written = written_path(candidate.inbox_path, candidate.entry.raw if candidate.entry else None)
            here.setdefault(written, []).append(candidate)
            named.setdefault(written, {})[candidate.inbox_path] = candidate.sha256
    # Each twin as a warning names it (`Problem.named`): a file of this chunk by its parsed file, one stored in an
    # earlier chunk by its number, so the note goes once the twin is out of force (`retell.retell_rivals`).
    by_path: dict[str, object] = {
        c.inbox_path: ("run", id(c.parsed)) for c in candidates if c.parsed is not None
    }
    earlier = {
        path: sha
        for written, files in here.items()
        for path, sha in named[written].items()
        if path not in by_path and len(named[written]) > 1
    }
    if earlier and con is not None:
        by_path.update(
            con.execute(
                "select s.inbox_path, max(s.submission_id) from ops.submissions as s "
                "join (select unnest(?::varchar[]) as inbox_path, unnest(?::varchar[]) as sha256) using "
                "(inbox_path, sha256) group by 1",
                [list(earlier), list(earlier.values())],
            ).fetchall()
        )
    for written, files in here.items():
        for candidate in files:
            others = [path for path, sha in named[written].items() if sha != candidate.sha256]
            if others:
                twins = tuple(by_path[path] for path in others if path in by_path)
                candidate.parsed.problems.append(_same_name(written, candidate.inbox_path, others, twins))
    _tell_earlier_twins(con, here, named, by_path)


def _tell_earlier_twins(
    con: duckdb.DuckDBPyConnection | None,
    here: dict[str, list[Candidate]],
    named: dict[str, dict[str, str]],
    by_path: dict[str, object],
) -> None:
    """Warn each twin stored in an earlier chunk of the run (`by_path` giving its number) of this chunk's twins, once
    the last of them is stored (`told_stored`); one warned of a twin in its own chunk already is left as it is."""
    stored = {
        by_path[path] for written in here for path in named[written] if isinstance(by_path.get(path), int)
    }
    if not stored or con is None:
        return
    warned = {
        n
        for (n,) in con.execute(
            "select distinct submission_id from ops.validation_issues where rule = 'same_name_twin' "
            "and submission_id in (select unnest(?::integer[]))",
            [sorted(stored)],
        ).fetchall()
    }
    for written, files in here.items():
        teller = files[-1]  # received last: its chunk's other twins are numbered by the time it is stored
        for path, sha in named[written].items():
            number = by_path.get(path)
            if not isinstance(number, int) or number in warned:
                continue
            others = [other for other, theirs in named[written].items() if theirs != sha]
            twins = tuple(by_path[o] for o in others if o in by_path and o != teller.inbox_path)
            teller.parsed.told_stored.append((number, partial(_told_twin, written, path, others, twins)))


def _told_twin(
    written: str, inbox_path: str, others: list[str], twins: tuple[object, ...], teller: int
) -> Problem:
    """Return the warning of a twin stored in an earlier chunk, naming the file telling it by its number too."""
    return _same_name(written, inbox_path, others, (*twins, teller))


def _same_name(written: str, inbox_path: str, others: list[str], twins: tuple[object, ...]) -> Problem:
    def said(path: str) -> str:
        # The escaped key is what the inbox listing and ops.submissions show; the clerk sees the decoded name.
        return f"“{path}”" if path == written else f"“{path}”（名称含GBK编码，收件箱记录中按字节以\\x转义）"

    expected = (
        f"收件箱中有{len(others) + 1}个名称看来都是“{written}”而内容不同的文件：本文件{said(inbox_path)}，"
        f"另有{'、'.join(said(path) for path in others)}。它们都作为本单位的报送接收，同一项目同一期间的数据"
        "以修改时间较晚的一份为准（修改时间相同时以收件箱路径排序在后的一份为准）"
    )
    fix = "请核对哪一份是要报送的版本，另一份请从收件箱删除，已入库的请撤回"
    return Problem(
        Severity.WARNING,
        "same_name_twin",
        f"{expected}，{fix}。",
        value=written,
        expected=expected,
        fix=fix,
        named=twins,
    )


def prepare(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: Iterable[tuple[str, bytes, InboxEntry | None]],
    progress: bool = False,
    limits: Limits | None = None,
    read_on: ReadOn | None = None,
) -> tuple[list[Candidate], Validation]:
    """Fingerprint, parse and validate files without writing anything; return them in load order.

    `read_on`: the day the night that takes them in reads them by (`read_day`); today where none is given.
    """
    limits = limits or Limits.from_env()
    candidates = [
        parse_candidate(inbox_path, content, entry, registry, limits, read_on=read_on)
        for inbox_path, content, entry in tqdm(files, desc="读取文件", unit="个", disable=not progress)
    ]
    return settle(con, registry, candidates, limits=limits)


def validate_files(parsed: list[ParsedFile], registry: Registry, context: Context) -> Validation:
    """Run the expectation suites over every sheet of every file at once, adding what they find to each file."""
    batches = [Batch(index, sheet) for index, file in enumerate(parsed) for sheet in file.sheets]
    validation = validate(batches, registry, context)
    for index, problems in validation.problems.items():
        parsed[index].problems.extend(join_parser_problems(parsed[index], problems))
    return validation
