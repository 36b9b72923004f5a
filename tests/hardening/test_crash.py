"""Kill `pipeline run` with SIGKILL while it loads: the small version of bench/crash_trials.py."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench.crash_launch import launch_forked
from bench.crash_trials import run_trials
from pipeline import warehouse
from pipeline.intake import ingest
from pipeline.settings import Settings
from pipeline.warehouse import working_copy, writer
from tests.pipeline.test_intake import drop, query, receipts_said
from tests.pipeline.test_later_months import MONTHS, REGISTER
from tests.pipeline.test_recheck import CORRECTION

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_runs_killed_while_loading_leave_nothing_half_stored_or_lost_and_a_rerun_matches(tmp_path):
    # Forked warm, the runs skip the imports; the reference and reruns ingest, which writes the same tables.
    summary = run_trials(
        trials=3, files=10, seed=7, jobs=3, root=tmp_path, launch=launch_forked, rerun="ingest"
    )

    assert summary.problems == []
    assert summary.finished_before_kill == 0
    assert summary.killed_during_load >= 1
    # The runs load in small batches: trial 2 (seed 7) is killed once 9 of the 10 files are archived, so after
    # earlier batches committed; a kill only ever before the first commit would prove much less.
    assert max(summary.stored_at_kills) >= 1
    assert summary.consistent_after_kill == summary.identical_after_rerun == 3


@pytest.mark.slow
def test_runs_killed_between_a_batchs_archive_fsync_and_its_commit_keep_its_files_and_store_none_of_them(
    tmp_path,
):
    # Held after a drawn batch's archive copies are made durable, killed before its transaction commits.
    summary = run_trials(
        trials=0,
        commit_trials=2,
        files=10,
        seed=7,
        jobs=2,
        root=tmp_path,
        launch=launch_forked,
        rerun="ingest",
    )

    assert summary.problems == []
    assert summary.killed_at_commit == summary.commit_trials == 2
    assert all(files >= 1 for files in summary.archived_at_commit)
    assert summary.consistent_after_kill == summary.identical_after_rerun == 2


def test_a_copy_of_the_published_warehouse_cut_short_never_becomes_the_working_copy(tmp_path, monkeypatch):
    published = tmp_path / "warehouse.duckdb"
    with writer(published) as con:
        con.execute("create table kept as select 42 as answer")
    shutil.rmtree(working_copy(published).parent)  # as on a new server, or after cleaning up

    def cut_short(source, target):
        Path(target).write_bytes(Path(source).read_bytes()[:4096])
        raise OSError("killed mid-copy")

    monkeypatch.setattr(warehouse.shutil, "copyfile", cut_short)
    with pytest.raises(OSError), writer(published):
        pass
    monkeypatch.undo()
    with writer(published) as con:
        assert con.execute("select answer from kept").fetchall() == [(42,)]


# A run SIGKILLed in a real process where some of its batches have committed, judged beside files it never stored.
KILLED_AT = """
import os, signal, sys
from pipeline.intake import cutting, ingest, load
from pipeline.registry import load_registry
from pipeline.settings import Settings

home, files_per_chunk, name, call = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
cutting.FILES_PER_CHUNK, cutting.FILES_PER_BATCH = files_per_chunk, 1
real, calls = getattr(load, name), []

def dying(*args, **kwargs):
    calls.append(1)
    if len(calls) == call:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

setattr(load, name, dying)
ingest(Settings.from_env(home), load_registry(), progress=False)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files_per_chunk", "dies_in", "call"),
    [(100, "store_batch", 6), (2, "recheck_cumulatives", 3)],
    ids=["at a chunk's later batch", "in the last chunk's recheck"],
)
def test_a_run_sigkilled_after_some_batches_committed_is_told_as_one_run_once_rerun(
    tmp_path, registry, files_per_chunk, dies_in, call
):
    files = [REGISTER, *MONTHS, CORRECTION]
    one_piece = Settings.from_env(tmp_path / "one piece")
    killed = Settings.from_env(tmp_path / "killed")
    for settings in (one_piece, killed):
        for at, (path, content) in enumerate(files, start=1):
            drop(settings, path, content, mtime=10**18 + at * 10**15)
    ingest(one_piece, registry, progress=False)

    child = [
        sys.executable,
        "-c",
        KILLED_AT,
        str(tmp_path / "killed"),
        str(files_per_chunk),
        dies_in,
        str(call),
    ]
    died = subprocess.run(child, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    with duckdb.connect(str(working_copy(killed.warehouse)), read_only=True) as con:  # never published
        (stored,) = con.execute("select count(*) from ops.submissions").fetchone()
    assert 0 < stored < len(files)  # some batches committed, not all
    ingest(killed, registry, progress=False)

    assert receipts_said(killed) == receipts_said(one_piece)
    # The run that took the rest in counts the killed run's files too: the night is told as one run.
    counted = "select new_files, accepted, rejected, duplicate, unchanged, skipped from ops.runs"
    assert query(killed, counted) == query(one_piece, counted)
