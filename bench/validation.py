"""Measure validation of S sheets in one run, in this process: parse files until S sheets are read, name their
projects as intake does, then validate them all at once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path


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
