"""Read the expectation suites in `expectations/` and split each into GX suite documents, one per frame kind."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pipeline.problems import Severity

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
DATA_ROWS = "rows"  # the frame of data rows; every other frame kind is derived from it
REQUIRED_META = ("severity", "rule", "reason", "expected_zh", "fix_zh")
DERIVED_META = ("derived", "blame", "value", "found_zh")


class SuiteError(ValueError):
    """An expectation suite file is malformed; the message names the file."""


def _check_meta(path: Path, position: int, meta: dict, declared: Iterable[str]) -> None:
    """Reject an expectation whose meta cannot word a problem or names a derived frame its suite does not declare.

    Whether the code builds each declared frame is checked where frames are built (`pipeline.validate`): a suite is
    read by what shows it too, which builds none."""
    needed = REQUIRED_META + (DERIVED_META if "derived" in meta else ())
    if missing := [k for k in needed if not meta.get(k)]:
        raise SuiteError(f"{path}: expectation {position}: meta lacks {missing}")
    if meta["severity"] not in (Severity.ERROR, Severity.WARNING):
        raise SuiteError(f"{path}: expectation {position}: severity must be error or warning")
    kind = meta.get("derived")
    if kind is not None and kind not in declared:
        raise SuiteError(
            f"{path}: expectation {position}: derived frame {kind!r} is not declared in meta.derived_frames"
        )


@cache
def suite_documents(template_id: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, dict]:
    """Read a template's suite and split it by frame kind into GX suite documents, data rows first."""
    path = directory / f"{template_id}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{path}: cannot read the suite: {exc}") from exc
    if document.get("name") != template_id:
        raise SuiteError(f"{path}: the suite must be named {template_id!r}")
    declared = document.get("meta", {}).get("derived_frames", {})
    by_kind: dict[str, list[dict]] = {DATA_ROWS: []}
    for position, expectation in enumerate(document.get("expectations", [])):
        meta = expectation.get("meta", {})
        _check_meta(path, position, meta, declared)
        by_kind.setdefault(meta.get("derived", DATA_ROWS), []).append(expectation)
    return {
        kind: document
        | {
            "name": template_id if kind == DATA_ROWS else f"{template_id}.{kind}",
            "expectations": expectations,
            "meta": document.get("meta", {}) | {"frame": kind},
        }
        for kind, expectations in by_kind.items()
        if expectations
    }
