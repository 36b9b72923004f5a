"""`make airflow PORT=<not 8080>`, as a user runs it: on 127.0.0.1 only, no warning at start-up, nothing runs at
start-up, a triggered `nightly_ingest` takes in the demo inbox, `annual_indicators` following it, and Ctrl-C
leaves no process behind. About 2 minutes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from deploy.airflow_api import Api
from deploy.local import GRACE_SECONDS
from deploy.processes import free_ports, leader, listening, loopback_only, proc_stat, processes_of, signal_all
from pipeline.warehouse import published_reader

REPO = Path(__file__).resolve().parent.parent


def sessions_of(make: subprocess.Popen) -> list[dict]:
    """Each session and process group that `make airflow` and the processes under it lead, as a leader's record."""
    leaders = set()
    for pid in processes_of(leader(make.pid)):  # none once make has ended
        if fields := proc_stat(pid):
            leaders.update((int(fields[2]), int(fields[3])))  # its process group and session
    return [record for pid in leaders if (record := leader(pid))["start_ticks"] is not None]


def left_over(leaders: list[dict], airflow_home: Path) -> dict[int, str]:
    """What still runs of the deployment, by PID: in one of its sessions or groups, or with its AIRFLOW_HOME."""
    pids = {pid for record in leaders for pid in processes_of(record)}
    ours = f"AIRFLOW_HOME={airflow_home}".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):  # ended meanwhile, or not ours to read
            if ours in (entry / "environ").read_bytes().split(b"\0") and proc_stat(int(entry.name)):
                pids.add(int(entry.name))
    found = {}
    for pid in sorted(pids):
        with contextlib.suppress(OSError):
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    return found


def interrupt(make: subprocess.Popen, timeout: float) -> float:
    """Press Ctrl-C on `make airflow`: SIGINT to its process group, as a terminal sends it; return how long it took."""
    began = time.monotonic()
    with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout)
    return time.monotonic() - began


def wait_for(what: str, check, make: subprocess.Popen, log: Path, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if make.poll() is not None:
            pytest.fail(
                f"make airflow exited ({make.returncode}) waiting for {what}:\n{log.read_text()[-4000:]}"
            )
        try:
            if result := check():
                return result
        except OSError:  # not listening yet, or a 404 before the DAG is parsed
            pass
        time.sleep(1)
    pytest.fail(f"{what} not within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


@pytest.mark.slow
def test_make_airflow_on_another_port_runs_nightly_ingest_and_only_when_triggered(tmp_path, demo):
    port = free_ports(["ui"])["ui"]
    assert port != 8080
    home, airflow_home = tmp_path / "home", tmp_path / "airflow"
    an_hour_ago = time.time() - 3600  # past the settle window, as demo/make_inbox.py dates them
    files = demo.write_inbox(home / "inbox")
    for path in files:
        os.utime(path, (an_hour_ago, an_hour_ago))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))} | {
        "AIRFLOW_HOME": str(airflow_home),
        "PIPELINE_HOME": str(home),
    }
    log = tmp_path / "make-airflow.log"
    with open(log, "wb") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "airflow", f"PORT={port}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped as a whole, as Ctrl-C stops it in a terminal
        )
    try:
        password = wait_for(
            "the admin's password",
            lambda: json.loads((airflow_home / "passwords.json").read_text())["admin"],
            make,
            log,
            60,
        )
        api = Api(f"http://127.0.0.1:{port}", "admin", password)
        wait_for("the UI on the port asked for", api.health, make, log, 120)
        wait_for("nightly_ingest parsed", lambda: api.get("/api/v2/dags/nightly_ingest"), make, log, 120)
        time.sleep(5)  # a scheduler loop or two: time for a run at start-up, were there one
        # README: the start prints no warning (SimpleAuthManager's "looks like production" came at every start).
        started = log.read_text().splitlines()
        assert [line for line in started if re.search(r"\[(warning|error|critical) *\]|Warning:", line)] == []
        assert api.get("/api/v2/dags/~/dagRuns?limit=100")["dag_runs"] == []  # nothing ran at start-up

        run_id = api.post("/api/v2/dags/nightly_ingest/dagRuns", {"logical_date": None})["dag_run_id"]
        run = wait_for(
            "the triggered run to end",
            lambda: (
                (r := api.get(f"/api/v2/dags/nightly_ingest/dagRuns/{run_id}"))["state"]
                in ("success", "failed")
                and r
            ),
            make,
            log,
            240,
        )

        assert run["state"] == "success", log.read_text()[-4000:]
        # Everything in make's session and group, and in each component's own, or started under them.
        sockets = listening({pid for record in sessions_of(make) for pid in processes_of(record)})
        assert sockets and loopback_only(sockets)
        # The load updated the warehouse Asset: annual_indicators follows by itself. Stop only once it is done,
        # so that no task is cut short.
        annual = wait_for(
            "annual_indicators after the load",
            lambda: [
                r
                for r in api.get("/api/v2/dags/annual_indicators/dagRuns?limit=10")["dag_runs"]
                if r["state"] in ("success", "failed")
            ],
            make,
            log,
            180,
        )
        assert [(r["run_type"], r["state"]) for r in annual] == [("asset_triggered", "success")]
    finally:
        # Taken before Ctrl-C, while everything runs: the executor's workers have been forked, tasks have run.
        leaders = sessions_of(make)
        took = interrupt(make, 2 * GRACE_SECONDS + 15)
        left = left_over(leaders, airflow_home)
        signal_all(left, signal.SIGKILL)  # so that a failure here leaves nothing to the next test
        if make.poll() is None:
            make.kill()
            make.wait()
    # Each LocalExecutor worker used to outlive Ctrl-C, its scheduler killed after 30 s, once tasks had run.
    assert left == {}, f"left running {took:.0f} s after Ctrl-C: {left}"
    assert took < GRACE_SECONDS  # no task was running: nothing to wait for
    with published_reader(home / "warehouse.duckdb") as con:
        statuses = dict(con.execute("select status, count(*) from ops.submissions group by 1").fetchall())
    returned = sum(1 for path in files if demo.is_returned(path))
    assert statuses == {"accepted": len(files) - returned, "rejected": returned}
    printed = log.read_text()
    assert f"Airflow UI: http://127.0.0.1:{port}" in printed
    assert "At start-up nothing runs" in printed
