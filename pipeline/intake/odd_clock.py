"""Warn of two files of one slice whose order rests on an implausible modified time, wherever the night cuts them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import duckdb

from pipeline.inbox_entries import CLOCK_SLACK_NS
from pipeline.intake.candidates import Candidate
from pipeline.problems import Problem, Severity
from pipeline.settings import TIMEZONE

# A modified time no office saved its file at: beyond the run's start by more than a clock's drift, or before 2000.
PLAUSIBLE_SINCE_NS = int(dt.datetime(2000, 1, 1, tzinfo=TIMEZONE).timestamp()) * 10**9


@dataclass(frozen=True)
class _Clocked:
    """A file holding a slice, as the warning names it: by its name and modified time, and as `Problem.named` does
    (a file of this chunk by its parsed file, one stored in an earlier chunk by its number)."""

    name: str
    mtime_ns: int
    ref: object
    candidate: Candidate | None = None  # None: stored in an earlier chunk of the run


def flag_odd_clock(
    con: duckdb.DuckDBPyConnection | None,
    stored: list[Candidate],
    slices: Callable[[Candidate], set[str]],
    stored_in_run: set[int],
) -> None:
    """Warn on both of two files holding one slice whose order rests on an implausible modified time.

    `stored`: this chunk's files to be stored, in load order; `stored_in_run`: the submissions the run stored in
    its earlier chunks (a killed run's it finishes included). A file of an earlier chunk holding a slice first is
    its first holder here: the night is stored in chunks in load order, so a later chunk's file replaces it as in
    one piece, and the pair was never warned of. The stored one is told once the later file is stored.
    """
    # The later modified time stands (README), kept as the rule: a copy from a machine or share with a wrong clock
    # (2100, 1970) would otherwise win or lose the night unseen, whatever the office sent last.
    now = time.time_ns()

    def odd(clocked: _Clocked) -> bool:
        return not (PLAUSIBLE_SINCE_NS <= clocked.mtime_ns <= now + CLOCK_SLACK_NS)

    files = [
        (c, _Clocked(c.parsed.original_name, c.entry.mtime_ns, ("run", id(c.parsed)), c))
        for c in stored
        if c.entry is not None
    ]
    holders = _stored_holders(con, {key for c, _ in files for key in slices(c)}, stored_in_run)
    pairs: dict[tuple[object, object], tuple[_Clocked, _Clocked]] = {}
    for candidate, clocked in files:
        for key in slices(candidate):
            earlier = holders.get(key)
            holders[key] = clocked
            if earlier is not None and (odd(earlier) or odd(clocked)):
                pairs.setdefault((earlier.ref, clocked.ref), (earlier, clocked))
    for earlier, later in pairs.values():
        later.candidate.parsed.problems.append(_odd_clock(later, earlier, earlier, later, odd))
        if earlier.candidate is not None:
            earlier.candidate.parsed.problems.append(_odd_clock(earlier, later, earlier, later, odd))
        else:  # the file stored before is told with the later one's number, in the later one's transaction
            told = partial(_told, earlier, later, odd)
            later.candidate.parsed.told_stored.append((earlier.ref, told))


def _stored_holders(
    con: duckdb.DuckDBPyConnection | None, keys: set[str], stored_in_run: set[int]
) -> dict[str, _Clocked]:
    """Return the file of the run's earlier chunks holding each of these slices in force, by slice key."""
    if con is None or not keys or not stored_in_run:
        return {}
    return {
        key: _Clocked(name, mtime_ns, number)
        for key, number, name, mtime_ns in con.execute(
            "select c.slice_key, c.submission_id, s.original_name, f.mtime_ns from ops.current_slices as c "
            "join ops.submissions as s using (submission_id) "
            "join ops.inbox_files as f on f.submission_id = c.submission_id "
            "where c.submission_id in (select unnest(?::integer[])) "
            "and c.slice_key in (select unnest(?::varchar[]))",
            [sorted(stored_in_run), sorted(keys)],
        ).fetchall()
    }


def _told(earlier: _Clocked, later: _Clocked, odd: Callable[[_Clocked], bool], number: int) -> Problem:
    """Return the warning of a file stored in an earlier chunk, naming the later file by the number it got."""
    return _odd_clock(earlier, replace(later, ref=number), earlier, later, odd)


def _odd_clock(
    clocked: _Clocked,
    other: _Clocked,
    earlier: _Clocked,
    later: _Clocked,
    odd: Callable[[_Clocked], bool],
) -> Problem:
    def said(c: _Clocked) -> str:
        name = "本文件" if c is clocked else f"“{c.name}”"
        try:
            moment = dt.datetime.fromtimestamp(c.mtime_ns / 1e9, TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
        except (OverflowError, OSError, ValueError):
            moment = "无法识别的时间"
        doubt = "（不合常理，可能是报送电脑或共享盘的时钟有误）" if odd(c) else ""
        return f"{name}的修改时间为{moment}（北京时间）{doubt}"

    expected = (
        f"{said(earlier)}，{said(later)}，两者含同一项目同一期间的数据。同一次处理的文件以修改时间较晚的一份为准，"
        f"两者之中以“{later.name}”的数据为准，但这一先后取决于不合常理的修改时间"
    )
    fix = "请核对哪一份是最新的；如需以另一份为准，请重新报送该份"
    return Problem(
        Severity.WARNING,
        "odd_modified_time",
        f"{expected}，{fix}。",
        value=clocked.name,
        expected=expected,
        fix=fix,
        # The other file: the note goes once it is out of force (`retell.retell_rivals`).
        named=(other.ref,),
    )
