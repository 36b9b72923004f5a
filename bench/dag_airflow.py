"""Run Airflow on this repository's DAGs as the DAG benchmark does: its environment, its command line, and what
a run's warehouse took in, to hold against the CLI's."""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.places import DAGS, REPO
from deploy.airflow_settings import SHARED
from deploy.cluster_record import BIN

DAG_ID = "nightly_ingest"


def airflow_bin() -> str:
    """Return the `airflow` console script of this environment, as `make airflow` runs it: never another install's
    on PATH, whose version would be measured instead."""
    return str(BIN / "airflow")


def airflow_env(base: dict[str, str], home: Path, **settings: str) -> dict[str, str]:
    """Return `base` (the CLI child's environment) with Airflow pointed at `home` and this repository's DAGs."""
    env = {k: v for k, v in base.items() if not k.startswith("AIRFLOW__")}
    return (
        env
        | {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        }
        | SHARED  # as `make airflow` and `make cluster` run it
        | settings
    )


def airflow_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> float:
    """Run one `airflow` command to completion; return its wall time, or raise with its output's tail."""
    started = time.perf_counter()
    done = subprocess.run(
        [airflow_bin(), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"`airflow {' '.join(args)}` failed ({done.returncode}): {done.stderr[-1500:]}")
    return time.perf_counter() - started


def publication_seconds(home: Path) -> float | None:
    """Publish what the DAG's load left in the writer's copy, as annual_indicators does with the marts; return its
    wall time, None where nothing waits.

    `pipeline ingest` publishes its load within the time it is held to, and nightly_ingest leaves that to the next
    DAG, which the bench does not run: held to the CLI without it, the DAG would gain a copy of the warehouse.
    """
    from pipeline.warehouse import publish_pending, working_copy

    published = home / "warehouse.duckdb"
    if not working_copy(published).exists():
        return None
    started = time.perf_counter()
    publish_pending(published)
    return time.perf_counter() - started


def taken_in(home: Path) -> dict:
    """Count submissions by status, and digest every inbox path with its status, for comparing warehouses."""
    import duckdb

    # The writer's copy where there is one: the DAG's load leaves it for annual_indicators to publish with the
    # marts, which the bench does not run; `pipeline ingest` publishes the same file.
    warehouse = home / "writer" / "warehouse.duckdb"
    if not warehouse.exists():
        warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        return {"by_status": {}, "digest": "", "files": 0}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = sorted(con.execute("select inbox_path, status from ops.submissions").fetchall())
    digest = hashlib.sha256("\n".join(f"{p}\t{s}" for p, s in rows).encode()).hexdigest()[:16]
    return {
        "by_status": dict(sorted(Counter(s for _, s in rows).items())),
        "digest": digest,
        "files": len(rows),
    }
