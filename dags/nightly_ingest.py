"""nightly_ingest: take in what is new in the inbox every night at 02:00 Shanghai time.

Wiring only: find the new files and cut them into shards, parse each shard in its own mapped task (in-process,
as the CLI does), then load them all through the one writer slot. `pipeline ingest` composes the same
`pipeline.intake` stages in-process; a task per shard, not per file, keeps Airflow's per-task overhead out of it.
"""

from __future__ import annotations

from datetime import timedelta

from _shared import RETRY_IO, WAREHOUSE, WRITER_POOL, pipeline_settings
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

# Nothing runs when Airflow starts: without a start_date the first run is the next 02:00, not the one just past
# (a past start_date with catchup=False would run that one at once), and `run_immediately` of zero leaves no
# grace window after 02:00 in which a fresh start would run it anyway. Later, a night missed while Airflow was
# down runs once when it is back (catchup=False: only the latest).
NIGHTLY = CronTriggerTimetable("0 2 * * *", timezone="Asia/Shanghai", run_immediately=timedelta(0))


def _nights_day():
    """Return the day a night reads by: its run's own (02:00 of it, or when it was triggered).

    Not this worker's clock, which a shard retried or queued past midnight reads as the next day, maybe of a new
    month; the loader parses by it too what it must read again.
    """
    from pipeline.read_day import ReadOn, day_of

    return ReadOn(day_of(get_current_context()["dag_run"].run_after))


@dag(
    dag_id="nightly_ingest",
    schedule=NIGHTLY,
    catchup=False,
    max_active_runs=1,
    default_args=RETRY_IO,
    tags=["预算绩效"],
)
def nightly_ingest():
    # In the writer pool: it reads the writer's copy of the warehouse, which lives only on the writer's host (the
    # cluster policy sends the pool to the `writer` queue); elsewhere every file would look new every night.
    @task(pool=WRITER_POOL)
    def find_new_files() -> list[list[str]]:
        """List the inbox files not yet taken in, cut into shards (at least one); the warehouse is only read."""
        from pipeline.intake import find_new_shards
        from pipeline.task_settings import task_registry

        # As `pipeline ingest` does: a broken registry, rules.yaml or suite fails this first task in its one Chinese
        # line, never retried, before every shard parses for nothing and the load meets it. The report's files are
        # annual_indicators' to read.
        task_registry(check_ingest=True)
        return find_new_shards(pipeline_settings())

    @task
    def parse_shard(shard: list[str]) -> dict:
        """Parse one shard of files into the run's work folder; return its counts and work files.

        A bad file is a rejection inside its work file, never this task's failure.
        """
        from pipeline.intake import parse_shard
        from pipeline.task_settings import configuration_checked, task_registry

        # A suite or the registry broken since find_new_files (edited mid-night, another host's checkout) is told in
        # its one Chinese line, where the shard's own check raised it out of the task as a traceback.
        with configuration_checked():
            # A parse worker's PIPELINE_HOME is only its scratch (docs/deploying.md): the writer's tasks check the
            # root.
            return parse_shard(
                pipeline_settings(own_root=False),
                task_registry(),
                shard,
                run_key=get_current_context()["run_id"],
                read_on=_nights_day(),
            )

    # none_failed: the load runs after every shard, even the empty shard of a night with nothing new (it
    # remembers touched files, logs skipped entries and rewrites stale receipts).
    @task(pool=WRITER_POOL, outlets=[WAREHOUSE], trigger_rule="none_failed")
    def load_files(shards: list[dict] | None) -> dict:
        """Validate and load every parsed file in batches of one transaction each, as the single writer."""
        from pipeline.intake import load_parsed
        from pipeline.task_settings import configuration_checked, task_registry

        # One slice fetches every mapped result at once.
        results = shards[:] if shards is not None else []
        paths = [path for shard in results for path in shard["work_files"]]
        # The inbox file of each work file, read again where its work file is unreadable (a shard parsed by the code
        # before these lists has none).
        named = {
            key: path
            for shard in results
            for key, path in zip(shard["work_files"], shard.get("inbox_files", ()), strict=False)
        }
        # Rules or a suite edited since find_new_files are told in its one Chinese line before the warehouse is
        # opened, not met by the validation as a traceback; a staging view that no longer builds, where it is met.
        registry = task_registry(check_ingest=True)
        # Left in the writer's copy for annual_indicators' `build_indicators` to publish with the marts rebuilt from
        # it, as one version, as `pipeline run` does: published alone, a version's marts cited the files this load
        # superseded until the rebuild, and ever after if it failed.
        with configuration_checked():
            report = load_parsed(
                pipeline_settings(), registry, paths, publish_it=False, named=named, read_on=_nights_day()
            )
        counts = {s: report.count(s) for s in ("accepted", "rejected", "duplicate")}
        return counts | {
            "not_taken_in": len(report.skipped),
            "unchanged": report.unchanged,
            "seconds": report.timings,
            # A retry after an attempt Airflow lost (its worker gone) had finished the load: when that was.
            "loaded_before": report.loaded_before and report.loaded_before.isoformat(),
        }

    load_files(parse_shard.expand(shard=find_new_files()))


nightly_ingest()
