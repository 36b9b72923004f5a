"""Kill `pipeline run` with SIGKILL while it loads: the small version of bench/crash_trials.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.crash_trials import launch_forked, run_trials
from pipeline import warehouse
from pipeline.warehouse import working_copy, writer


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
