"""What both DAGs share: the warehouse Asset and the retry policy; imports nothing heavy."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset, RetryDecision, RetryPolicy

# Updated by every nightly load, whatever it took in; annual_indicators is scheduled on it, and publishes that load
# with the marts rebuilt from it.
WAREHOUSE = Asset("warehouse", uri="file:///pipeline/warehouse.duckdb")
WRITER_POOL = "duckdb_writer"  # one slot: DuckDB allows one writing process at a time


class RetryOnlyIO(RetryPolicy):
    """Retry I/O failures with the task's backoff; fail anything else at once, as a retry would meet it again.

    A full disk, the run lock or the warehouse held by another writer longer than `PIPELINE_LOCK_WAIT_SECONDS`, or
    an object store out of reach (botocore's connection failures, mostly no OSError) may pass; a bug or a broken
    registry will not, nor an I/O error that says it cannot heal (`permanent`): a work file the loader cannot find
    was written where it cannot see, or removed, and stays missing. Bad data never raises at all: it is a
    rejection, and a file that vanished or is still being written is left for the next run.
    """

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        # Evaluated in the worker, where the failed task has loaded DuckDB already; parsing this file never does.
        import duckdb

        from pipeline.failures import store_unreachable

        if getattr(exception, "permanent", False):
            return RetryDecision.fail(f"{type(exception).__name__} cannot heal: not retried ({exception})")
        if isinstance(exception, OSError | duckdb.IOException) or store_unreachable(exception):
            return RetryDecision.retry(reason=f"{type(exception).__name__}: an I/O failure may pass")
        return RetryDecision.fail(f"{type(exception).__name__} is no I/O failure: not retried")


RETRY_IO = {
    "retries": 3,
    "retry_delay": timedelta(minutes=1),  # then about 2 and 4 minutes
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "retry_policy": RetryOnlyIO(),
}


# The Airflow connection that may hold the object store's keys (type aws: login, password, and in its extra
# `endpoint_url` and `region_name`); without it the standard AWS environment or the host's role applies.
S3_CONNECTION = os.environ.get("PIPELINE_S3_CONN_ID", "pipeline_s3")
_FROM_CONNECTION = {
    "AWS_ACCESS_KEY_ID": lambda c: c.login,
    "AWS_SECRET_ACCESS_KEY": lambda c: c.password,
    "AWS_SESSION_TOKEN": lambda c: c.extra_dejson.get("aws_session_token"),
    "AWS_ENDPOINT_URL": lambda c: c.extra_dejson.get("endpoint_url"),
    "AWS_DEFAULT_REGION": lambda c: c.extra_dejson.get("region_name"),
}


def pipeline_settings(own_root: bool = True):
    """Return the pipeline's settings, with the object store's keys from the Airflow connection where it exists.

    A refused setting ends the task in one Chinese line, never retried (`pipeline.task_settings`).
    """
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline.task_settings import task_settings

    try:
        connection = Connection.get(S3_CONNECTION)
    except AirflowNotFoundException:
        connection = None
    if connection is not None:
        # In this task's process only: botocore (and s3fs through it) reads them from the environment.
        os.environ.update(
            {name: value for name, get in _FROM_CONNECTION.items() if (value := get(connection))}
        )
    return task_settings(own_root)
