"""Two files of one slice ordered by an implausible modified time are both warned, wherever the night cuts them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.intake import cutting, ingest
from pipeline.warehouse import working_copy
from pipeline.withdraw import withdraw
from tests.pipeline.test_intake import (
    COMPOUNDS_V1,
    COMPOUNDS_V2,
    drop,
    ingest_killed_at_the_second_batch,
    query,
)

# A draft copied from a machine whose clock says 2100 stands over the correction sent an hour ago.
STANDING, ASIDE = "枣林街道办事处/清单（旧稿）.csv", "枣林街道办事处/清单（更正）.csv"
_CUTS = {"one piece": {}, "a file a chunk": {"FILES_PER_CHUNK": 1}, "a file a batch": {"FILES_PER_BATCH": 1}}


def _drop_both(settings, standing: bool = True) -> None:
    """Put the correction, and the draft stamped 2100 after it, into the inbox (the draft only if `standing`)."""
    an_hour_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp()) * 10**9
    drop(settings, ASIDE, COMPOUNDS_V2, mtime=an_hour_ago)
    if standing:
        drop(settings, STANDING, COMPOUNDS_V1, mtime=4102444800 * 10**9)


def _told(settings) -> dict[str, tuple]:
    """Return, by inbox path, each file's status, open warnings, the files its clock warnings name (by inbox path)
    and their notes, and what its receipt says of the clock."""
    paths = dict(query(settings, "select submission_id, inbox_path from ops.submissions"))
    told = {}
    for number, path, status, warnings, receipt in query(
        settings,
        "select submission_id, inbox_path, status, warning_count, receipt_path from ops.submissions "
        "where original_name like '清单%'",
    ):
        issues = query(
            settings,
            "select named_submissions, stale_note from ops.validation_issues "
            "where submission_id = ? and rule = 'odd_modified_time'",
            [number],
        )
        problems = json.loads(Path(receipt).with_suffix(".json").read_text("utf-8"))["problems"]
        said = [p["message_zh"] for p in problems if p["rule"] == "odd_modified_time"]
        told[path] = (
            status,
            warnings,
            [([paths[n] for n in named or []], note) for named, note in issues],
            said,
        )
    return told


@pytest.mark.parametrize("cut", list(_CUTS))
def test_two_files_ordered_by_an_odd_clock_are_both_warned_naming_each_other_wherever_the_night_cuts_them(
    settings, registry, register, clock_checked, monkeypatch, cut
):
    """Cut into chunks, the draft in the later one replaced the correction unwarned; cut into batches, the
    correction's warning, stored before the draft, named no file, so withdrawing the draft never told it
    no longer applies. Now every cut tells what one piece tells."""
    for name, value in _CUTS[cut].items():
        monkeypatch.setattr(cutting, name, value)
    _drop_both(settings)

    ingest(settings, registry, progress=False)

    told = _told(settings)
    assert {path: (status, warnings, named) for path, (status, warnings, named, _) in told.items()} == {
        STANDING: ("accepted", 1, [([ASIDE], None)]),
        ASIDE: ("superseded", 1, [([STANDING], None)]),
    }
    for path, other in ((STANDING, ASIDE), (ASIDE, STANDING)):
        [said] = told[path][3]
        assert "两者之中以“清单（旧稿）.csv”的数据为准" in said
        assert f"“{other.rsplit('/', 1)[1]}”的修改时间为" in said
        assert "2100-01-01 08:00:00（北京时间）（不合常理" in said

    # The draft withdrawn, the correction stands: its warning no longer applies.
    [(standing,)] = query(
        settings, "select submission_id from ops.submissions where inbox_path = ?", [STANDING]
    )
    withdraw(settings, registry, standing, "误报")
    [(warnings, note)] = query(
        dataclasses.replace(
            settings, warehouse=working_copy(settings.warehouse)
        ),  # withdrawn, not yet published
        "select warning_count, stale_note from ops.submissions join ops.validation_issues using (submission_id) "
        "where inbox_path = ?",
        [ASIDE],
    )
    assert warnings == 0
    assert note == f"所涉第{standing}号提交已撤回，其数据已不再有效，此提示不再适用，无需处理。"


@pytest.mark.parametrize("retried", ["with the draft", "the draft taken away"])
def test_a_run_killed_between_the_two_files_ends_told_as_one_piece(
    settings, registry, register, clock_checked, monkeypatch, retried
):
    """Killed once the correction was stored, its warning naming the draft not stored yet: the retry tells it as
    one piece would, and a draft never stored leaves it unwarned, as nothing stands over it."""
    _drop_both(settings)
    ingest_killed_at_the_second_batch(settings, registry, monkeypatch)
    if retried == "the draft taken away":
        (settings.inbox / STANDING).unlink()

    ingest(settings, registry, progress=False)

    told = _told(settings)
    if retried == "with the draft":
        assert {path: (status, warnings, named) for path, (status, warnings, named, _) in told.items()} == {
            STANDING: ("accepted", 1, [([ASIDE], None)]),
            ASIDE: ("superseded", 1, [([STANDING], None)]),
        }
        assert all(len(said) == 1 for *_, said in told.values())
    else:
        assert told == {ASIDE: ("accepted", 0, [], [])}
