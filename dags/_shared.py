"""What both DAGs share: the warehouse Asset and the retry policy; imports nothing heavy."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, ExceptionRetryPolicy, RetryAction, RetryRule

START = pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai")
# Updated by every nightly load, whatever it took in; annual_indicators is scheduled on it.
WAREHOUSE = Asset("warehouse", uri="file:///pipeline/warehouse.duckdb")
WRITER_POOL = "duckdb_writer"  # one slot: DuckDB allows one writing process at a time

# A vanished file, a full disk or the warehouse held by another writer may pass: retry about 1, 2, 4 minutes
# later. Anything else (a bug, a broken registry) fails at once, as a retry would meet it again. Bad data never
# raises at all: it is a rejection. The DuckDB class is named by path so this file never imports DuckDB.
RETRY_IO = {
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "retry_policy": ExceptionRetryPolicy(
        rules=[RetryRule(exception=[OSError, "duckdb.IOException"], action=RetryAction.RETRY)],
        default=RetryAction.FAIL,
    ),
}
