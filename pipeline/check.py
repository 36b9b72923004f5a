"""Dry run: say what ingesting some files would do, without writing anything anywhere."""

from __future__ import annotations

from pathlib import Path

from pipeline.intake import Outcome, register_lookup, resolve_projects
from pipeline.parse import parse_file
from pipeline.registry import Registry
from pipeline.settings import Settings
from pipeline.storage import sha256_of
from pipeline.warehouse import connect


def _inbox_relative(path: Path, settings: Settings) -> str:
    """Name a file as the inbox would, so its folder can tell the submitting unit."""
    resolved = path.resolve()
    if resolved.is_relative_to(settings.inbox):
        return resolved.relative_to(settings.inbox).as_posix()
    return f"{resolved.parent.name}/{resolved.name}"


def check_files(paths: list[Path], settings: Settings, registry: Registry) -> list[Outcome]:
    """Parse each file as ingest would; consult the warehouse read-only, if there is one."""
    outcomes = []
    warehouse = settings.warehouse if settings.warehouse.is_file() else None
    con_context = connect(warehouse, read_only=True) if warehouse else None
    con = con_context.__enter__() if con_context else None
    try:
        for path in paths:
            content = path.read_bytes()
            sha = sha256_of(content)
            earlier = (
                con.execute(
                    "select submission_id, original_name from ops.submissions where sha256 = ? order by 1 limit 1",
                    [sha],
                ).fetchone()
                if con
                else None
            )
            if earlier:
                outcomes.append(
                    Outcome(
                        str(path),
                        sha,
                        "duplicate",
                        reason=f"与第{earlier[0]}号提交“{earlier[1]}”内容完全相同。",
                    )
                )
                continue
            parsed = parse_file(content, _inbox_relative(path, settings), registry)
            if not parsed.errors:
                resolve_projects(parsed, register_lookup(con))
            outcomes.append(
                Outcome(
                    str(path),
                    sha,
                    "rejected" if parsed.errors else "accepted",
                    unit=parsed.unit,
                    year=max(parsed.years) if parsed.years else None,
                    templates=parsed.templates,
                    rows=sum(len(s.records) for s in parsed.sheets),
                    problems=parsed.all_problems,
                    reason=parsed.errors[0].message_zh if parsed.errors else None,
                )
            )
    finally:
        if con_context:
            con_context.__exit__(None, None, None)
    return outcomes
