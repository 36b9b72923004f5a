"""The cluster's Celery settings: Airflow's own, and each worker preloads before forking its pool (deploy/warm.py).

`celery.celery_config_options` = `deploy.warm_celery.CELERY_CONFIG` (`deploy/airflow_settings.py`). Kept apart
from `deploy.warm`: importing Airflow's Celery defaults logs warnings about a broker that LocalExecutor has not.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

from deploy.warm import preload

# Airflow's own Celery settings, as they are; a copy, because Airflow ignores an option that *is* its default.
CELERY_CONFIG = dict(DEFAULT_CELERY_CONFIG)


@worker_init.connect
def _preload_in_celery_worker(**_: object) -> None:
    """Preload in a Celery worker's main process, before it forks its pool."""
    preload()
