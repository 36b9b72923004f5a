"""What a run's warehouse took in, held against the CLI's path by path."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.dag_airflow import taken_in
from bench.dag_figures import same_as_cli


def test_warehouses_are_compared_path_by_path(tmp_path):
    def warehouse(name: str, rows: list[tuple[str, str]]) -> Path:
        home = tmp_path / name
        home.mkdir()
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            con.execute(
                "create schema ops; create table ops.submissions (inbox_path varchar, status varchar)"
            )
            con.executemany("insert into ops.submissions values (?, ?)", rows)
        return home

    cli = taken_in(warehouse("cli", [("a.xlsx", "accepted"), ("b.csv", "rejected")]))
    same = taken_in(warehouse("same", [("b.csv", "rejected"), ("a.xlsx", "accepted")]))
    swapped = taken_in(warehouse("swapped", [("a.xlsx", "rejected"), ("b.csv", "accepted")]))

    assert cli["by_status"] == {"accepted": 1, "rejected": 1} == swapped["by_status"]
    assert same_as_cli(same, cli) == "accepted 1, rejected 1 — same as the CLI's"
    assert "DIFFERS" in same_as_cli(swapped, cli)
    assert taken_in(tmp_path / "none") == {"by_status": {}, "digest": "", "files": 0}
