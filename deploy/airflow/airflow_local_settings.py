"""Airflow cluster policy for this project: every task that writes the warehouse runs on the `writer` queue.

Copy (or symlink) this file into `$AIRFLOW_HOME/config/` on every Airflow component. One Celery worker serves the
`writer` queue on the host that holds the DuckDB file (DuckDB has a single writer); every other task may run
on any worker. `make cluster` and `make airflow` install it. It also filters the warnings below.
"""

from __future__ import annotations

import warnings

# Said at every start of every Airflow process (and so in every task's log) by libraries about their own
# dependencies; nothing in this project can act on them. Filtered here, where each process looks first.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient` is deprecated")
warnings.filterwarnings("ignore", message=r"GitWildMatchPattern \('gitwildmatch'\) is deprecated")

# Must match dags/_shared.py: the pool is how a DAG says a task writes the warehouse.
WRITER_POOL = "duckdb_writer"
WRITER_QUEUE = "writer"


def task_policy(task) -> None:
    """Route a task of the writer pool to the writer queue, wherever its DAG was written."""
    if task.pool == WRITER_POOL:
        task.queue = WRITER_QUEUE
