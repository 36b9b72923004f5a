"""Start every task process of these DAGs with the pipeline's libraries already imported.

Airflow forks each task process from a long-lived process: a LocalExecutor worker, itself forked from the
scheduler when the executor starts, or a Celery worker's pool process, forked from the worker. Whatever that
process imported before the fork, every task process has from its first instruction. Imported here: GX (about 2 s
of CPU and 240 MB each time a task imports it) and the pipeline's own modules. Without this, `load_files` spends
those 2 s every night before it validates a file, where `pipeline ingest` imports GX while its workers parse,
and every shard task pays for the pipeline's imports.

Pages are shared between the processes until one writes to them (LocalExecutor freezes the collector around the
fork for that reason), so a host holds one copy, not one per worker.

The price: tasks run the pipeline code as it was when the executor started. Restart the scheduler (or the Celery
workers) after updating the repository, as docs/deploying.md says.

- LocalExecutor (`make airflow`): `core.executor` = `deploy.warm.WarmLocalExecutor`.
- CeleryExecutor (`make cluster`): `celery.celery_config_options` = `deploy.warm_celery.CELERY_CONFIG`.

Both are in `deploy/airflow_settings.py`.
"""

from __future__ import annotations

import logging

from airflow.executors.local_executor import LocalExecutor

logger = logging.getLogger(__name__)


def preload() -> None:
    """Import what the DAGs' tasks import, GX above all; a failure is logged, and met again by the task."""
    try:
        import pipeline.intake  # noqa: F401 - kept in sys.modules for the forked task processes (registry too)
        from pipeline.gx_runtime import import_great_expectations

        import_great_expectations()
    except Exception:  # the task that needs it imports it again and fails there, in its own log
        logger.warning(
            "Could not preload the pipeline's modules; each task imports them itself", exc_info=True
        )


class WarmLocalExecutor(LocalExecutor):
    """LocalExecutor that imports the pipeline's modules before it forks its workers."""

    def start(self) -> None:
        preload()
        super().start()
