"""The 累计 of files stored in a run's earlier chunks checked again once a later chunk is stored
(pipeline/intake/recheck)."""

from __future__ import annotations

import datetime as dt
import re
import weakref

import duckdb
import pytest

from pipeline import read_day
from pipeline.inbox_storage import storage_for
from pipeline.intake import cutting, ingest, load, recheck, run_end
from pipeline.settings import Settings
from pipeline.warehouse_schema import SQL_DIR
from tests.pipeline.test_intake import drop, query, receipts_in_one_piece_and_in_chunks, receipts_said
from tests.pipeline.test_later_months import MONTHS, PROJECT, REGISTER, progress_csv
from tests.pipeline.test_other_year import COMPOUNDS, compounds_csv
from tests.pipeline.test_projects import JIA, YEAR
from tests.pipeline.workbooks import PROGRESS_HEADER, xlsx

SCHEMA = SQL_DIR / "ops" / "schema.sql"

# February's 本月 corrected from 50 to 70 after March and April came: their 累计 no longer add up.
CORRECTION = (f"{JIA}/2月（更正）.csv", progress_csv((2, "70", "170")))


def _nights(settings: Settings, registry, *nights: list[tuple[str, str]]) -> None:
    """Take these files in, night by night, each file's modified time after the one before."""
    at = 0
    for files in nights:
        for path, content in files:
            at += 1
            drop(settings, path, content, mtime=at * 10**15)
        ingest(settings, registry, progress=False)


def _killed(*_) -> None:
    raise SystemExit("killed")  # not an Exception: nothing on the way out rolls back or commits


# Sent with February's correction: April's 累计 corrected to add up with it, or January's 本月 corrected so that
# March's and April's add up again. Each, sent after the correction, makes its stale warning wrong in part or whole;
# the correction, sent after January's, makes January's wrong.
APRIL_FIXED = (f"{JIA}/4月（更正）.csv", progress_csv((4, "60", "320")))
JANUARY_FIXED = (f"{JIA}/1月（更正）.csv", progress_csv((1, "80", "80")))


@pytest.mark.parametrize(
    "files",
    [
        [CORRECTION, APRIL_FIXED],
        [CORRECTION, JANUARY_FIXED],
        [JANUARY_FIXED, CORRECTION],
    ],
    ids=[
        "later month fixed after",
        "made to add up after",
        "made to add up before",
    ],
)
def test_a_run_in_chunks_tells_a_stale_cumulative_as_a_run_in_one_piece_does(
    tmp_path, registry, monkeypatch, files
):
    one_piece, chunked = receipts_in_one_piece_and_in_chunks(
        tmp_path, registry, monkeypatch, *files, before=(REGISTER, *MONTHS)
    )

    assert chunked == one_piece


# February beside a compound list naming a compound twice: returned by the suites alone, its 本月 making March's
# 累计 add up.
FEBRUARY_RETURNED = (
    f"{JIA}/2月及小区清单.xlsx",
    xlsx(
        {
            "投资进度": [["投资完成情况月报"], PROGRESS_HEADER, [PROJECT, YEAR, 2, 1000, 70, 170]],
            "小区清单": [
                line.split(",") for line in compounds_csv(YEAR, rows=COMPOUNDS[:1] * 2).splitlines()
            ],
        }
    ),
)
MARCH = (f"{JIA}/3月.csv", progress_csv((3, "90", "260")))


@pytest.mark.parametrize("order", ["returned first", "returned after"])
def test_a_file_returned_lends_no_month_to_a_cumulative_in_one_piece_or_in_chunks(
    tmp_path, registry, monkeypatch, order
):
    files = [FEBRUARY_RETURNED, MARCH] if order == "returned first" else [MARCH, FEBRUARY_RETURNED]
    one_piece, chunked = receipts_in_one_piece_and_in_chunks(
        tmp_path, registry, monkeypatch, REGISTER, MONTHS[0], *files
    )

    assert one_piece[FEBRUARY_RETURNED[0]]["status"] == "rejected"
    [said] = [p for p in one_piece[MARCH[0]]["problems"] if p["rule"] == "cumulative_mismatch"]
    assert (
        "2月未报送，按0计" in said["message_zh"]
    )  # February is not in force, whatever the returned file says
    assert chunked == one_piece


def test_a_chunk_lets_each_batch_go_once_stored_before_its_recheck_reads_earlier_files_back(
    tmp_path, registry, monkeypatch
):
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 3)
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 1)
    store_batch, recheck_cumulatives = load.store_batch, load.recheck_cumulatives
    since: list[list[weakref.ref]] = []  # the candidates of each batch stored since the last recheck
    alive, followed = [], 0

    def storing(con, archived, *args):
        since.append([weakref.ref(candidate) for candidate, _ in archived])
        return store_batch(con, archived, *args)

    def rechecking(*args):
        nonlocal followed
        stored = [ref for refs in since[:-1] for ref in refs]  # not the batch whose transaction runs it
        followed += len(stored)
        alive.append(sum(ref() is not None for ref in stored))
        since.clear()
        return recheck_cumulatives(*args)

    monkeypatch.setattr(load, "store_batch", storing)
    monkeypatch.setattr(load, "recheck_cumulatives", rechecking)
    settings = Settings.from_env(tmp_path)
    for at, (path, content) in enumerate([REGISTER, *MONTHS, CORRECTION], start=1):
        drop(settings, path, content, mtime=at * 10**15)
    ingest(settings, registry, progress=False)

    assert len(alive) == 2 and followed == 4  # two chunks of three files, a file a batch
    assert alive == [0, 0]


def _dies_at(monkeypatch: pytest.MonkeyPatch, module, name: str, call: int) -> None:
    """Have `module.<name>` kill the run (SystemExit: nothing rolled back or committed on the way out) at this call."""
    real, calls = getattr(module, name), []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            _killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, dying)


@pytest.mark.slow  # three runs each, 5 s or more on two cores: make test-slow
@pytest.mark.parametrize(
    ("files_per_chunk", "module", "dies_in", "call"),
    [
        (100, load, "store_batch", 6),  # one chunk, a file a batch: the correction's batch never commits
        (2, load, "recheck_cumulatives", 3),  # the last chunk's recheck, April's batch committed beside it
        (1, recheck, "recount_warnings", 1),  # a file a chunk: as the recheck tells March and April
    ],
    ids=["in a chunk's later batch", "in the last chunk's recheck", "as the recheck tells earlier files"],
)
def test_a_run_killed_after_some_batches_committed_ends_told_as_the_run_in_one_piece(
    tmp_path, registry, monkeypatch, files_per_chunk, module, dies_in, call
):
    files = [REGISTER, *MONTHS, CORRECTION]
    one_piece = Settings.from_env(tmp_path / "one piece")
    _nights(one_piece, registry, files)

    killed = Settings.from_env(tmp_path / "killed")
    for at, (path, content) in enumerate(files, start=1):
        drop(killed, path, content, mtime=at * 10**15)
    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", files_per_chunk)
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 1)
    with monkeypatch.context() as dying:
        _dies_at(dying, module, dies_in, call)
        with pytest.raises(SystemExit):
            ingest(killed, registry, progress=False)
    # April was stored, judged beside the correction the kill rolled back; the retry takes the correction in.
    ingest(killed, registry, progress=False)

    said = receipts_said(killed)
    assert said[CORRECTION[0]]["status"] == "accepted"
    assert {p["rule"] for p in said[MONTHS[3][0]]["problems"]} == {"cumulative_mismatch"}
    # The file a correction superseded names it by its number, which is the order it was stored in: the killed run
    # stored April before the correction, the run in one piece after. Each names its own correction's number.
    for settings, receipts in ((killed, said), (one_piece, receipts_said(one_piece))):
        [(number,)] = query(
            settings, "select submission_id from ops.submissions where inbox_path = ?", [CORRECTION[0]]
        )
        assert f"第{number}号提交" in receipts[MONTHS[1][0]]["reason"]
    assert _unnumbered(said) == _unnumbered(receipts_said(one_piece))


def _unnumbered(receipts: dict[str, dict]) -> dict[str, dict]:
    """Return receipts with the submission numbers their reasons name taken out."""
    return {
        path: {**said, "reason": re.sub(r"第\d+号提交", "第…号提交", said["reason"] or "")}
        for path, said in receipts.items()
    }


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], (0, {1, 2, 3})),  # the first run ever was killed
        ([(2, "2026-12-01 23:00")], (2, {3})),
        ([(3, "2026-12-01 23:00")], (3, set())),
        # Rows written before runs kept their last submission: placed by their time, 2 received before it.
        ([(None, "2026-12-01 23:00")], (2, {3})),
        ([(None, "2026-11-30 23:00"), (2, "2026-12-01 23:00")], (2, {3})),
    ],
)
def test_the_submissions_of_a_run_that_never_finished_are_those_after_the_last_finished_runs(runs, expected):
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8"))
    for number, received in ((1, "2026-12-01 22:00"), (2, "2026-12-01 22:30"), (3, "2026-12-02 01:00")):
        con.execute(
            "insert into ops.submissions (submission_id, sha256, original_name, inbox_path, received_at, status, "
            "error_count, warning_count, archive_path) values (?, 'x', 'a.csv', 'a.csv', ?, 'accepted', 0, 0, 'x')",
            [number, f"{received}+08"],
        )
    for last, finished in runs:
        con.execute(
            "insert into ops.runs (finished_at, new_files, accepted, rejected, duplicate, unchanged, "
            "last_submission_id) values (?, 0, 0, 0, 0, 0, ?)",
            [f"{finished}+08", last],
        )

    assert recheck.unfinished_run(con) == expected


def test_the_run_that_takes_a_killed_runs_rest_in_counts_the_files_that_run_stored(
    tmp_path, registry, monkeypatch
):
    january_again = (f"{JIA}/1月（副本）.csv", MONTHS[0][1])  # the same bytes: a duplicate
    january_fixed = (f"{JIA}/1月（更正）.csv", progress_csv((1, "80", "80")))  # supersedes January
    returned = (f"{JIA}/坏.csv", progress_csv((2, "约50", "150")))
    files = [REGISTER, MONTHS[0], january_again, january_fixed, returned, MONTHS[1]]
    settings = Settings.from_env(tmp_path)
    for at, (path, content) in enumerate(files, start=1):
        drop(settings, path, content, mtime=at * 10**15)
    monkeypatch.setattr(cutting, "FILES_PER_BATCH", 1)
    with monkeypatch.context() as dying:
        _dies_at(
            dying, load, "store_batch", 5
        )  # the first four stored, the returned file's batch never commits
        with pytest.raises(SystemExit):
            ingest(settings, registry, progress=False)
    report = ingest(settings, registry, progress=False)

    # Its row counts the night's six files, as one run in one piece would: the four the kill left were new, not
    # unchanged.
    assert query(settings, "select new_files, accepted, rejected, duplicate, unchanged from ops.runs") == [
        (6, 4, 1, 1, 0)
    ]
    assert [(o.inbox_path, o.status) for o in report.outcomes] == [
        (REGISTER[0], "accepted"),
        (MONTHS[0][0], "accepted"),
        (january_again[0], "duplicate"),
        (january_fixed[0], "accepted"),
        (returned[0], "rejected"),
        (MONTHS[1][0], "accepted"),
    ]


def test_a_run_killed_once_every_batch_committed_is_counted_by_its_retry_as_new_not_unchanged(
    tmp_path, registry, monkeypatch
):
    settings = Settings.from_env(tmp_path)
    _nights(settings, registry, [REGISTER])  # a warehouse published before the killed night
    for at, (path, content) in enumerate(MONTHS[:2], start=2):
        drop(settings, path, content, mtime=at * 10**15)
    with monkeypatch.context() as dying:
        _dies_at(
            dying, run_end, "write_receipts", 1
        )  # both stored, neither told: nothing new is left in the inbox
        with pytest.raises(SystemExit):
            ingest(settings, registry, progress=False)
    report = ingest(settings, registry, progress=False)

    # The retry's inbox scan reads the writer's copy, which holds both: they are its new files, and only the
    # register is unchanged, as in a run in one piece.
    assert [o.inbox_path for o in report.outcomes] == [path for path, _ in MONTHS[:2]]
    assert report.unchanged == 1
    assert query(
        settings, "select new_files, accepted, unchanged from ops.runs order by finished_at desc limit 1"
    ) == [(2, 2, 1)]


@pytest.mark.parametrize("day_kept", [True, False], ids=["its day kept", "stored before days were kept"])
def test_a_file_read_back_from_the_archive_after_midnight_is_read_by_the_day_its_run_read_it(
    tmp_path, registry, monkeypatch, day_kept
):
    # April's file holds May's row as the year's template does: 0, the plan and 累计 carried down. Stored on 31 May,
    # May was still to come and the row passed over; read back by the clock of a run on 1 June (the one taking in
    # the rest of a killed run), May was over and the row a month of no investment the warehouse never held.
    april = (MONTHS[3][0], progress_csv((4, "60", "300"), (5, "0", "300")))
    monkeypatch.setattr(read_day, "today", lambda: dt.date(YEAR, 5, 31))
    settings = Settings.from_env(tmp_path)
    _nights(settings, registry, [REGISTER, april])
    monkeypatch.setattr(read_day, "today", lambda: dt.date(YEAR, 6, 1))

    with duckdb.connect(str(settings.warehouse)) as con:
        if not day_kept:  # received on the night of 31 May: 02:30 in Shanghai, 18:30 the day before in UTC
            con.execute(
                "update ops.submissions set read_on = null, received_at = ? where inbox_path = ?",
                [dt.datetime(YEAR, 5, 30, 18, 30, tzinfo=dt.UTC), april[0]],
            )
        [(number, stored_on)] = con.execute(
            "select submission_id, read_on from ops.submissions where inbox_path = ?", [april[0]]
        ).fetchall()
        parsed = recheck.read_archived(
            con, storage_for(settings), registry, settings.limits, number, april[0]
        ).parsed

    assert stored_on == (dt.date(YEAR, 5, 31) if day_kept else None)
    assert parsed.read_on.day == dt.date(YEAR, 5, 31)
    assert [r["month"] for sheet in parsed.sheets for r in sheet.records] == [4]
    assert [p.rule for p in parsed.all_problems] == ["months_after_title"]
