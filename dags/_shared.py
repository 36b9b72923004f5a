"""What both DAGs share: the warehouse Asset and the retry policy; imports nothing heavy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta

import pendulum
from airflow.sdk import Asset

START = pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai")
# Updated by every nightly load, whatever it took in; annual_indicators is scheduled on it.
WAREHOUSE = Asset("warehouse", uri="file:///pipeline/warehouse.duckdb")
WRITER_POOL = "duckdb_writer"  # one slot: DuckDB allows one writing process at a time

# A vanished file, a full disk or the warehouse held by another writer may pass: retry 1, 2, 4 minutes later.
RETRY_IO = {
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
}


def retry_only_io(function: Callable) -> Callable:
    """Fail at once on anything but an I/O error, which is the only kind a retry can cure."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        import duckdb
        from airflow.sdk.exceptions import AirflowFailException

        try:
            return function(*args, **kwargs)
        except (OSError, duckdb.IOException):
            raise
        except Exception as exc:
            raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc

    return wrapper
