"""Settle a set of parsed files together: duplicates, projects named by the register, one validation."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import duckdb
from tqdm import tqdm

from pipeline.intake.candidates import Candidate, outcome_of, parse_candidate
from pipeline.limits import Limits
from pipeline.parse import ParsedFile
from pipeline.projects import ProjectRegister, resolve_projects, settle_register
from pipeline.registry import Registry
from pipeline.rules import load_rules
from pipeline.storage import InboxEntry
from pipeline.validate import Batch, Context, Validation, validate


def known_shas(con: duckdb.DuckDBPyConnection | None, shas: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Return the first submission (number and file name) with each of these exact bytes, where there is one."""
    if con is None:
        return {}
    shas = {sha for sha in shas if sha is not None}
    return {
        sha: (number, name)
        for sha, number, name in con.execute(
            "select sha256, min(submission_id), arg_min(original_name, submission_id) from ops.submissions "
            "where sha256 in (select unnest(?::varchar[])) group by sha256",
            [sorted(shas)],
        ).fetchall()
    }


def settle(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    candidates: list[Candidate],
    seen_in_run: dict[str, str] | None = None,
) -> tuple[list[Candidate], Validation]:
    """Find duplicates, name missing projects and validate all sheets at once; return files in load order.

    Candidates come in the order they were received; registers load first, so a list naming no project
    finds its project in a register sent in the same run. `seen_in_run` maps the fingerprint of each file
    settled earlier in the run (in an earlier chunk) to its name, and is extended with these files.
    """
    seen = {} if seen_in_run is None else seen_in_run
    stored = known_shas(con, (c.sha256 for c in candidates))
    for candidate in candidates:
        if candidate.sha256 is None:  # never read: nothing to compare
            continue
        twin = seen.get(candidate.sha256)
        earlier = stored.get(candidate.sha256) if twin is None else None
        if twin is not None:
            candidate.duplicate_of = (0, twin)
        elif earlier:
            candidate.duplicate_of = earlier
        else:
            seen[candidate.sha256] = candidate.inbox_path.rsplit("/", 1)[-1]
    # A duplicate is recorded, never loaded or checked.
    parsed = [c.parsed for c in candidates if c.parsed is not None and not c.duplicate_of]
    register = ProjectRegister.from_warehouse(con)
    for file in parsed:
        settle_register(file)  # a register giving one code to two projects is rejected before it is used
    for file in parsed:
        if not file.errors:
            register.add_from(file)
    for file in parsed:
        resolve_projects(file, register)
    validation = validate_files(
        parsed,
        registry,
        Context(
            known_projects=register.known_names,
            planned_total=register.planned_total,
            monthly_history=monthly_history(con),
            negative_list=load_rules().negative_list_any_year,
        ),
    )
    for candidate in candidates:
        candidate.outcome = outcome_of(candidate)
        if candidate.duplicate_of:
            candidate.parsed = (
                None  # its office, year and templates are in its outcome; its rows are not wanted
            )
    return sorted(candidates, key=lambda c: not c.carries_register), validation


def prepare(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: Iterable[tuple[str, bytes, InboxEntry | None]],
    progress: bool = False,
    limits: Limits | None = None,
) -> tuple[list[Candidate], Validation]:
    """Fingerprint, parse and validate files without writing anything; return them in load order."""
    limits = limits or Limits.from_env()
    candidates = [
        parse_candidate(inbox_path, content, entry, registry, limits)
        for inbox_path, content, entry in tqdm(files, desc="读取文件", unit="个", disable=not progress)
    ]
    return settle(con, registry, candidates)


def monthly_history(con: duckdb.DuckDBPyConnection | None) -> dict[tuple, dict[int, Decimal]]:
    """Return the warehouse's 本月完成投资 per (unit, project, year) and month."""
    if con is None:
        return {}
    history: dict[tuple, dict[int, Decimal]] = {}
    for unit, project, year, month, amount in con.execute(
        "select unit, project_name, year, month, monthly_completed_wan from staging.investment_progress "
        "where monthly_completed_wan is not null"
    ).fetchall():
        history.setdefault((unit, project, year), {})[month] = amount
    return history


def validate_files(parsed: list[ParsedFile], registry: Registry, context: Context) -> Validation:
    """Run the expectation suites over every sheet of every file at once, adding what they find to each file."""
    batches = [Batch(index, sheet) for index, file in enumerate(parsed) for sheet in file.sheets]
    validation = validate(batches, registry, context)
    for index, problems in validation.problems.items():
        parsed[index].problems.extend(problems)
    return validation
