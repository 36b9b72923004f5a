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

Generating the files is not timed. Everything is written under bench/out/ (git-ignored). This module runs the
steps in order: the inbox comes from bench/inboxes.py, the figures of fresh processes from bench/measure.py and
those of this process from bench/validation.py and bench/baselines.py; bench/printout.py prints them and
bench/targets.py judges them.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict

from bench import dag_bench, dag_figures, report_bench, synthetic
from bench.baselines import measure_naive, read_floor
from bench.inboxes import ensure_inbox
from bench.measure import (
    machine,
    measure_dags,
    measure_imports,
    measure_ingest,
    measure_nothing_new,
    measure_report,
)
from bench.places import OUT, REPO, empty_trash
from bench.printout import (
    print_dags,
    print_floor,
    print_inbox,
    print_ingest,
    print_machine,
    print_naive,
    print_nothing_new,
    print_report,
    print_targets,
    print_validation,
)
from bench.say import say, seconds
from bench.targets import judge, print_target
from bench.validation import measure_validation, parse_files, validation_context

FULL = {"n": 10_000, "sheets": 2_000, "naive": 200, "nothing_new_runs": 3}
QUICK = {"n": 120, "sheets": 120, "naive": 10, "nothing_new_runs": 1}


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

    print_machine(results["machine"])
    inbox, manifest = ensure_inbox(n, args.seed)
    files = manifest["files"]
    results["inbox"] = {k: v for k, v in manifest.items() if k != "files"} | {"files": len(files)}
    print_inbox(inbox, manifest)

    if args.only == "report":  # indicators + report at the yardstick (quick: its small N); nothing else
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
        saved = OUT / f"results-n{n}-dag.json"
        results["ingest"] = measure_ingest(OUT / f"home-n{n}", inbox)
        print_ingest(results["ingest"], results["inbox"])
        save()
        results["dag_runs"] = dag_bench.measure(OUT / f"home-n{n}", inbox, n, results["ingest"])
        results["targets"] = [
            asdict(t) for t in dag_figures.print_targets(results["dag_runs"], results["ingest"])
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
    results["yardstick"] = report_bench.measure(args.quick, n)  # issue 14's 412-project year (quick: small N)
    report_bench.print_figures(results["yardstick"])
    save()
    results["dags"] = measure_dags(home, inbox)
    print_dags(results["dags"])
    save()
    results["dag_runs"] = dag_bench.measure(home, inbox, n, results["ingest"])

    targets = [
        *judge(results),
        report_bench.target(results["yardstick"]),
        *dag_figures.targets(results["dag_runs"], results["ingest"]),
    ]
    results["targets"] = [asdict(t) for t in targets]
    print_targets(results, targets)
    results["bench_s"] = time.perf_counter() - started
    save()
    say()
    say(f"Whole benchmark: {seconds(results['bench_s'])}. Figures saved to {saved.relative_to(REPO)}.")
    empty_trash()  # earlier data roots, deleted now that nothing is timed


if __name__ == "__main__":
    main()
