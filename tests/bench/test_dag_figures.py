"""The DAG benchmark's figures held against their targets: the scheduler run beside the CLI, each task process's
memory, and a run that failed or never started."""

from __future__ import annotations

from bench.dag_figures import targets

GIB_KIB = 1024 * 1024


def run_figures(state: str = "success", seconds: float = 30.0, extra_env: dict | None = None, **more) -> dict:
    """A scheduler run's figures as measure_scheduler returns them: find, two shards, load."""
    tasks = [
        {"task_id": "find_new_files", "map_index": -1, "duration_s": 2.0, "tree_kib": 150_000},
        {"task_id": "parse_shard", "map_index": 0, "duration_s": 9.0, "tree_kib": 700_000},
        {"task_id": "parse_shard", "map_index": 1, "duration_s": 11.0, "tree_kib": 690_000},
        {"task_id": "load_files", "map_index": -1, "duration_s": 12.0, "tree_kib": 900_000},
    ]
    return {"state": state, "trigger_to_end_s": seconds, "extra_env": extra_env or {}, "tasks": tasks} | more


def test_the_scheduler_run_is_held_against_one_and_a_half_times_the_cli_and_one_gib_per_task():
    ingest = {"process_s": 24.0, "ingest_s": 21.0}

    met = targets({"scheduler": [run_figures(seconds=36.0)]}, ingest)
    missed = targets({"scheduler": [run_figures(seconds=36.1)]}, ingest)

    assert [(t.measured, t.passed) for t in met] == [("1.50×", True), ("0.86 GiB", True)]
    assert (missed[0].measured, missed[0].passed) == ("1.50×", False)
    # Where the time went: the critical path is find + the longest shard + load = 25 s.
    assert "critical path 25.00 s, Airflow between them 11.10 s" in missed[0].why


def test_the_publication_the_dags_load_leaves_to_annual_indicators_counts_in_the_ratio():
    ingest = {"process_s": 24.0, "ingest_s": 21.0}

    # `pipeline ingest` publishes within its 24 s; the DAG's load leaves it to the next DAG, timed after the run.
    ratio = targets({"scheduler": [run_figures(seconds=35.9, publish_s=0.2)]}, ingest)[0]

    assert (ratio.measured, ratio.passed) == ("1.50×", False)
    assert "publication after it 0.20 s" in ratio.why


def test_a_task_process_above_one_gib_misses_its_target():
    figures = run_figures()
    figures["tasks"][3]["tree_kib"] = GIB_KIB + 1

    rss = targets({"scheduler": [figures]}, {"ingest_s": 20.0})[1]

    assert not rss.passed and rss.measured == "1.00 GiB" and "load_files" in rss.why


def test_a_failed_run_misses_with_its_cause_and_the_workaround_figure_beside_it():
    failed = run_figures("failed", 6.0, failure="parse_shard[0] failed: BrokenProcessPool: …")
    workaround = run_figures("success", 30.0, extra_env={"PIPELINE_WORKERS": "1"})

    ratio, rss = targets({"scheduler": [failed, workaround]}, {"process_s": 20.0})

    assert (ratio.measured, ratio.passed) == ("failed", False)
    assert ratio.why.startswith("parse_shard[0] failed: BrokenProcessPool")
    assert "with PIPELINE_WORKERS=1 it took 30.00 s, 1.50× the CLI with its publication" in ratio.why
    assert rss.passed  # the largest task process over both runs


def test_a_run_that_never_started_says_why():
    ratio, rss = targets({"scheduler": [{"error": "RuntimeError: Airflow was not ready"}]}, {"ingest_s": 1})

    assert (ratio.measured, ratio.passed, ratio.why) == (
        "failed",
        False,
        "RuntimeError: Airflow was not ready",
    )
    assert (rss.measured, rss.passed) == ("not sampled", False)
