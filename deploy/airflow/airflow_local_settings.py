"""Airflow cluster policy for this project: every task that writes the warehouse runs on the `writer` queue.

Copy (or symlink) this file into `$AIRFLOW_HOME/config/` on every Airflow component. One Celery worker serves the
`writer` queue on the host that holds the DuckDB file (DuckDB has a single writer); every other task may run
on any worker. `make cluster` and `make airflow` install it. It also filters the warnings below.
"""

from __future__ import annotations

import logging
import warnings

# Said at every start of every Airflow process (and so in every task's log) by libraries about their own
# dependencies; nothing in this project can act on them. Filtered here, where each process looks first.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")
warnings.filterwarnings("ignore", message=r"GitWildMatchPattern \('gitwildmatch'\) is deprecated")

# The api-server warns at each start that SimpleAuthManager runs in a deployment shaped like production when the
# database is not SQLite, the API host not loopback, or the executor's name not LocalExecutor's (or another local
# one's): it reads the configured name, not the class. `make airflow`'s deploy.warm.WarmLocalExecutor is a
# LocalExecutor by class, so a SQLite, 127.0.0.1, one-host Airflow drew the warning on every start.
PRODUCTION_SHAPE_WARNING = "SimpleAuthManager is active but the deployment shape looks like production"


class LocalExecutorByClass(logging.Filter):
    """Judge SimpleAuthManager's production warning again with the executors' classes, not their names."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(PRODUCTION_SHAPE_WARNING):
            return True
        try:
            from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
            from airflow.executors.executor_loader import ExecutorLoader

            names = ExecutorLoader.get_executor_names(validate_teams=False)
            if not all(ExecutorLoader.import_executor_cls(name)[0].is_local for name in names):
                return True  # a distributed executor (make cluster's Celery): the warning stands
            # The same judgement with the executor named as what it is; the database and the host still count.
            return SimpleAuthManager._looks_like_production(executor="LocalExecutor")
        except Exception:  # noqa: BLE001 - unsure whether it is right, the warning is kept
            return True


logging.getLogger("airflow.api_fastapi.auth.managers.simple.simple_auth_manager").addFilter(
    LocalExecutorByClass()
)

# Must match dags/_shared.py: the pool is how a DAG says a task writes the warehouse.
WRITER_POOL = "duckdb_writer"
WRITER_QUEUE = "writer"


def task_policy(task) -> None:
    """Route a task of the writer pool to the writer queue, wherever its DAG was written."""
    if task.pool == WRITER_POOL:
        task.queue = WRITER_QUEUE
