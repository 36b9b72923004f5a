"""Find the sheets of templates any office sends with a unique column, and their rows by period and value."""

from __future__ import annotations

from pipeline.intake.periods import _Period, _period
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry import Registry
from pipeline.registry_templates import Template


def unique_templates(registry: Registry) -> list[tuple[Template, str]]:
    """Return the templates sent by any office (not only the implementing unit) with a unique column, and it."""
    found = []
    for template in registry.templates.values():
        unique = next((c.name for c in template.columns if c.unique), None)
        if not template.project.by_implementing_unit and unique is not None and "unit" in template.slice:
            found.append((template, unique))
    return found


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
