"""Tell a summary sheet from a broken one: a sheet short of required columns beside a whole sheet of its template.

Clerks put a 汇总 sheet beside the 明细 (`资金来源 | 类型 | 金额` beside the ledger). Its header half-matches the
template, so it reads as that template with 日期 and 项目名称 missing, and the whole file would be returned. It is
passed over only when every row of it is proved to be a sum of the whole sheets' rows: the rows of the same
values in the columns it has, added up in each amount column it has. Anything else (a row no detail row has, a
sum that differs, a cell of its own in error) leaves its errors as they are: it may be a second ledger sheet whose
rows would otherwise be lost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, row_value_problem
from pipeline.registry_columns import SUMMABLE_TYPES

_MISSING = "missing_column"
# The column a clerk tells two alike rows apart in, as the registry heads it.
_NOTE = "摘要"


def _short(sheet: ParsedSheet) -> bool:
    """Say whether a sheet's only errors are required columns missing from its header."""
    errors = [p for p in sheet.problems if p.severity is Severity.ERROR]
    return bool(errors) and all(p.rule == _MISSING for p in errors)


def _whole(sheet: ParsedSheet) -> bool:
    return not any(p.rule == _MISSING for p in sheet.problems)


def _sums_match(summary: ParsedSheet, details: list[ParsedSheet]) -> bool:
    """Say whether each row of `summary` is the sum of the detail rows alike in the columns it names."""
    amounts = [
        b.column.name for b in summary.bindings if b.column.type in SUMMABLE_TYPES and b.column.adds_up
    ]
    keys = [b.column.name for b in summary.bindings if b.column.type not in SUMMABLE_TYPES]
    if not amounts or not keys or not summary.records:
        return False
    sums: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for sheet in details:
        for record in sheet.records:
            group = sums[tuple(record.get(k) for k in keys)]
            for name in amounts:
                group[name] += record.get(name) or 0
    for record in summary.records:
        group = tuple(record.get(k) for k in keys)
        if group not in sums:
            return False
        for name in amounts:
            unit = summary.written_units.get(name)
            tolerance = Decimal("0.01") * (unit.factor if unit is not None else 1)
            if abs((record.get(name) or 0) - sums[group][name]) > tolerance:
                return False
    return True


def _row_key(sheet: ParsedSheet, record: dict) -> tuple:
    """Return every value of a row the template reads: alike rows are one entry written again."""
    return tuple(record.get(column.name) for column in sheet.template.columns)


def _rows(sheet: ParsedSheet) -> Counter:
    """Count a sheet's rows by every value the template reads."""
    return Counter(_row_key(sheet, record) for record in sheet.records)


def _heading(sheet: ParsedSheet) -> tuple:
    """Return what a sheet says above its rows of whose they are: office, project, year (on a line or in the title)."""
    return sheet.meta.unit, sheet.meta.project, sheet.meta.year, sheet.meta.title_years


def _copied_from(sheet: ParsedSheet, kept: list[ParsedSheet]) -> list[ParsedSheet] | None:
    """Return the whole sheets of its template whose rows hold every row of `sheet` as often, or None: a 汇总 of
    the month sheets written out row by row (`汇总 | 1月 | 2月`), or a sheet copied whole (`台账 (2)`)."""
    if sheet.template.fields or not sheet.records or not _whole(sheet):
        return None  # a national form's fields are more than its rows; an empty sheet copies nothing
    # Sheets naming another office, project or year above their rows are not copies: their heading is told apart.
    heading = _heading(sheet)
    others = [
        s for s in kept if s.template is sheet.template and _whole(s) and s.records and _heading(s) == heading
    ]
    if not others:
        return None
    mine, theirs = _rows(sheet), sum((_rows(s) for s in others), Counter())
    if any(theirs[row] < count for row, count in mine.items()):
        return None
    return [s for s in others if _rows(s) & mine]


def _copy_told(sheet: ParsedSheet, sources: list[ParsedSheet]) -> Problem:
    named = "、".join(f"“{s.name}”" for s in sources)
    expected = (
        f"其{len(sheet.records)}行在工作表{named}中都有各栏完全相同的一行，看作这些工作表的汇总或副本，"
        "未重复计入（否则每笔金额都会算两次）"
    )
    # Alike rows are told apart by a note (the ledger's 摘要, under the header the sheet gives it); a template with
    # no note column (a 小区清单) has no other entry that could be alike in every value.
    note = next((b.header for b in sheet.bindings if b.column.header == _NOTE), None)
    if note is None and any(c.header == _NOTE for c in sheet.template.columns):
        note = _NOTE
    if note is None:
        fix = "如是副本或汇总，无需处理；如该工作表本应填写其他数据，请改正后重新报送"
    else:
        fix = f"如其中确有另外的款项，请在「{note}」中注明区别后重新报送"
    return Problem(
        Severity.WARNING,
        "copied_sheet",
        f"{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=sheet.header_rows[1],
        expected=expected,
        fix=fix,
    )


def _repeated_rows(kept: list[ParsedSheet]) -> list[Problem]:
    """Return an error for each row of a kept sheet that an earlier sheet of its template and heading already holds
    with every value alike: two ledgers of overlapping months (`1-2月 | 2-3月`) each hold February's payments.

    A sheet copied whole is passed over above; one sharing only some rows is neither a copy nor two sheets' own
    rows, and which of them the clerk meant only the clerk can say. Templates naming a unique column (a 小区名称)
    are told by `within_file.flag_repeated_across_sheets`, forms by their own one-sheet rule.
    """
    told: list[Problem] = []
    first: dict[tuple, tuple[ParsedSheet, dict]] = {}
    compared = [
        sheet
        for sheet in kept
        if not (sheet.template.fields or any(c.unique for c in sheet.template.columns) or not _whole(sheet))
    ]
    if len(compared) < 2:
        return told  # a row repeats only another sheet's: most files have one, whose rows need no key
    for sheet in compared:
        template = sheet.template
        heading = _heading(sheet)
        for record in sheet.records:
            earlier = first.setdefault((template.id, heading, _row_key(sheet, record)), (sheet, record))
            if earlier[0] is not sheet:
                told.append(_repeated_told(sheet, record, *earlier))
    return told


def _repeated_told(sheet: ParsedSheet, record: dict, earlier: ParsedSheet, first: dict) -> Problem:
    blamed = next((b for b in sheet.bindings if b.column.type in SUMMABLE_TYPES), sheet.bindings[0])
    value = record.get(blamed.column.name)
    expected = (
        f"与本文件工作表“{earlier.name}”第{first['excel_row']}行各栏完全相同，两张工作表都计入会使这一行算两次"
        "（两张工作表所填期间重叠）"
    )
    return row_value_problem(
        "repeated_in_file",
        Severity.ERROR,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=blamed.header,
        value=None if value is None else str(value),
        expected=expected,
        fix="同一笔数据只能填在一张工作表中，请删去重复的行，或把各工作表合并为一张后重新报送",
    )


def pass_over_summaries(sheets: list[ParsedSheet]) -> tuple[list[ParsedSheet], list[Problem]]:
    """Return the sheets to keep, and a warning for each summary sheet or copy passed over."""
    kept, told = [], []
    copies: list[ParsedSheet] = []
    for sheet in sheets:
        # Read as a ledger beside the month sheets it repeats, each amount was counted twice without a word. Of two
        # copies the first is passed over, the second kept: it has no copy left beside it.
        others = [s for s in sheets if s is not sheet and all(s is not c for c in copies)]
        if (sources := _copied_from(sheet, others)) is not None:
            copies.append(sheet)
            told.append(_copy_told(sheet, sources))
            continue
        details = [s for s in others if s.template is sheet.template and _whole(s)]
        if not details or not _short(sheet) or not _sums_match(sheet, details):
            kept.append(sheet)
            continue
        missing = "、".join(f"「{p.column_header}」" for p in sheet.problems if p.rule == _MISSING)
        named = "、".join(f"“{s.name}”" for s in details)
        columns = "、".join(f"「{b.header}」" for b in sheet.bindings if b.column.type not in SUMMABLE_TYPES)
        expected = (
            f"缺少{missing}列，其{len(sheet.records)}行与工作表{named}按{columns}汇总的数字逐行一致，"
            "看作明细的汇总表，未重复计入"
        )
        told.append(
            Problem(
                Severity.WARNING,
                "summary_sheet",
                f"{expected}。",
                sheet=sheet.name,
                excel_row=sheet.header_rows[1],
                expected=expected,
                fix="无需处理",
            )
        )
    return kept, told + _repeated_rows(kept)
