"""Airflow settings every deployment of these DAGs uses: `make airflow`, `make cluster`, the benchmark's scheduler."""

from __future__ import annotations

# A task's supervisor sees its task process end only when it next wakes. When the process has closed its sockets
# but is not yet reaped, nothing wakes it before its next heartbeat, up to `workers.min_heartbeat_interval`
# seconds (default 5): the task is done, but its executor slot stays taken. In a 10,000-file night, 7 of the 16
# shard tasks were reported 5-6 s after they ended, and the shards ran one at a time for stretches; at 1 s every
# shard was reported within 2 s and four ran at a time throughout (bench/dag_bench.py, README "Performance").
# A heartbeat a second per running task is nothing to the api-server at this scale.
SHARED = {"AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1"}

# The executor of `make airflow` and the benchmark's scheduler: LocalExecutor, with the pipeline's modules (GX's
# 2 s import above all) imported once before it forks its workers, so no task process pays for them
# (deploy/warm.py).
LOCAL_EXECUTOR = "deploy.warm.WarmLocalExecutor"

# The cluster's Celery settings: Airflow's own, with the same preloading in each worker before it forks its pool.
CELERY_CONFIG_OPTIONS = "deploy.warm_celery.CELERY_CONFIG"
