"""What the benchmark measures in a fresh process: an ingest, the indicators and report, one DAG file's import.

Usage: python -m bench.child ingest | report --year Y | dag FILE
Each prints one JSON line on stdout; the data root comes from PIPELINE_HOME / PIPELINE_INBOX.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import runpy
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

from deploy.processes import proc_stat, process_tree, status_kib

# Printed on stderr between preloading Airflow and importing the DAG file, so that `-X importtime` lines
# after it belong to the DAG file alone.
DAG_MARKER = "--- bench: DAG file import starts ---"


def resources() -> dict:
    """Return this process's CPU seconds and peak resident set size (VmHWM) in KiB."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = status_kib(os.getpid(), "VmHWM") or usage.ru_maxrss  # without /proc: ru_maxrss, KiB on Linux
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_kib": peak}


class ProcessTree:
    """Sample this process and all its descendants (parse workers, the receipt writer) every 50 ms: the sum of
    their resident memory at its peak, and the CPU each used, as /proc last showed it before it ended."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._cpu_ticks: dict[tuple[int, int], int] = {}  # by PID and start time: a PID may be reused
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            tree = process_tree(me)
            self.peak_kib = max(self.peak_kib, sum(status_kib(pid, "VmRSS") for pid in tree))
            for pid in tree[1:]:  # this process's own CPU comes exact from getrusage
                if (fields := proc_stat(pid)) is not None:
                    # utime and stime, fields 14 and 15 of /proc/<pid>/stat; the list starts at field 3
                    self._cpu_ticks[pid, int(fields[19])] = int(fields[11]) + int(fields[12])

    def descendants_cpu_s(self) -> float:
        """Return the CPU seconds the descendants used (up to 50 ms of each one's last moments unseen)."""
        return sum(self._cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> ProcessTree:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def ingest() -> dict:
    """Ingest the inbox into the warehouse as `pipeline ingest` does, and say what came of every file."""
    started = time.perf_counter()
    from pipeline.intake import ingest as run_ingest
    from pipeline.registry import load_registry
    from pipeline.settings import Settings

    imported = time.perf_counter()
    settings = Settings.from_env()
    with ProcessTree() as tree:
        report = run_ingest(settings, load_registry(), progress=False)
    finished = time.perf_counter()
    outcomes = report.outcomes
    return {
        "workers": settings.workers,
        "tree_peak_rss_kib": tree.peak_kib,
        "descendants_cpu_s": tree.descendants_cpu_s(),
        "import_s": imported - started,
        "ingest_s": finished - imported,
        "timings": getattr(report, "timings", None),
        "files": len(outcomes),
        "statuses": Counter(o.status for o in outcomes),
        "rows": sum(o.rows for o in outcomes),
        "problems": Counter(f"{p.severity}:{p.rule}" for o in outcomes for p in o.problems),
        "not_accepted": [(o.inbox_path, o.status, o.reason) for o in outcomes if o.status != "accepted"][:10],
        "templates": Counter(t for o in outcomes for t in o.templates),
    } | resources()


def report(year: int) -> dict:
    """Rebuild the indicator marts and write the year's report, timing each; say so if they do not exist yet."""
    started = time.perf_counter()
    try:
        from pipeline.indicators import build_indicators
        from pipeline.report import CHART_CACHE, write_report
    except ImportError as exc:
        return {"available": False, "why": str(exc)}
    from pipeline.export import beside
    from pipeline.registry import load_registry
    from pipeline.settings import Settings

    settings, registry = Settings.from_env(), load_registry()
    kept = set((settings.home / CHART_CACHE).glob("*.svg"))
    imported = time.perf_counter()
    try:
        with beside(settings) as exports:  # as `pipeline report` does: the export runs beside the report
            built_year = build_indicators(settings, registry, year, exports)
            built = time.perf_counter()
            path = write_report(settings, built_year)
    except Exception as exc:  # a failure is a figure too: the benchmark reports it instead of dying
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno} in {where.name})"
        return {"available": True, "error": error, "import_s": imported - started}
    written = time.perf_counter()
    from pipeline.warehouse import reader

    with reader(settings.warehouse) as con:
        projects, figures = con.execute(
            # Projects as the report counts them: by code (two offices' projects of one name are two).
            "select count(distinct project_code), count(*) from mart.report_figures where year = ?",
            [built_year],
        ).fetchone()
    return {
        "available": True,
        "year": built_year,
        "projects": projects,
        "figures": figures,
        "import_s": imported - started,
        "indicators_s": built - imported,
        "report_s": written - built,
        "charts_drawn": len(set((settings.home / CHART_CACHE).glob("*.svg")) - kept),
        "report": str(path),
    } | resources()


def dag(path: Path) -> dict:
    """Import one DAG file the way Airflow's DAG processor does: with airflow.sdk already loaded."""
    started = time.perf_counter()
    import airflow.sdk  # noqa: F401  (the DAG processor has it loaded before it parses any file)

    preloaded = time.perf_counter()
    sys.path.insert(0, str(path.parent))  # Airflow puts the DAG folder on sys.path
    print(DAG_MARKER, file=sys.stderr, flush=True)
    runpy.run_path(str(path), run_name=f"bench_dag_{path.stem}")
    imported = time.perf_counter()
    return {"preload_s": preloaded - started, "import_s": imported - preloaded}


def main(argv: list[str] | None = None) -> None:
    """Run one measurement and print its figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="what", required=True)
    commands.add_parser("ingest")
    commands.add_parser("report").add_argument("--year", type=int, required=True)
    commands.add_parser("dag").add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.what == "ingest":
        figures = ingest()
    elif args.what == "report":
        figures = report(args.year)
    else:
        figures = dag(args.file)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
