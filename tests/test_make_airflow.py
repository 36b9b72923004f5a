"""`make airflow PORT=<not 8080>`, as a user runs it: on 127.0.0.1 only, nothing runs at start-up, and a
triggered `nightly_ingest` takes in the demo inbox, `annual_indicators` following it. About 2 minutes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench.dag_bench import free_port, listening, loopback_only
from deploy.cluster import Api
from pipeline.warehouse import published_reader

REPO = Path(__file__).resolve().parent.parent


def stop(group: int, grace: float = 40) -> None:
    """Stop `make airflow` as Ctrl-C would, every process of its group; kill what is left after `grace`."""
    os.killpg(group, signal.SIGINT)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.killpg(group, signal.SIGKILL)


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


def test_make_airflow_on_another_port_runs_nightly_ingest_and_only_when_triggered(tmp_path, demo):
    port = free_port()
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
        assert listening({make.pid}) and loopback_only(listening({make.pid}))
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
        stop(make.pid)
    make.wait(10)
    with published_reader(home / "warehouse.duckdb") as con:
        statuses = dict(con.execute("select status, count(*) from ops.submissions group by 1").fetchall())
    returned = sum(1 for path in files if demo.is_returned(path))
    assert statuses == {"accepted": len(files) - returned, "rejected": returned}
    printed = log.read_text()
    assert f"Airflow UI: http://127.0.0.1:{port}" in printed
    assert "At start-up nothing runs" in printed
