"""Task processes start warm: the executors' long-lived processes import GX and the pipeline before they fork."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# In a fresh interpreter: start an executor as the scheduler does, and read what its forked worker has mapped.
# scipy's compiled modules come only with GX's import.
LOCAL = """
import json, sys
from airflow.executors.local_executor import LocalExecutor
from deploy.warm import WarmLocalExecutor
before = "great_expectations" in sys.modules
executor = (WarmLocalExecutor if sys.argv[1] == "warm" else LocalExecutor)(parallelism=1)
executor.start()
try:
    worker = next(iter(executor.workers))
    maps = open(f"/proc/{worker}/maps").read()
finally:
    executor.end()
celery = "airflow.providers.celery.executors.default_celery" in sys.modules  # it warns of a broker LocalExecutor has not
print(json.dumps({"before": before, "worker_has_scipy": "/scipy/" in maps, "celery_defaults": celery}))
"""

CELERY = """
import json, sys
from celery.signals import worker_init
from deploy.warm_celery import CELERY_CONFIG
before = "great_expectations" in sys.modules
worker_init.send(sender=None)
print(json.dumps({"before": before, "after": "great_expectations" in sys.modules, "pipeline": "pipeline.intake" in sys.modules}))
"""


def run(script: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_worker_of_the_warm_local_executor_is_forked_with_gx_imported():
    assert run(LOCAL, "warm") == {"before": False, "worker_has_scipy": True, "celery_defaults": False}


def test_a_worker_of_airflows_own_local_executor_is_not():
    # The check above can fail: the same reading of a plain LocalExecutor's worker finds no GX.
    assert run(LOCAL, "plain") == {"before": False, "worker_has_scipy": False, "celery_defaults": False}


@pytest.mark.slow
def test_a_celery_worker_imports_gx_and_the_pipeline_when_it_starts():
    assert run(CELERY) == {"before": False, "after": True, "pipeline": True}
