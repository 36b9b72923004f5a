"""The Airflow settings every deployment of the DAGs shares reach `make airflow`, `make cluster` and the
benchmark's scheduler alike."""

from __future__ import annotations

from pathlib import Path

from bench.dag_bench import airflow_env
from deploy import local
from deploy.airflow_settings import SHARED
from deploy.cluster import Cluster, new_secrets


def test_every_deployment_has_task_supervisors_wake_each_second(tmp_path: Path):
    # A task's supervisor that misses its task process's end sleeps until its next heartbeat, its slot taken.
    assert int(SHARED["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"]) <= 1

    cluster = Cluster(root=tmp_path / "cluster")
    cluster.secrets = new_secrets()
    cluster.state = {"ports": {name: 1 for name in ("postgres", "redis", "api", "s3")}}
    environments = {
        "make airflow": local.environment(tmp_path / "airflow", 8080),
        "make cluster": cluster._base_env(),
        "the benchmark's scheduler": airflow_env({}, tmp_path / "bench"),
    }

    for name, environment in environments.items():
        assert SHARED.items() <= environment.items(), name
