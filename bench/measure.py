"""Measure the pipeline in fresh processes, as the nightly job runs it: an ingest, a run with nothing new, the
indicators and report, each DAG file's import; and describe the machine they ran on."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.child import DAG_MARKER
from bench.places import DAGS, OUT, REPO, fresh
from bench.say import GIB


def child_env(home: Path, inbox: Path) -> dict[str, str]:
    """Return the environment of a child process: this data root and inbox, GX analytics off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env |= {
        "PIPELINE_HOME": str(home),
        "PIPELINE_INBOX": str(inbox),
        "PIPELINE_SETTLE_SECONDS": "0",  # the synthetic files were written just before the timed run
        "GX_ANALYTICS_ENABLED": "False",
        "AIRFLOW_HOME": str(OUT / "airflow_home"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return env


def run_child(args: Sequence[str], env: dict[str, str]) -> tuple[dict, float, str]:
    """Run `python -m bench.child ARGS`; return its JSON figures, its wall time and its stderr."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench child {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall, done.stderr


def python_pace() -> float:
    """Time a bare Python loop of 30 million additions, in seconds: how quick this hour is, to compare runs by."""
    # This shared machine runs up to four times slower in some hours than in others; the figures of two runs mean
    # something side by side only beside this.
    started = time.perf_counter()
    total = 0
    for i in range(30_000_000):
        total += i
    return time.perf_counter() - started


def machine() -> dict:
    """Describe the machine: CPU, cores, memory, Python, how busy it was when the run started and how quick."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = names[0] if names else cpu
    memory = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text()).group(1)) * 1024
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True
    )
    return {
        "commit": commit.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / GIB, 1),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python_pace_s": round(python_pace(), 2),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def measure_ingest(home: Path, inbox: Path) -> dict:
    """Ingest the inbox into an empty warehouse in a fresh process."""
    fresh(home)
    figures, wall, _ = run_child(["-m", "bench.child", "ingest"], child_env(home, inbox))
    return figures | {"process_s": wall}


def measure_nothing_new(home: Path, inbox: Path, files: int, runs: int) -> dict:
    """Run `pipeline ingest` again over the same inbox, `runs` times, as the nightly job would find it."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "--quiet", "ingest"],
            cwd=REPO,
            env=child_env(home, inbox),
            capture_output=True,
            text=True,
            check=False,
        )
        walls.append(time.perf_counter() - started)
        if (
            done.returncode != 0
            or "新文件 0 个" not in done.stdout
            or f"未变化 {files} 个" not in done.stdout
        ):
            raise SystemExit(f"the second `pipeline ingest` did not find nothing new:\n{done.stdout[-2000:]}")
    return {"runs_s": walls, "median_s": statistics.median(walls)}


def measure_imports(home: Path, inbox: Path) -> float:
    """Time importing the command line and intake in a fresh process: the fixed cost of any run."""
    code = "import time; t = time.perf_counter(); import pipeline.cli, pipeline.intake; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=child_env(home, inbox), capture_output=True, text=True
    )
    return float(done.stdout.strip() or "nan")


def report_runs(home: Path, inbox: Path, year: int, warm: int) -> tuple[dict, list[tuple[dict, float]]]:
    """Rebuild the indicators and write the report for a year in fresh processes: first with no chart kept
    (every chart drawn), then `warm` times as a nightly rebuild finds them; return the first run's figures and
    each later run's figures with its wall time."""
    from pipeline.report import CHART_CACHE

    shutil.rmtree(home / CHART_CACHE, ignore_errors=True)
    args = ["-m", "bench.child", "report", "--year", str(year)]
    env = child_env(home, inbox)
    cold = run_child(args, env)[0]
    return cold, [run_child(args, env)[:2] for _ in range(warm)]


def measure_report(home: Path, inbox: Path, year: int) -> dict:
    """Rebuild the indicators and write the report for a year, in a fresh process: first with no chart kept
    (every chart drawn, a figure of its own), then again as a nightly rebuild finds them (the ≤ 5 s figure)."""
    cold, [(figures, wall)] = report_runs(home, inbox, year, warm=1)
    kept = ("report_s", "charts_drawn", "peak_rss_kib", "error")
    return figures | {"process_s": wall, "cold": {k: cold[k] for k in kept if k in cold}}


def top_imports(stderr: str, count: int = 3) -> list[tuple[str, float]]:
    """Return the costliest top-level imports logged by `-X importtime` after the DAG marker."""
    after = stderr.split(DAG_MARKER, 1)[-1]
    found = []
    for line in after.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if match and not match.group(3):
            found.append((match.group(4), int(match.group(2)) / 1e6))
    return sorted(found, key=lambda item: -item[1])[:count]


def measure_dags(home: Path, inbox: Path) -> dict[str, dict]:
    """Import each DAG file in a fresh process with airflow.sdk preloaded, as the DAG processor has it."""
    figures = {}
    for path in sorted(DAGS.glob("*.py")):
        if path.name.startswith("_"):
            continue  # a helper module the DAG files import, timed as part of them
        result, _, stderr = run_child(
            ["-X", "importtime", "-m", "bench.child", "dag", str(path)], child_env(home, inbox)
        )
        figures[path.name] = result | {"top_imports": top_imports(stderr)}
    return figures
