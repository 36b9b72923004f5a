from __future__ import annotations

from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parent.parent / "dags"


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "nightly_ingest" in dagbag.dag_ids


def test_nightly_ingest_runs_at_two_shanghai_time_writing_through_one_pool(dagbag):
    dag = dagbag.dags["nightly_ingest"]
    assert dag.catchup is False
    assert dag.timetable.expression == "0 2 * * *"
    assert str(dag.timetable.timezone) == "Asia/Shanghai"
    [task] = dag.tasks
    assert task.task_id == "ingest_inbox" and task.pool == "duckdb_writer"
    assert [o.name for o in task.outlets] == ["warehouse"]
