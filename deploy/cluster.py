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
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

from deploy.cluster_airflow import (
    migrate,
    prepare_airflow_homes,
    start_control_plane,
    start_workers,
    wait_for_dags,
)
from deploy.cluster_record import BUCKET, REPO, ClusterError, ClusterRecord, new_secrets, write_private
from deploy.cluster_services import (
    postgres_running,
    remove_postgres_fallback,
    start_postgres,
    start_redis,
    start_s3,
    stop_postgres,
)
from deploy.processes import alive, free_ports, on_loopback, stop_processes


class Cluster(ClusterRecord):
    """A cluster that starts and stops: every process it starts is recorded under its root, and `stop` stops those."""

    def start(self) -> Cluster:
        """Start every process, wait until each is ready and both DAGs are parsed; stop them all on failure."""
        self._clear_old_root()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # Postgres, run as its own user, reaches its folder through here
        (self.root / "log").mkdir()
        self.secrets = new_secrets()
        write_private(self.root / "secrets.json", json.dumps(self.secrets, indent=2) + "\n")
        self.state = {
            "root": str(self.root),
            "data_root": str(self.data_root) if self.data_root else os.environ.get("PIPELINE_HOME"),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "ports": free_ports(["postgres", "redis", "s3", "api"]),
            "processes": [],
            "postgres": None,
        }
        self.save()
        try:
            start_postgres(self)
            start_redis(self)
            start_s3(self)
            prepare_airflow_homes(self)
            migrate(self)
            start_control_plane(self)
            start_workers(self)
            wait_for_dags(self)
        except BaseException:
            self.stop(quiet=True)
            raise
        write_private(
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
            old = ClusterRecord.load(self.root)
            running = [p["name"] for p in old.state.get("processes", []) if alive(p)]
            if running or postgres_running(old):
                raise ClusterError(
                    f"a cluster is running under {self.root} ({', '.join(running) or 'postgres'}); stop it first"
                )
            remove_postgres_fallback(old)
        if self.root.exists():
            shutil.rmtree(self.root)

    def stop(self, quiet: bool = False, grace: float = 30.0) -> None:
        """Stop exactly the recorded processes (each with everything it started), then Postgres."""
        say = (lambda *_: None) if quiet else print
        for record in reversed(self.state.get("processes", [])):
            if not alive(record):
                say(f"{record['name']}: not running")
                self.reap(record["pid"])
                continue
            began = time.monotonic()
            # Everything it started hears SIGTERM at once, running tasks included (`make airflow` signals only
            # the leaders, which let their running tasks finish).
            killed = stop_processes([record], grace, tree=True)
            self.reap(record["pid"])
            how = "killed after" if killed else "in"
            say(f"{record['name']}: stopped (pid {record['pid']}, {how} {time.monotonic() - began:.1f} s)")
        stop_postgres(self, say)


def _exported(key: str) -> bool:
    return key.startswith(("AIRFLOW", "PIPELINE_", "AWS_", "GX_"))


def describe(cluster: Cluster) -> str:
    """What `make cluster` prints: where to go, how to sign in, what runs where."""
    lines = [
        f"Airflow UI:   {cluster.ui}   (user admin, password {cluster.secrets['admin_password']})",
        f"Data root:    {cluster.state.get('data_root') or '(PIPELINE_HOME unset: ./var of each worker)'}",
        f"S3 (moto):    {cluster.s3_endpoint}   bucket {BUCKET}",
        # The environment's own airflow, by its path: a shell has no .venv/bin on its PATH unless activated.
        f"Airflow CLI:  source {cluster.root / 'cluster.env'} && {Path(sys.executable).parent / 'airflow'} dags list",
        f"Processes:    {cluster.state_file}   logs in {cluster.root / 'log'}",
    ]
    for record in cluster.state["processes"]:
        lines.append(f"  {record['name']:<14} pid {record['pid']:<8} {' '.join(record['argv'][1:4])}")
    if cluster.state.get("postgres"):
        lines.append(
            f"  {'postgres':<14} pid {cluster.state['postgres']['pid']:<8} port {cluster.state['ports']['postgres']}"
        )
    listeners = cluster.listeners()
    wide = {address: holder for address, holder in listeners.items() if not on_loopback(address)}
    lines.append(f"Listening:    {', '.join(listeners)}")
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
                    f"{record['name']:<14} pid {record['pid']:<8} {'running' if alive(record) else 'not running'}"
                )
            print(f"{'postgres':<14} {'running' if postgres_running(cluster) else 'not running'}")
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
