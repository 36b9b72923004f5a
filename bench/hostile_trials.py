"""Feed the pipeline hostile and broken workbooks; prove each is rejected with a receipt and none stops the run.

Usage: python -m bench.hostile_trials [--n 1000] [--valid 40] [--seed 11] [--out DIR]   (make trials)
       python -m bench.hostile_trials --night [--settle 10] [--out DIR]   (make trials; see bench/hostile_night.py)

N mutated files are made from valid synthetic submissions (bench/synthetic.py), each kind of damage in turn:
truncated .xlsx and .xls; random bytes inside a zip member; a sheet claiming a huge used range; one far-away
cell (which makes a reader allocate every cell up to it); formula errors; deep, overlapping merges; CSV in
the wrong encoding; random bytes; a zip bomb (a sheet inflating to 1 GiB from 1 MB), the same bomb hiding
its size; and, once each, a 1,000,000-row sheet as .xlsx and as .csv. They go into an inbox beside the first
VALID synthetic files, untouched, and `pipeline ingest` runs once over all of it, in a subprocess whose peak
RSS is measured. Printed: files, rejected with a receipt, accepted, unhandled exceptions (a failed run),
valid files still accepted, peak RSS, and every hostile file that was not rejected with a receipt.
The files are made in bench/hostile_files.py; the run is judged in bench/hostile_judge.py.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.hostile_files import plant
from bench.hostile_judge import REPO, Result, ingest_in_subprocess, judge

OUT = REPO / "bench" / "out" / "hostile"
GIB = 1024**3


def report(result: Result, output: str = "") -> None:
    print(f"hostile-file trials: {result.files} files in {result.seconds:.0f} s")
    print(f"  hostile files:                {result.hostile}")
    print(f"  rejected with a receipt:      {result.rejected_with_receipt}")
    print(f"  accepted (all files):         {result.accepted}")
    print(f"  unhandled exceptions:         {result.unhandled_exceptions}")
    print(f"  valid files still accepted:   {result.valid_accepted}/{result.valid}")
    if result.peak_rss_kib is not None:
        print(f"  peak RSS of pipeline ingest:  {result.peak_rss_kib / 1024:,.0f} MiB")
    print("  rejections by kind and rule:")
    for (kind, rule), count in sorted(result.rules.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        print(f"    {kind:<20} {rule or '?':<16} {count}")
    for failure in result.failures:
        print(f"  NOT REJECTED {failure}")
    if result.unhandled_exceptions:
        print(output[-4000:])
    print("OK" if result.ok else "FAILED")


def main(argv: Sequence[str] | None = None) -> int:
    """Plant the files, ingest them in a subprocess, print the counts; exit 1 unless every check holds."""
    parser = argparse.ArgumentParser(description="Ingest mutated workbooks; every one must be rejected.")
    parser.add_argument("--n", type=int, default=1000, help="hostile files, the million-row pair included")
    parser.add_argument("--valid", type=int, default=40, help="untouched synthetic files beside them")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--night",
        action="store_true",
        help="instead: one night of the demo inbox beside every odd inbox entry (GBK names, FIFOs, links, …)",
    )
    parser.add_argument("--settle", type=float, default=10.0, help="the night's settle window, in seconds")
    args = parser.parse_args(argv)
    if args.night:
        from bench.hostile_night import main as night

        return night(args.out, args.settle)
    home = args.out / f"home-n{args.n}"
    shutil.rmtree(home, ignore_errors=True)
    started = time.perf_counter()
    planted = plant(home / "inbox", args.n, args.valid, args.seed)
    print(
        f"planted {len(planted.hostile)} hostile and {len(planted.valid)} valid files in {time.perf_counter() - started:.0f} s"
    )
    started = time.perf_counter()
    status, peak, output = ingest_in_subprocess(home, home / "inbox")
    result = judge(home / "warehouse.duckdb", planted, status)
    result.peak_rss_kib, result.seconds = peak, time.perf_counter() - started
    report(result, output)
    return 0 if result.ok and peak < GIB // 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
