"""Find the sheets of templates any office sends with a unique column, and their rows by period and value."""

from __future__ import annotations

from pipeline.intake.periods import _Period, _period
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry import Registry
from pipeline.registry_templates import Template


def unique_templates(registry: Registry) -> list[tuple[Template, str]]:
    """Return the templates sent by any office (not only the implementing unit) with a unique column, and it."""
    return [(t, unique) for t in registry.templates.values() if (unique := unique_column(t)) is not None]


def unique_column(template: Template) -> str | None:
    """Return the unique column of a template any office sends (a list whose rows one office may hold), or None."""
    unique = next((c.name for c in template.columns if c.unique), None)
    if template.project.by_implementing_unit or "unit" not in template.slice:
        return None
    return unique


def rows_by_entry(sheet: ParsedSheet, column: str) -> dict[tuple[_Period, str], dict]:
    """Return a sheet's first record for each period and value of its unique column."""
    mine: dict[tuple[_Period, str], dict] = {}
    for record in sheet.records:
        period = _period(sheet.template.id, record, "month" in sheet.template.slice)
        if period is not None and record.get(column) is not None:
            mine.setdefault((period, str(record[column])), record)
    return mine


def sheets_of(files: list[ParsedFile], template: Template) -> list[tuple[ParsedFile, ParsedSheet]]:
    return [
        (file, sheet)
        for file in files
        if not file.errors and file.unit is not None
        for sheet in file.sheets
        if sheet.template.id == template.id
    ]
