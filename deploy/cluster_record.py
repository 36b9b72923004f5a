"""One cluster of `make cluster` as its root records it: its workers, ports and secrets, where its things are, the
settings each component gets, and every process started under it (`pids.json`).

deploy/cluster_services.py and deploy/cluster_airflow.py start its parts; deploy/cluster.py starts and stops it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from deploy.airflow_api import Api
from deploy.airflow_settings import CELERY_CONFIG_OPTIONS, SHARED, api_server
from deploy.processes import HOST, alive, leader, listening, processes_of, tagged

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the environment's airflow and moto_server sit beside its python
DAGS = REPO / "dags"
WRITER_QUEUE = "writer"
BUCKET = "budget-warehouse"
DAG_IDS = ("annual_indicators", "nightly_ingest")


@dataclass(frozen=True)
class Worker:
    """A Celery worker as it would run on a host of its own."""

    name: str
    queues: tuple[str, ...]
    concurrency: int = 1


WORKERS = (Worker("worker-1", ("default",)), Worker("worker-2", ("default", WRITER_QUEUE)))


class ClusterError(RuntimeError):
    """The cluster could not be started or stopped; the message says why and where to look."""


def new_secrets() -> dict[str, str]:
    """Every secret of one cluster, generated once and given to every component that needs it."""
    return {
        # Equal on every Airflow component: connections and variables are encrypted with it.
        "fernet_key": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        # Equal on every Airflow component: signs and checks the tokens of the UI, the API and each task.
        "jwt_secret": secrets.token_urlsafe(48),
        # Equal on every api-server.
        "api_secret_key": secrets.token_urlsafe(32),
        "postgres_password": secrets.token_hex(16),
        "redis_password": secrets.token_hex(16),
        "admin_password": secrets.token_urlsafe(12),
        "s3_access_key": "cluster" + secrets.token_hex(6),
        "s3_secret_key": secrets.token_hex(20),
    }


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def wait_until(what: str, check, timeout: float, log: Path | None = None, interval: float = 0.5):
    """Call check() until it returns something true; fail naming what did not come up and its log."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - anything a service says while it starts
            last = error
        time.sleep(interval)
    tail = ""
    if log and log.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    raise ClusterError(f"{what} did not come up within {timeout:.0f} s ({last!r}); log {log}:\n{tail}")


@dataclass
class ClusterRecord:
    """One cluster under `root`. `env` goes to every component (the pipeline's settings among it), `worker_env`
    to one worker by name (a host's own settings, such as its own data root); `paused` leaves the DAGs paused."""

    root: Path = REPO / "var" / "cluster"
    data_root: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    worker_env: dict[str, dict[str, str]] = field(default_factory=dict)
    paused: bool = False
    workers: tuple[Worker, ...] = WORKERS

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self._children: dict[int, subprocess.Popen] = {}
        self.state: dict = {}
        self.secrets: dict[str, str] = {}

    @classmethod
    def load(cls, root: Path) -> Self:
        cluster = cls(root)
        if not cluster.state_file.exists():
            raise ClusterError(f"no cluster under {cluster.root} (no {cluster.state_file.name})")
        cluster.state = json.loads(cluster.state_file.read_text())
        secrets_file = cluster.root / "secrets.json"
        cluster.secrets = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
        return cluster

    # --- where things are -------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.root / "pids.json"

    def log(self, name: str) -> Path:
        return self.root / "log" / f"{name}.log"

    @property
    def ui(self) -> str:
        return f"http://{HOST}:{self.state['ports']['api']}"

    @property
    def api(self) -> Api:
        return Api(self.ui, "admin", self.secrets["admin_password"])

    @property
    def s3_endpoint(self) -> str:
        return f"http://{HOST}:{self.state['ports']['s3']}"

    def worker_root(self, name: str) -> Path:
        return self.root / name

    # --- settings every component gets ----------------------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        """This process's environment without any Airflow settings of its own, plus the cluster's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        s, ports = self.secrets, self.state["ports"]
        db = f"airflow:{s['postgres_password']}@{HOST}:{ports['postgres']}/airflow"
        env |= {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{db}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://:{s['redis_password']}@{HOST}:{ports['redis']}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG_OPTIONS,
            "AIRFLOW__CORE__FERNET_KEY": s["fernet_key"],
            "AIRFLOW__API_AUTH__JWT_SECRET": s["jwt_secret"],
            "AIRFLOW__API__SECRET_KEY": s["api_secret_key"],
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(self.paused),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                self.root / "airflow" / "passwords.json"
            ),
            # One folder for the task logs of every process on this machine, read by the api-server from disk;
            # across hosts this is remote logging (docs/deploying.md). No process serves logs over the network.
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.root / "logs"),
            "GX_ANALYTICS_ENABLED": "False",
            # The S3 endpoint and its keys, for the pipeline's s3:// locations (and s3fs) on every component.
            "AWS_ENDPOINT_URL": f"http://{HOST}:{ports['s3']}",
            "AWS_ACCESS_KEY_ID": s["s3_access_key"],
            "AWS_SECRET_ACCESS_KEY": s["s3_secret_key"],
            "AWS_DEFAULT_REGION": "us-east-1",
        } | SHARED
        env |= api_server(ports["api"])
        if self.data_root is not None:
            env["PIPELINE_HOME"] = str(self.data_root)
        return env | self.env

    def control_env(self) -> dict[str, str]:
        """The api-server's, scheduler's and dag-processor's environment (and the `airflow` command's)."""
        return self.base_env() | {"AIRFLOW_HOME": str(self.root / "airflow")}

    def s3_connection(self) -> str:
        """Return the Airflow connection `pipeline_s3` as JSON, for an `AIRFLOW_CONN_PIPELINE_S3` variable."""
        extra = {"endpoint_url": self.s3_endpoint, "region_name": "us-east-1"}
        return json.dumps(
            {
                "conn_type": "aws",
                "login": self.secrets["s3_access_key"],
                "password": self.secrets["s3_secret_key"],
                "extra": extra,
            }
        )

    def worker_env_of(self, worker: Worker) -> dict[str, str]:
        """A worker's environment: its own AIRFLOW_HOME, HOME and TMPDIR, as on a host of its own."""
        own = self.worker_root(worker.name)
        # A worker gets the object store's keys from the Airflow connection `pipeline_s3` (dags/_shared.py), not
        # from the AWS environment: the cluster test then proves a deployment can keep them there.
        keys = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
        base = {name: value for name, value in self.base_env().items() if name not in keys}
        return (
            base
            | {
                "AIRFLOW_CONN_PIPELINE_S3": self.s3_connection(),
                "AIRFLOW_HOME": str(own / "airflow"),
                "HOME": str(own / "home"),
                "TMPDIR": str(own / "tmp"),
                "TMP": str(own / "tmp"),
                "TEMP": str(own / "tmp"),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "cluster_hostname.hostname",
                "CLUSTER_WORKER_HOSTNAME": worker.name,
            }
            | self.worker_env.get(worker.name, {})
        )

    # --- what runs --------------------------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> dict:
        """Start a long-running process, its output in log/<name>.log, and record it in pids.json."""
        env = tagged(env)  # what it starts is found by the tag, even a daemon that left its session
        with open(self.log(name), "ab") as log:
            child = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session and process group: stopped as one
            )  # fmt: skip
        self._children[child.pid] = child
        record = {
            "name": name,
            "pgid": child.pid,
            **leader(child.pid, env),
            "argv": argv,
            "log": str(self.log(name)),
        }
        self.state["processes"].append(record)
        self.save()
        return record

    def run(self, name: str, argv: list[str], env=None, cwd=None) -> None:
        """Run a command to its end, its output in log/<name>.log; fail with that log's tail."""
        with open(self.log(name.replace(" ", "-")), "ab") as log:
            done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if done.returncode != 0:
            tail = "\n".join(self.log(name.replace(" ", "-")).read_text(errors="replace").splitlines()[-30:])
            raise ClusterError(f"{name} failed with exit {done.returncode}:\n{tail}")

    def save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, self.state_file)

    def reap(self, pid: int) -> None:
        """Collect the exit of a process this one spawned, once it has ended, so that it leaves no zombie."""
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]

    def pids(self) -> set[int]:
        """Every live process of this cluster, Postgres's included."""
        found: set[int] = set()
        for record in self.state.get("processes", []):
            if alive(record):
                found.update(processes_of(record))
        postgres = self.state.get("postgres") or {}
        if postgres.get("pid"):
            found.update(processes_of(leader(postgres["pid"])))
        return found

    def listeners(self) -> dict[str, str]:
        """Every TCP address this cluster's processes listen on, with who holds it."""
        return listening(self.pids())
