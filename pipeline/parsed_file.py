"""Hold everything read from one file, before anything is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity
from pipeline.read_day import ReadOn


@dataclass(slots=True)
class ParsedFile:
    """Everything read from one file, before anything is stored."""

    original_name: str
    sending_folder: str | None  # the inbox sub-folder as named there; None at the inbox root
    sheets: list[ParsedSheet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unit: str | None = None
    # Settled before storing (`intake.shared_rows`): other offices' slices this file takes out of force (the implementing
    # unit's list in place of the one another office sent for its project), by key, with the slice's fields; and
    # warnings for files already stored, worded once this one has its number.
    taken_slices: dict[str, dict] = field(default_factory=dict)
    told_stored: list[tuple[int, Callable[[int], Problem]]] = field(default_factory=list)
    # What taking each of those slices added to `problems` and `told_stored`, to be taken back with it
    # (`shared_rows.give_back_slices`).
    taken_told: dict[str, list] = field(default_factory=dict)
    # The sheets whose enum problems may say “pick from the drop-down list”: those that offer one
    # (`drop_downs.note_drop_downs`); a CSV, or a national form from the budget system, has none.
    drop_down_sheets: frozenset[str | None] = frozenset()
    # The day its sheets were read by (`read_day`), for reading it again the same way: None for a file never read.
    read_on: ReadOn | None = None

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for sheet in self.sheets for p in sheet.problems)]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.all_problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.all_problems if p.severity is Severity.WARNING]

    @property
    def templates(self) -> list[str]:
        return sorted({sheet.template.id for sheet in self.sheets})

    @property
    def years(self) -> list[int]:
        return sorted(
            {r["year"] for sheet in self.sheets for r in sheet.records if r.get("year") is not None}
        )

    def fail(
        self,
        rule: str,
        message: str,
        sheet: str | None = None,
        excel_row: int | None = None,
        column_header: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                Severity.ERROR,
                rule,
                message,
                sheet=sheet,
                excel_row=excel_row,
                column_header=column_header,
                fix=fix,
            )
        )
