"""`nightly_ingest` under Airflow beside `pipeline ingest` on the same N files: dag.test() and a real scheduler.

bench/run.py calls `measure` after its CLI ingest figure; each measurement starts from a fresh, empty data root
(`bench/out/home-dag-<how>-n<N>/`) over the same inbox, with the CLI child's environment (`child_env`):

- dag.test(): a fresh process (`python -m bench.dag_bench dag-test FIGURES.json`) with its own AIRFLOW_HOME
  (`bench/out/airflow-dag-test/`, metadata DB migrated first) parses `dags/` as the DAG processor does and
  times `nightly_ingest.test()`; every task runs inside that process.
- A real scheduler: AIRFLOW_HOME `bench/out/airflow-scheduler/`, `airflow db migrate`, pool `duckdb_writer`
  with 1 slot, the repository's `dags/`, examples off, DAGs unpaused, LocalExecutor with parallelism 4 and
  no runs from schedules or Assets (`[scheduler] use_job_schedule = False`: only the triggered run happens).
  `airflow api-server`, `airflow scheduler --skip-serve-logs` and `airflow dag-processor` run as subprocesses,
  each in its own process group, the API server on 127.0.0.1 and nothing else listening (checked from /proc).
  Start-up (timed apart) ends once the DAG is parsed and the API server has built its execution API (its
  first request takes seconds, once per API server). The run is triggered and polled over the REST API and
  timed from the run's `queued_at` (the trigger) to its `end_date`; then every process group is stopped. Each task process (a child of a
  LocalExecutor worker, titled `airflow worker -- <task instance id>`) is sampled from /proc every 50 ms: its
  own VmHWM and the resident memory of it and its parse workers together.

Both warehouses are held against the CLI's: submissions by status, and the same status for every inbox path.
If the scheduler run fails as configured, the cause is taken from the failed task's log and the run is
measured once more with `PIPELINE_WORKERS=1` (shards parsed in their task's own process), labelled as such.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections import Counter
from pathlib import Path

from bench.child import TreeRss, resources
from deploy.airflow_api import Api, health
from deploy.airflow_settings import LOCAL_EXECUTOR, SHARED
from deploy.processes import (
    children,
    free_ports,
    leader,
    listening,
    loopback_only,
    process_tree,
    processes_of,
    status_kib,
    title,
)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
DAGS = REPO / "dags"
DAG_ID = "nightly_ingest"
GIB = 1024**3
PARALLELISM = 4  # LocalExecutor worker processes
RATIO_LIMIT = 1.5  # the scheduler run ÷ `pipeline ingest`
TASK_RSS_LIMIT_KIB = 1024 * 1024  # 1 GiB per task process, its parse workers included
READY_TIMEOUT_S = 240.0
WORKAROUND = {"PIPELINE_WORKERS": "1"}
SUPERVISOR_TITLE = "airflow worker -- LocalExecutor"  # LocalExecutor's worker: Airflow's own supervisor
TASK_TITLE = "airflow worker -- "  # the task process it forks, once it knows its task instance


def airflow_bin() -> str:
    """Return the `airflow` console script of this environment, as `make airflow` runs it."""
    beside = Path(sys.executable).with_name("airflow")
    return str(beside) if beside.exists() else shutil.which("airflow") or "airflow"


def airflow_env(base: dict[str, str], home: Path, **settings: str) -> dict[str, str]:
    """Return `base` (the CLI child's environment) with Airflow pointed at `home` and this repository's DAGs."""
    env = {k: v for k, v in base.items() if not k.startswith("AIRFLOW__")}
    return (
        env
        | {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        }
        | SHARED  # as `make airflow` and `make cluster` run it
        | settings
    )


def fresh(path: Path) -> Path:
    """Make an empty folder at `path`, moving an earlier one aside (deleted after the benchmark, not before a run)."""
    from bench.run import retire  # bench.run imports this module when it measures the DAG

    retire(path)
    path.mkdir(parents=True)
    return path


def airflow_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> float:
    """Run one `airflow` command to completion; return its wall time, or raise with its output's tail."""
    started = time.perf_counter()
    done = subprocess.run(
        [airflow_bin(), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"`airflow {' '.join(args)}` failed ({done.returncode}): {done.stderr[-1500:]}")
    return time.perf_counter() - started


# What the warehouse took in.


def taken_in(home: Path) -> dict:
    """Count submissions by status, and digest every inbox path with its status, for comparing warehouses."""
    import duckdb

    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        return {"by_status": {}, "digest": "", "files": 0}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = sorted(con.execute("select inbox_path, status from ops.submissions").fetchall())
    digest = hashlib.sha256("\n".join(f"{p}\t{s}" for p, s in rows).encode()).hexdigest()[:16]
    return {
        "by_status": dict(sorted(Counter(s for _, s in rows).items())),
        "digest": digest,
        "files": len(rows),
    }


# dag.test(), in a fresh process.


def dag_test_child(figures_path: Path) -> None:
    """Parse `dags/` as the DAG processor does and time `nightly_ingest.test()`; write the figures as JSON."""
    started = time.perf_counter()
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    if bag.import_errors:
        raise SystemExit(f"import errors in {DAGS}: {bag.import_errors}")
    dag = bag.dags[DAG_ID]
    parsed = time.perf_counter()
    with TreeRss() as tree:
        run = dag.test()
    finished = time.perf_counter()
    tasks = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": str(getattr(ti.state, "value", ti.state)),
            "duration_s": ti.duration,
        }
        for ti in sorted(run.get_task_instances(), key=lambda ti: (str(ti.start_date), ti.map_index))
    ]
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        loaded = session.scalars(
            select(XComModel.value).where(
                XComModel.dag_id == DAG_ID,
                XComModel.run_id == run.run_id,
                XComModel.task_id == "load_files",
                XComModel.key == "return_value",
            )
        ).first()
    figures = {
        "state": str(getattr(run.state, "value", run.state)),
        "load_split": (loaded or {}).get("seconds"),
        "import_s": parsed - started,
        "test_s": finished - parsed,
        "tree_peak_rss_kib": tree.peak_kib,
        "tasks": tasks,
    } | resources()
    figures_path.write_text(json.dumps(figures), encoding="utf-8")


def measure_dag_test(base_env: dict[str, str], n: int, out: Path = OUT) -> dict:
    """Migrate a fresh metadata DB, then time `nightly_ingest.test()` in a fresh process on an empty data root."""
    airflow_home = fresh(out / "airflow-dag-test")
    home = fresh(out / f"home-dag-test-n{n}")
    env = airflow_env(base_env | {"PIPELINE_HOME": str(home)}, airflow_home)
    result: dict = {"home": str(home)}
    try:
        result["migrate_s"] = airflow_cli(["db", "migrate"], env)
        figures_path = airflow_home / "figures.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.dag_bench", "dag-test", str(figures_path)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        result["process_s"] = time.perf_counter() - started
        (airflow_home / "dag-test.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0 or not figures_path.exists():
            raise RuntimeError(f"the dag.test() process failed ({done.returncode}): {done.stderr[-1500:]}")
        result |= json.loads(figures_path.read_text(encoding="utf-8"))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        result["error"] = str(exc)
    result["taken_in"] = taken_in(home)
    return result


# A real scheduler: the processes, their sockets, and the task processes' memory.


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


def stop(processes: dict[str, subprocess.Popen], grace: float = 30) -> float:
    """Stop every component's process group (SIGTERM, then SIGKILL after `grace` s); return the time taken."""
    started = time.perf_counter()
    for process in reversed(processes.values()):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    time.sleep(0.5)  # let the groups' other members (workers, task processes) finish exiting
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
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
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=url,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{url}/execution/",
        AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",  # off by default; if on, local
    )
    result: dict = {
        "label": label,
        "extra_env": extra_env,
        "home": str(home),
        "airflow_home": str(airflow_home),
        "parallelism": PARALLELISM,
    }
    processes: dict[str, subprocess.Popen] = {}
    logs = []
    try:
        result["migrate_s"] = airflow_cli(["db", "migrate"], env)
        result["pool_s"] = airflow_cli(
            ["pools", "set", "duckdb_writer", "1", "DuckDB allows one writing process at a time"], env
        )
        commands = {
            "api-server": ["api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            "scheduler": ["scheduler", "--skip-serve-logs"],  # LocalExecutor would serve logs on 0.0.0.0
            "dag-processor": ["dag-processor"],
        }
        started = time.perf_counter()
        for name, args in commands.items():
            log = open(airflow_home / f"{name}.log", "wb")  # noqa: SIM115 (closed in finally)
            logs.append(log)
            processes[name] = subprocess.Popen(
                [airflow_bin(), *args],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        api = wait_ready(url, processes, airflow_home)
        result["startup_s"] = time.perf_counter() - started
        # Each component leads its own session and process group.
        leaders = [leader(p.pid) for p in processes.values()]
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
            result["stop_s"] = stop(processes)
            result["exit_codes"] = {name: p.returncode for name, p in processes.items()}
        for log in logs:
            log.close()
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


# Both measurements, their figures and their targets.


def measure(base_env: dict[str, str], n: int, cli_home: Path, ingest: dict) -> dict:
    """Measure dag.test() and a real scheduler run on fresh data roots; print each figure as it comes."""
    results = {"cli_taken_in": taken_in(cli_home)}
    section(f"nightly_ingest on the same {n:,} files (Airflow, fresh data root each; bench/dag_bench.py)")
    results["dag_test"] = measure_dag_test(base_env, n)
    print_dag_test(results["dag_test"], results["cli_taken_in"], ingest)
    first = measure_scheduler(base_env, n, "", {})
    results["scheduler"] = [first]
    print_scheduler(first, results["cli_taken_in"], ingest)
    if first.get("state") == "failed" and first.get("failure", "").startswith("parse_shard"):
        retry = measure_scheduler(base_env, n, "workers1", WORKAROUND)
        results["scheduler"].append(retry)
        print_scheduler(retry, results["cli_taken_in"], ingest)
    print_ratios(results, ingest)
    return results


def cli_seconds(ingest: dict) -> float:
    """The CLI figure the DAG is held against: `pipeline ingest` in a fresh process, imports included."""
    return ingest.get("process_s") or ingest["ingest_s"]


def same_as_cli(taken: dict, cli: dict) -> str:
    verdict = (
        "same as the CLI's"
        if taken["digest"] == cli["digest"]
        else "DIFFERS from the CLI's " + str(cli["by_status"])
    )
    counts = ", ".join(f"{k} {v:,}" for k, v in taken["by_status"].items()) or "nothing"
    return f"{counts} — {verdict}"


def kib(value: int | None) -> str:
    return "not sampled" if not value else f"{value * 1024 / GIB:,.2f} GiB"


def print_dag_test(figures: dict, cli: dict, ingest: dict) -> None:
    from bench.run import figure, seconds

    figure(
        "dag.test(): metadata DB migrate", seconds(figures["migrate_s"]) if "migrate_s" in figures else "—"
    )
    if "error" in figures:
        figure("dag.test()", f"failed: {figures['error']}")
        return
    figure("dag.test(): run", f"{seconds(figures['test_s'])} ({figures['state']}; every task in one process)")
    figure(
        "  process, with imports",
        f"{seconds(figures['process_s'])} (Airflow + DAG parse {seconds(figures['import_s'])})",
    )
    for task in figures["tasks"]:
        name = task["task_id"] + (f"[{task['map_index']}]" if task["map_index"] >= 0 else "")
        figure(f"  {name}", f"{seconds(task['duration_s'] or 0)} ({task['state']})")
    figure(
        "  peak RSS of that process",
        f"{kib(figures['peak_rss_kib'])}, with parse workers {kib(figures['tree_peak_rss_kib'])}",
    )
    print_load_split(figures.get("load_split"), ingest)
    figure("  submissions by status", same_as_cli(figures["taken_in"], cli))


def print_scheduler(figures: dict, cli: dict, ingest: dict) -> None:
    from bench.run import figure, seconds

    how = f"scheduler, LocalExecutor ×{figures['parallelism']}" + (
        f", {' '.join(f'{k}={v}' for k, v in figures['extra_env'].items())} (workaround)"
        if figures["extra_env"]
        else ""
    )
    figure(how, "")
    if "migrate_s" in figures:
        startup = figures.get("startup_s")
        figure(
            "  start-up (not in the run)",
            f"db migrate {seconds(figures['migrate_s'])}, pool {seconds(figures.get('pool_s', 0))}, "
            f"components ready {seconds(startup) if startup else '—'}, stop {seconds(figures.get('stop_s', 0))}",
        )
    if "listening" in figures:
        verdict = "loopback only" if loopback_only(figures["listening"]) else "NOT loopback only"
        figure("  listening", f"{', '.join(figures['listening']) or 'nothing'} ({verdict})")
    if "error" in figures and "state" not in figures:
        figure("  run", f"NOT MEASURED: {figures['error']}")
        return
    figure(
        "  run, trigger to end",
        f"{seconds(figures['trigger_to_end_s'])} ({figures['state']}; the run started "
        f"{seconds(figures['queued_to_start_s'])} after the trigger; as polled: {seconds(figures['observed_s'])})",
    )
    if figures["state"] == "success":
        tasks = sum_critical_path(figures["tasks"])
        figure(
            "  where the time goes",
            f"tasks on the critical path {seconds(tasks)} (find, longest shard, load), Airflow around them "
            f"{seconds(figures['trigger_to_end_s'] - tasks)} (scheduling, queueing, task start-up)",
        )
    if "failure" in figures:
        figure("  why it failed", figures["failure"])
    for task in figures["tasks"]:
        name = task["task_id"] + (f"[{task['map_index']}]" if task["map_index"] >= 0 else "")
        timing = (
            f"starts at +{task['start_after_s']:,.1f} s, runs {seconds(task['duration_s'])}"
            if task["start_after_s"] is not None and task["duration_s"] is not None
            else "did not run"
        )
        memory = (
            f"; peak RSS {kib(task['hwm_kib'])}, with {task['processes'] - 1} child processes {kib(task['tree_kib'])}"
            if task["hwm_kib"]
            else ""
        )
        figure(f"  {name}", f"{task['state']}: {timing}{memory}")
    if figures.get("other_runs"):
        figure("  other runs (unexpected)", ", ".join(figures["other_runs"]))
    print_load_split(figures.get("load_split"), ingest)
    figure("  submissions by status", same_as_cli(figures["taken_in"], cli))


def print_load_split(split: dict | None, ingest: dict) -> None:
    """Print load_files's own split (its return value) beside the CLI's for the same stages."""
    from bench.run import figure, seconds

    if split:
        cli = ingest.get("timings") or {}
        figure(
            "  load_files split",
            " · ".join(f"{k} {seconds(v)}" for k, v in split.items())
            + " (CLI: "
            + " · ".join(f"{k} {seconds(cli[k])}" for k in split if k in cli)
            + ")",
        )


def scheduler_figure(dag: dict) -> dict | None:
    """The scheduler run the ratio is taken from: as configured if it succeeded, else the workaround's."""
    runs = [r for r in dag.get("scheduler", []) if r.get("state") == "success"]
    return runs[0] if runs else None


def print_ratios(dag: dict, ingest: dict) -> None:
    from bench.run import figure, seconds

    cli = cli_seconds(ingest)
    figure(
        "CLI `pipeline ingest`",
        f"{seconds(cli)} (fresh process, imports included; ingest alone {seconds(ingest['ingest_s'])})",
    )
    test = dag["dag_test"]
    if "test_s" in test:
        figure("dag.test() ÷ CLI", f"{test['test_s'] / cli:,.2f}× ({seconds(test['test_s'])})")
    run = scheduler_figure(dag)
    configured = dag["scheduler"][0]
    if run:
        label = (
            "" if run is configured else " with " + " ".join(f"{k}={v}" for k, v in run["extra_env"].items())
        )
        figure(
            f"scheduler{label} ÷ CLI",
            f"{run['trigger_to_end_s'] / cli:,.2f}× ({seconds(run['trigger_to_end_s'])})",
        )
    if run is not configured:
        figure(
            "scheduler as configured ÷ CLI",
            f"none: the run {configured.get('state', 'was not measured')} (see above)",
        )
    rss = task_rss_max(dag)
    if rss:
        figure("per-task peak RSS, max", f"{kib(rss[0])} ({rss[1]}, with its child processes)")


def task_rss_max(dag: dict) -> tuple[int, str] | None:
    """The largest task process tree over every scheduler run: (KiB, which task)."""
    found = [
        (task["tree_kib"], task["task_id"] + (f"[{task['map_index']}]" if task["map_index"] >= 0 else ""))
        for run in dag.get("scheduler", [])
        for task in run.get("tasks", [])
        if task.get("tree_kib")
    ]
    return max(found) if found else None


def targets(dag: dict, ingest: dict) -> list:
    """Hold the scheduler run against DAG ≤ 1.5× the CLI and every task process against ≤ 1 GiB."""
    from bench.run import Target, seconds

    cli = cli_seconds(ingest)
    configured = dag["scheduler"][0]
    run = scheduler_figure(dag)
    name = f"DAG (scheduler, LocalExecutor) ≤ {RATIO_LIMIT}× CLI"
    if run is configured:
        ratio = run["trigger_to_end_s"] / cli
        slowest = max(run["tasks"], key=lambda t: t["duration_s"] or 0)
        gaps = run["trigger_to_end_s"] - sum_critical_path(run["tasks"])
        why = (
            f"CLI {seconds(cli)}; the run {seconds(run['trigger_to_end_s'])}: tasks on its critical path "
            f"{seconds(run['trigger_to_end_s'] - gaps)}, Airflow between them {seconds(gaps)}; "
            f"slowest task {slowest['task_id']} {seconds(slowest['duration_s'] or 0)}"
        )
        found = [Target(name, f"{ratio:,.2f}×", f"≤ {RATIO_LIMIT}×", ratio <= RATIO_LIMIT, why)]
    else:
        why = configured.get("failure") or configured.get("error") or configured.get("state", "")
        if run:
            why += (
                f" (with {' '.join(f'{k}={v}' for k, v in run['extra_env'].items())} it took "
                f"{seconds(run['trigger_to_end_s'])}, {run['trigger_to_end_s'] / cli:,.2f}× the CLI)"
            )
        found = [Target(name, "failed", f"≤ {RATIO_LIMIT}×", False, why)]
    rss = task_rss_max(dag)
    found.append(
        Target(
            "peak RSS of each DAG task process ≤ 1 GiB",
            kib(rss[0]) if rss else "not sampled",
            "≤ 1 GiB",
            bool(rss) and rss[0] <= TASK_RSS_LIMIT_KIB,
            f"largest: {rss[1]} with its parse workers (the loader holds one chunk of parsed files)"
            if rss
            else "no task process was sampled",
        )
    )
    return found


def print_targets(dag: dict, ingest: dict) -> list:
    """Print this module's targets as bench/run.py prints all of them (for `--only dag`); return them."""
    from bench.run import say

    found = targets(dag, ingest)
    section("Targets: nightly_ingest beside the CLI")
    for target in found:
        say(
            f"  {'PASS' if target.passed else 'MISS'}  {target.name:<42} {target.measured:>10}  (target {target.limit})"
        )
        if not target.passed:
            say(f"        why: {target.why}")
    return found


def sum_critical_path(tasks: list[dict]) -> float:
    """Seconds of task run time on the run's critical path: find, the longest shard, load."""
    longest: dict[str, float] = {}
    for task in tasks:
        longest[task["task_id"]] = max(longest.get(task["task_id"], 0.0), task["duration_s"] or 0.0)
    return sum(longest.values())


def section(title: str) -> None:
    from bench.run import section as run_section

    run_section(title)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "dag-test":
        raise SystemExit(
            "usage: python -m bench.dag_bench dag-test FIGURES.json  (bench/run.py runs the rest)"
        )
    dag_test_child(Path(args[1]))


if __name__ == "__main__":
    main()
