"""Settle the files stored before a batch that its slices supersede, take or tell of."""

from __future__ import annotations

import duckdb

from pipeline.intake.retell import retell_taken
from pipeline.receipt_facts import recount_warnings


def _taken_from(con: duckdb.DuckDBPyConnection, taken: dict[str, int]) -> dict[int, int]:
    """Return each other office's file in force on these slices, with the submission taking its place."""
    if not taken:
        return {}
    keys, numbers = list(taken), list(taken.values())
    return dict(
        con.execute(
            "select c.submission_id, t.taker from ops.current_slices as c "
            "join ops.submissions as s using (submission_id) "
            "join (select unnest(?::varchar[]) as slice_key, unnest(?::integer[]) as taker) as t using (slice_key) "
            "where s.unit = split_part(c.slice_key, '|', 2)",  # not the unit's own earlier list, which took it
            [keys, numbers],
        ).fetchall()
    )


def _name_keepers(con: duckdb.DuckDBPyConnection, taken: dict[str, int]) -> set[int]:
    """Add to the warnings an implementing unit's list told other offices' lists of taking their slices (a unit's
    file told its files under its short name, `short_named`) the unit's later file that keeps them; return the files
    warned.

    The warning names the list that took the slice, so that it no longer applies once that list is out of force
    (`retell_issues`); a later list of the unit holding the slice in its place keeps it applying.
    """
    if not taken:
        return set()
    keys, numbers = list(taken), list(taken.values())
    return {
        submission_id
        for (submission_id,) in con.execute(
            "update ops.validation_issues as v set named_submissions = list_append(v.named_submissions, t.taker) "
            "from ops.current_slices as c join ops.submissions as s using (submission_id) "
            "join (select unnest(?::varchar[]) as slice_key, unnest(?::integer[]) as taker) as t using (slice_key) "
            "where s.unit <> split_part(c.slice_key, '|', 2) "  # the unit's earlier list holds it
            "and v.rule in ('listed_by_other_unit', 'unit_short_name') "
            "and list_contains(v.named_submissions, c.submission_id) "
            "and not list_contains(v.named_submissions, t.taker) "
            "and v.submission_id in (select l.submission_id from ops.slices as l where l.slice_key = c.slice_key) "
            "returning v.submission_id",
            [keys, numbers],
        ).fetchall()
    }


def _retell_stored(con: duckdb.DuckDBPyConnection, retold: set[int], replaced: dict[int, int]) -> None:
    """Count again the warnings of files stored before that these were told of, and mark their receipts stale; a
    file whose list an implementing unit's took gets the reason its receipt gives if that leaves it superseded."""
    retell_taken(con, set(replaced))
    recount_warnings(con, retold | set(replaced))
