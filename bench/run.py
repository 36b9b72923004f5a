"""Benchmark the pipeline on N synthetic submissions, beside a read-only floor and a naive pipeline.

Usage: python -m bench.run --n 10000        (make bench)
       python -m bench.run --quick          (make bench-quick: a smaller N, every figure still printed)

Figures, each labelled with what was measured and how:
- validation of S sheets in one run (`pipeline.validate.validate` on sheets from `pipeline.parse.parse_file`):
  time per sheet and the number of GX validations made;
- ingest of the N files into an empty warehouse (`pipeline.intake.ingest` in a fresh process): acceptance,
  files/s, rows/s, the read/parse/validate/load split, peak RSS;
- a second `pipeline ingest` over the same inbox (nothing new);
- the indicators and report for the latest year;
- the indicators and report at issue 14's yardstick, year 2021 of `--n 2000 --seed 777` (412 projects; quick: a
  smaller seed-777 inbox), on a data root kept between runs (bench/report_bench.py; `--only report`: this alone);
- the import time of each DAG file;
- `nightly_ingest` on the same N files under dag.test() and a real scheduler (LocalExecutor), each ÷ the CLI
  ingest, and each task process's peak RSS (bench/dag_bench.py; `--only dag`: the CLI ingest and these alone);
- baselines on the same files: (a) the floor, a bare python-calamine read of every sheet (CSV: the csv
  module); (b) a naive pipeline, pandas + openpyxl per file, one GX validation per file and row-by-row
  INSERTs, measured on a sample and extrapolated per file;
- each target of issue 7, PASS or MISS, and for a miss why.

Generating the files is not timed. Everything is written under bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import synthetic
from bench.child import DAG_MARKER

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
DAGS = REPO / "dags"
GIB = 1024**3
FULL = {"n": 10_000, "sheets": 2_000, "naive": 200, "nothing_new_runs": 3}
QUICK = {"n": 120, "sheets": 120, "naive": 10, "nothing_new_runs": 1}
CSV_COLUMNS = 32  # the naive CSV read takes this many columns: wider than any template


@dataclass(slots=True)
class Target:
    """One target of issue 7: what was measured against what limit, and why it was missed."""

    name: str
    measured: str
    limit: str
    passed: bool
    why: str = ""


def say(text: str = "") -> None:
    print(text, flush=True)


def section(title: str) -> None:
    say()
    say(f"== {title} ==")


def figure(label: str, value: str) -> None:
    say(f"  {label:<34} {value}")


def seconds(value: float) -> str:
    return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"


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


# The machine and the synthetic inbox.


def machine() -> dict:
    """Describe the machine: CPU, cores, memory, Python, and how busy it was when the run started."""
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
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def generator_fingerprint() -> str:
    """Hash the generator's modules and the demo writers they use: a change to any regenerates the inbox."""
    digest = hashlib.sha256()
    for path in synthetic.SOURCES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_inbox(n: int, seed: int) -> tuple[Path, dict]:
    """Write the synthetic inbox, or reuse the one already written for the same N, seed and generator."""
    inbox = OUT / f"inbox-s{seed}-n{n}"
    manifest_path = OUT / f"inbox-s{seed}-n{n}.json"
    fingerprint = generator_fingerprint()
    if manifest_path.exists() and inbox.is_dir():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("fingerprint") == fingerprint:
            manifest["generated_s"] = None
            return inbox, manifest
    shutil.rmtree(inbox, ignore_errors=True)
    started = time.perf_counter()
    specs = synthetic.plan(n, seed)
    synthetic.write_inbox(inbox, specs, processes=os.cpu_count() or 1)
    manifest = {
        "seed": seed,
        "n": n,
        "fingerprint": fingerprint,
        "rows": sum(s.rows for s in specs),
        "templates": Counter(s.template for s in specs),
        "formats": Counter(s.fmt for s in specs),
        "units": len({s.path.split("/")[0] for s in specs}),
        "years": sorted({int(m) for s in specs for m in re.findall(r"(20\d\d)年", s.path)}),
        "files": [s.path for s in specs],
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    manifest["generated_s"] = time.perf_counter() - started
    return inbox, manifest


# (a) The floor: read every cell of every sheet, nothing more.


def read_floor(inbox: Path, files: Sequence[str]) -> dict:
    """Read every sheet of every file with python-calamine (CSV: the csv module); count the cells."""
    from python_calamine import CalamineWorkbook

    from pipeline.csv_encoding import decode_text
    from pipeline.reader import sniff_kind

    for name in files:  # warm the page cache for every reader alike; not timed
        (inbox / name).read_bytes()
    cells = 0
    started = time.perf_counter()
    for name in files:
        content = (inbox / name).read_bytes()
        if sniff_kind(content, name) == "csv":
            grids = [list(csv.reader(io.StringIO(decode_text(content), newline="")))]
        else:
            book = CalamineWorkbook.from_filelike(io.BytesIO(content))
            grids = [book.get_sheet_by_name(sheet).to_python() for sheet in book.sheet_names]
        cells += sum(len(row) for grid in grids for row in grid)
    return {"floor_s": time.perf_counter() - started, "cells": cells}


# The pipeline, in fresh processes.


TRASH = OUT / "trash"


def retire(path: Path) -> None:
    """Move an earlier run's data root aside, into `trash` beside it, to be deleted after the benchmark
    (`empty_trash`, for those under bench/out).

    Deleting its 30,000 files just before a timed run slowed that run's disk writes by a third for a minute
    (the disk discards the blocks freed, and ext4 passes over inodes freed in the last minutes when it makes new
    files), which would be counted as the ingest's own time.
    """
    if path.exists():
        trash = path.parent / TRASH.name
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


def empty_trash() -> None:
    shutil.rmtree(TRASH, ignore_errors=True)


def measure_ingest(home: Path, inbox: Path) -> dict:
    """Ingest the inbox into an empty warehouse in a fresh process."""
    retire(home)
    home.mkdir(parents=True)
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


def measure_dag_runs(home: Path, inbox: Path, n: int, ingest: dict) -> dict:
    """Run nightly_ingest on the CLI ingest's files, under dag.test() and a real scheduler (bench/dag_bench.py)."""
    from bench import dag_bench

    return dag_bench.measure(child_env(home, inbox), n, home, ingest)


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


# Validation of S sheets in one run, and the naive baseline, in this process.


def parse_files(inbox: Path, files: Sequence[str], sheets: int, registry) -> tuple[list, float]:
    """Parse files in inbox order until `sheets` sheets are read; return the parsed files and the time taken."""
    from pipeline.parse import parse_file

    parsed = []
    started = time.perf_counter()
    for name in files:
        parsed.append(parse_file((inbox / name).read_bytes(), name, registry))
        if sum(len(p.sheets) for p in parsed) >= sheets:
            break
    return parsed, time.perf_counter() - started


def validation_context(parsed: list, registry):
    """Name the projects of lists that state none and build the checks' context, as intake does per run."""
    from pipeline.frames import Context
    from pipeline.intake import resolve_projects
    from pipeline.projects import ProjectRegister

    register = ProjectRegister()
    for file in parsed:
        if not file.errors:
            register.add_from(file)
    for file in parsed:
        resolve_projects(file, register, registry.offices)
    return Context(known_projects=register.known_names, planned_total=register.planned_total)


def measure_validation(parsed: list, registry, context) -> dict:
    """Validate every parsed sheet in one run, after a first small run that imports and sets up GX."""
    from pipeline.validate import Batch, validate

    batches = [Batch(index, sheet) for index, file in enumerate(parsed) for sheet in file.sheets]
    first_of_template = list({b.sheet.template.id: b for b in batches}.values())
    started = time.perf_counter()
    validate(first_of_template, registry, context)
    warmed = time.perf_counter()
    result = validate(batches, registry, context)
    finished = time.perf_counter()
    return {
        "sheets": len(batches),
        "setup_s": warmed - started,
        "validate_s": finished - warmed,
        "gx_validations": result.gx_validations,
        "problems": Counter(f"{p.severity}:{p.rule}" for ps in result.problems.values() for p in ps),
    }


def naive_read(content: bytes, name: str) -> None:
    """Read a file the naive way: pandas over openpyxl (xlrd for .xls), or pandas' CSV reader."""
    import pandas as pd

    from pipeline.csv_encoding import decode_text
    from pipeline.reader import sniff_kind

    kind = sniff_kind(content, name)
    if kind == "csv":
        pd.read_csv(io.StringIO(decode_text(content)), header=None, names=range(CSV_COLUMNS), dtype=str)
    else:
        engine = "openpyxl" if kind == "xlsx" else "xlrd"
        pd.read_excel(io.BytesIO(content), sheet_name=None, header=None, engine=engine)


def measure_naive(inbox: Path, files: Sequence[str], parsed: list, registry, context, scratch: Path) -> dict:
    """Per file: read it with pandas, validate it with GX on its own, insert its rows one INSERT at a time."""
    import duckdb

    from pipeline.intake import slice_key
    from pipeline.raw_tables import raw_columns
    from pipeline.validate import Batch, validate
    from pipeline.warehouse import ensure_schema

    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    ensure_schema(con, registry)
    read_s = validate_s = insert_s = 0.0
    rows = 0
    for number, (name, file) in enumerate(zip(files, parsed, strict=False), start=1):
        t0 = time.perf_counter()
        naive_read((inbox / name).read_bytes(), name)
        t1 = time.perf_counter()
        validate([Batch(0, sheet) for sheet in file.sheets], registry, context)
        t2 = time.perf_counter()
        for sheet in file.sheets:
            template = sheet.template
            columns = [column for column, _, _ in raw_columns(template)]
            sql = f"insert into raw.{template.id} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
            for record in sheet.records:
                lineage = {
                    "submission_id": number,
                    "sheet": sheet.name,
                    "slice_key": slice_key(template.id, record, template.slice),
                }
                con.execute(sql, [lineage.get(c, record.get(c)) for c in columns])
                rows += 1
        t3 = time.perf_counter()
        read_s, validate_s, insert_s = read_s + t1 - t0, validate_s + t2 - t1, insert_s + t3 - t2
    con.close()
    sample = min(len(files), len(parsed))
    return {
        "sample": sample,
        "rows": rows,
        "read_s": read_s,
        "validate_s": validate_s,
        "insert_s": insert_s,
        "per_file_s": (read_s + validate_s + insert_s) / sample,
    }


# The report.


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def largest(parts: dict[str, float]) -> str:
    """Name the largest part and its share: `load 61 %`."""
    name, value = max(parts.items(), key=lambda item: item[1])
    return f"{name} {value / sum(parts.values()):.0%}"


def judge(results: dict) -> list[Target]:
    """Hold the figures against issue 7's targets, with a one-line why for each miss."""
    n = results["inbox"]["files"]
    ingest = results["ingest"]
    floor_s = results["floor"]["floor_s"]
    ingest_s = ingest["ingest_s"]
    split = ingest.get("timings") or {}
    naive_total = results["naive"]["estimated_s"]
    targets = []
    split_text = ", ".join(f"{k} {v:,.0f} s" for k, v in split.items())
    targets.append(
        Target(
            "ingest ≤ 6× the floor (compass 2×)",
            f"{ratio(ingest_s, floor_s):,.1f}×",
            "≤ 6×",
            ingest_s <= 6 * floor_s,
            f"the floor only decodes cells ({seconds(floor_s)}); ingest spends {split_text} "
            f"(largest: {largest(split)}; parse runs in {ingest.get('workers', 1)} processes, the rest in one)"
            if split
            else f"the floor only decodes cells ({seconds(floor_s)}); the split is pending",
        )
    )
    speedup = ratio(naive_total, ingest_s)
    naive = results["naive"]
    per_file = {k: naive[f"{k}_s"] / naive["sample"] * 1000 for k in ("read", "validate", "insert")}
    targets.append(
        Target(
            "≥ 10× faster than naive",
            f"{speedup:,.1f}×",
            "≥ 10×",
            speedup >= 10,
            f"naive costs {', '.join(f'{k} {v:,.0f}' for k, v in per_file.items())} ms/file; ingest "
            f"{ingest_s / n * 1000:,.0f} ms/file"
            + (f", of which load {split['load'] / n * 1000:,.0f} ms" if "load" in split else ""),
        )
    )
    rss = max(ingest["peak_rss_kib"], ingest.get("tree_peak_rss_kib", 0)) * 1024
    targets.append(
        Target(
            "peak RSS ≤ 1 GiB",
            f"{rss / GIB:,.2f} GiB",
            "≤ 1 GiB",
            rss <= GIB,
            "the loader holds one chunk of parsed files (pipeline.intake.load.FILES_PER_CHUNK) and GX's frames of it; "
            "a smaller chunk lowers the peak but costs a GX validation per template more",
        )
    )
    nothing_new = results["nothing_new"]["median_s"]
    imports = results["nothing_new"].get("imports_s")
    targets.append(
        Target(
            "nothing-new run ≤ 3 s",
            seconds(nothing_new),
            "≤ 3 s",
            nothing_new <= 3,
            f"importing pipeline.cli and pipeline.intake alone takes {seconds(imports)}"
            if imports
            else "see the figures above",
        )
    )
    for name, dag in results["dags"].items():
        heavy = ", ".join(f"{module} {s:.2f} s" for module, s in dag["top_imports"])
        targets.append(
            Target(
                f"DAG {name} imports ≤ 0.5 s",
                seconds(dag["import_s"]),
                "≤ 0.5 s",
                dag["import_s"] <= 0.5,
                f"its costliest imports: {heavy}",
            )
        )
    report = results["report"]
    if not report.get("available"):
        targets.append(
            Target("indicators + report ≤ 5 s", "not available yet", "≤ 5 s", False, report["why"])
        )
    elif "error" in report:
        targets.append(Target("indicators + report ≤ 5 s", "failed", "≤ 5 s", False, report["error"]))
    else:
        both = report["indicators_s"] + report["report_s"]
        targets.append(
            Target(
                "indicators + report ≤ 5 s",
                seconds(both),
                "≤ 5 s",
                both <= 5,
                f"indicators {seconds(report['indicators_s'])} (every year's marts), report "
                f"{seconds(report['report_s'])} (HTML, Word and Excel for {report.get('projects', '?'):,} projects, "
                f"{report.get('figures', 0):,} figures, each with its source rows)",
            )
        )
    if "yardstick" in results:  # bench/report_bench.py
        from bench import report_bench

        targets.append(report_bench.target(results["yardstick"]))
    if "dag_runs" in results:  # bench/dag_bench.py
        from bench import dag_bench

        targets += dag_bench.targets(results["dag_runs"], results["ingest"])
    return targets


def print_floor(floor: dict, n: int) -> None:
    section("Baseline (a), the floor: a bare python-calamine read of every sheet (CSV: the csv module)")
    figure(
        "read every cell of every file",
        f"{seconds(floor['floor_s'])} for {n:,} files ({floor['cells']:,} cells)",
    )


def print_validation(validation: dict) -> None:
    section(f"Validation of {validation['sheets']:,} sheets in one run (pipeline.validate.validate)")
    figure("parse first (parse_file)", f"{seconds(validation['parse_s'])} for {validation['files']:,} files")
    figure("GX import + setup (once)", seconds(validation["setup_s"]))
    figure("validate, one run", seconds(validation["validate_s"]))
    figure("time per sheet", f"{validation['validate_s'] / validation['sheets'] * 1000:,.2f} ms")
    with_setup = (validation["validate_s"] + validation["setup_s"]) / validation["sheets"] * 1000
    figure("time per sheet, with GX setup", f"{with_setup:,.2f} ms")
    figure("GX validations made", f"{validation['gx_validations']}")
    figure("problems found", ", ".join(f"{k} ×{v}" for k, v in validation["problems"].items()) or "none")


def print_naive(naive: dict, n: int) -> None:
    section("Baseline (b), naive: pandas + openpyxl per file, GX per file, row-by-row INSERTs")
    sample = naive["sample"]
    measured = naive["read_s"] + naive["validate_s"] + naive["insert_s"]
    figure("measured", f"{seconds(measured)} for a sample of {sample} files")
    figure(
        "per file",
        f"read {naive['read_s'] / sample * 1000:,.0f} ms, GX {naive['validate_s'] / sample * 1000:,.0f} ms, "
        f"inserts {naive['insert_s'] / sample * 1000:,.0f} ms ({naive['rows'] / sample:,.0f} rows)",
    )
    extrapolated = (
        "measured on every file" if sample >= n else f"EXTRAPOLATED per file from {sample} to {n:,}"
    )
    figure(f"all {n:,} files", f"{seconds(naive['estimated_s'])} ({extrapolated}, plus GX setup once)")
    figure("left out", "layout parsing (it reuses the pipeline's parse, untimed): a lower bound")


def print_ingest(ingest: dict, inbox: dict) -> None:
    n = inbox["files"]
    section(f"Ingest of {n:,} files into an empty warehouse (pipeline.intake.ingest, fresh process)")
    accepted = ingest["statuses"].get("accepted", 0)
    figure("acceptance", f"{accepted:,} of {ingest['files']:,} files accepted ({accepted / n:.1%})")
    figure("problems found", ", ".join(f"{k} ×{v}" for k, v in ingest["problems"].items()) or "none")
    for path, status, reason in ingest["not_accepted"]:
        figure(f"  {status}", f"{path}: {reason}")
    figure("rows loaded", f"{ingest['rows']:,} (generated: {inbox['rows']:,})")
    figure("ingest wall time", f"{seconds(ingest['ingest_s'])} (CPU {seconds(ingest['cpu_s'])})")
    figure(
        "throughput",
        f"{n / ingest['ingest_s']:,.1f} files/s, {ingest['rows'] / ingest['ingest_s']:,.0f} rows/s",
    )
    split = ingest.get("timings")
    if split:
        figure("split", " · ".join(f"{k} {seconds(v)}" for k, v in split.items()))
    else:
        figure("split", "pending (IngestReport.timings is not there yet)")
    figure("process, with imports", seconds(ingest["process_s"]))
    figure("parse worker processes", str(ingest.get("workers", 1)))
    figure("peak RSS, loading process", f"{ingest['peak_rss_kib'] * 1024 / GIB:,.2f} GiB (VmHWM)")
    if "tree_peak_rss_kib" in ingest:
        figure(
            "peak RSS, with parse workers",
            f"{ingest['tree_peak_rss_kib'] * 1024 / GIB:,.2f} GiB (sum over the process tree, sampled every 50 ms)",
        )


def print_nothing_new(nothing_new: dict) -> None:
    section("Nightly run when nothing is new (`pipeline ingest` again over the same inbox, fresh process)")
    runs = ", ".join(map(seconds, nothing_new["runs_s"]))
    figure("wall time", f"{seconds(nothing_new['median_s'])} (median of {runs})")
    if "imports_s" in nothing_new:
        figure("of which imports", f"{seconds(nothing_new['imports_s'])} (pipeline.cli + pipeline.intake)")


def print_report(report: dict) -> None:
    section("Indicators and report for a year (fresh process)")
    if not report.get("available"):
        figure("indicators + report", f"not available yet ({report['why']})")
    elif "error" in report:
        figure("indicators + report", f"failed: {report['error']}")
    else:
        figure("year", str(report["year"]))
        figure("build_indicators", seconds(report["indicators_s"]))
        figure("write_report", f"{seconds(report['report_s'])} (charts kept from the run before)")
        figure("together", seconds(report["indicators_s"] + report["report_s"]))
        cold = report.get("cold", {})
        if "report_s" in cold:
            drawn = f"{cold.get('charts_drawn', 0):,} charts drawn, peak RSS {cold.get('peak_rss_kib', 0) / 1024:,.0f} MiB"
            figure("write_report, no chart kept", f"{seconds(cold['report_s'])} ({drawn})")
        if "projects" in report:
            figure("report size", f"{report['projects']:,} projects, {report['figures']:,} figures")


def print_dags(dags: dict) -> None:
    section("DAG files: import time, fresh process each, airflow.sdk preloaded as in the DAG processor")
    for name, dag in dags.items():
        heavy = ", ".join(f"{module} {s:.2f} s" for module, s in dag["top_imports"])
        figure(
            name,
            f"{seconds(dag['import_s'])} (airflow.sdk itself: {seconds(dag['preload_s'])}; top: {heavy})",
        )


def print_targets(results: dict, targets: list[Target]) -> None:
    ingest_s = results["ingest"]["ingest_s"]
    section("Ratios and targets (issue 7)")
    figure("ingest / floor", f"{ratio(ingest_s, results['floor']['floor_s']):,.1f}×")
    figure("naive / ingest", f"{ratio(results['naive']['estimated_s'], ingest_s):,.1f}×")
    for target in targets:
        print_target(target)


def print_target(target: Target) -> None:
    verdict = "PASS" if target.passed else "MISS"
    say(f"  {verdict}  {target.name:<42} {target.measured:>10}  (target {target.limit})")
    if not target.passed:
        say(f"        why: {target.why}")


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the inbox, then measure and print each figure as it comes, saving them all as JSON."""
    parser = argparse.ArgumentParser(description="Benchmark the pipeline on N synthetic submissions.")
    parser.add_argument(
        "--quick", action="store_true", help=f"N={QUICK['n']}, every figure at a smaller scale"
    )
    parser.add_argument("--n", type=int, help=f"files to ingest (default {FULL['n']:,}; quick {QUICK['n']})")
    parser.add_argument("--sheets", type=int, help="sheets to validate in one run (default 2,000; quick: N)")
    parser.add_argument("--naive-sample", type=int, help="files the naive baseline runs on (default 200)")
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    parser.add_argument(
        "--only",
        choices=["dag", "report"],
        help="dag: only the CLI ingest and the DAG runs beside it; report: only indicators + report at issue 14's "
        "yardstick (bench/report_bench.py)",
    )
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    n = args.n or preset["n"]
    sheets = args.sheets or min(preset["sheets"], n)
    naive_sample = min(args.naive_sample or preset["naive"], n)
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    saved = OUT / f"results-n{n}.json"
    results: dict = {"machine": machine(), "n": n}

    def save() -> None:
        saved.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")

    section("Machine")
    m = results["machine"]
    figure("CPU", f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB")
    figure("Python", m["python"])
    figure("code", f"commit {m['commit']}")
    figure(
        "load average at start",
        " / ".join(map(str, m["load_average"])) + " (other work on the machine slows every figure)",
    )

    inbox, manifest = ensure_inbox(n, args.seed)
    files = manifest["files"]
    results["inbox"] = {k: v for k, v in manifest.items() if k != "files"} | {"files": len(files)}
    section(f"Synthetic inbox (seed {args.seed}): {inbox.relative_to(REPO)}")
    generated = manifest["generated_s"]
    figure(
        "files",
        f"{len(files):,} ({'generated in ' + seconds(generated) + ', not timed' if generated else 'reused'})",
    )
    figure("data rows", f"{manifest['rows']:,} (about {manifest['rows'] / len(files):.0f} per file)")
    figure("templates", ", ".join(f"{k} {v}" for k, v in sorted(manifest["templates"].items())))
    figure("formats", ", ".join(f"{k} {v}" for k, v in sorted(manifest["formats"].items())))
    figure("offices and years", f"{manifest['units']} units, {', '.join(map(str, manifest['years']))}")

    if args.only == "report":  # indicators + report at the yardstick (quick: its small N); nothing else
        from bench import report_bench

        saved = OUT / f"results-report-n{n if args.quick else report_bench.YARDSTICK['n']}.json"
        results["yardstick"] = report_bench.measure(args.quick, n)
        report_bench.print_figures(results["yardstick"])
        target = report_bench.target(results["yardstick"])
        results["targets"] = [asdict(target)]
        print_target(target)
        save()
        say(f"\nFigures saved to {saved.relative_to(REPO)}.")
        empty_trash()
        return

    if args.only == "dag":  # the CLI ingest and nightly_ingest beside it, on the same files; nothing else
        from bench import dag_bench

        saved = OUT / f"results-n{n}-dag.json"
        results["ingest"] = measure_ingest(OUT / f"home-n{n}", inbox)
        print_ingest(results["ingest"], results["inbox"])
        save()
        results["dag_runs"] = measure_dag_runs(OUT / f"home-n{n}", inbox, n, results["ingest"])
        results["targets"] = [
            asdict(t) for t in dag_bench.print_targets(results["dag_runs"], results["ingest"])
        ]
        save()
        say(f"\nFigures saved to {saved.relative_to(REPO)}.")
        empty_trash()
        return

    results["floor"] = read_floor(inbox, files)
    print_floor(results["floor"], n)
    save()

    # In this process, before the long ingest, so that a broken pipeline stops the benchmark early.
    from pipeline.registry import load_registry

    registry = load_registry()
    parsed, parse_s = parse_files(inbox, files, sheets, registry)
    context = validation_context(parsed, registry)
    results["validation"] = measure_validation(parsed, registry, context) | {
        "files": len(parsed),
        "parse_s": parse_s,
    }
    print_validation(results["validation"])
    save()
    naive = measure_naive(
        inbox, files[:naive_sample], parsed[:naive_sample], registry, context, OUT / "naive.duckdb"
    )
    naive["estimated_s"] = naive["per_file_s"] * len(files) + results["validation"]["setup_s"]
    results["naive"] = naive
    print_naive(naive, n)
    save()
    del parsed

    home = OUT / f"home-n{n}"
    results["ingest"] = measure_ingest(home, inbox)
    print_ingest(results["ingest"], results["inbox"])
    save()
    results["nothing_new"] = measure_nothing_new(home, inbox, len(files), preset["nothing_new_runs"])
    if results["nothing_new"]["median_s"] > 3:
        results["nothing_new"]["imports_s"] = measure_imports(home, inbox)
    print_nothing_new(results["nothing_new"])
    save()
    results["report"] = measure_report(home, inbox, max(manifest["years"]))
    print_report(results["report"])
    save()
    from bench import report_bench

    results["yardstick"] = report_bench.measure(args.quick, n)  # issue 14's 412-project year (quick: small N)
    report_bench.print_figures(results["yardstick"])
    save()
    results["dags"] = measure_dags(home, inbox)
    print_dags(results["dags"])
    save()
    results["dag_runs"] = measure_dag_runs(home, inbox, n, results["ingest"])

    targets = judge(results)
    results["targets"] = [asdict(t) for t in targets]
    print_targets(results, targets)
    results["bench_s"] = time.perf_counter() - started
    save()
    say()
    say(f"Whole benchmark: {seconds(results['bench_s'])}. Figures saved to {saved.relative_to(REPO)}.")
    empty_trash()  # earlier data roots, deleted now that nothing is timed


if __name__ == "__main__":
    main()
