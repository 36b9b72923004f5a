"""The Airflow settings every deployment of the DAGs shares reach `make airflow`, `make cluster` and the
benchmark's scheduler alike."""

from __future__ import annotations

from pathlib import Path

from bench.dag_bench import airflow_env
from deploy import local
from deploy.airflow_settings import CELERY_CONFIG_OPTIONS, LOCAL_EXECUTOR, SHARED
from deploy.cluster import Cluster, new_secrets


def cluster_environment(tmp_path: Path) -> dict[str, str]:
    """The environment `make cluster` gives its components, with placeholder ports."""
    cluster = Cluster(root=tmp_path / "cluster")
    cluster.secrets = new_secrets()
    cluster.state = {"ports": {name: 1 for name in ("postgres", "redis", "api", "s3")}}
    return cluster._base_env()


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
