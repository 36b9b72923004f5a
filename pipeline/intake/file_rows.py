"""Queue the rows a stored file leaves: its problems, sheets, column lineage, slices and raw rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, field, fields

from pipeline.intake.pending_rows import PendingRows
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem, Severity
from pipeline.raw_tables import raw_columns
from pipeline.receipt_facts import ReceiptIssue
from pipeline.slice_keys import SheetSlices


def _numbered(named: tuple[object, ...], run_numbers: dict[int, int]) -> tuple[int, ...]:
    """Return the submissions a problem names, a file of this run by the number it was stored under."""
    numbers = (n if isinstance(n, int) else run_numbers.get(n[1]) for n in named)
    # A file of the run never stored (an error naming one; a warning naming one waits for it: `hold_back`)
    # cannot be followed.
    return tuple(n for n in numbers if n is not None)


@dataclass
class Waiting:
    """The warnings of a chunk's stored files that name one of its files not stored yet (`hold_back`)."""

    # The chunk's files to be stored, by the id of their parsed file: a copy of another (a duplicate) is not.
    coming: set[int]
    # (the warned submission, the warning), by the file it waits for.
    held: dict[int, list[tuple[int, Problem]]] = field(default_factory=dict)

    def copy(self) -> Waiting:
        return Waiting(self.coming, {n: list(w) for n, w in self.held.items()})


def _awaited(problem: Problem, run_numbers: dict[int, int], coming: set[int]) -> int | None:
    """Return the first file of the chunk a problem names that is to be stored and not numbered yet (its parsed
    file's id), if any."""
    return next(
        (
            n[1]
            for n in problem.named
            if not isinstance(n, int) and n[1] not in run_numbers and n[1] in coming
        ),
        None,
    )


def hold_back(
    submission_id: int, problems: list[Problem], run_numbers: dict[int, int], waiting: Waiting
) -> list[Problem]:
    """Return a stored file's problems but the warnings naming a file of its chunk to be stored later, which wait
    in `waiting` for it (`released`).

    Stored now, such a warning would name no submission for it, and a note never tell the clerk it no longer
    applies once that file is withdrawn; should the file never be stored (the run killed first), the warning
    was never true: nothing stands over this file.
    """
    kept = []
    for problem in problems:
        awaited = (
            _awaited(problem, run_numbers, waiting.coming) if problem.severity is Severity.WARNING else None
        )
        if awaited is None:
            kept.append(problem)
        else:
            waiting.held.setdefault(awaited, []).append((submission_id, problem))
    return kept


def released(waiting: Waiting, run_numbers: dict[int, int]) -> list[tuple[int, Problem]]:
    """Take from `waiting` the warnings whose files are all numbered now; return them with their submissions."""
    ready = []
    for awaited in [n for n in waiting.held if n in run_numbers]:
        for submission_id, problem in waiting.held.pop(awaited):
            still = _awaited(problem, run_numbers, waiting.coming)
            if still is None:
                ready.append((submission_id, problem))
            else:
                waiting.held.setdefault(still, []).append((submission_id, problem))
    return ready


def add_issues(pending: PendingRows, submission_id: int, issues: Iterable[ReceiptIssue]) -> None:
    """Queue one submission's issues as rows of ops.validation_issues: the one writer of that table's rows."""
    rows = []
    for issue in issues:
        row = [submission_id, *astuple(issue)]
        row[_NAMED_AT] = list(row[_NAMED_AT]) or None  # a LIST column, empty for most problems
        rows.append(row)
    pending.add("ops.validation_issues", _ISSUE_COLUMNS, rows)


def add_problems(
    pending: PendingRows, submission_id: int, problems: list[Problem], run_numbers: dict[int, int]
) -> None:
    """Queue a file's problems as its issues, the files they name numbered."""
    add_issues(
        pending, submission_id, (ReceiptIssue.of(p, _numbered(p.named, run_numbers)) for p in problems)
    )


_ISSUE_COLUMNS = ["submission_id", *(f.name for f in fields(ReceiptIssue))]
_NAMED_AT = _ISSUE_COLUMNS.index("named_submissions")


# Per template: its raw table's column names.
_LAYOUTS: dict[int, tuple[object, list[str]]] = {}


def _layout(template) -> list[str]:
    held = _LAYOUTS.get(id(template))
    if held is None or held[0] is not template:
        held = _LAYOUTS[id(template)] = (template, [name for name, _, _ in raw_columns(template)])
    return held[1]


def _add_data(
    pending: PendingRows, submission_id: int, parsed: ParsedFile, sliced: SheetSlices | None = None
) -> int:
    """Queue the sheets, their column lineage, slices and raw rows of an accepted file; return its rows. Each
    sheet's slice keys are taken from `sliced`, where settling made them (else made here, once a file)."""
    slices: dict[str, list] = {}
    sliced = SheetSlices() if sliced is None else sliced
    total = 0
    for sheet in parsed.sheets:
        template = sheet.template
        columns = _layout(template)
        pending.add(
            "ops.sheets",
            ["submission_id", "sheet", "template", "header_first_row", "header_last_row", "data_rows"],
            [[submission_id, sheet.name, template.id, *sheet.header_rows, len(sheet.records)]],
        )
        pending.add(
            "ops.sheet_columns",
            ["submission_id", "sheet", "column_name", "column_header", "excel_column", "written_unit"],
            ([submission_id, sheet.name, b.column.name, b.header, b.letter, b.unit] for b in sheet.bindings),
        )
        pending.add(
            "ops.sheet_fields",
            ["submission_id", "sheet", "field_name", "field_header", "excel_row", "excel_column"],
            (
                [submission_id, sheet.name, name, *cell[2:], *cell[:2]]
                for name, cells in sheet.field_cells.items()
                for cell in cells
            ),
        )
        rows = []
        at_sheet, at_key = columns.index("sheet"), columns.index("slice_key")
        at_submission = columns.index("submission_id")
        keys = sliced.take(sheet)
        for record, key in zip(sheet.records, keys, strict=True):
            entry = slices.get(key)
            if entry is None:  # a slice's row is its first record's (not built again for every record)
                entry = slices[key] = [
                    submission_id,
                    template.id,
                    key,
                    record["unit"],
                    record.get("project_name"),
                    record["year"],
                    record.get("month"),
                    record.get("project_code"),
                    0,
                ]
            entry[-1] += 1
            row = list(map(record.get, columns))
            row[at_submission], row[at_sheet], row[at_key] = submission_id, sheet.name, key
            rows.append(row)
        pending.add(f"raw.{template.id}", columns, rows)
        total += len(rows)
    # Another office's list it takes out of force: the slice is its own, with no rows there.
    for key, taken in parsed.taken_slices.items():
        slices.setdefault(
            key,
            [submission_id, taken["template"], key, taken["unit"], taken["project_name"], taken["year"],
             taken["month"], taken["project_code"], 0],
        )  # fmt: skip
    pending.add(
        "ops.slices",
        [
            "submission_id",
            "template",
            "slice_key",
            "unit",
            "project_name",
            "year",
            "month",
            "project_code",
            "row_count",
        ],
        slices.values(),
    )
    return total


def _add_returned(pending: PendingRows, submission_id: int, parsed: ParsedFile) -> None:
    """Queue the slices a returned file's rows name, so the report can say the form was sent but returned."""
    named = {
        (sheet.template.id, record.get("unit"), record.get("project_code"), record.get("project_name"), year,
         record.get("month"))
        for sheet in parsed.sheets
        for record in sheet.records
        if isinstance(year := record.get("year"), int)
    }  # fmt: skip
    pending.add(
        "ops.returned_slices",
        ["submission_id", "template", "unit", "project_code", "project_name", "year", "month"],
        ([submission_id, *entry] for entry in sorted(named, key=str)),
    )
