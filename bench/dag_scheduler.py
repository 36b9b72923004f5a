"""Time one run of `nightly_ingest` under a real scheduler, and sample its task processes' memory.

AIRFLOW_HOME `bench/out/airflow-scheduler/`, `airflow db migrate`, pool `duckdb_writer` with 1 slot, the
repository's `dags/`, examples off, DAGs unpaused, LocalExecutor with parallelism 4 and no runs from schedules
or Assets (`[scheduler] use_job_schedule = False`: only the triggered run happens). `airflow api-server`,
`airflow scheduler --skip-serve-logs` and `airflow dag-processor` run as subprocesses, each in its own process
group, the API server on 127.0.0.1 and nothing else listening (checked from /proc). Start-up (timed apart) ends
once the DAG is parsed and the API server has built its execution API (its first request takes seconds, once per
API server). The run is triggered and polled over the REST API and timed from the run's `queued_at` (the
trigger) to its `end_date`; then every process group is stopped. Each task process (a child of a LocalExecutor
worker, titled `airflow worker -- <task instance id>`) is sampled from /proc every 50 ms: its own VmHWM and the
resident memory of it and its parse workers together.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
import urllib.error
from pathlib import Path

from bench.dag_airflow import DAG_ID, airflow_bin, airflow_cli, airflow_env, publication_seconds, taken_in
from bench.places import OUT, REPO, fresh
from deploy.airflow_api import Api, health
from deploy.airflow_settings import LOCAL_EXECUTOR, WRITER_POOL, WRITER_POOL_NOTE, api_server, control_plane
from deploy.processes import (
    children,
    free_ports,
    leader,
    listening,
    process_tree,
    processes_of,
    status_kib,
    stop_processes,
    tagged,
    title,
)

PARALLELISM = 4  # LocalExecutor worker processes
READY_TIMEOUT_S = 240.0
SUPERVISOR_TITLE = "airflow worker -- LocalExecutor"  # LocalExecutor's worker: Airflow's own supervisor
TASK_TITLE = "airflow worker -- "  # the task process it forks, once it knows its task instance


class TaskSampler:
    """Every 50 ms, find the task processes under the scheduler and keep each one's peak memory.

    A task process is a child of a LocalExecutor worker (Airflow's supervisor, not counted). Per task process:
    its own peak (VmHWM, exact) and the peak of its resident memory summed with its descendants' (the
    forkserver and parse workers), as sampled.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.tasks: dict[int, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.sample()

    def sample(self) -> None:
        # A worker whose title setproctitle did not set (seen on a Linux 6.18 machine) still shows the scheduler's
        # command line: the scheduler's children so named are its LocalExecutor workers all the same, and their
        # task processes are then told apart by the pid each task instance records.
        forked = title(self.root)
        workers = {pid for pid in children(self.root) if forked and title(pid) == forked}
        todo = [self.root]
        while todo:
            parent = todo.pop()
            kids = children(parent)
            todo += kids
            if parent not in workers and not title(parent).startswith(SUPERVISOR_TITLE):
                continue
            for pid in kids:
                entry = self.tasks.setdefault(pid, {"ti_id": "", "hwm_kib": 0, "tree_kib": 0, "processes": 0})
                name = title(pid)
                if name.startswith(TASK_TITLE) and not name.startswith(SUPERVISOR_TITLE):
                    entry["ti_id"] = name[len(TASK_TITLE) :].split()[0]
                tree = process_tree(pid)
                entry["hwm_kib"] = max(entry["hwm_kib"], status_kib(pid, "VmHWM"))
                entry["tree_kib"] = max(entry["tree_kib"], sum(status_kib(p, "VmRSS") for p in tree))
                entry["processes"] = max(entry["processes"], len(tree))

    def __enter__(self) -> TaskSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def stop(processes: dict[str, subprocess.Popen], leaders: list[dict], grace: float = 30) -> float:
    """Stop every component and all it started (SIGTERM, then SIGKILL after `grace` s); return the time taken."""
    started = time.perf_counter()
    # All of it hears SIGTERM: the run is over, and a task process in a process group of its own is stopped too.
    stop_processes(leaders, grace, tree=True)
    for process in processes.values():
        process.wait()
    return time.perf_counter() - started


def parse_time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def task_failure(airflow_home: Path, run_id: str, ti: dict) -> str:
    """Say why a task failed, from its log: the exception, and the last error its worker processes wrote."""
    folder = airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={ti['task_id']}"
    if ti["map_index"] >= 0:
        folder /= f"map_index={ti['map_index']}"
    logs = sorted(folder.glob("attempt=*.log"))
    if not logs:
        return f"{ti['task_id']} {ti['state']} (no log in {folder})"
    exception, stderr = "", []
    for line in logs[-1].read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("logger") == "task.stderr":
            stderr.append(str(event.get("event", "")))
        for detail in event.get("error_detail") or []:
            exception = f"{detail.get('exc_type')}: {detail.get('exc_value')}"
    where = f"{ti['task_id']}[{ti['map_index']}]" if ti["map_index"] >= 0 else ti["task_id"]
    text = f"{where} failed: {exception or 'see ' + str(logs[-1])}"
    last = next((s.strip() for s in reversed(stderr) if s.strip()), "")
    if last:
        text += f"; its last stderr line: {last}"
    if any("_fixup_main_from_path" in s for s in stderr) and any("bin/airflow" in s for s in stderr):
        text += (
            " — a forkserver parse worker re-ran the task process's __main__, the `airflow` script, and "
            "`import airflow` failed: Airflow sets AIRFLOW__DATABASE__SQL_ALCHEMY_CONN to "
            "'airflow-db-not-allowed:///' in task processes (supervisor.block_orm_access)"
        )
    return text


def measure_scheduler(
    base_env: dict[str, str],
    n: int,
    label: str = "",
    extra_env: dict[str, str] | None = None,
    out: Path = OUT,
) -> dict:
    """Start Airflow's components on 127.0.0.1, trigger `nightly_ingest` once, time it, stop everything."""
    extra_env = extra_env or {}
    airflow_home = fresh(out / "airflow-scheduler")
    home = fresh(out / f"home-dag-scheduler{'-' + label if label else ''}-n{n}")
    port = free_ports(["api"])["api"]
    url = f"http://127.0.0.1:{port}"
    env = airflow_env(
        base_env | {"PIPELINE_HOME": str(home)} | extra_env,
        airflow_home,
        AIRFLOW__CORE__EXECUTOR=LOCAL_EXECUTOR,
        AIRFLOW__CORE__PARALLELISM=str(PARALLELISM),
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # no scheduled or Asset-triggered runs beside ours
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",  # off by default; if on, local
        **api_server(port),
    )
    result: dict = {
        "label": label,
        "extra_env": extra_env,
        "home": str(home),
        "airflow_home": str(airflow_home),
        "parallelism": PARALLELISM,
    }
    processes: dict[str, subprocess.Popen] = {}
    leaders: list[dict] = []
    logs = []
    try:
        result["migrate_s"] = airflow_cli(["db", "migrate"], env)
        result["pool_s"] = airflow_cli(["pools", "set", WRITER_POOL, "1", WRITER_POOL_NOTE], env)
        started = time.perf_counter()
        for name, args in control_plane(port).items():
            log = open(airflow_home / f"{name}.log", "wb")  # noqa: SIM115 (closed in finally)
            logs.append(log)
            own_env = tagged(env)  # what it starts is found by the tag, even a daemon that left its session
            processes[name] = subprocess.Popen(
                [airflow_bin(), *args],
                cwd=REPO,
                env=own_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            # Recorded at once: what a component starts is found and stopped even if the component ends first.
            leaders.append(leader(processes[name].pid, own_env))
        api = wait_ready(url, processes, airflow_home)
        result["startup_s"] = time.perf_counter() - started
        # Each component leads its own session and process group.
        result["pgids"] = sorted(record["pid"] for record in leaders)
        result["listening"] = listening_on(leaders)

        run_id = f"bench-n{n}-{int(time.time())}"
        with TaskSampler(processes["scheduler"].pid) as sampler:
            triggered = time.perf_counter()
            run = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", {"dag_run_id": run_id, "logical_date": None})
            limit = 600 + 0.3 * n
            deadline = time.monotonic() + limit
            while run["state"] not in ("success", "failed"):
                dead = [name for name, p in processes.items() if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{', '.join(dead)} exited during the run"
                        if dead
                        else f"the run did not end within {limit:,.0f} s"
                    )
                time.sleep(0.5)
                run = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
            result["observed_s"] = time.perf_counter() - triggered
        result["listening"] = sorted(set(result["listening"]) | set(listening_on(leaders)))
        tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances?limit=1000")["task_instances"]
        others = api.get("/api/v2/dags/~/dagRuns?limit=100")["dag_runs"]
        result["other_runs"] = [
            f"{r['dag_id']}/{r['dag_run_id']}" for r in others if r["dag_run_id"] != run_id
        ]
        queued, began, ended = (parse_time(run[k]) for k in ("queued_at", "start_date", "end_date"))
        result |= {
            "run_id": run_id,
            "state": run["state"],
            "trigger_to_end_s": (ended - queued).total_seconds(),
            "queued_to_start_s": (began - queued).total_seconds(),
            "tasks": task_figures(tis, sampler.tasks, queued),
            "untracked_processes": sum(1 for t in sampler.tasks.values() if not t["ti_id"]),
        }
        if run["state"] == "success":
            loaded = api.get(
                f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/load_files/xcomEntries/return_value"
            )["value"]
            result["load_split"] = (json.loads(loaded) if isinstance(loaded, str) else loaded).get("seconds")
        failed = [ti for ti in tis if ti["state"] == "failed"]
        if failed:
            result["failure"] = task_failure(airflow_home, run_id, failed[0])
    except (
        RuntimeError,
        OSError,
        KeyError,
        ValueError,
        subprocess.TimeoutExpired,
        urllib.error.URLError,
    ) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        if processes:
            result["stop_s"] = stop(processes, leaders)
            result["exit_codes"] = {name: p.returncode for name, p in processes.items()}
        for log in logs:
            log.close()
    if result.get("state") == "success":
        result["publish_s"] = publication_seconds(home)
    result["taken_in"] = taken_in(home)
    return result


def listening_on(leaders: list[dict]) -> list[str]:
    """Return every `host:port` that these components, or anything they started, listen on."""
    return sorted(listening(pid for record in leaders for pid in processes_of(record)))


def wait_ready(url: str, processes: dict[str, subprocess.Popen], airflow_home: Path) -> Api:
    """Wait until the API answers, the scheduler and DAG processor are healthy and the DAG is parsed, unpaused;
    return the API, signed in as the generated admin."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting_for = "the API server"
    api: Api | None = None
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                tail = (airflow_home / f"{name}.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"`airflow {name}` exited ({process.returncode}) while starting: {tail}")
        try:
            components = health(url, timeout=5)
            unhealthy = [
                k
                for k in ("metadatabase", "scheduler", "dag_processor")
                if components[k]["status"] != "healthy"
            ]
            if unhealthy:
                waiting_for = " and ".join(unhealthy)
            else:
                if api is None:
                    api = Api.generated_admin(url, airflow_home)
                    # The API server builds its execution API on the first request to it (seconds): that is
                    # start-up, once per API server, not part of any run.
                    api.get("/execution/health", timeout=60)
                waiting_for = f"{DAG_ID} to be parsed"
                dag = api.get(f"/api/v2/dags/{DAG_ID}", timeout=5)
                if dag.get("is_paused") is False:
                    errors = api.get("/api/v2/importErrors", timeout=5)
                    if errors.get("total_entries"):
                        raise RuntimeError(f"import errors in dags/: {errors['import_errors']}")
                    return api
        except (urllib.error.URLError, ConnectionError, TimeoutError, KeyError, FileNotFoundError):
            pass  # not up yet
        time.sleep(0.5)
    raise RuntimeError(
        f"Airflow was not ready after {READY_TIMEOUT_S:.0f} s: still waiting for {waiting_for}"
    )


def task_figures(tis: list[dict], sampled: dict[int, dict], queued: dt.datetime) -> list[dict]:
    """Per task instance: its wait after the trigger, its queueing, its run time and its task process's peaks."""
    by_ti = {entry["ti_id"]: entry for entry in sampled.values() if entry["ti_id"]}
    by_pid = {pid: entry for pid, entry in sampled.items()}
    rows = []
    for ti in sorted(tis, key=lambda t: (t["start_date"] or "9", t["map_index"])):
        start, end, queued_when = (parse_time(ti[k]) for k in ("start_date", "end_date", "queued_when"))
        memory = by_ti.get(ti["id"]) or by_pid.get(ti.get("pid")) or {}
        rows.append(
            {
                "task_id": ti["task_id"],
                "map_index": ti["map_index"],
                "state": ti["state"],
                "queued_after_s": (queued_when - queued).total_seconds() if queued_when else None,
                "start_after_s": (start - queued).total_seconds() if start else None,
                "end_after_s": (end - queued).total_seconds() if end else None,
                "duration_s": ti["duration"],
                "hwm_kib": memory.get("hwm_kib"),
                "tree_kib": memory.get("tree_kib"),
                "processes": memory.get("processes"),
            }
        )
    return rows
