"""Tell which sheets of a workbook offer drop-down lists, so an enum problem is worded true for the file at hand."""

from __future__ import annotations

import re

from pipeline.cell_formats import CellFormats
from pipeline.enum_values import DROP_DOWN, told_without_drop_down
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem
from pipeline.xlsx_parts import whole_tags

# A list validation, as `pipeline templates` puts on an enum column: the cell offers a drop-down list.
_LIST_VALIDATION = re.compile(rb"<(?:\w+:)?dataValidation\b[^>]*\btype=\"list\"")


def note_drop_downs(parsed: ParsedFile, formats: CellFormats | None) -> None:
    """Note the sheets told to pick from a drop-down list that do offer one (an xlsx's list validations)."""
    told = {p.sheet for sheet in parsed.sheets for p in sheet.problems if _told_drop_down(p)}
    # Read only for a sheet so told: most files have no enum problem, and a sheet's validations follow its cells.
    if not told or formats is None or formats.kind != "xlsx":
        return
    xlsx = formats.xlsx()
    parts = xlsx.sheet_parts()
    parsed.drop_down_sheets = frozenset(
        sheet
        for sheet in told
        if sheet in parts
        and any(
            _LIST_VALIDATION.search(text)
            for text in whole_tags(xlsx.archive, xlsx.archive.getinfo(parts[sheet]))
        )
    )


def worded_for_file(parsed: ParsedFile) -> list[Problem]:
    """Return the file's problems, telling to pick from a drop-down list only on a sheet that offers one."""
    return [
        p if p.sheet in parsed.drop_down_sheets or not _told_drop_down(p) else told_without_drop_down(p)
        for p in parsed.all_problems
    ]


def _told_drop_down(problem: Problem) -> bool:
    return problem.fix is not None and problem.fix.startswith(DROP_DOWN)
