"""Parse inboxes with two versions of the pipeline and say whether every file was read the same.

Usage: python -m bench.parse_equal --base DIR [--new DIR] [--ignore FIELD ...] INBOX [INBOX ...]

DIR holds `pipeline/` and `registry/` of one version, e.g. a commit unpacked with
`git archive COMMIT pipeline registry | tar -x -C DIR`; --new defaults to this checkout. Each version parses
every file of the inboxes in a process of its own (both are the package `pipeline`) and keeps a digest of what
`parse_file` made of it: the templates, header rows, bindings, records with their types, the sheet metadata and
every problem with its message. The files whose digests differ are listed, and the exit status is 1. Each side's
parse CPU per file is printed as well (process time around `parse_file` only). `--ignore FIELD` leaves a field of
the sheet metadata and of problems out of both digests: one a version adds (a problem's `named` files), whose
value the other cannot have.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def _shown(item, ignore: frozenset[str]) -> str:
    """Return a dataclass's repr as the dataclass writes it, without the fields ignored."""
    if not ignore:
        return repr(item)
    kept = (f for f in fields(item) if f.repr and f.name not in ignore)
    return f"{type(item).__qualname__}({', '.join(f'{f.name}={getattr(item, f.name)!r}' for f in kept)})"


def _canonical(parsed, ignore: frozenset[str] = frozenset()) -> str:
    """Write out everything a ParsedFile holds, values with their types, in a fixed order."""
    sheets = [
        (
            sheet.name,
            sheet.template.id,
            sheet.header_rows,
            [(b.column.name, b.index, b.header, b.unit) for b in sheet.bindings],
            [sorted((k, type(v).__name__, repr(v)) for k, v in record.items()) for record in sheet.records],
            _shown(sheet.meta, ignore),
            [_shown(problem, ignore) for problem in sheet.problems],
        )
        for sheet in parsed.sheets
    ]
    problems = [_shown(problem, ignore) for problem in parsed.problems]
    return repr((parsed.original_name, parsed.sending_folder, parsed.unit, problems, sheets))


def digest(code: Path, out: Path, inboxes: list[Path], ignore: frozenset[str] = frozenset()) -> None:
    """Parse every file of the inboxes with the pipeline in `code`; write each file's digest and the CPU spent."""
    sys.path.insert(0, str(code))
    from pipeline.parse import parse_file
    from pipeline.registry import load_registry

    if not Path(sys.modules["pipeline.parse"].__file__).is_relative_to(code):
        raise SystemExit(f"pipeline was imported from {sys.modules['pipeline.parse'].__file__}, not {code}")
    registry = load_registry(code / "registry")
    digests, cpu = {}, 0.0
    for inbox in inboxes:
        for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
            name = str(path.relative_to(inbox))
            content = path.read_bytes()
            started = time.process_time()
            parsed = parse_file(content, name, registry, None)
            cpu += time.process_time() - started
            digests[f"{inbox.name}/{name}"] = hashlib.sha256(_canonical(parsed, ignore).encode()).hexdigest()
    out.write_text(json.dumps({"cpu": cpu, "digests": digests}), encoding="utf-8")


def _side(code: Path, inboxes: list[Path], folder: Path, ignore: list[str]) -> dict:
    out = folder / f"{len(list(folder.iterdir()))}.json"
    command = [sys.executable, __file__, "--digest", str(code), str(out), *(f"--ignore={f}" for f in ignore)]
    command += map(str, inboxes)
    subprocess.run(command, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Compare the two versions' readings of every file; return 1 if any file was read differently."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="the version compared against")
    parser.add_argument("--new", type=Path, default=CHECKOUT, help="the version checked (default: this one)")
    parser.add_argument("--ignore", action="append", default=[], help="a field left out of both digests")
    parser.add_argument("--digest", nargs=2, type=Path, metavar=("CODE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("inboxes", nargs="+", type=Path)
    args = parser.parse_args(argv)
    inboxes = [inbox.resolve() for inbox in args.inboxes]
    if args.digest:
        digest(args.digest[0].resolve(), args.digest[1], inboxes, frozenset(args.ignore))
        return 0
    if args.base is None:
        parser.error("--base is required")
    with tempfile.TemporaryDirectory() as folder:
        base = _side(args.base.resolve(), inboxes, Path(folder), args.ignore)
        new = _side(args.new.resolve(), inboxes, Path(folder), args.ignore)
    files = len(base["digests"])
    for label, side in (("base", base), ("new", new)):
        print(f"{label}: parse CPU {side['cpu']:.2f} s, {1000 * side['cpu'] / max(files, 1):.3f} ms per file")
    if base["digests"].keys() != new["digests"].keys():
        print("the two versions saw different files")
        return 1
    differ = [name for name, value in base["digests"].items() if new["digests"][name] != value]
    print(f"{files} files compared, {len(differ)} read differently")
    for name in differ[:50]:
        print(f"  {name}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
