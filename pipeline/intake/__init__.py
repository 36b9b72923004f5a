"""Take in what is new in the inbox: scan, parse, settle, store. The CLI and the DAG compose the same stages.

- `scan`: the inbox against what the warehouse has taken in; the DAG's shards.
- `inbox_reads`, `candidates`: one file read safely (kept as plain values), parsed, and its outcome.
- `work`: files parsed into work files for the loader, in this process or a pool of workers; `work_format`
  their bytes, stamped with the code version; `work_versions` the loader's opening them, parsing again those
  of other code.
- `settle`: duplicates, projects named by the register and one validation over a set of files.
- `cutting`: a night's files cut into chunks read back together and batches stored together.
- `night_order`: the order a night of several chunks is cut in, a later file's slices replacing an earlier one's.
- `store`: a batch of settled files in one transaction.
- `load`: the single writer's loop over work files: settle and store chunk by chunk; `pending_work` the work
  files it takes in, `run_end` what follows the last chunk (Data Docs, receipts, the run recorded).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace

from pipeline.gx_runtime import warm_up_in_background
from pipeline.intake.candidates import IngestReport, Outcome
from pipeline.intake.load import load_parsed
from pipeline.intake.scan import find_new_files, find_new_shards, scan_published
from pipeline.intake.settle import prepare
from pipeline.intake.work import (
    PARALLEL_FROM,
    parse_all,
    parse_one,
    parse_shard,
    remove_stale_work,
    work_dir,
)
from pipeline.project_names import resolve_projects
from pipeline.read_day import read_today
from pipeline.registry import Registry
from pipeline.runlock import run_lock
from pipeline.settings import Settings
from pipeline.slice_keys import slice_key

__all__ = [
    "IngestReport",
    "Outcome",
    "find_new_files",
    "find_new_shards",
    "ingest",
    "load_parsed",
    "parse_one",
    "parse_shard",
    "prepare",
    "resolve_projects",
    "slice_key",
]


def ingest(
    settings: Settings, registry: Registry, progress: bool = True, publish_it: bool = True
) -> IngestReport:
    """Ingest everything new in the inbox; one bad file never stops the others.

    `publish_it=False` leaves the load for the marts' rebuild to publish with them (`pipeline run`).
    """
    with run_lock(settings, purpose="ingest"):
        remove_stale_work(settings)
        started = time.perf_counter()
        scan = scan_published(settings)
        new_files = [entry.path for entry in scan.fresh]
        scanned = time.perf_counter()
        run_key = f"ingest-{os.getpid()}-{time.time_ns()}"
        # Read by the day the run started, whatever hour each file's turn comes (`read_day`).
        read_on = read_today()
        if new_files:
            warm_up_in_background(registry)  # GX's import overlaps the parsing
        # One process parses and loads: its work files stay in this host's scratch, whatever PIPELINE_WORK says.
        here = replace(settings, work=settings.home / "work")
        try:
            keys = parse_all(here, registry, new_files, run_key, progress, read_on)
            parsed = time.perf_counter()
            # Many files: receipts are written by a process beside the loader, on the core
            # it leaves idle.
            many = here.workers > 1 and len(keys) >= PARALLEL_FROM
            report = load_parsed(
                here,
                registry,
                keys,
                progress,
                writer_processes=many,
                publish_it=publish_it,
                # Nothing new: the loader counts the inbox as just scanned, not walking it again (0.6 s a night of
                # 10,000 files). Files to load are scanned again there, as the DAG's loader does.
                scanned=scan if not new_files else None,
                named=dict(zip(keys, new_files, strict=True)),
                read_on=read_on,
            )
        finally:
            shutil.rmtree(work_dir(settings, run_key), ignore_errors=True)
    report.timings = {"scan": scanned - started, "parse": parsed - scanned} | report.timings
    return report
