"""nightly_ingest: take in what is new in the inbox every night at 02:00 Shanghai time.

Wiring only: the work is `pipeline.intake.ingest`, the same function `pipeline ingest` runs.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

WAREHOUSE = Asset("warehouse", uri="file:///pipeline/warehouse.duckdb")


@dag(
    dag_id="nightly_ingest",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["预算绩效"],
)
def nightly_ingest():
    @task(pool="duckdb_writer", outlets=[WAREHOUSE])
    def ingest_inbox() -> dict[str, int]:
        """Ingest, check and load every new file; rejected files are data, not failures."""
        from pipeline.intake import ingest
        from pipeline.registry import load_registry
        from pipeline.settings import Settings

        report = ingest(Settings.from_env(), load_registry(), progress=False)
        return {s: report.count(s) for s in ("accepted", "rejected", "duplicate")} | {
            "unchanged": report.unchanged
        }

    ingest_inbox()


nightly_ingest()
