"""Write a year's report with this checkout's code and with another commit's, on copies of one data root, and
compare the files byte for byte.

Usage: python -m bench.compare_report --home bench/out/home-s777-n2000 --year 2021 [--ref main]

The other commit's `pipeline/`, `templates/`, `registry/`, `sql/` and `expectations/` are taken with `git archive`
into a scratch folder and run in a fresh process from there; each side rebuilds the indicators and writes the report on its own
copy of the data root (charts kept, so no chart is drawn). Exits 1 when any of the HTML, Word or Excel file differs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Everything the marts and the report are built from: expectations/ gives config.amount_checks its bounds.
CODE = ("pipeline", "templates", "registry", "sql", "expectations")
# Run in the side's own folder, so that its `pipeline` package is the one imported.
WRITE = """
import json, sys
from pipeline.indicators import build_indicators
from pipeline.registry import load_registry
from pipeline.report import write_report_files
from pipeline.settings import Settings
settings, registry = Settings.from_env(), load_registry()
files = write_report_files(settings, build_indicators(settings, registry, int(sys.argv[1])), registry)
print(json.dumps([str(files.html), str(files.docx), str(files.xlsx)]))
"""


def checkout(ref: str, into: Path) -> Path:
    """Write the code of `ref` into a folder; return it."""
    archive = subprocess.run(["git", "archive", ref, *CODE], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def write(code: Path, home: Path, year: int) -> list[Path]:
    """Rebuild the indicators and write the year's report with the code in `code` on the data root `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_") and k != "PYTHONPATH"}
    env |= {"PIPELINE_HOME": str(home), "GX_ANALYTICS_ENABLED": "False"}
    done = subprocess.run(
        [sys.executable, "-c", WRITE, str(year)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"writing the report with {code} failed:\n{done.stderr[-4000:]}")
    return [Path(p) for p in json.loads(done.stdout.strip().splitlines()[-1])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="the data root, copied for each side")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--ref", default="main", help="the commit to compare with (default: main)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compare-report-", dir=REPO / "bench" / "out") as scratch:
        scratch_path = Path(scratch)
        sides = {"this checkout": REPO, args.ref: checkout(args.ref, scratch_path / "ref")}
        written = {}
        for n, (side, code) in enumerate(sides.items()):
            home = scratch_path / f"home-{n}"
            shutil.copytree(args.home, home, symlinks=True, ignore=shutil.ignore_patterns("reports"))
            written[side] = write(code, home, args.year)
        same = True
        for ours, theirs in zip(*written.values(), strict=True):
            a, b = ours.read_bytes(), theirs.read_bytes()
            verdict = "identical" if a == b else "DIFFERENT"
            same &= a == b
            print(f"{verdict:>9}  {ours.name}  {hashlib.sha256(a).hexdigest()[:16]}  {len(a):,} bytes")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
