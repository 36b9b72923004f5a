"""The DAGs on a whole cluster (deploy/cluster.py): Postgres, Redis, the api-server, scheduler, dag-processor and
two Celery workers, one of them the writer host, on the demo inbox plus 200 synthetic files.

Asserted: every writer-pool task is routed to the `writer` queue and ran on the writer worker, the shards ran on
both workers, `annual_indicators` followed the nightly load through the `warehouse` Asset, the warehouse equals
that of `pipeline run` on the same files in a local data root (run-specific columns aside, listed below), and
the report files are there. Run it with `make test-cluster`; `make test` leaves it out.

Storage is a setting. By default (`CLUSTER_TEST_STORAGE=s3`) the inbox, archive, receipts, reports, export and
work files are on the cluster's S3 server (moto), and each worker has a data root and scratch of its own, the
writer's holding the warehouse: a parse result written where only one worker can see it fails the night. That
is the deployment of docs/deploying.md. `CLUSTER_TEST_STORAGE=local` has every component share one local data
root, as processes on one host do. Nothing else in this test changes between the two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import duckdb
import pytest

from bench import synthetic
from deploy.airflow_settings import WRITER_POOL
from deploy.cluster import Cluster
from deploy.cluster_record import BUCKET, WORKERS, WRITER_QUEUE
from deploy.processes import HOST, processes_of

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "var" / "cluster-test"  # under the repository: Postgres runs as its own user and must reach it
WRITER = next(w.name for w in WORKERS if WRITER_QUEUE in w.queues)
SYNTHETIC_FILES = 200
SHARD_FILES = 50  # 211 files (the demo's 11 and 200 synthetic) → 5 shards
SETTLE_SECONDS = 120  # the default window: every file is dated before it
NIGHT_TIMEOUT = 360.0
ANNUAL_TIMEOUT = 240.0

# Columns that differ between any two runs on the same files, whatever ran them.
RUN_SPECIFIC = {
    "ops.submissions": {"received_at"},  # when this run received the file
    "ops.runs": {"finished_at", "work_runs"},  # when this run ended; its parse folders, named by the run
}
# Storage paths: compared relative to the location they are in (receipts/…, archive/…), not as written.
STORAGE_PATHS = {"ops.submissions": {"receipt_path": "receipts", "archive_path": "archive"}}
# What says an inbox entry changed where the storage differs: an object's ETag; a local file has none.
CHANGE_MARKERS = {"ops.inbox_files": {"marker"}}


@dataclass(frozen=True)
class Storage:
    """Where the shared locations are: settings for every component, each worker's own, and what the test reads."""

    env: dict[str, str]
    worker_env: dict[str, dict[str, str]]
    inbox: str
    archive: str
    receipts: str
    reports: str
    export: str
    work: str
    writer_home: Path  # the writer host's data root: warehouse.duckdb, versions/, writer/, run.lock

    def fs(self, cluster: Cluster):
        import fsspec

        if "://" not in self.inbox:
            return fsspec.filesystem("file")
        return fsspec.filesystem(
            "s3",
            key=cluster.secrets["s3_access_key"],
            secret=cluster.secrets["s3_secret_key"],
            client_kwargs={"endpoint_url": cluster.s3_endpoint, "region_name": "us-east-1"},
        )


def local_storage(root: Path) -> Storage:
    """One data root that every process on this host sees."""
    home = root / "data"
    return Storage(
        env={"PIPELINE_HOME": str(home), "PIPELINE_SETTLE_SECONDS": str(SETTLE_SECONDS)},
        worker_env={},
        inbox=str(home / "inbox"),
        archive=str(home / "archive"),
        receipts=str(home / "receipts"),
        reports=str(home / "reports"),
        export=str(home / "export"),
        work=str(home / "work"),
        writer_home=home,
    )


def s3_storage(root: Path) -> Storage:
    """Inbox, archive, receipts, reports and work files in the bucket; each worker's own data root on its disk."""
    names = ("inbox", "archive", "receipts", "reports", "export", "work")
    places = {name: f"s3://{BUCKET}/{name}" for name in names}
    return Storage(
        # An object's modification time is when it was uploaded: the inbox cannot be backdated past a window.
        env={f"PIPELINE_{name.upper()}": url for name, url in places.items()}
        | {"PIPELINE_SETTLE_SECONDS": "0"},
        worker_env={w.name: {"PIPELINE_HOME": str(root / w.name / "data")} for w in WORKERS},
        writer_home=root / WRITER / "data",
        **places,
    )


STORAGE = {"local": local_storage, "s3": s3_storage}[os.environ.get("CLUSTER_TEST_STORAGE", "s3")](ROOT)
ON_S3 = "://" in STORAGE.inbox


def relative(value, location: str):
    """A storage path as a path inside its location."""
    if isinstance(value, str) and value.startswith(location.rstrip("/") + "/"):
        return value[len(location.rstrip("/")) + 1 :]
    return value


def deliver(storage: Storage, cluster: Cluster, source: Path) -> None:
    """Put the files in the inbox as offices would; on a local disk they keep their (backdated) times."""
    if "://" not in storage.inbox:
        shutil.copytree(source, storage.inbox, dirs_exist_ok=True)  # copy2: times kept
    else:
        storage.fs(cluster).put(f"{source}/", storage.inbox, recursive=True)


def listing(storage: Storage, cluster: Cluster, location: str) -> list[str]:
    fs = storage.fs(cluster)
    return sorted(PurePosixPath(p).name for p in fs.ls(location, detail=False)) if fs.exists(location) else []


# --- the files, the reference run and the cluster ----------------------------------------------------------------
@pytest.fixture(scope="module")
def sources(tmp_path_factory, demo) -> Path:
    """The demo inbox (dated an hour back, as demo/make_inbox.py does) and 200 synthetic files (dated 2023)."""
    source = tmp_path_factory.mktemp("inbox")
    an_hour_ago = time.time() - 3600
    for path in demo.write_inbox(source):
        os.utime(path, (an_hour_ago, an_hour_ago))
    synthetic.write_inbox(source, synthetic.plan(SYNTHETIC_FILES))
    return source


def inbox_files(source: Path) -> int:
    """Return how many files the inbox holds: the demo's and the synthetic ones."""
    return sum(1 for path in source.rglob("*") if path.is_file())


def clean_environ() -> dict[str, str]:
    """This process's environment without pipeline or Airflow settings (the test suite sets some of its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINE_", "AIRFLOW"))}


def delivered_times(storage: Storage, cluster: Cluster) -> dict[str, int]:
    """Each inbox file's modification time as the cluster's storage gives it, in ns: on S3 its LastModified
    (the upload, in whole seconds), which orders the files a run receives; locally the copy kept the source's."""
    if not ON_S3:
        return {}
    below = storage.inbox.partition("://")[2].rstrip("/") + "/"
    return {
        path[len(below) :]: int(info["LastModified"].timestamp()) * 1_000_000_000
        for path, info in storage.fs(cluster).find(storage.inbox, detail=True).items()
    }


def reference_run(source: Path, home: Path, times: dict[str, int]) -> subprocess.CompletedProcess:
    """`pipeline run` on the same files in a local data root, dated as the cluster's storage dates them (files
    are received oldest first, so the submission numbers follow), with the cluster's settle window."""
    settle = STORAGE.env["PIPELINE_SETTLE_SECONDS"]
    env = clean_environ() | {"PIPELINE_SETTLE_SECONDS": settle, "GX_ANALYTICS_ENABLED": "False"}
    pipeline = str(Path(sys.executable).parent / "pipeline")
    subprocess.run([pipeline, "--home", str(home), "init"], env=env, check=True, capture_output=True)
    shutil.copytree(source, home / "inbox", dirs_exist_ok=True)
    for path, ns in times.items():
        os.utime(home / "inbox" / path, ns=(ns, ns))
    assert not times or len(times) == sum(1 for p in (home / "inbox").rglob("*") if p.is_file())
    return subprocess.run(
        [pipeline, "--home", str(home), "--quiet", "run"], env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def timings():
    found: dict[str, float] = {}
    yield found
    if found:
        (ROOT / "timings.json").write_text(json.dumps(found, indent=2) + "\n")
        print("\ncluster test timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in found.items()))


@pytest.fixture(scope="module")
def local_home(tmp_path_factory, sources, cluster):
    """The reference run, in the background while the night runs."""
    home = tmp_path_factory.mktemp("local") / "home"
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(reference_run, sources, home, delivered_times(STORAGE, cluster))
        yield future, home


@pytest.fixture(scope="module")
def cluster(sources, timings):
    """The cluster started with the DAGs paused, its data locations created and the inbox delivered."""
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        for name in [k for k in os.environ if k.startswith("PIPELINE_")]:
            patch.delenv(name)
        one = Cluster(
            ROOT,
            env=STORAGE.env | {"PIPELINE_SHARD_FILES": str(SHARD_FILES), "PIPELINE_WORKERS": "1"},
            worker_env=STORAGE.worker_env,
            paused=True,
        )
        try:
            one.start()
            timings["cluster start"] = time.monotonic() - started
            # Every data root in use: the shared one, or each worker's own (the writer's holds the warehouse).
            for env in (STORAGE.env, *STORAGE.worker_env.values()):
                if "PIPELINE_HOME" in env:
                    Path(env["PIPELINE_HOME"]).mkdir(parents=True, exist_ok=True)
            fs = STORAGE.fs(one)
            for location in (STORAGE.inbox, STORAGE.archive, STORAGE.receipts, STORAGE.reports):
                fs.makedirs(location, exist_ok=True)
            deliver(STORAGE, one, sources)
            yield one
        finally:
            stopping = time.monotonic()
            one.stop(quiet=True)
            timings["cluster stop"] = time.monotonic() - stopping


# --- talking to the cluster ---------------------------------------------------------------------------------------
def writer_tasks_off_the_writer_queue(cluster: Cluster) -> list[str]:
    """Every task of the writer pool whose queue (as the scheduler will send it) is not the writer queue."""
    off = []
    for dag_id in ("nightly_ingest", "annual_indicators"):
        for task in cluster.api.get(f"/api/v2/dags/{dag_id}/tasks")["tasks"]:
            if task["pool"] == WRITER_POOL and task["queue"] != WRITER_QUEUE:
                off.append(f"{dag_id}.{task['task_id']} on queue {task['queue']!r}")
    return off


def task_instances(cluster: Cluster, dag_id: str, run_id: str) -> list[dict]:
    return cluster.api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")[
        "task_instances"
    ]


def failure_report(cluster: Cluster, dag_id: str, run_id: str) -> str:
    """Each unfinished or failed task of a run, with the error lines of its log."""
    lines = []
    for ti in task_instances(cluster, dag_id, run_id):
        if ti["state"] == "success":
            continue
        lines.append(
            f"{ti['task_id']}[{ti['map_index']}] {ti['state']} on {ti['hostname']!r} queue {ti['queue']!r}"
        )
        for log in (cluster.root / "logs").glob(
            f"dag_id={dag_id}/run_id={run_id}/task_id={ti['task_id']}/**/*.log"
        ):
            errors = [x for x in log.read_text(errors="replace").splitlines() if '"level":"error"' in x]
            lines.extend(f"    {x[:1500]}" for x in errors[-3:])
    return "\n".join(lines)


def wait_for_run(cluster: Cluster, dag_id: str, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = cluster.api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        if run["state"] in ("success", "failed"):
            return run
        if time.monotonic() > deadline:
            pytest.fail(
                f"{dag_id} {run_id} still {run['state']} after {timeout:.0f} s:\n{failure_report(cluster, dag_id, run_id)}"
            )
        time.sleep(2)


@dataclass
class Night:
    nightly: dict
    annual: dict
    tis: list[dict]  # both runs' task instances, each with its dag_id
    nightly_runs: list[dict]


@pytest.fixture(scope="module")
def night(cluster: Cluster, timings, local_home) -> Night:
    """Trigger the night that is due, unpause both DAGs, wait for it and for the annual run the Asset starts
    (the reference run going on meanwhile)."""
    off = writer_tasks_off_the_writer_queue(cluster)
    if off:
        pytest.fail(f"writer task off the writer queue: {off}")
    api = cluster.api
    # Triggered by hand, as an operator would: the scheduled night is the next 02:00 Shanghai, still ahead, and
    # nothing runs at start-up (dags/nightly_ingest.py), so unpausing adds no run of its own.
    started = time.monotonic()
    run_id = api.post(
        "/api/v2/dags/nightly_ingest/dagRuns", {"dag_run_id": "cluster_test", "logical_date": None}
    )["dag_run_id"]
    for dag_id in ("annual_indicators", "nightly_ingest"):
        api.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})

    nightly = wait_for_run(cluster, "nightly_ingest", run_id, NIGHT_TIMEOUT)
    timings["nightly_ingest"] = time.monotonic() - started
    assert nightly["state"] == "success", failure_report(cluster, "nightly_ingest", run_id)

    started = time.monotonic()
    deadline = started + ANNUAL_TIMEOUT
    while not (runs := api.get("/api/v2/dags/annual_indicators/dagRuns")["dag_runs"]):
        if time.monotonic() > deadline:
            pytest.fail("the warehouse Asset started no annual_indicators run")
        time.sleep(2)
    assert len(runs) == 1, runs
    annual = wait_for_run(cluster, "annual_indicators", runs[0]["dag_run_id"], ANNUAL_TIMEOUT)
    timings["annual_indicators"] = time.monotonic() - started
    assert annual["state"] == "success", failure_report(cluster, "annual_indicators", annual["dag_run_id"])
    tis = [ti | {"dag_id": "nightly_ingest"} for ti in task_instances(cluster, "nightly_ingest", run_id)]
    tis += [
        ti | {"dag_id": "annual_indicators"}
        for ti in task_instances(cluster, "annual_indicators", annual["dag_run_id"])
    ]
    nightly_runs = api.get("/api/v2/dags/nightly_ingest/dagRuns")["dag_runs"]
    return Night(nightly, annual, tis, nightly_runs)


# --- the tests ----------------------------------------------------------------------------------------------------
def test_every_writer_task_is_routed_to_the_writer_queue(cluster):
    assert writer_tasks_off_the_writer_queue(cluster) == [], "writer task off the writer queue"


def test_nothing_listens_beyond_127_0_0_1_and_each_worker_has_its_own_scratch(cluster):
    wide = {
        address: holder
        for address, holder in cluster.listeners().items()
        if not address.startswith(f"{HOST}:")
    }
    assert wide == {}
    assert len(cluster.listeners()) == 4  # postgres, redis, S3, api-server: no log server, no health port
    # Each worker's own HOME, TMPDIR and AIRFLOW_HOME (as on a host of its own), set when it was started.
    seen = {
        w.name: tuple(cluster.worker_env_of(w)[k] for k in ("HOME", "TMPDIR", "AIRFLOW_HOME"))
        for w in WORKERS
    }
    assert all(
        Path(place).is_dir() and cluster.root in Path(place).parents for p in seen.values() for place in p
    )
    assert len(seen) == 2 and len({place for places in seen.values() for place in places}) == 6, seen


def test_each_celery_worker_forks_its_pool_with_gx_imported(night, cluster):
    # deploy/warm.py: the worker imports GX before it forks its pool, so no task process imports it again.
    # scipy's compiled modules come only with GX; the worker and its pool process (concurrency 1) map them.
    for worker in WORKERS:
        record = next(r for r in cluster.state["processes"] if r["name"] == worker.name)
        warm = [pid for pid in processes_of(record) if "/scipy/" in Path(f"/proc/{pid}/maps").read_text()]
        assert len(warm) >= 2, worker.name


def test_the_night_succeeds_and_the_warehouse_asset_starts_annual_indicators(night):
    assert night.annual["run_type"] == "asset_triggered"
    # The night this test triggered stood in for the scheduled one: no second night ran.
    assert [r["dag_run_id"] for r in night.nightly_runs] == ["cluster_test"]


def test_the_shards_ran_on_both_workers_and_hand_on_keys_not_paths(night, cluster, sources):
    shards = [ti for ti in night.tis if ti["task_id"] == "parse_shard"]
    assert len(shards) >= 4
    assert {ti["hostname"] for ti in shards} == {w.name for w in WORKERS}
    # What a shard returns names its work files relative to PIPELINE_WORK, never by a path on its own host.
    run_id = night.nightly["dag_run_id"]
    keys = [
        k
        for ti in shards
        for k in xcom(cluster, "nightly_ingest", run_id, "parse_shard", ti["map_index"])["work_files"]
    ]
    # One work file per inbox file, the demo's and the synthetic ones.
    assert len(keys) == inbox_files(sources)
    assert all(k.startswith(f"{run_id}/") and ".spool#" in k for k in keys), keys[:3]


def test_every_writer_task_ran_on_the_writer_worker(night):
    writers = {
        (ti["dag_id"], ti["task_id"]): (ti["queue"], ti["hostname"])
        for ti in night.tis
        if ti["pool"] == WRITER_POOL
    }
    assert set(writers) == {
        ("nightly_ingest", "find_new_files"),
        ("nightly_ingest", "load_files"),
        ("annual_indicators", "build_indicators"),
        ("annual_indicators", "write_report"),
        ("annual_indicators", "write_catalog"),
    }
    off = {key: where for key, where in writers.items() if where != (WRITER_QUEUE, WRITER)}
    assert off == {}, "writer task off the writer queue or worker"
    others = {(ti["queue"], ti["pool"]) for ti in night.tis if ti["pool"] != WRITER_POOL}
    assert others == {("default", "default_pool")}


def table_rows(path: Path, roots: dict[str, str]) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of a warehouse: its columns and its rows (run-specific columns left out, storage paths made
    relative to their location, change markers left out when the cluster reads object storage), sorted."""
    left_out = {t: RUN_SPECIFIC.get(t, set()) | (CHANGE_MARKERS.get(t, set()) if ON_S3 else set()) for t in
                RUN_SPECIFIC | CHANGE_MARKERS}  # fmt: skip
    tables = {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute("select schema_name, table_name from duckdb_tables() order by all").fetchall()
        for schema, name in names:
            table = f"{schema}.{name}"
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index", [schema, name]).fetchall()]  # fmt: skip
            for column in left_out.get(table, set()) | set(STORAGE_PATHS.get(table, {})):
                assert column in columns, f"{table}.{column} is listed in the test but no longer exists"
            kept = [c for c in columns if c not in left_out.get(table, set())]
            quoted = ", ".join(f'"{c}"' for c in kept)
            rows = con.execute(f"select {quoted} from {table}").fetchall()
            paths = {kept.index(c): roots[where] for c, where in STORAGE_PATHS.get(table, {}).items()}
            rows = [
                tuple(relative(v, paths[i]) if i in paths else v for i, v in enumerate(row)) for row in rows
            ]
            tables[table] = (kept, sorted(rows, key=repr))
    return tables


def test_the_warehouse_equals_that_of_pipeline_run_on_the_same_files(night, local_home, demo, sources):
    future, home = local_home
    done = future.result(timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    local = table_rows(
        home / "warehouse.duckdb", {"receipts": str(home / "receipts"), "archive": str(home / "archive")}
    )
    on_cluster = table_rows(
        STORAGE.writer_home / "warehouse.duckdb", {"receipts": STORAGE.receipts, "archive": STORAGE.archive}
    )
    assert sorted(on_cluster) == sorted(local)
    differing = {}
    for table, (columns, rows) in local.items():
        theirs = on_cluster[table]
        if theirs != (columns, rows):
            only_local = [r for r in rows if r not in theirs[1]][:3]
            only_cluster = [r for r in theirs[1] if r not in rows][:3]
            differing[table] = {
                "columns": (columns, theirs[0]),
                "local only": only_local,
                "cluster only": only_cluster,
            }
    assert differing == {}
    submissions = local["ops.submissions"]
    assert len(submissions[1]) == inbox_files(sources)
    status = submissions[0].index("status")
    path = submissions[0].index("inbox_path")
    returned = {row[path] for row in submissions[1] if row[status] == "rejected"}
    assert returned == set(demo.RETURNED)  # the demo's draft its office gets back, nothing else
    assert {row[status] for row in submissions[1] if row[path] not in returned} == {"accepted"}


def published_folder(cluster: Cluster, location: str) -> str:
    """Where a published set's files are: the version its `LATEST.json` names (written last), or, for a local
    report, the folder itself (a symlink switched to its version)."""
    fs = STORAGE.fs(cluster)
    if not fs.exists(f"{location}/LATEST.json"):
        return location
    return f"{location}/{json.loads(fs.cat_file(f'{location}/LATEST.json'))['path']}"


def test_the_report_files_exist_as_pipeline_run_writes_them(night, cluster, local_home):
    _, home = local_home
    years = sorted(p.name for p in (home / "reports").iterdir() if not p.name.startswith("."))
    assert years == ["2022"]
    fs = STORAGE.fs(cluster)
    for year in years:
        expected = sorted(p.name for p in (home / "reports" / year).iterdir())
        assert [Path(name).suffix for name in expected] == [".docx", ".html", ".xlsx"]
        folder = published_folder(cluster, f"{STORAGE.reports}/{year}")
        assert listing(STORAGE, cluster, folder) == expected
        assert all(fs.size(f"{folder}/{name}") > 0 for name in expected)


def test_every_receipt_is_in_storage_where_the_warehouse_says(night, cluster, sources):
    with duckdb.connect(str(STORAGE.writer_home / "warehouse.duckdb"), read_only=True) as con:
        receipts = con.execute("select receipt_path, receipt_status, status from ops.submissions").fetchall()
    assert len(receipts) == inbox_files(sources)
    assert all(path.startswith(STORAGE.receipts.rstrip("/") + "/") for path, _, _ in receipts)
    assert all(shown == status for _, shown, status in receipts)
    fs = STORAGE.fs(cluster)
    missing = [
        p for path, _, _ in receipts for p in (path, path.removesuffix(".html") + ".json") if not fs.exists(p)
    ]
    assert missing == []


def test_the_parquet_export_reads_back_with_the_warehouse_counts(night, cluster):
    fs = STORAGE.fs(cluster)
    folder = published_folder(cluster, STORAGE.export)
    manifest = json.loads(fs.cat_file(f"{folder}/manifest.json"))
    with duckdb.connect(str(STORAGE.writer_home / "warehouse.duckdb"), read_only=True) as con:
        marts = [t for (t,) in con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where schema_name = 'mart'").fetchall()]  # fmt: skip
        counts = {
            t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in [*marts, "ops.submissions"]
        }
    assert marts and {t: e["rows"] for t, e in manifest["tables"].items()} == counts
    reader = duckdb.connect()
    if ON_S3:  # DuckDB reads s3:// through fsspec: its httpfs extension cannot be installed here
        reader.register_filesystem(fs)
    for table, entry in manifest["tables"].items():
        read = reader.execute(
            f"select count(*) from read_parquet('{folder}/{entry['path']}', hive_partitioning = true)"
        ).fetchone()[0]
        assert read == counts[table], table


def xcom(cluster: Cluster, dag_id: str, run_id: str, task_id: str, map_index: int = -1):
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value"
    return cluster.api.get(f"{path}?map_index={map_index}&deserialize=true")["value"]


def test_a_second_night_finds_nothing_new_wherever_it_looks(night, cluster, timings, sources):
    """Runs last: the inbox is unchanged, so whichever worker lists it must see that everything was taken in."""
    started = time.monotonic()
    run_id = cluster.api.post(
        "/api/v2/dags/nightly_ingest/dagRuns", {"dag_run_id": "cluster_test_2", "logical_date": None}
    )["dag_run_id"]
    second = wait_for_run(cluster, "nightly_ingest", run_id, NIGHT_TIMEOUT)
    assert second["state"] == "success", failure_report(cluster, "nightly_ingest", run_id)
    tis = task_instances(cluster, "nightly_ingest", run_id)
    lister = next(ti["hostname"] for ti in tis if ti["task_id"] == "find_new_files")
    assert [ti["map_index"] for ti in tis if ti["task_id"] == "parse_shard"] == [0]
    assert xcom(cluster, "nightly_ingest", run_id, "parse_shard", 0)["files"] == 0, f"listed on {lister}"
    loaded = xcom(cluster, "nightly_ingest", run_id, "load_files")
    assert (loaded["accepted"], loaded["rejected"], loaded["duplicate"]) == (0, 0, 0)
    assert loaded["unchanged"] == inbox_files(sources)
    # The load updates the Asset again: wait for that annual run too, so the cluster stops idle.
    deadline = time.monotonic() + ANNUAL_TIMEOUT
    while len(runs := cluster.api.get("/api/v2/dags/annual_indicators/dagRuns")["dag_runs"]) < 2:
        assert time.monotonic() < deadline, "no annual_indicators run after the second night"
        time.sleep(2)
    latest = max(runs, key=lambda r: r["queued_at"])
    assert (
        wait_for_run(cluster, "annual_indicators", latest["dag_run_id"], ANNUAL_TIMEOUT)["state"] == "success"
    )
    timings["second night and its annual run"] = time.monotonic() - started
