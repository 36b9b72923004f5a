"""The Airflow settings every deployment of the DAGs shares reach `make airflow`, `make cluster` and the
benchmark's scheduler alike."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from bench.dag_airflow import airflow_env
from deploy import airflow_settings, cluster_record, local
from deploy.airflow import airflow_local_settings
from deploy.airflow.airflow_local_settings import PRODUCTION_SHAPE_WARNING
from deploy.airflow_settings import CELERY_CONFIG_OPTIONS, LOCAL_EXECUTOR, SHARED, install_local_settings
from deploy.cluster_record import ClusterRecord, new_secrets

DAGS_SHARED = Path(__file__).resolve().parent.parent / "dags" / "_shared.py"


def cluster_environment(tmp_path: Path) -> dict[str, str]:
    """The environment `make cluster` gives its components, with placeholder ports."""
    cluster = ClusterRecord(root=tmp_path / "cluster")
    cluster.secrets = new_secrets()
    cluster.state = {"ports": {name: 1 for name in ("postgres", "redis", "api", "s3")}}
    return cluster.base_env()


def test_every_deployment_has_task_supervisors_wake_each_second(tmp_path: Path):
    # A task's supervisor that misses its task process's end sleeps until its next heartbeat, its slot taken.
    assert int(SHARED["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"]) <= 1

    environments = {
        "make airflow": local.environment(tmp_path / "airflow", 8080),
        "make cluster": cluster_environment(tmp_path),
        "the benchmark's scheduler": airflow_env({}, tmp_path / "bench"),
    }

    for name, environment in environments.items():
        assert SHARED.items() <= environment.items(), name


def test_make_airflow_and_the_cluster_start_their_task_processes_warm(tmp_path: Path):
    # deploy/warm.py: the executor, or each Celery worker, imports GX and the pipeline before it forks.
    assert local.environment(tmp_path / "airflow", 8080)["AIRFLOW__CORE__EXECUTOR"] == LOCAL_EXECUTOR
    assert cluster_environment(tmp_path)["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == CELERY_CONFIG_OPTIONS


# The api-server's start, as far as SimpleAuthManager's judgement of the deployment goes: in a fresh interpreter,
# with `make airflow`'s environment and AIRFLOW_HOME (the local settings installed as deploy/local.py does).
AUTH_MANAGER_INIT = (
    "from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager;"
    "SimpleAuthManager().init()"
)


def auth_manager_output(home: Path, **overrides: str) -> str:
    install_local_settings(home)
    env = local.environment(home, 8080) | overrides
    done = subprocess.run(
        [sys.executable, "-c", AUTH_MANAGER_INIT],
        env=env,
        cwd=local.REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout + done.stderr


@pytest.mark.slow  # 5 s or more on two cores
def test_make_airflow_is_not_warned_of_as_production_for_its_executors_name(tmp_path: Path):
    # SimpleAuthManager reads the executor's name; ours, deploy.warm.WarmLocalExecutor, is a LocalExecutor.
    printed = auth_manager_output(tmp_path / "airflow")
    assert "Password for user 'admin'" in printed  # init ran and its output was read
    assert PRODUCTION_SHAPE_WARNING not in printed


@pytest.mark.parametrize(
    "overrides",
    [
        {"AIRFLOW__CORE__EXECUTOR": "CeleryExecutor"},
        {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://airflow@127.0.0.1:1/airflow"},
        {"AIRFLOW__API__HOST": "0.0.0.0"},
    ],
    ids=["distributed executor", "postgres", "every interface"],
)
@pytest.mark.slow  # 5 s or more on two cores
def test_a_deployment_shaped_like_production_is_still_warned_of(tmp_path: Path, overrides: dict[str, str]):
    assert PRODUCTION_SHAPE_WARNING in auth_manager_output(tmp_path / "airflow", **overrides)


def _constant(path: Path, name: str) -> object:
    """Read a module's constant from its source, without importing it (the DAGs' helper imports Airflow)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} sets no {name}")


def test_the_writer_pool_and_queue_are_named_alike_wherever_they_are_named():
    # Each is read where it runs (the DAG files, Airflow's task policy, the pool the API creates, the workers'
    # queues), so none imports another: a name changed in one place alone would leave the warehouse's one writer
    # unguarded, or its tasks on a queue no worker takes.
    assert (
        _constant(DAGS_SHARED, "WRITER_POOL")
        == airflow_local_settings.WRITER_POOL
        == airflow_settings.WRITER_POOL
    )
    assert airflow_local_settings.WRITER_QUEUE == cluster_record.WRITER_QUEUE
