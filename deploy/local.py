"""`make airflow`: Airflow 3 on this machine, in the foreground, every port on 127.0.0.1, until Ctrl-C.

    python -m deploy.local [--port 8080]

Not `airflow standalone`, whose API server listens on 0.0.0.0 and whose scheduler and triggerer serve logs on
every interface. This runs `airflow db migrate`, then only what the DAGs need, each line of their output prefixed
with its name: the api-server (UI, REST API and the execution API the tasks call) on 127.0.0.1:PORT; once it
answers, the `duckdb_writer` pool; then the scheduler (LocalExecutor, `--skip-serve-logs`: tasks write their logs
under $AIRFLOW_HOME/logs, which the api-server reads from disk) and the dag-processor. No triggerer: no task
defers. The UI port and the execution API URL come from the one --port, so they always agree.

What runs at start-up: nothing. `nightly_ingest` first runs at the next 02:00 Asia/Shanghai, or when triggered;
`annual_indicators` after each load of `nightly_ingest` (the warehouse Asset).

Ctrl-C (or SIGTERM, or a closed terminal) stops the scheduler and the dag-processor, running tasks finishing for up
to 30 s (a second Ctrl-C: at once), then the api-server; whatever is left of any of them, the LocalExecutor's
workers and task processes included, is killed. Nothing outlives `make airflow`.

The admin's password is generated once into $AIRFLOW_HOME/passwords.json (mode 0600) and printed at start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from deploy.airflow_api import Api
from deploy.airflow_settings import (
    LOCAL_EXECUTOR,
    SHARED,
    api_server,
    control_plane,
    create_writer_pool,
    install_local_settings,
)
from deploy.cluster_record import BIN, DAGS, ClusterError, wait_until, write_private
from deploy.processes import HOST, leader, stop_processes, tagged

REPO = Path(__file__).resolve().parent.parent
# Loggers whose INFO lines say nothing a user of this project acts on: one line per execution-API request, one
# per LocalExecutor worker process started. (Great Expectations' own are quietened where pipeline/gx_runtime.py
# imports it.)
QUIET_LOGGERS = "http.access=WARNING airflow.executors.local_executor=WARNING"
# How long running tasks may go on after Ctrl-C before what is left of the components is killed.
GRACE_SECONDS = 30.0


def airflow_home() -> Path:
    """Return $AIRFLOW_HOME (the Makefile sets it to var/airflow), created if need be."""
    home = Path(os.environ.get("AIRFLOW_HOME") or REPO / "var" / "airflow")
    home.mkdir(parents=True, exist_ok=True)
    return home


def admin_password(home: Path) -> str:
    """Return the admin's password, generating it into $AIRFLOW_HOME/passwords.json the first time."""
    path = home / "passwords.json"
    if not path.exists():
        write_private(path, json.dumps({"admin": secrets.token_urlsafe(12)}))
    return json.loads(path.read_text(encoding="utf-8"))["admin"]


def environment(home: Path, port: int) -> dict[str, str]:
    """Return the components' environment: this one's, with Airflow pointed at 127.0.0.1:port and this repo."""
    ours = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": LOCAL_EXECUTOR,
        # One task process per core: more only waits for the CPU (and each worker is a process kept alive).
        "AIRFLOW__CORE__PARALLELISM": str(max(2, os.cpu_count() or 2)),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": HOST,
        # New for each start, shared by the three components; 64 bytes, as HMAC-SHA512 asks (a shorter one is
        # warned about on every token).
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__LOGGING__NAMESPACE_LEVELS": QUIET_LOGGERS,
        # The DAG files' parse table every 5 minutes, not every 30 s; import errors are logged as they happen.
        "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "300",
        "GX_ANALYTICS_ENABLED": "False",
    }
    return os.environ | SHARED | api_server(port) | ours


def relay(name: str, stream, lock: threading.Lock) -> None:
    """Copy a component's output to ours, each line prefixed with its name."""
    for line in iter(stream.readline, b""):
        with lock:
            sys.stdout.buffer.write(f"{name:<13} | ".encode() + line)
            sys.stdout.buffer.flush()


class Components:
    """The running components; stopped together, as one, whichever way this process ends.

    Each runs in its own session, so a terminal's Ctrl-C reaches this process alone and the components hear of it
    once, from stop(): the scheduler signalled twice (the terminal's SIGINT, then our SIGTERM) gave up its
    LocalExecutor's shutdown half-way and waited on its workers, which ignore both signals, until it was killed;
    the workers outlived it. The session also holds whatever a component starts, the task processes included
    (each in a process group of its own), so what outlives a component can be found and stopped.
    """

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.processes: dict[str, subprocess.Popen] = {}
        self.records: dict[str, dict] = {}
        self.relays: list[threading.Thread] = []
        self.lock = threading.Lock()
        # Set by a second Ctrl-C: stop at once, without waiting for running tasks.
        self.hurry = threading.Event()

    def start(self, name: str) -> None:
        argv = [str(BIN / "airflow"), *control_plane(self.port)[name]]
        env = tagged(self.env)  # what it starts is found by the tag, even a daemon that left its session
        child = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.relays.append(threading.Thread(target=relay, args=(name, child.stdout, self.lock), daemon=True))
        self.relays[-1].start()
        self.processes[name] = child
        self.records[name] = leader(child.pid, env)

    def exited(self) -> list[str]:
        return [name for name, child in self.processes.items() if child.poll() is not None]

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Stop the scheduler and dag-processor, then the api-server their tasks report to; kill what is left."""
        self._end(["scheduler", "dag-processor"], grace)
        self._end(["api-server"], grace)
        for thread in self.relays:  # their last lines (how each ended) are printed before we exit
            thread.join(2.0)

    def _end(self, names: list[str], grace: float) -> None:
        """SIGTERM these components; after `grace` seconds (or a second Ctrl-C) SIGKILL all that is left of them."""
        names = [name for name in names if name in self.processes]
        stop_processes([self.records[name] for name in names], grace, hurry=self.hurry)
        for name in names:
            self.processes[name].wait()


def migrate(env: dict[str, str]) -> None:
    """Bring the metadata database up to date; its log is printed only if it fails."""
    done = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ClusterError(
            f"`airflow db migrate` failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    print(f"metadata database ready: {env['AIRFLOW_HOME']}", flush=True)


def run(port: int) -> int:
    """Start Airflow, say where it is and what runs, and keep it running until a signal; return the exit status."""
    home = airflow_home()
    install_local_settings(home)
    password = admin_password(home)
    env = environment(home, port)
    components = Components(env, port)
    stopping = threading.Event()
    first_signal: float | None = None

    def on_signal(signum, frame) -> None:
        nonlocal first_signal
        if first_signal is None:
            first_signal = time.monotonic()
            stopping.set()
        # `uv run` passes on the SIGINT its child has had from the terminal already: one Ctrl-C comes twice.
        elif time.monotonic() - first_signal > 1.0:
            components.hurry.set()

    # SIGHUP too: the components, in sessions of their own, no longer hear of a closed terminal themselves.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    migrate(env)
    try:
        components.start("api-server")
        api = Api(f"http://{HOST}:{port}", "admin", password)
        wait_until("api-server", lambda: stopping.is_set() or api.health(), 180)
        if stopping.is_set():
            return 0
        # The pool exists before the scheduler can queue a task into it.
        create_writer_pool(api)
        components.start("scheduler")
        components.start("dag-processor")
        with components.lock:
            print(
                f"\nAirflow UI: http://{HOST}:{port}   user admin, password {password} ({home / 'passwords.json'})\n"
                "At start-up nothing runs: nightly_ingest runs at 02:00 Asia/Shanghai, or when you trigger it;\n"
                "annual_indicators runs after each nightly load. Ctrl-C stops every component.\n",
                flush=True,
            )
        while not stopping.wait(1.0):
            if dead := components.exited():
                print(f"{', '.join(dead)} exited; stopping the others", file=sys.stderr, flush=True)
                return 1
        return 0
    finally:
        if components.processes:
            print(
                f"stopping: running tasks may finish for up to {GRACE_SECONDS:.0f} s; Ctrl-C again to stop at once",
                file=sys.stderr,
                flush=True,
            )
        components.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Airflow on 127.0.0.1 for this repository's DAGs, until Ctrl-C."
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="the UI's port, and the tasks' execution API's"
    )
    args = parser.parse_args(argv)
    try:
        sys.exit(run(args.port))
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
