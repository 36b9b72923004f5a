"""What `make cluster` prints (deploy/cluster.py), checked without starting one."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from deploy.cluster import Cluster, describe
from deploy.cluster_record import new_secrets


def test_the_airflow_command_printed_runs_in_a_shell_without_the_environment_activated(tmp_path: Path):
    cluster = Cluster(root=tmp_path / "cluster")
    cluster.secrets = new_secrets()
    cluster.state = {"ports": dict.fromkeys(("postgres", "redis", "api", "s3"), 1), "processes": []}
    [line] = [line for line in describe(cluster).splitlines() if line.startswith("Airflow CLI:")]
    sourced, command = line.removeprefix("Airflow CLI:").split("&&")

    assert shlex.split(sourced) == ["source", str(cluster.root / "cluster.env")]
    # A new shell's PATH: the environment's bin folder (which `uv run` and `make` put first) is not on it.
    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p and p != venv_bin)
    program, *arguments = shlex.split(command)
    assert shutil.which(program, path=path), f"{program} is not on a new shell's PATH: {line}"
    assert Path(program).name == "airflow" and arguments == ["dags", "list"]
