"""A whole Airflow cluster on this machine, every port on 127.0.0.1: `make cluster`, `make cluster-stop`.

    python -m deploy.cluster start  [--root DIR] [--paused]   # prints the UI address and the admin login
    python -m deploy.cluster status [--root DIR]
    python -m deploy.cluster stop   [--root DIR]

It starts Postgres (the metadata database, in its own data folder, run as the `postgres` user when started as
root), Redis (the Celery broker), a moto S3 server with one bucket, the Airflow api-server, scheduler and
dag-processor (CeleryExecutor, this repository's `dags/`, the cluster policy of `deploy/airflow/` installed)
and two Celery workers of concurrency 1: `worker-1` serves queue `default`, `worker-2` serves `default,writer`
and is the writer host. Each worker has its own AIRFLOW_HOME, HOME, TMPDIR and working folder, as a host of its
own would: what they share is only what a deployment on several hosts shares too (the metadata database, the
broker, the secrets, and the pipeline's data locations, `PIPELINE_*`). docs/deploying.md describes it.

Everything the cluster keeps is under its root (default `var/cluster`): `pids.json` (what `stop` stops: each
process group, and Postgres by `pg_ctl stop`), `secrets.json` and `cluster.env` (mode 0600; `source` the latter
to use the `airflow` command against the cluster), `log/<process>.log`, `postgres/`, `redis/`, `airflow/` (the
control plane's AIRFLOW_HOME), `logs/` (task logs) and `worker-N/`. Every start makes a new cluster: a root whose
processes are gone is cleared first, one still running is refused.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from deploy.airflow_settings import CELERY_CONFIG_OPTIONS, SHARED

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the environment's airflow and moto_server sit beside its python
DAGS = REPO / "dags"
CLUSTER_POLICY = REPO / "deploy" / "airflow" / "airflow_local_settings.py"
HOST = "127.0.0.1"
WRITER_POOL = "duckdb_writer"
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

# Recorded as the task instance's `hostname`: both workers share this machine, so each names itself.
HOSTNAME_MODULE = '''"""This worker's host name as Airflow records it (task instance `hostname`), written by deploy/cluster.py."""

import os


def hostname() -> str:
    return os.environ["CLUSTER_WORKER_HOSTNAME"]
'''


class ClusterError(RuntimeError):
    """The cluster could not be started or stopped; the message says why and where to look."""


def free_ports(names: list[str]) -> dict[str, int]:
    """Pick a free port on 127.0.0.1 for each name (all held at once, so no two are the same)."""
    sockets = []
    try:
        for _ in names:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return {name: s.getsockname()[1] for name, s in zip(names, sockets, strict=True)}
    finally:
        for s in sockets:
            s.close()


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


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None when there is no such live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else fields


def _start_ticks(pid: int) -> int | None:
    fields = _proc_stat(pid)
    return int(fields[19]) if fields else None


def _alive(record: dict) -> bool:
    """Whether the recorded process still runs: the same PID and the same start time (no reused PID)."""
    return _start_ticks(record["pid"]) == record["start_ticks"]


def _processes_of(record: dict) -> list[int]:
    """The recorded process and everything started under it: its session, its process group, its descendants."""
    leader, since = record["pid"], record["start_ticks"]
    parents: dict[int, int] = {}
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _proc_stat(int(entry.name))
        if not fields or int(fields[19]) < since:
            continue
        pid, ppid, pgid, sid = int(entry.name), int(fields[1]), int(fields[2]), int(fields[3])
        parents[pid] = ppid
        if leader in (pgid, sid):
            found.add(pid)
    for pid in parents:
        chain, seen = pid, set()
        while chain in parents and chain not in seen:
            seen.add(chain)
            if chain == leader or chain in found:
                found.add(pid)
                break
            chain = parents[chain]
    return sorted(found)


def listeners(pids: set[int]) -> list[tuple[str, int, str]]:
    """Every TCP socket in LISTEN state held by one of these processes: (address, port, process), from `ss`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 6:
            continue
        address, _, port = parts[3].rpartition(":")
        owners = re.findall(r'\("([^"]*)",pid=(\d+)', line)
        for name, pid in owners:
            if int(pid) in pids:
                found.append((address.strip("[]"), int(port), f"{name}[{pid}]"))
    return sorted(set(found))


def _wait(what: str, check, timeout: float, log: Path | None = None, interval: float = 0.5):
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


class Api:
    """The Airflow REST API (v2), signed in as the admin."""

    def __init__(self, url: str, user: str, password: str):
        self.url, self.user, self.password = url.rstrip("/"), user, password
        self._token: str | None = None

    def _call(self, method: str, path: str, body=None, token: str | None = None):
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def token(self) -> str:
        if self._token is None:
            answer = self._call("POST", "/auth/token", {"username": self.user, "password": self.password})
            self._token = answer["access_token"]
        return self._token

    def get(self, path: str):
        return self._call("GET", path, token=self.token())

    def post(self, path: str, body):
        return self._call("POST", path, body, token=self.token())

    def patch(self, path: str, body):
        return self._call("PATCH", path, body, token=self.token())

    def health(self) -> dict:
        return self._call("GET", "/api/v2/monitor/health")


@dataclass
class Cluster:
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
    def _base_env(self) -> dict[str, str]:
        """This process's environment without any Airflow settings of its own, plus the cluster's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        s, ports = self.secrets, self.state["ports"]
        db = f"airflow:{s['postgres_password']}@{HOST}:{ports['postgres']}/airflow"
        api = f"http://{HOST}:{ports['api']}"
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
            "AIRFLOW__API__HOST": HOST,
            "AIRFLOW__API__PORT": str(ports["api"]),
            "AIRFLOW__API__BASE_URL": api,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
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
        if self.data_root is not None:
            env["PIPELINE_HOME"] = str(self.data_root)
        return env | self.env

    def control_env(self) -> dict[str, str]:
        """The api-server's, scheduler's and dag-processor's environment (and the `airflow` command's)."""
        return self._base_env() | {"AIRFLOW_HOME": str(self.root / "airflow")}

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
        base = {name: value for name, value in self._base_env().items() if name not in keys}
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

    # --- starting ---------------------------------------------------------------------------------------------
    def start(self) -> Cluster:
        """Start every process, wait until each is ready and both DAGs are parsed; stop them all on failure."""
        self._clear_old_root()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # Postgres, run as its own user, reaches its folder through here
        (self.root / "log").mkdir()
        self.secrets = new_secrets()
        _write_private(self.root / "secrets.json", json.dumps(self.secrets, indent=2) + "\n")
        self.state = {
            "root": str(self.root),
            "data_root": str(self.data_root) if self.data_root else os.environ.get("PIPELINE_HOME"),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "ports": free_ports(["postgres", "redis", "s3", "api"]),
            "processes": [],
            "postgres": None,
        }
        self._save()
        try:
            self._start_postgres()
            self._start_redis()
            self._start_s3()
            self._prepare_airflow_homes()
            self._run_airflow("migrate", ["db", "migrate"])
            self._start_control_plane()
            self._start_workers()
            self._wait_for_dags()
        except BaseException:
            self.stop(quiet=True)
            raise
        _write_private(
            self.root / "cluster.env",
            "".join(
                f"export {k}={shlex.quote(v)}\n"
                for k, v in sorted(self.control_env().items())
                if _exported(k)
            ),
        )
        return self

    def _clear_old_root(self) -> None:
        if self.state_file.exists():
            old = Cluster(self.root)
            old.state = json.loads(self.state_file.read_text())
            running = [p["name"] for p in old.state.get("processes", []) if _alive(p)]
            if running or old._postgres_running():
                raise ClusterError(
                    f"a cluster is running under {self.root} ({', '.join(running) or 'postgres'}); stop it first"
                )
            folder = Path((old.state.get("postgres") or {}).get("folder") or self.root / "postgres")
            if folder.is_relative_to(tempfile.gettempdir()):
                shutil.rmtree(folder, ignore_errors=True)
        if self.root.exists():
            shutil.rmtree(self.root)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> dict:
        with open(self.log(name), "ab") as log:
            child = subprocess.Popen(
                argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session and process group: stopped as one
            )  # fmt: skip
        self._children[child.pid] = child
        record = {
            "name": name,
            "pid": child.pid,
            "pgid": child.pid,
            "start_ticks": _start_ticks(child.pid),
            "argv": argv,
            "log": str(self.log(name)),
        }
        self.state["processes"].append(record)
        self._save()
        return record

    def _save(self) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, self.state_file)

    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _start_postgres(self) -> None:
        bindir = _postgres_bindir()
        folder = self.root / "postgres"
        as_pg = self._as_postgres()
        if as_pg and subprocess.run([*as_pg, "test", "-x", str(self.root)], capture_output=True).returncode:
            # A checkout under a folder the postgres user may not enter (/root/…): its data goes to /tmp.
            folder = Path(tempfile.mkdtemp(prefix="budget-cluster-postgres-"))
            (self.root / "postgres").symlink_to(folder)
        else:
            folder.mkdir(mode=0o700)
        data, sockets, log = folder / "data", folder / "run", folder / "postgres.log"
        sockets.mkdir()
        pwfile = folder / "pwfile"
        _write_private(pwfile, self.secrets["postgres_password"] + "\n")
        if os.geteuid() == 0:
            for path in (folder, sockets, pwfile):
                shutil.chown(path, "postgres", "postgres")
        self._run(
            "initdb",
            [*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "airflow", f"--pwfile={pwfile}",
             "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"],
        )  # fmt: skip
        pwfile.unlink()
        options = (
            f"-c listen_addresses={HOST} -c port={self.state['ports']['postgres']} "
            f"-c unix_socket_directories={shlex.quote(str(sockets))}"
        )
        self.state["postgres"] = {
            "folder": str(folder), "data": str(data), "bindir": str(bindir), "log": str(log), "as": as_pg,
        }  # fmt: skip
        self._save()
        self._run(
            "pg_ctl start", [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                             "-o", options, "start"]
        )  # fmt: skip
        self.state["postgres"]["pid"] = int((data / "postmaster.pid").read_text().split()[0])
        self._save()
        import psycopg2

        con = psycopg2.connect(
            host=HOST, port=self.state["ports"]["postgres"], user="airflow",
            password=self.secrets["postgres_password"], dbname="postgres",
        )  # fmt: skip
        con.autocommit = True
        with con.cursor() as cursor:
            cursor.execute("create database airflow")
        con.close()

    def _start_redis(self) -> None:
        folder = self.root / "redis"
        folder.mkdir()
        port, password = self.state["ports"]["redis"], self.secrets["redis_password"]
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        # The password on the command line is for this machine's root only: /proc/<pid>/cmdline of a process
        # is readable by anyone, so it is passed in a config file instead.
        conf = folder / "redis.conf"
        _write_private(
            conf,
            f"bind {HOST}\nport {port}\nprotected-mode yes\nrequirepass {password}\n"
            f'save ""\nappendonly no\ndir {folder}\n',
        )
        self._spawn("redis", [server, str(conf)], self._base_env(), folder)

        def ping():
            with socket.create_connection((HOST, port), timeout=2) as s:
                s.sendall(f"AUTH {password}\r\nPING\r\n".encode())
                time.sleep(0.1)
                return b"+PONG" in s.recv(100)

        _wait("redis", ping, 30, self.log("redis"))

    def _start_s3(self) -> None:
        folder = self.root / "s3"
        folder.mkdir()
        port = self.state["ports"]["s3"]
        self._spawn("s3", [str(BIN / "moto_server"), "-H", HOST, "-p", str(port)], self._base_env(), folder)
        _wait(
            "moto S3 server",
            lambda: urllib.request.urlopen(f"{self.s3_endpoint}/", timeout=2),
            60,
            self.log("s3"),
        )
        import boto3

        boto3.client(
            "s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
            aws_access_key_id=self.secrets["s3_access_key"], aws_secret_access_key=self.secrets["s3_secret_key"],
        ).create_bucket(Bucket=BUCKET)  # fmt: skip
        self.state["s3"] = {"endpoint": self.s3_endpoint, "bucket": BUCKET}
        self._save()

    def _prepare_airflow_homes(self) -> None:
        """Each AIRFLOW_HOME gets the cluster policy in config/; each worker its scratch folders too."""
        homes = [self.root / "airflow"]
        for worker in self.workers:
            own = self.worker_root(worker.name)
            for sub in ("home", "tmp", "cwd"):
                (own / sub).mkdir(parents=True)
            homes.append(own / "airflow")
            (own / "airflow" / "config").mkdir(parents=True)
            (own / "airflow" / "config" / "cluster_hostname.py").write_text(HOSTNAME_MODULE)
        for home in homes:
            (home / "config").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(CLUSTER_POLICY, home / "config" / "airflow_local_settings.py")
        (self.root / "logs").mkdir()
        # The admin's password, chosen here so it can be printed; the api-server reads it from this file.
        _write_private(
            self.root / "airflow" / "passwords.json", json.dumps({"admin": self.secrets["admin_password"]})
        )

    def _run_airflow(self, name: str, args: list[str]) -> None:
        self._run(name, [str(BIN / "airflow"), *args], env=self.control_env(), cwd=self.root / "airflow")

    def _run(self, name: str, argv: list[str], env=None, cwd=None) -> None:
        with open(self.log(name.replace(" ", "-")), "ab") as log:
            done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        if done.returncode != 0:
            tail = "\n".join(self.log(name.replace(" ", "-")).read_text(errors="replace").splitlines()[-30:])
            raise ClusterError(f"{name} failed with exit {done.returncode}:\n{tail}")

    def _start_control_plane(self) -> None:
        env, cwd, airflow = self.control_env(), self.root / "airflow", str(BIN / "airflow")
        port = str(self.state["ports"]["api"])
        self._spawn(
            "api-server", [airflow, "api-server", "--host", HOST, "--port", port, "--workers", "1"], env, cwd
        )
        _wait("api-server", lambda: self.api.health(), 180, self.log("api-server"))
        # The writer pool exists before anything can schedule a task into it.
        self.api.post(
            "/api/v2/pools",
            {"name": WRITER_POOL, "slots": 1, "description": "DuckDB allows one writing process at a time"},
        )
        self._spawn("scheduler", [airflow, "scheduler", "--skip-serve-logs"], env, cwd)
        self._spawn("dag-processor", [airflow, "dag-processor"], env, cwd)

    def _start_workers(self) -> None:
        for worker in self.workers:
            env = self.worker_env_of(worker)
            argv = [
                str(BIN / "airflow"), "celery", "worker", "--celery-hostname", worker.name,
                "--queues", ",".join(worker.queues), "--concurrency", str(worker.concurrency), "--skip-serve-logs",
            ]  # fmt: skip
            self._spawn(worker.name, argv, env, self.worker_root(worker.name) / "cwd")
        for worker in self.workers:
            log = self.log(worker.name)
            _wait(f"celery worker {worker.name}", lambda log=log: " ready." in log.read_text(errors="replace"),
                  180, log)  # fmt: skip

    def _wait_for_dags(self) -> None:
        api = self.api

        def components():
            health = api.health()
            return all(
                health[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "dag_processor")
            )

        _wait("scheduler and dag-processor", components, 180, self.log("scheduler"))

        def parsed():
            errors = api.get("/api/v2/importErrors")
            if errors["total_entries"]:
                raise ClusterError(f"the DAGs do not import: {errors['import_errors']}")
            dags = {d["dag_id"]: d for d in api.get("/api/v2/dags?limit=100")["dags"]}
            return dags if all(d in dags for d in DAG_IDS) else None

        dags = _wait("the DAGs", parsed, 240, self.log("dag-processor"), interval=2)
        if not self.paused:
            for dag_id in DAG_IDS:
                if dags[dag_id]["is_paused"]:
                    api.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})

    # --- what runs --------------------------------------------------------------------------------------------
    def pids(self) -> set[int]:
        """Every live process of this cluster, Postgres's included."""
        found: set[int] = set()
        for record in self.state.get("processes", []):
            if _alive(record):
                found.update(_processes_of(record))
        postgres = self.state.get("postgres") or {}
        if postgres.get("pid"):
            leader = {"pid": postgres["pid"], "start_ticks": _start_ticks(postgres["pid"])}
            if leader["start_ticks"] is not None:
                found.update(_processes_of(leader))
        return found

    def listeners(self) -> list[tuple[str, int, str]]:
        return listeners(self.pids())

    def _postgres_running(self) -> bool:
        postgres = self.state.get("postgres") or {}
        if not postgres:
            return False
        done = subprocess.run(
            [*postgres["as"], str(Path(postgres["bindir"]) / "pg_ctl"), "-D", postgres["data"], "status"],
            capture_output=True,
        )
        return done.returncode == 0

    # --- stopping ---------------------------------------------------------------------------------------------
    @classmethod
    def load(cls, root: Path) -> Cluster:
        cluster = cls(root)
        if not cluster.state_file.exists():
            raise ClusterError(f"no cluster under {cluster.root} (no {cluster.state_file.name})")
        cluster.state = json.loads(cluster.state_file.read_text())
        secrets_file = cluster.root / "secrets.json"
        cluster.secrets = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
        return cluster

    def stop(self, quiet: bool = False, grace: float = 30.0) -> None:
        """Stop exactly the recorded processes (each with everything it started), then Postgres."""
        say = (lambda *_: None) if quiet else print
        for record in reversed(self.state.get("processes", [])):
            if not _alive(record):
                say(f"{record['name']}: not running")
                self._reap(record["pid"])
                continue
            group = _processes_of(record)
            _signal(group, signal.SIGTERM)
            began = time.monotonic()
            deadline = began + grace
            while time.monotonic() < deadline and any(_proc_stat(p) for p in group):
                self._reap(record["pid"])
                time.sleep(0.2)
            left = [p for p in group if _proc_stat(p)]
            if left:
                _signal(left, signal.SIGKILL)
            self._reap(record["pid"])
            how = "killed after" if left else "in"
            say(f"{record['name']}: stopped (pid {record['pid']}, {how} {time.monotonic() - began:.1f} s)")
        if self._postgres_running():
            postgres = self.state["postgres"]
            subprocess.run(
                [*postgres["as"], str(Path(postgres["bindir"]) / "pg_ctl"), "-D", postgres["data"], "-m", "fast",
                 "-w", "stop"],
                check=True, capture_output=True,
            )  # fmt: skip
            say(f"postgres: stopped (pid {postgres.get('pid')})")
        folder = Path((self.state.get("postgres") or {}).get("folder") or self.root / "postgres")
        # Postgres's fallback folder outside the root (see _start_postgres) is not left behind.
        if folder.is_relative_to(tempfile.gettempdir()):
            shutil.rmtree(folder, ignore_errors=True)

    def _reap(self, pid: int) -> None:
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]


def _signal(pids, sig) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _exported(key: str) -> bool:
    return key.startswith(("AIRFLOW", "PIPELINE_", "AWS_", "GX_"))


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _postgres_bindir() -> Path:
    """Debian's newest /usr/lib/postgresql/<version>/bin, else wherever initdb is on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterError("PostgreSQL is not installed (apt-get install postgresql)")


def describe(cluster: Cluster) -> str:
    """What `make cluster` prints: where to go, how to sign in, what runs where."""
    lines = [
        f"Airflow UI:   {cluster.ui}   (user admin, password {cluster.secrets['admin_password']})",
        f"Data root:    {cluster.state.get('data_root') or '(PIPELINE_HOME unset: ./var of each worker)'}",
        f"S3 (moto):    {cluster.s3_endpoint}   bucket {BUCKET}",
        f"Airflow CLI:  source {cluster.root / 'cluster.env'} && airflow dags list",
        f"Processes:    {cluster.state_file}   logs in {cluster.root / 'log'}",
    ]
    for record in cluster.state["processes"]:
        lines.append(f"  {record['name']:<14} pid {record['pid']:<8} {' '.join(record['argv'][1:4])}")
    if cluster.state.get("postgres"):
        lines.append(
            f"  {'postgres':<14} pid {cluster.state['postgres']['pid']:<8} port {cluster.state['ports']['postgres']}"
        )
    wide = [x for x in cluster.listeners() if x[0] not in (HOST, "::1")]
    bound = ", ".join(f"{a}:{p}" for a, p, _ in cluster.listeners())
    lines.append(f"Listening:    {bound}")
    lines.append(
        "              nothing on 0.0.0.0 or [::]" if not wide else f"              NOT LOCAL: {wide}"
    )
    lines.append("Stop:         make cluster-stop")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--root", type=Path, default=REPO / "var" / "cluster", help="default: var/cluster")
    parser.add_argument("--paused", action="store_true", help="leave the DAGs paused")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            data_root = Path(os.environ.get("PIPELINE_HOME") or REPO / "var").resolve()
            if not data_root.is_dir():
                print(f"note: the data root {data_root} does not exist yet; `pipeline init` creates it")
            cluster = Cluster(args.root, data_root=data_root, paused=args.paused).start()
            print(describe(cluster))
        elif args.command == "stop":
            Cluster.load(args.root).stop()
        else:
            cluster = Cluster.load(args.root)
            for record in cluster.state["processes"]:
                print(
                    f"{record['name']:<14} pid {record['pid']:<8} {'running' if _alive(record) else 'not running'}"
                )
            print(f"{'postgres':<14} {'running' if cluster._postgres_running() else 'not running'}")
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
