"""Airflow cluster policy for this project: every task that writes the warehouse runs on the `writer` queue.

Copy (or symlink) this file into `$AIRFLOW_HOME/config/` on every Airflow component. One Celery worker serves the
`writer` queue on the host that holds the DuckDB file (DuckDB has a single writer); every other task may run
on any worker. `make cluster` installs it.
"""

from __future__ import annotations

# Must match dags/_shared.py: the pool is how a DAG says a task writes the warehouse.
WRITER_POOL = "duckdb_writer"
WRITER_QUEUE = "writer"


def task_policy(task) -> None:
    """Route a task of the writer pool to the writer queue, wherever its DAG was written."""
    if task.pool == WRITER_POOL:
        task.queue = WRITER_QUEUE
