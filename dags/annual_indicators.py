"""annual_indicators: rebuild the indicator marts and the annual report whenever the warehouse changes.

Wiring only: `pipeline.indicators.build_indicators`, then `pipeline.report.write_report`, then
`pipeline.catalog.write_catalog`, as `pipeline run` does in-process. `build_indicators` publishes the night's load
(left unpublished by nightly_ingest) with the marts, as one version. The year is the `reporting_year` Param, never
the data interval.
"""

from __future__ import annotations

from _shared import RETRY_IO, WAREHOUSE, WRITER_POOL, pipeline_settings
from airflow.sdk import Param, dag, get_current_context, task


@dag(
    dag_id="annual_indicators",
    schedule=[WAREHOUSE],  # after each load of nightly_ingest, never on a clock
    catchup=False,
    max_active_runs=1,
    default_args=RETRY_IO,
    params={
        "reporting_year": Param(
            None,
            type=["null", "integer"],
            title="报告年度",
            description="要计算指标并生成报告的年度；留空则取仓库中有数据、已报送项目基本信息表且不晚于今年的最近年度。",
        )
    },
    tags=["预算绩效"],
)
def annual_indicators():
    @task(pool=WRITER_POOL)
    def build_indicators() -> int:
        """Rebuild the marts for the reporting year in one transaction; return the year built."""
        from airflow.sdk.exceptions import AirflowSkipException

        from pipeline.indicators import NoDataError, build_indicators
        from pipeline.task_settings import configuration_checked, task_registry

        year = get_current_context()["params"]["reporting_year"]
        try:
            # A staging view that no longer builds: told in one Chinese line, as `pipeline run` says it.
            with configuration_checked():
                return build_indicators(pipeline_settings(), task_registry(), year)
        except NoDataError as exc:
            # A year asked for that the warehouse lacks is a failure, as `pipeline run --year` exits 1.
            if year is not None:
                raise
            # A new deployment's first night has nothing yet: a skipped report, not a failed run.
            raise AirflowSkipException(str(exc)) from exc

    # Both tasks write (the marts, then reports/ from the writer's copy): one writer slot, and the run lock.
    @task(pool=WRITER_POOL)
    def write_report(year: int) -> str:
        """Write the year's report from the marts, under the run lock; return where it is."""
        from pipeline.preflight import check_report_configuration
        from pipeline.report import write_report
        from pipeline.task_settings import configuration_checked

        # A broken report.yaml or report_figures.yaml ends the task in one Chinese line, as `pipeline run` says it.
        with configuration_checked():
            check_report_configuration()
            return str(write_report(pipeline_settings(), year))

    # As `pipeline run` ends, whether or not a report came of it (all_done): the catalog's counts and sample rows
    # are the marts just rebuilt. It reads the published warehouse, which lives on the writer's host. Beside the
    # report, not after it, so a report that fails still fails the run.
    @task(pool=WRITER_POOL, trigger_rule="all_done")
    def write_catalog() -> str:
        """Refresh the data catalog from the published warehouse; return where it is."""
        from pipeline.catalog import write_catalog
        from pipeline.task_settings import configuration_checked, task_registry

        with configuration_checked():
            return str(write_catalog(pipeline_settings(), task_registry()))

    year = build_indicators()
    write_report(year)
    year >> write_catalog()


annual_indicators()
