"""`nightly_ingest` under Airflow beside `pipeline ingest` on the same N files: dag.test() and a real scheduler.

bench/run.py calls `measure` after its CLI ingest figure; each measurement starts from a fresh, empty data root
(`bench/out/home-dag-<how>-n<N>/`) over the same inbox, with the CLI child's environment (`child_env`):

- dag.test(): a fresh process (`python -m bench.dag_bench dag-test FIGURES.json`) with its own AIRFLOW_HOME
  (`bench/out/airflow-dag-test/`, metadata DB migrated first) parses `dags/` as the DAG processor does and
  times `nightly_ingest.test()`; every task runs inside that process.
- A real scheduler, LocalExecutor, its components on 127.0.0.1 and its task processes' memory sampled from
  /proc (bench/dag_scheduler.py).

Both warehouses are held against the CLI's: submissions by status, and the same status for every inbox path.
If the scheduler run fails as configured, the cause is taken from the failed task's log and the run is
measured once more with `PIPELINE_WORKERS=1` (shards parsed in their task's own process), labelled as such.
Figures and targets: bench/dag_figures.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.child import ProcessTree, resources
from bench.dag_airflow import DAG_ID, airflow_cli, airflow_env, publication_seconds, taken_in
from bench.dag_figures import print_dag_test, print_ratios, print_scheduler
from bench.dag_scheduler import measure_scheduler
from bench.measure import child_env
from bench.places import DAGS, OUT, REPO, fresh
from bench.say import section

WORKAROUND = {"PIPELINE_WORKERS": "1"}


def measure(cli_home: Path, inbox: Path, n: int, ingest: dict) -> dict:
    """Measure dag.test() and a real scheduler run on fresh data roots; print each figure as it comes."""
    base_env = child_env(cli_home, inbox)
    results = {"cli_taken_in": taken_in(cli_home)}
    section(f"nightly_ingest on the same {n:,} files (Airflow, fresh data root each; bench/dag_bench.py)")
    results["dag_test"] = measure_dag_test(base_env, n)
    print_dag_test(results["dag_test"], results["cli_taken_in"], ingest)
    first = measure_scheduler(base_env, n, "", {})
    results["scheduler"] = [first]
    print_scheduler(first, results["cli_taken_in"], ingest)
    if first.get("state") == "failed" and first.get("failure", "").startswith("parse_shard"):
        retry = measure_scheduler(base_env, n, "workers1", WORKAROUND)
        results["scheduler"].append(retry)
        print_scheduler(retry, results["cli_taken_in"], ingest)
    print_ratios(results, ingest)
    return results


# dag.test(), in a fresh process.


def dag_test_child(figures_path: Path) -> None:
    """Parse `dags/` as the DAG processor does and time `nightly_ingest.test()`; write the figures as JSON."""
    started = time.perf_counter()
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    if bag.import_errors:
        raise SystemExit(f"import errors in {DAGS}: {bag.import_errors}")
    dag = bag.dags[DAG_ID]
    parsed = time.perf_counter()
    with ProcessTree() as tree:
        run = dag.test()
    finished = time.perf_counter()
    tasks = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": str(getattr(ti.state, "value", ti.state)),
            "duration_s": ti.duration,
        }
        for ti in sorted(run.get_task_instances(), key=lambda ti: (str(ti.start_date), ti.map_index))
    ]
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        loaded = session.scalars(
            select(XComModel.value).where(
                XComModel.dag_id == DAG_ID,
                XComModel.run_id == run.run_id,
                XComModel.task_id == "load_files",
                XComModel.key == "return_value",
            )
        ).first()
    figures = {
        "state": str(getattr(run.state, "value", run.state)),
        "load_split": (loaded or {}).get("seconds"),
        "import_s": parsed - started,
        "test_s": finished - parsed,
        "tree_peak_rss_kib": tree.peak_kib,
        "tasks": tasks,
    } | resources()
    figures_path.write_text(json.dumps(figures), encoding="utf-8")


def measure_dag_test(base_env: dict[str, str], n: int, out: Path = OUT) -> dict:
    """Migrate a fresh metadata DB, then time `nightly_ingest.test()` in a fresh process on an empty data root."""
    airflow_home = fresh(out / "airflow-dag-test")
    home = fresh(out / f"home-dag-test-n{n}")
    env = airflow_env(base_env | {"PIPELINE_HOME": str(home)}, airflow_home)
    result: dict = {"home": str(home)}
    try:
        result["migrate_s"] = airflow_cli(["db", "migrate"], env)
        figures_path = airflow_home / "figures.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.dag_bench", "dag-test", str(figures_path)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        result["process_s"] = time.perf_counter() - started
        (airflow_home / "dag-test.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0 or not figures_path.exists():
            raise RuntimeError(f"the dag.test() process failed ({done.returncode}): {done.stderr[-1500:]}")
        result |= json.loads(figures_path.read_text(encoding="utf-8"))
        result["publish_s"] = publication_seconds(home)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        result["error"] = str(exc)
    result["taken_in"] = taken_in(home)
    return result


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "dag-test":
        raise SystemExit(
            "usage: python -m bench.dag_bench dag-test FIGURES.json  (bench/run.py runs the rest)"
        )
    dag_test_child(Path(args[1]))


if __name__ == "__main__":
    main()
