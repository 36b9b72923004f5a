"""Read an enum cell written as words instead of its values: `无偏差` as blank, a sentence kept as the explanation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.enum_values import allowed_zh, parse_enum
from pipeline.problems import Severity
from pipeline.text import squash
from pipeline.values import CellError

if TYPE_CHECKING:
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.registry_columns import Column

# `其他：雨季延误`: a value, a colon, and the words that say what it is.
_VALUE_AND_WORDS = re.compile(r"\s*([^:：]+?)\s*[:：]\s*(.+)", re.S)
# A sentence, not a value mistyped (`资金保障`): several clauses, or more words than any value has.
_CLAUSE = re.compile(r"[，,。；;：:！!？?\n]")
_LONGEST_VALUE_PLUS = 4


def read_words(
    raw: object, column: Column, keeps_prose: bool = False
) -> tuple[str | None, str | None] | None:
    """Return what an enum cell its values refused says instead: (value, words) where it names nothing
    (`blank_words`: (None, None)), a value with its words (`其他：雨季延误`) or a sentence (`prose_to`, or
    `keeps_prose` for a form's note kept in its row's prose note: (None, text)); None where it is none of these, a
    value mistyped, still refused."""
    if not isinstance(raw, str):
        return None
    if squash(raw) in {squash(word) for word in column.blank_words}:
        return None, None
    if column.prose_to is None and not keeps_prose:
        return None
    parts = _VALUE_AND_WORDS.fullmatch(raw)
    if parts is not None:
        try:
            return parse_enum(parts[1], column), parts[2].strip()
        except CellError:
            pass
    longest = max(len(word) for value, aliases in column.values.items() for word in (value, *(aliases or ())))
    if _CLAUSE.search(raw.strip()) or len(squash(raw)) > longest + _LONGEST_VALUE_PLUS:
        return None, raw.strip()
    return None


def keep_words(sheet: ParsedSheet, values: dict[str, object], excel_row: int, kept: list[tuple]) -> None:
    """Keep each enum cell's words in its `prose_to` column, before what that cell says; where the cell named no value
    and the form has that column, tell the clerk the words belong there and the cause is still to be named."""
    for column, header, raw, words in kept:
        target = column.prose_to
        values[target] = joined(words, values.get(target))
        # Without such a column the cause's cell is the only place for it: kept as the explanation, nothing to fix.
        where = next((b.header for b in sheet.bindings if b.column.name == target), None)
        if values.get(column.name) is None and where is not None:
            tell_kept(sheet, column, excel_row, header, raw, where)


def joined(words: str, said: object) -> str:
    """Return an enum cell's words kept before what its prose column's cell says, if anything."""
    return words if not said else f"{words}\n{said}"


def tell_kept(
    sheet: ParsedSheet, column: Column, excel_row: int, header: str, raw: object, where: str
) -> None:
    """Tell the clerk an enum cell's sentence is kept in the prose column `where` and its value is still to name."""
    sheet.error(
        severity=Severity.WARNING,
        rule="prose_kept",
        excel_row=excel_row,
        header=header,
        value=raw,
        expected=f"{allowed_zh(column)}；所填文字已作为「{where}」保留，原因类别未填写",
        fix=f"请在本栏填写原因类别，并把说明移至「{where}」栏",
    )
