"""Check a rate a table writes beside the counts it is computed from (满意度 beside 满意, 基本满意 and 有效问卷): each
row's against that row's counts, a 合计 row's against the counts of every row, as the marts compute it."""

from __future__ import annotations

from decimal import Decimal

from pipeline.chinese_numbers import percent_in_digits
from pipeline.grids import Grid
from pipeline.header_match import HeaderMatch
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, cell_problem
from pipeline.rates import percent_of, quotient, rate_agrees
from pipeline.registry_templates import WrittenRate
from pipeline.repeated_columns import read_and_data
from pipeline.row_kinds import row_kind
from pipeline.text import split_header, squash
from pipeline.values import CellError, decimal_of, is_blank


def check_written_rates(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
    """Warn where a rate the sheet writes is not its counts' quotient as rounded as written, saying which the report
    uses: a 满意度 of 92% beside counts giving 88.4% was left unread without a word, though one of them is wrong."""
    bound = {index for b in match.bindings for index in b.indices}
    for rate in sheet.template.written_rates:
        columns = [
            i
            for i, written in enumerate(match.headers)
            if written and i not in bound and split_header(written)[0] in rate.labels
        ]
        found = {b.column.name: split_header(b.header)[0] for b in sheet.bindings}
        parts = [name for name in rate.parts if name in found]
        if not columns or rate.whole not in found or not parts:
            continue
        top = "+".join(found[n] for n in parts)
        labels = (f"（{top}）" if len(parts) > 1 else top, found[rate.whole])
        rejected = {p.excel_row for p in sheet.problems if p.severity is Severity.ERROR}
        counted = [
            (r["excel_row"], c) for r in sheet.records if (c := _counts(r, parts, rate.whole)) is not None
        ]
        counted = [(row, c) for row, c in counted if row not in rejected]
        # A 合计 is held to the sum of every row, as the marts add them up: not where a row was not counted.
        summed = None
        if counted and len(counted) == len(sheet.records):
            summed = (
                tuple(sum(c[0][i] for _, c in counted) for i in range(len(parts))),
                sum(c[1] for _, c in counted),
            )
        totals = []
        if summed is not None:
            _, rows = read_and_data(grid, match, sheet)
            totals = [(match.last_row + 2 + n, row) for n, row in enumerate(rows) if row_kind(row) == "total"]
        for index in columns:
            column = _RateColumn(sheet, rate, labels, match.headers[index], index)
            for excel_row, counts in counted:
                column.check(grid.rows[excel_row - 1], excel_row, counts)
            for excel_row, row in totals:
                column.check(row, excel_row, summed, every=True)


def _counts(record: dict, parts: list[str], whole: str) -> tuple[tuple[int, ...], int] | None:
    """Return a row's parts and whole as the marts add them (a blank part is 0); None without a whole above 0."""
    total = record.get(whole)
    if not total:
        return None  # blank, unreadable, or 0 (no_responses): no rate to hold the written one to
    return tuple(record.get(name) or 0 for name in parts), total


def _readings(value: object) -> list[Decimal]:
    """Return what a rate cell may stand for, as fractions: `92.79%` is 0.9279; a bare number below 1 a fraction,
    above 1 percent points, a bare 1 either 100 % or 1 % (submissions.md). Nothing for a cell that is no rate."""
    if isinstance(value, str):
        # `九成五` or `百分之九十五` is 95 %, as a form's rate reads it: passed over, one beside counts giving 80 %
        # was held to nothing, unsaid.
        value = percent_in_digits(squash(value)) or value
    try:
        number, suffix = decimal_of(value)
    except CellError:
        return []
    if suffix == "%":
        return [number.scaleb(-2)]
    if suffix:
        return []
    if number == 1:
        return [number, number.scaleb(-2)]
    return [number if number < 1 else number.scaleb(-2)]


class _RateColumn:
    """One written rate column of a sheet, and how its warnings word it."""

    def __init__(
        self, sheet: ParsedSheet, rate: WrittenRate, labels: tuple[str, str], header: str, index: int
    ) -> None:
        self.sheet, self.rate, self.labels, self.header, self.index = sheet, rate, labels, header, index

    def check(
        self, row: list[object], excel_row: int, counts: tuple[tuple[int, ...], int], every: bool = False
    ) -> None:
        """Warn where a row's written rate agrees with its counts' quotient under no reading of its cell."""
        value = row[self.index] if self.index < len(row) else None
        if value is None or is_blank(value):
            return
        readings = _readings(value)
        (parts, whole), part = counts, Decimal(sum(counts[0]))
        if any(rate_agrees(r, part, Decimal(whole)) for r in readings):
            return
        top = f"（{'+'.join(map(str, parts))}）" if len(parts) > 1 else str(parts[0])
        name, against = self.rate.header, "各行份数之和" if every else "本行份数"
        figures = quotient(self.labels, f"{top}÷{whole}", part, Decimal(whole))
        if not readings:
            # `约95%` or `95%以上` was passed over without a word: the report's rate is the counts', but whether they
            # are the figures off nobody was asked.
            self._warn(
                "rate_unread",
                excel_row,
                value,
                f"不是确切的百分比，未读取，也未能与{against}核对；报告中的{name}按份数计算：{figures}",
                f"请填写确切的{split_header(self.header)[0]}（如95%），并核对份数",
            )
            return
        self._warn(
            self.rate.rule,
            excel_row,
            value,
            f"与{against}不符：{figures}；报告中的{name}按份数计算"
            + (f"，本表各行合计为{percent_of(part, Decimal(whole))}%" if every else "，不采用填写的值"),
            f"请核对{split_header(self.header)[0]}及{self.labels[0].strip('（）').replace('+', '、')}、{self.labels[1]}的份数",
        )

    def _warn(self, rule: str, excel_row: int, value: object, expected: str, fix: str) -> None:
        """Warn on the rate's cell of a row."""
        self.sheet.problems.append(
            cell_problem(
                rule,
                sheet=self.sheet.name,
                excel_row=excel_row,
                header=self.header,
                value=value,
                expected=expected,
                fix=fix,
                severity=Severity.WARNING,
            )
        )
