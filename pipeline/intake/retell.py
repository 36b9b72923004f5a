"""Retell, once statuses are settled, what receipts say of other files: a duplicate's note on whether the file it
repeats is in force, a warning naming files no longer in force (it no longer applies), and which implementing
unit's lists hold a superseded file's slices now."""

from __future__ import annotations

import duckdb

from pipeline.cumulative_frame import gap_tolerance
from pipeline.intake.candidates import UNNAMED
from pipeline.intake.held_months import _CUMULATIVE, _MONTHLY
from pipeline.receipt_facts import force_sql, recount_warnings, stale_note, with_force_note


def retell(con: duckdb.DuckDBPyConnection) -> None:
    """Retell, once the statuses are settled (the end of a load, a withdrawal), what receipts say of other files."""
    # First: a duplicate's note reads the reason this sets on the file it repeats.
    retell_taken(con)
    retell_partly_replaced(con)
    retell_duplicates(con)
    retell_issues(con)


def retell_issues(con: duckdb.DuckDBPyConnection) -> None:
    """Note on each warning naming other submissions whether it still applies, as they stand now.

    A warning telling the clerk to act on another file (withdraw it, send its months again) must not go on asking
    once that file is withdrawn or superseded: its words stay as on arrival, a note says it no longer applies, and
    it leaves the counts of open warnings. The note goes again if one of the files comes back in force.
    """
    named = [
        list(n)
        for (n,) in con.execute(
            "select distinct named_submissions from ops.validation_issues where named_submissions is not null "
            f"and rule not in {_OWN_WAY}"
        ).fetchall()
    ]
    retell_took(con)
    retell_listed(con)
    retell_months(con)
    retell_mismatches(con)
    retell_rivals(con)
    if not named:
        return
    statuses = dict(
        con.execute(
            f"select submission_id, {force_sql('s')} from ops.submissions as s "
            "where submission_id in (select unnest(flatten(?::integer[][])))",
            [named],
        ).fetchall()
    )
    notes = [stale_note(n, statuses) for n in named]
    changed = [
        submission_id
        for (submission_id,) in con.execute(
            "update ops.validation_issues v set stale_note = c.note "
            "from (select unnest(?::integer[][]) as named, unnest(?::varchar[]) as note) c "
            "where v.named_submissions = c.named and v.stale_note is distinct from c.note "
            f"and v.rule not in {_OWN_WAY} returning v.submission_id",
            [named, notes],
        ).fetchall()
    ]
    recount_warnings(con, changed)


# An implementing unit's list warned that it took another office's slice of its project (`shared_rows._took`).
_TOOK = "took_other_unit_list"
# The other office's list told that the unit's list took its slice (`shared_rows._taken`).
_LISTED = "listed_by_other_unit"
# A 累计 the suites found off the sum of its months.
_MISMATCH = "cumulative_mismatch"
# Warnings about later months another file of a monthly form holds (`intake.later_months`, `intake.stale_cumulatives`):
# what they name is those months, not the whole file, which may stay in force for its earlier ones.
_MONTHS = ("later_month_in_force", "cumulative_stale")
# A sheet beside another office's file for the same period (`overlap._beside`) names the offices' files only so the
# report names those offices (mart.shared_slices): whether it applies is the slices' (a correction of one of those
# files stands beside it as well), so their statuses never retell it.
_BESIDE = "beside_other_unit"
# Warnings that a file stands over another that may be the one meant (`settle._same_name`, `odd_clock.flag_odd_clock`): the
# other file is out of force by the warned file's own doing from the start, which is the doubt, not its end.
_RIVALS = ("same_name_twin", "odd_modified_time")
# The rules told their own way, not by the named files' statuses alone.
_OWN_WAY = "(" + ", ".join(f"'{rule}'" for rule in (_TOOK, _LISTED, *_MONTHS, _BESIDE, *_RIVALS)) + ")"
# A slice taken is held by another office's file with no rows of its own there (`file_rows._add_data`).
_TAKEN = "held.row_count = 0 and h.unit <> split_part(c.slice_key, '|', 2)"


# How each submission a warning `v` names stands (`force_sql`), as a list of {n, s} structs read by `_stale`.
_NAMED_STANDING = (
    f"(select list(struct_pack(n := submission_id, s := {force_sql('named')})) from ops.submissions as named "
    "where list_contains(v.named_submissions, submission_id))"
)


def _stale(named: list[int], standing: list[dict] | None) -> str | None:
    """Return the note of a warning whose named submissions stand so (`_NAMED_STANDING`), as `stale_note` words it."""
    return stale_note(named, {s["n"]: s["s"] for s in standing or []})


# The submissions a warning `v` names that still hold in force a month of a form, office, project and year of its
# own file after its own first month there: the months such a warning can be about.
_HOLDING_LATER = (
    "(select list(distinct theirs.submission_id) from ops.slices as mine "
    "join ops.slices as theirs on theirs.template = mine.template and theirs.unit = mine.unit "
    "and theirs.project_code is not distinct from mine.project_code and theirs.year = mine.year "
    "and theirs.month > mine.month "
    "join ops.current_slices as c on c.slice_key = theirs.slice_key and c.submission_id = theirs.submission_id "
    "where mine.submission_id = v.submission_id and list_contains(v.named_submissions, theirs.submission_id))"
)


def retell_months(con: duckdb.DuckDBPyConnection) -> None:
    """Note on each warning about another file's later months whether that file still holds one of them in force.

    A 1–3月 file whose 3月 a correction of 2月 put off stays in force for 1月 once the office sends 3月 again, as
    the warning asked: the months it named are replaced, so it no longer applies though the file is neither
    superseded nor withdrawn. Should the months sent again be withdrawn, it applies again.
    """
    for rule in _MONTHS:
        changed = []
        for submission_id, named, statuses, holding in _warned(con, rule, _HOLDING_LATER):
            for n in named:
                if statuses.get(n) == "accepted" and n not in holding:
                    statuses[n] = "months_resent"
            changed.append((submission_id, named, stale_note(named, statuses)))
        _set_notes(con, rule, changed)


def _warned(
    con: duckdb.DuckDBPyConnection, rule: str, listed: str
) -> list[tuple[int, list[int], dict[int, str], list[int]]]:
    """Return each warning of a rule naming submissions: its submission, those it names, how each stands
    (`force_sql`), and the submissions `listed` (SQL of the warning `v`, as `_HOLDING_LATER`) gives."""
    rows = con.execute(
        f"select v.submission_id, v.named_submissions, {_NAMED_STANDING}, {listed} "
        "from ops.validation_issues as v where v.rule = ? and v.named_submissions is not null",
        [rule],
    ).fetchall()
    return [
        (submission_id, named, {s["n"]: s["s"] for s in standing or []}, list(found or []))
        for submission_id, named, standing, found in rows
    ]


# What a 累计 told off its months' sum says once the months in force add up to it.
_ADDS_UP = (
    "按现已入库的各月本月完成投资计算，该月累计完成投资已与1月至该月之和相符，此提示不再适用，无需处理。"
)


# The submissions a warning `v` names whose slices its own file holds in force: those it stands over now.
_STOOD_OVER = (
    "(select list(distinct theirs.submission_id) from ops.slices as theirs "
    "join ops.current_slices as c on c.slice_key = theirs.slice_key and c.submission_id = v.submission_id "
    "where list_contains(v.named_submissions, theirs.submission_id))"
)


def retell_rivals(con: duckdb.DuckDBPyConnection) -> None:
    """Note on each warning that its file stands over another that may be the one meant whether that one still may.

    A same-named twin or a file whose modified time decided the order is superseded by the warned file from the
    start: that is the doubt, and the warning applies. Once the other file is withdrawn, or a later file holds its
    data instead, the clerk has settled which one counts and the report no longer names it; it applies again if
    the other comes back.
    """
    for rule in _RIVALS:
        changed = []
        for submission_id, named, statuses, stood_over in _warned(con, rule, _STOOD_OVER):
            for n in stood_over:
                if statuses.get(n) in ("superseded", "taken"):  # only because the warned file stands over it
                    statuses[n] = "accepted"
            changed.append((submission_id, named, stale_note(named, statuses)))
        _set_notes(con, rule, changed)


def retell_mismatches(con: duckdb.DuckDBPyConnection) -> None:
    """Note on each 累计 told off its months' sum (`cumulative_mismatch`) whether the months in force now add up to it.

    A month sent before the months before it is told its 累计 is off, those months counted as 0; once they come (or
    an earlier month's 本月 is corrected) it may add up, and the receipt must not go on asking. Judged on the row
    while it is in force, with the suite's tolerance; the note goes again if the months that made it add up go.
    """
    changed = []
    templates = con.execute(
        "select distinct h.template from ops.validation_issues as v join ops.sheets as h using (submission_id, sheet) "
        f"where v.rule = '{_MISMATCH}'"
    ).fetchall()
    for (template,) in templates:
        changed += con.execute(
            f"update ops.validation_issues v set stale_note = c.note from ("
            f"  select t.submission_id, t.sheet, t.excel_row, case when abs(t.{_CUMULATIVE} - ("
            f"    select coalesce(sum(m.{_MONTHLY}), 0) from staging.{template} as m where m.unit = t.unit "
            f"    and m.project_code = t.project_code and m.year = t.year and m.month <= t.month"
            f"  )) <= ? then '{_ADDS_UP}' end as note "
            # Only the rows told so, and only while in force.
            f"  from ops.validation_issues as w join raw.{template} as t using (submission_id, sheet, excel_row) "
            "  join ops.current_slices as k on k.submission_id = t.submission_id and k.slice_key = t.slice_key "
            f"  where w.rule = '{_MISMATCH}'"
            f") as c where v.rule = '{_MISMATCH}' and v.submission_id = c.submission_id and v.sheet = c.sheet "
            "and v.excel_row = c.excel_row and v.stale_note is distinct from c.note returning v.submission_id",
            [gap_tolerance(template)],
        ).fetchall()
    recount_warnings(con, (n for (n,) in changed))


def retell_took(con: duckdb.DuckDBPyConnection) -> None:
    """Note on each warning that a unit's list took another office's slice whether a list of the unit holds it still.

    Its fact is the slice, not a file's status: the office's own later list may take it back while both files stay
    in force, the unit's later list holds it in the first one's place, and the office's file, superseded by the
    taking, is in force again once the unit's list is withdrawn. While a list of the unit holds it the warning
    applies (the office's file withdrawn too: its rows still do not count); once the office's file holds it, the
    note names that file; once none does, every file that had it is withdrawn, and the note says so as any does.
    """
    rows = con.execute(
        "select v.submission_id, v.named_submissions, split_part(mine.slice_key, '|', 2), "
        f"bool_or(coalesce({_TAKEN}, false)), "
        f"list_sort(list(distinct c.submission_id) filter (where not ({_TAKEN}))), "
        f"{_NAMED_STANDING} "
        "from ops.validation_issues as v "
        "join ops.slices as mine on mine.submission_id = v.submission_id and mine.row_count = 0 "
        "join ops.slices as theirs on theirs.slice_key = mine.slice_key "
        "and list_contains(v.named_submissions, theirs.submission_id) "
        "left join ops.current_slices as c on c.slice_key = mine.slice_key "
        "left join ops.slices as held on held.submission_id = c.submission_id and held.slice_key = c.slice_key "
        "left join ops.submissions as h on h.submission_id = c.submission_id "
        f"where v.rule = '{_TOOK}' group by all"
    ).fetchall()
    changed = []
    for submission_id, named, unit, held, holders, statuses in rows:
        if held:
            note = None
        elif holders:
            note = (
                f"{unit}报送的该项目清单现以其{_numbers(holders)}为准，本单位的清单已不再替代其数据，"
                "此提示不再适用，无需处理。"
            )
        else:
            note = _stale(named, statuses)
        changed.append((submission_id, named, note))
    _set_notes(con, _TOOK, changed)


def _set_notes(
    con: duckdb.DuckDBPyConnection, rule: str, changed: list[tuple[int, list[int], str | None]]
) -> None:
    """Set the notes of these warnings of one rule, by (submission, named submissions); recount where one changed."""
    if not changed:
        return
    told = con.execute(
        "update ops.validation_issues v set stale_note = c.note "
        "from (select unnest(?::integer[]) as submission_id, unnest(?::integer[][]) as named, "
        "unnest(?::varchar[]) as note) c "
        "where v.rule = ? and v.submission_id = c.submission_id and v.named_submissions = c.named "
        "and v.stale_note is distinct from c.note returning v.submission_id",
        [*(list(column) for column in zip(*changed, strict=True)), rule],
    ).fetchall()
    recount_warnings(con, (n for (n,) in told))


def retell_listed(con: duckdb.DuckDBPyConnection) -> None:
    """Note on each warning that an implementing unit's list took an office's slice whether it still applies.

    It names the unit's lists that held the slice: once none of them is in force it no longer applies, as any
    warning naming files. Nor does it once the office's own later file holds the slice again, having sent only the
    rows that are its own, as the warning asked; should that file be withdrawn, the unit's list holds the slice
    again and the warning applies again.
    """
    rows = con.execute(
        "select v.submission_id, v.named_submissions, "
        "list_sort(list(distinct c.submission_id) filter ("
        "  where h.unit = split_part(c.slice_key, '|', 2) and c.submission_id <> v.submission_id)), "
        f"{_NAMED_STANDING} "
        # Left joins: a warning whose slice is not found still gets the note any warning naming files gets.
        "from ops.validation_issues as v "
        "left join ops.slices as mine on mine.submission_id = v.submission_id "
        "left join ops.slices as theirs on theirs.slice_key = mine.slice_key "
        "and list_contains(v.named_submissions, theirs.submission_id) "
        "left join ops.current_slices as c on c.slice_key = theirs.slice_key "
        "left join ops.submissions as h on h.submission_id = c.submission_id "
        f"where v.rule = '{_LISTED}' group by all"
    ).fetchall()
    changed = []
    for submission_id, named, own_later, statuses in rows:
        note = _stale(named, statuses)
        if note is None and own_later:
            note = (
                f"本单位随后报送的{_numbers(own_later)}已重新报送该项目中本单位负责的各行，现以其为准，"
                "此提示不再适用，无需处理。"
            )
        changed.append((submission_id, named, note))
    _set_notes(con, _LISTED, changed)


# Who holds each slice `l` now (`c`), its slice there (`held`) and its submission (`h`), as `_TAKEN` reads them.
_HOLDER = (
    "join ops.current_slices as c on c.slice_key = l.slice_key "
    "join ops.slices as held on held.submission_id = c.submission_id and held.slice_key = c.slice_key "
    "join ops.submissions as h on h.submission_id = c.submission_id "
)
# A slice of the submission `t` that another office's list has taken, though `t` stays in force for its others.
_PARTLY_TAKEN = (
    f"select 1 from ops.slices as l {_HOLDER}"
    f"where l.submission_id = t.submission_id and c.submission_id <> t.submission_id and {_TAKEN}"
)


# How the submission `t` a duplicate repeats stands now (`force_sql`, or partly taken), and, when superseded, the
# corrections holding its slices, as its own receipt names them (`taken_reason`).
_STANDS = (
    f"case when {force_sql('t')} = 'accepted' and exists ({_PARTLY_TAKEN}) then 'partly_taken' "
    f"else {force_sql('t')} end, "
    f"case when {force_sql('t')} = 'superseded' then (select list_sort(list(distinct "
    f"struct_pack(n := c.submission_id, name := h.original_name))) from ops.slices as l {_HOLDER}"
    "where l.submission_id = t.submission_id and c.submission_id <> t.submission_id) end"
)


def _force_note(reason: str, status: str | None, corrections: list[dict] | None) -> str:
    """Return a duplicate's reason noting how the file it repeats stands, read by `_STANDS`."""
    if reason.startswith(UNNAMED):  # the file it repeats is not named to it: nor are that file's corrections
        corrections = None
    named = (
        _named([c["n"] for c in corrections], {c["n"]: c["name"] for c in corrections})
        if corrections
        else None
    )
    return with_force_note(reason, status, named)


def retell_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """Make each duplicate's reason say whether the file it repeats is in force now, as its arrival said then.

    A duplicate's receipt says "not stored again": where the file it repeats has since been superseded or
    withdrawn, or an implementing unit's list has taken some of its slices, that must not go on reading as "the
    data is in". Run once the statuses are settled (the end of a load, a withdrawal), so the words depend on where
    things stand, not on the order files were stored in.
    """
    rows = con.execute(
        f"select d.submission_id, d.reason, {_STANDS} "
        "from ops.submissions d join ops.submissions t on d.duplicate_of = t.submission_id "
        "where d.status = 'duplicate'"
    ).fetchall()
    changed = []
    for submission_id, reason, status, corrections in rows:
        told = _force_note(reason or "", status, corrections)
        if told != reason:
            changed.append((submission_id, told))
    _set_reasons(con, changed)


def told_as_stored(con: duckdb.DuckDBPyConnection, repeats: list[tuple[int, str]]) -> list[str]:
    """Return the reasons of duplicates, each given with the submission it repeats, as `retell_duplicates` words
    them once stored."""
    # A dry run stores nothing to retell: without this, a copy of a corrected file was not told which correction.
    stands = {
        number: (status, corrections)
        for number, status, corrections in con.execute(
            f"select t.submission_id, {_STANDS} from ops.submissions t "
            "where t.submission_id in (select unnest(?::bigint[]))",
            [sorted({number for number, _ in repeats})],
        ).fetchall()
    }
    return [_force_note(reason, *stands[number]) for number, reason in repeats]


def _numbers(submission_ids: list[int]) -> str:
    return "、".join(f"第{n}号" for n in submission_ids) + "提交"


def taken_reason(takers: list[int], own: list[int], names: dict[int, str]) -> str:
    """Return why a superseded file is out of force: implementing units' lists (`takers`) hold some of its slices
    and its office's later files (`own`, named by `names`) the others, or its office's own corrections all."""
    if not takers:
        # The clerk is told which file to look at, as the portal's history shows it: not only "a later one".
        said = _named(own, names)
        return (
            f"此文件的数据已被同一单位随后报送的更正版本（{said}）替代，现以更正版本为准；原文件仍存档备查。"
        )
    by = f"项目实施单位随后报送的{_numbers(takers)}"
    if own:
        by += f"和本单位随后报送的{_numbers(own)}"
    these = "该提交" if len(takers) + len(own) == 1 else "这些提交"
    return f"此文件的数据已由{by}替代，现以{these}为准（见下列警告）；原文件仍存档备查。"


def _named(submission_ids: list[int], names: dict[int, str]) -> str:
    return "、".join(f"第{n}号提交“{names[n]}”" for n in submission_ids)


def retell_partly_replaced(con: duckdb.DuckDBPyConnection) -> None:
    """Make each accepted file's reason name the slices its office's later files hold in its place, if any.

    A 月报 of January to June corrected by a file of May and June stays accepted for January to April: its receipt
    said only 已接收, so the clerk read its May and June as in force (the portal's history named the correction). An
    implementing unit's list taking some slices is told by the warnings instead (`listed_by_other_unit`).
    """
    later = f"c.submission_id > s.submission_id and not ({_TAKEN})"
    rows = con.execute(
        "select s.submission_id, s.reason, "
        f"list(distinct [l.project_name, l.year::varchar, l.month::varchar]) filter (where {later}), "
        f"list_sort(list(distinct c.submission_id) filter (where {later})), "
        "map_from_entries(list(distinct (c.submission_id, h.original_name))) "
        f"from ops.submissions as s join ops.slices as l using (submission_id) {_HOLDER}"
        "where s.status = 'accepted' group by s.submission_id, s.reason "
        f"having s.reason is not null or bool_or({later})",
    ).fetchall()
    changed = []
    for submission_id, reason, parts, own, names in rows:
        told = None
        if own:
            months: dict[tuple[str, str], list[str]] = {}
            for name, year, month in sorted(parts, key=lambda p: (p[0], int(p[1]), int(p[2] or 0))):
                months.setdefault((name, year), []).append(f"{month}月" if month else "度")
            replaced = "、".join(f"“{name}”{year}年{'、'.join(m)}" for (name, year), m in months.items())
            told = (
                f"此文件中{replaced}的数据已被同一单位随后报送的更正版本（{_named(own, names)}）替代，"
                "现以更正版本为准，其余数据仍有效。"
            )
        if told != reason:
            changed.append((submission_id, told))
    _set_reasons(con, changed)


def retell_taken(con: duckdb.DuckDBPyConnection, submission_ids: set[int] | None = None) -> None:
    """Make each superseded file's reason (these only, if given) name the files holding its slices now.

    An implementing unit's list takes another office's slice of its project (`stored_before._taken_from`); a corrected
    list of the unit then holds it in the first one's place, the office's own later list may take it back, and a
    withdrawal gives it to the file before. The reason follows, so the receipt never names a list no longer in
    force. Only this sets a superseded file's reason.
    """
    if submission_ids is not None and not submission_ids:
        return  # a batch that took no other office's slice: nothing to retell (the query runs per batch)
    rows = con.execute(
        "select s.submission_id, s.reason, "
        f"list_sort(list(distinct c.submission_id) filter (where {_TAKEN})), "
        f"list_sort(list(distinct c.submission_id) filter (where not ({_TAKEN}))), "
        f"map_from_entries(list(distinct (c.submission_id, h.original_name)) filter (where not ({_TAKEN}))) "
        f"from ops.submissions as s join ops.slices as l using (submission_id) {_HOLDER}"
        "where s.status = 'superseded' and (?::integer[] is null or list_contains(?::integer[], s.submission_id)) "
        "group by s.submission_id, s.reason",
        [None if submission_ids is None else sorted(submission_ids)] * 2,
    ).fetchall()
    changed = []
    for submission_id, reason, takers, own, names in rows:
        told = taken_reason(takers or [], own or [], names or {})
        if told != reason:
            changed.append((submission_id, told))
    _set_reasons(con, changed)


def _set_reasons(con: duckdb.DuckDBPyConnection, changed: list[tuple[int, str | None]]) -> None:
    """Set these submissions' reasons, and mark their receipts to be rewritten."""
    if changed:
        # A receipt status that is no status makes the receipt stale: the next write_receipts rewrites it.
        con.execute(
            "update ops.submissions s set reason = c.reason, receipt_status = null "
            "from (select unnest(?::integer[]) as submission_id, unnest(?::varchar[]) as reason) c "
            "where s.submission_id = c.submission_id",
            [list(column) for column in zip(*changed, strict=True)],
        )
