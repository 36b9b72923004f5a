"""Valid files edited the way clerks edit them (the small version of bench/edit_trials.py): each gets an outcome
and a whole receipt, and none is refused for a fault of ours."""

from __future__ import annotations

import random

import pytest

from bench.edit_trials import EDITS, edit, judge, plant
from bench.hostile_judge import ingest_in_subprocess


def test_each_edit_changes_a_sheet_and_is_named():
    rows = [
        ["项目名称", "年度", "金额（万元）"],
        ["甲项目", 2022, 12.5],
        ["乙项目", 2022, 3],
        ["合计", None, 15.5],
    ]
    rng = random.Random(3)
    for name, change in EDITS.items():
        edited = [list(row) for row in rows]
        for _ in range(20):  # a swap of two blank cells, say, may change nothing: some draw must
            change(rng, edited)
            if edited != rows:
                break
        assert edited != rows, name
    edited, done = edit(rng, rows)
    assert 1 <= len(done) <= 4 and set(done) <= set(EDITS) and rows[0] == ["项目名称", "年度", "金额（万元）"]


@pytest.mark.slow  # a subprocess ingest of 90 files, about 10 s on two cores
def test_edited_files_each_get_an_outcome_and_a_receipt_and_none_is_a_fault_of_ours(tmp_path):
    planted = plant(tmp_path / "inbox", n=60, valid=30, seed=5)
    exit_status, _, output = ingest_in_subprocess(tmp_path / "home", tmp_path / "inbox")

    result = judge(tmp_path / "home" / "warehouse.duckdb", planted, exit_status)

    assert exit_status == 0, output[-2000:]
    assert result.our_faults == [] and result.without_receipt == []
    assert sum(result.statuses.values()) == result.files == len(planted.valid) + len(planted.edited)
    # The edits are felt: some copies are refused, with the rule that says why, and some still pass.
    assert result.statuses["rejected"] > 0 and result.statuses["accepted"] > 0
    assert "never stored" not in result.statuses
