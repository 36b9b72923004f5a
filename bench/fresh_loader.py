"""Ingest an inbox the CLI's way or the DAG's way, to tell whether a loader in a fresh process loads faster.

Usage: python -m bench.fresh_loader cli|dag INBOX [--home DIR]

`cli`: `pipeline.intake.ingest` in this process, as `pipeline ingest` runs it (the parse pool, then the load).
`dag`: `parse_all` in this process, then `load_parsed` in a fresh one, as `nightly_ingest`'s `load_files` runs
it after its shards. Each reads INBOX where it is, into an empty data root (DIR, default
bench/out/fresh-loader-<way>; the one before is moved aside with `fresh` from bench/places.py, as `make bench`
does, which empties it), and prints its wall time and load/validate split on one line. Alternate the two, whole
processes:

    for i in 1 2 3; do
      /usr/bin/time -v .venv/bin/python -m bench.fresh_loader dag INBOX >>/tmp/dag.log 2>&1
      /usr/bin/time -v .venv/bin/python -m bench.fresh_loader cli INBOX >>/tmp/cli.log 2>&1
    done
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench.places import OUT, fresh


def _split(timings: dict) -> dict:
    return {step: round(seconds, 2) for step, seconds in timings.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("way", choices=["cli", "dag", "load"])
    parser.add_argument("inbox", type=Path, help="the inbox to read (for `load`: the data root to load)")
    parser.add_argument("--home", type=Path)
    args = parser.parse_args(argv)
    os.environ["PIPELINE_SETTLE_SECONDS"] = "0"  # the synthetic files may have been written just now
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    from pipeline.intake import find_new_files, ingest, load_parsed
    from pipeline.intake.work import parse_all
    from pipeline.registry import load_registry
    from pipeline.settings import Settings

    if args.way == "load":  # the DAG way's second process
        home = args.inbox
        settings = replace(Settings.from_env(home), work=home / "work")
        keys = json.loads((home / "keys.json").read_text(encoding="utf-8"))
        started = time.perf_counter()
        report = load_parsed(settings, load_registry(), keys, writer_processes=True)
        print(f"  load_parsed {time.perf_counter() - started:.2f} s {_split(report.timings)}", flush=True)
        return
    home = fresh(args.home or OUT / f"fresh-loader-{args.way}")
    os.environ["PIPELINE_INBOX"] = str(args.inbox.resolve())
    settings, registry = Settings.from_env(home), load_registry()
    started = time.perf_counter()
    if args.way == "cli":
        report = ingest(settings, registry, progress=False)
        accepted = report.count("accepted")
        print(
            f"cli {time.perf_counter() - started:.2f} s {_split(report.timings)} accepted {accepted}",
            flush=True,
        )
        return
    here = replace(settings, work=home / "work")
    keys = parse_all(here, registry, find_new_files(settings), "ingest-fresh-loader", False)
    (home / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    parsed = time.perf_counter() - started
    subprocess.run([sys.executable, "-m", "bench.fresh_loader", "load", str(home)], check=True)
    print(f"dag {time.perf_counter() - started:.2f} s parse {parsed:.2f} s", flush=True)


if __name__ == "__main__":
    main()
