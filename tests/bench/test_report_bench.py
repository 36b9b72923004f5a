"""The report yardstick's pieces: its data root kept while it names its inbox, and its figure held against 5 s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import report_bench


@pytest.fixture
def out(tmp_path: Path, monkeypatch) -> dict:
    """bench/out in a scratch folder; an inbox of the seed's N files, and an ingest that only counts its calls."""
    monkeypatch.setattr(report_bench, "OUT", tmp_path)
    manifest = {"fingerprint": "abc", "files": ["a.xlsx", "b.csv"], "years": [2021]}
    ingests = []

    def ensure_inbox(n: int, seed: int):
        return tmp_path / f"inbox-s{seed}-n{n}", dict(manifest)

    def measure_ingest(home: Path, inbox: Path) -> dict:
        ingests.append(home)
        home.mkdir(parents=True, exist_ok=True)
        (home / "warehouse.duckdb").touch()
        return {"statuses": {"accepted": len(manifest["files"])}, "ingest_s": 1.5}

    monkeypatch.setattr(report_bench, "ensure_inbox", ensure_inbox)
    monkeypatch.setattr(report_bench, "measure_ingest", measure_ingest)
    return {"manifest": manifest, "ingests": ingests, "root": tmp_path}


def test_the_data_root_is_ingested_once_and_reused_while_it_names_its_inbox(out):
    home, _, _, first = report_bench.data_root(2000, 777)
    _, _, _, again = report_bench.data_root(2000, 777)
    out["manifest"]["fingerprint"] = "changed"  # the generator changed: the inbox was written anew
    _, _, _, after_change = report_bench.data_root(2000, 777)

    assert home == out["root"] / "home-s777-n2000"
    assert (first, again, after_change) == (1.5, None, 1.5)
    assert len(out["ingests"]) == 2
    assert json.loads((out["root"] / "home-s777-n2000.json").read_text())["fingerprint"] == "changed"


def test_a_data_root_that_did_not_take_every_file_stops_the_benchmark(out, monkeypatch):
    monkeypatch.setattr(
        report_bench, "measure_ingest", lambda home, inbox: {"statuses": {"accepted": 1}, "ingest_s": 1.0}
    )

    with pytest.raises(SystemExit, match="did not accept every file"):
        report_bench.data_root(2000, 777)
    assert not (out["root"] / "home-s777-n2000.json").exists()


def figures(together: float, quick: bool = False) -> dict:
    return {
        "n": 120 if quick else 2000, "seed": 777, "year": 2021, "quick": quick, "projects": 412,
        "figures": 90_496, "indicators_s": 1.0, "report_s": together - 1.0, "together_s": together,
    }  # fmt: skip


def test_the_yardstick_is_held_against_five_seconds_and_a_quick_run_says_it_is_not_the_yardstick():
    met, missed = report_bench.target(figures(5.0)), report_bench.target(figures(5.01))
    quick = report_bench.target(figures(1.0, quick=True))

    assert (met.passed, missed.passed) == (True, False)
    assert "412 projects" in met.name and "--n 2,000 --seed 777" in met.why
    assert "not the yardstick" in quick.why and "not the yardstick" not in met.why
