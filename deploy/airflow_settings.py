"""Airflow settings every deployment of these DAGs uses: `make airflow`, `make cluster`, the benchmark's scheduler."""

from __future__ import annotations

import shutil
from pathlib import Path

from deploy.airflow_api import Api
from deploy.processes import HOST

# A task's supervisor sees its task process end only when it next wakes. When the process has closed its sockets
# but is not yet reaped, nothing wakes it before its next heartbeat, up to `workers.min_heartbeat_interval`
# seconds (default 5): the task is done, but its executor slot stays taken. In a 10,000-file night, 7 of the 16
# shard tasks were reported 5-6 s after they ended, and the shards ran one at a time for stretches; at 1 s every
# shard was reported within 2 s and four ran at a time throughout (bench/dag_bench.py, README "Performance").
# A heartbeat a second per running task is nothing to the api-server at this scale.
SHARED = {"AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1"}

# The executor of `make airflow` and the benchmark's scheduler: LocalExecutor, with the pipeline's modules (GX's
# 2 s import above all) imported once before it forks its workers, so no task process pays for them
# (deploy/warm.py).
LOCAL_EXECUTOR = "deploy.warm.WarmLocalExecutor"

# The cluster's Celery settings: Airflow's own, with the same preloading in each worker before it forks its pool.
CELERY_CONFIG_OPTIONS = "deploy.warm_celery.CELERY_CONFIG"

# The pool of every task that writes the warehouse (dags/_shared.py): one slot, so Airflow starts one at a time.
WRITER_POOL = "duckdb_writer"
WRITER_POOL_NOTE = "DuckDB allows one writing process at a time"

# The policy and warning filters every Airflow process of this project imports (deploy/airflow/).
LOCAL_SETTINGS = Path(__file__).resolve().parent / "airflow" / "airflow_local_settings.py"


def install_local_settings(airflow_home: Path) -> None:
    """Copy deploy/airflow/'s policy and warning filters into an AIRFLOW_HOME's config/."""
    (airflow_home / "config").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LOCAL_SETTINGS, airflow_home / "config" / "airflow_local_settings.py")


def api_server(port: int) -> dict[str, str]:
    """Return the settings that put the api-server on 127.0.0.1:port and have the tasks call its execution API."""
    url = f"http://{HOST}:{port}"
    return {
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
    }


def control_plane(port: int) -> dict[str, list[str]]:
    """Return the `airflow` arguments of the api-server (on 127.0.0.1:port), scheduler and dag-processor."""
    return {
        "api-server": ["api-server", "--host", HOST, "--port", str(port), "--workers", "1"],
        # Serving logs would listen on every interface; tasks write theirs to files the api-server reads.
        "scheduler": ["scheduler", "--skip-serve-logs"],
        "dag-processor": ["dag-processor"],
    }


def create_writer_pool(api: Api) -> None:
    """Create the writer pool, unless the metadata database has it already."""
    if not any(pool["name"] == WRITER_POOL for pool in api.get("/api/v2/pools?limit=1000")["pools"]):
        api.post(
            "/api/v2/pools",
            {"name": WRITER_POOL, "slots": 1, "description": WRITER_POOL_NOTE},
        )
