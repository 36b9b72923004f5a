"""file_rows: a warning naming a file of its chunk not stored yet waits for it, and only for one to be stored."""

from __future__ import annotations

from pipeline.intake.file_rows import Waiting, hold_back, released
from pipeline.problems import Problem, Severity

LATER, COPY = 101, 102  # the ids of two parsed files of the chunk: one to be stored, a duplicate that is not


def _warning(*named: object, severity: Severity = Severity.WARNING) -> Problem:
    return Problem(severity, "beside_other_unit", "另有其他单位报送的数据。", named=named)


def test_a_warning_naming_a_file_stored_later_waits_for_it_and_one_naming_a_copy_does_not():
    waiting = Waiting({LATER})
    waits, copy_only, stored_before = _warning(("run", LATER), 7), _warning(("run", COPY)), _warning(7)
    error = _warning(("run", LATER), severity=Severity.ERROR)  # a returned file's receipt is never held back

    kept = hold_back(1, [waits, copy_only, stored_before, error], {}, waiting)

    # A copy is never stored: a warning naming it alone was stored as it was (the copy unnamed), and still is.
    assert kept == [copy_only, stored_before, error]
    assert released(waiting, {}) == []
    assert released(waiting, {LATER: 2}) == [(1, waits)]
    assert waiting.held == {}


def test_a_warning_naming_two_files_stored_later_waits_for_the_last():
    waiting = Waiting({LATER, COPY})
    both = _warning(("run", LATER), ("run", COPY))

    assert hold_back(1, [both], {}, waiting) == []
    assert released(waiting, {LATER: 2}) == []
    assert released(waiting, {LATER: 2, COPY: 3}) == [(1, both)]
