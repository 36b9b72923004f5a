"""A cluster's Airflow: each AIRFLOW_HOME with the cluster policy of `deploy/airflow/`, the metadata database
migrated, the api-server, scheduler and dag-processor, and the Celery workers, each as on a host of its own."""

from __future__ import annotations

import json

from deploy.airflow_settings import control_plane, create_writer_pool, install_local_settings
from deploy.cluster_record import BIN, DAG_IDS, ClusterError, ClusterRecord, wait_until, write_private

# Recorded as the task instance's `hostname`: both workers share this machine, so each names itself.
HOSTNAME_MODULE = '''"""This worker's host name as Airflow records it (task instance `hostname`), written by deploy/cluster_airflow.py."""

import os


def hostname() -> str:
    return os.environ["CLUSTER_WORKER_HOSTNAME"]
'''


def prepare_airflow_homes(cluster: ClusterRecord) -> None:
    """Each AIRFLOW_HOME gets the cluster policy in config/; each worker its scratch folders too."""
    homes = [cluster.root / "airflow"]
    for worker in cluster.workers:
        own = cluster.worker_root(worker.name)
        for sub in ("home", "tmp", "cwd"):
            (own / sub).mkdir(parents=True)
        homes.append(own / "airflow")
        (own / "airflow" / "config").mkdir(parents=True)
        (own / "airflow" / "config" / "cluster_hostname.py").write_text(HOSTNAME_MODULE)
    for home in homes:
        install_local_settings(home)
    (cluster.root / "logs").mkdir()
    # The admin's password, chosen here so it can be printed; the api-server reads it from this file.
    write_private(
        cluster.root / "airflow" / "passwords.json", json.dumps({"admin": cluster.secrets["admin_password"]})
    )


def migrate(cluster: ClusterRecord) -> None:
    """Create the metadata database's tables (`airflow db migrate`)."""
    argv = [str(BIN / "airflow"), "db", "migrate"]
    cluster.run("migrate", argv, env=cluster.control_env(), cwd=cluster.root / "airflow")


def start_control_plane(cluster: ClusterRecord) -> None:
    env, cwd, airflow = cluster.control_env(), cluster.root / "airflow", str(BIN / "airflow")
    commands = control_plane(cluster.state["ports"]["api"])
    cluster.spawn("api-server", [airflow, *commands["api-server"]], env, cwd)
    wait_until("api-server", lambda: cluster.api.health(), 180, cluster.log("api-server"))
    # The writer pool exists before anything can schedule a task into it.
    create_writer_pool(cluster.api)
    for name in ("scheduler", "dag-processor"):
        cluster.spawn(name, [airflow, *commands[name]], env, cwd)


def start_workers(cluster: ClusterRecord) -> None:
    for worker in cluster.workers:
        env = cluster.worker_env_of(worker)
        argv = [
            str(BIN / "airflow"), "celery", "worker", "--celery-hostname", worker.name,
            "--queues", ",".join(worker.queues), "--concurrency", str(worker.concurrency), "--skip-serve-logs",
        ]  # fmt: skip
        cluster.spawn(worker.name, argv, env, cluster.worker_root(worker.name) / "cwd")
    for worker in cluster.workers:
        log = cluster.log(worker.name)
        wait_until(f"celery worker {worker.name}", lambda log=log: " ready." in log.read_text(errors="replace"),
                   180, log)  # fmt: skip


def wait_for_dags(cluster: ClusterRecord) -> None:
    api = cluster.api

    def components():
        health = api.health()
        return all(health[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "dag_processor"))

    wait_until("scheduler and dag-processor", components, 180, cluster.log("scheduler"))

    def parsed():
        errors = api.get("/api/v2/importErrors")
        if errors["total_entries"]:
            raise ClusterError(f"the DAGs do not import: {errors['import_errors']}")
        dags = {d["dag_id"]: d for d in api.get("/api/v2/dags?limit=100")["dags"]}
        return dags if all(d in dags for d in DAG_IDS) else None

    dags = wait_until("the DAGs", parsed, 240, cluster.log("dag-processor"), interval=2)
    if not cluster.paused:
        for dag_id in DAG_IDS:
            if dags[dag_id]["is_paused"]:
                api.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})
