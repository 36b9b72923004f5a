"""nightly_ingest: take in what is new in the inbox every night at 02:00 Shanghai time.

Wiring only: find the new files, parse each in its own mapped task, then load them all through the one
writer slot. `pipeline ingest` composes the same `pipeline.intake` functions in-process.
"""

from __future__ import annotations

from _shared import RETRY_IO, START, WAREHOUSE, WRITER_POOL
from airflow.sdk import dag, get_current_context, task


@dag(
    dag_id="nightly_ingest",
    schedule="0 2 * * *",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=RETRY_IO,
    tags=["预算绩效"],
)
def nightly_ingest():
    @task
    def find_new_files() -> list[str]:
        """List the inbox files not yet taken in; the warehouse is only read."""
        from pipeline.intake import find_new_files
        from pipeline.settings import Settings

        return find_new_files(Settings.from_env())

    @task
    def parse_file(inbox_path: str) -> str:
        """Parse one file into the run's work folder; bad data is a rejection, not a failure."""
        from pipeline.intake import parse_one
        from pipeline.registry import load_registry
        from pipeline.settings import Settings

        run_id = get_current_context()["run_id"]
        return parse_one(Settings.from_env(), load_registry(), inbox_path, run_key=run_id)

    # none_failed: an empty inbox maps no parse_file and skips it, yet the load still runs (it
    # remembers touched files and rewrites stale receipts) and the run succeeds.
    @task(pool=WRITER_POOL, outlets=[WAREHOUSE], trigger_rule="none_failed")
    def load_files(parsed_paths: list[str] | None) -> dict:
        """Validate and load every parsed file, in batches of one transaction each, as the single writer."""
        from pipeline.intake import load_parsed
        from pipeline.registry import load_registry
        from pipeline.settings import Settings

        # One slice fetches every mapped result at once; nothing was mapped when the inbox had nothing new.
        paths = parsed_paths[:] if parsed_paths is not None else []
        report = load_parsed(Settings.from_env(), load_registry(), paths)
        counts = {s: report.count(s) for s in ("accepted", "rejected", "duplicate")}
        return counts | {"unchanged": report.unchanged, "seconds": report.timings}

    load_files(parse_file.expand(inbox_path=find_new_files()))


nightly_ingest()
