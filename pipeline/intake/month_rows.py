"""Yield the records of monthly sheets with each one's period and month."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet

# A month's slice without its month: (template, office, project code, year).
Period = tuple[str, str, str, str]


def monthly_rows(
    files: list[ParsedFile], templates: list[str], returned_too: bool = False
) -> Iterator[tuple[ParsedFile, ParsedSheet, list[tuple[Period, int, dict]]]]:
    """Yield each sheet of these templates in the files taken in (`returned_too`: and those returned), with each
    record's period and month."""
    for file in files:
        if (file.errors and not returned_too) or file.unit is None:
            continue
        for sheet in file.sheets:
            if sheet.template.id not in templates:
                continue
            rows = []
            for record in sheet.records:
                code, year, month = record.get("project_code"), record.get("year"), record.get("month")
                if code is not None and year is not None and isinstance(month, int):
                    rows.append(((sheet.template.id, file.unit, str(code), str(year)), month, record))
            yield file, sheet, rows
