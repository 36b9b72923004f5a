"""Strip the points a level's name carries (`产出指标（55分）`) and warn where they are not its rows' sum."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, cell_problem, display
from pipeline.registry_columns import Column
from pipeline.rounding import POINTS_FLOOR, as_rounded
from pipeline.text import rows_text

# `产出指标（55分）`, or `产出指标（55）` without its 分: a level name carrying the points of the rows under it. A
# bracket holding only a number after a level's name says nothing else (no 一级指标 is numbered so). Clerks also
# bracket them `【55分】` `[55分]` `〔55分〕`, name them `（分值55）`, or write them after the name, `产出指标 55分`
# `产出指标：55分`; unbracketed, only with their 分 (a name may end in a number), or after a name ending in 指标,
# `产出指标55`, as no level is numbered so. Left in the name, the points made a level of its own in the marts and the
# report, and were never checked.
_NUMBER = r"(\d+(?:\.\d+)?)"
_POINTS = re.compile(
    rf"^(.*?)\s*(?:[（(【\[〔]\s*(?:分值\s*[:：]?\s*)?{_NUMBER}\s*分?\s*[)）】\]〕]|[:：]?\s*{_NUMBER}\s*分"
    rf"|(?<=指标)\s*[:：]?\s*{_NUMBER})$"
)
# `一、产出指标（55分）`: the form's own numbering of its levels is no part of their names.
_ORDINAL = re.compile(r"^\s*[一二三四五六七八九十]{1,3}\s*[、.．]\s*")


def _check_points(grid: Grid, sheet: ParsedSheet, column: Column) -> None:
    """Strip `（N分）` (or as `_POINTS` reads) and any `一、` from a level's name; warn where N is not its rows' sum."""
    binding = next((b for b in sheet.bindings if b.column.name == column.name), None)
    header = binding.header if binding else column.header
    stated: dict[str, tuple[Decimal, int, str, bool]] = {}
    sums: dict[str, Decimal] = defaultdict(Decimal)
    unread: set[str] = set()
    # Rows whose level is blank (a form whose merges were undone; a CSV's are carried down, flattened.py) belong to
    # a level unknown: any sum would blame the stated points, which are right. Those rows are errors of their own.
    unassigned = any(not record.get(column.name) for record in sheet.records)
    for record in sheet.records:
        text = record.get(column.name)
        if not text:
            continue
        match = _POINTS.match(text)
        if match and match.group(4) and match.group(1).strip() in (column.header, *column.aliases):
            match = None  # `一级指标1`: the header numbered, a sample's or placeholder's name, no points
        name = _ORDINAL.sub("", match.group(1) if match else text).strip() or text
        if name != text:
            record[column.name] = name
        # A bare number may also be the clerk's numbering (`数量指标1`, `数量指标2`): each is summed as written, so
        # two numbered levels are never pooled under one name and told against each other's rows.
        bare = bool(match and match.group(4))
        key = text if bare else name
        if match:
            stated.setdefault(
                key,
                (
                    Decimal(match.group(2) or match.group(3) or match.group(4)),
                    record["excel_row"],
                    text,
                    bare,
                ),
            )
        points = record.get(column.points_of)
        if isinstance(points, int | Decimal):
            sums[key] += points
        else:  # a 分值 blank or unreadable (`约15`), an error of its own: the sum would blame the level
            unread.add(key)
    # On a form whose blank levels were read as the one above (a CSV's, or a workbook's left unmerged), a row carried
    # under the wrong level puts its points there: the clerk is sent to those rows as well as to the points.
    carried = sheet.carried.get(column.name)
    csv = "本表是CSV文件，" if grid.as_text else ""
    told = f"；{csv}{rows_text(carried)}的「{header}」为空，已按上方读取" if carried else ""
    check = "，以及按上方读取的行是否属于该指标" if carried else ""
    for key, (points, excel_row, text, bare) in stated.items():
        # As rounded as written, as the form's 总分 is checked: `（77.14分）` over six weights of `=90/7` (12.857143
        # each, 77.142858) was told it should be 77.142858.
        if not as_rounded(points, sums[key], POINTS_FLOOR) and not unassigned and key not in unread:
            total = display(sums[key].normalize())
            if bare:  # read as points though it may be numbering: the clerk is asked which
                expected = f"末尾的{display(points)}已读作分值，应等于其下各指标分值之和{total}分{told}"
                fix = f"如{display(points)}是分值，请核对{header}标注的分值或各指标的分值{check}；如是编号，请删去"
            else:
                expected = f"标注的{display(points)}分应等于“{key}”下各指标分值之和{total}分{told}"
                fix = f"请核对{header}标注的分值或各指标的分值{check}"
            sheet.problems.append(
                cell_problem(
                    "points_mismatch",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=header,
                    value=_as_typed(grid, excel_row, binding.index) if binding else text,
                    expected=expected,
                    fix=fix,
                    severity=Severity.WARNING,
                )
            )


def _as_typed(grid: Grid, excel_row: int, index: int) -> object:
    """Return a cell as the clerk typed it, `产出指标（55分）` with its full-width brackets, a merge read at its origin."""
    # The record holds the text folded to half width, `(55分)`, which the clerk never wrote.
    r, c = _merged_origin(grid).get((excel_row - 1, index), (excel_row - 1, index))
    row = grid.rows[r] if r < len(grid.rows) else ()
    return row[c] if c < len(row) else None
