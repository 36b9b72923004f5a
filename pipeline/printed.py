"""Read what a printed form leaves in a name column: `指标1：` before a name, `指标2：` or `……` on their own.

The national forms print `指标1：` `指标2：` `……` down the 三级指标 column under every 二级指标; a unit writes its
indicators after them (or over them) and leaves the rest as printed. The column's registry entry says what is
printed (`strip_prefix`, `placeholder`): nothing here is particular to that column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.problems import display
from pipeline.registry_columns import Column
from pipeline.text import clean_text
from pipeline.values import CellError, is_blank


def printed_name(column: Column, text: str) -> str | None:
    """Return a name as read with the form's printed prefix dropped; None where only the printed text is written."""
    prefix = column.prefix_pattern
    if prefix is not None and (match := prefix.match(text)):
        text = text[match.end() :].strip()
    placeholder = column.placeholder_pattern
    if not text or (placeholder is not None and placeholder.fullmatch(text)):
        return None
    return text


def printed_parser(column: Column, parse: Callable[[object], object]) -> Callable[[object], object]:
    """Wrap a column's cell parser: drop the printed prefix from a name, refuse a cell holding only what is printed."""

    def read(raw: object) -> object:
        value = parse(raw)
        if value.__class__ is not str:
            return value
        name = printed_name(column, value)
        if name is None:
            # Values are written on its row (else the row is passed over as unused): the indicator has no name.
            raise CellError(
                "required",
                f"“{display(raw)}”是表中印好的占位，不是{column.header}的名称",
                f"请填写该行{column.header}的名称；该行如不用，请清空其中填写的内容",
            )
        return name

    return read


def only_printed(
    row: Sequence[object], unused: frozenset[int], printed: Sequence[tuple[int, Column]]
) -> bool:
    """Say whether a row holds only what the form printed on it: its headings, 序号 and name placeholders."""
    names = {index: column for index, column in printed}
    placeholders = []
    for position, cell in enumerate(row):
        if cell is None or position in unused or (isinstance(cell, str) and is_blank(cell)):
            continue
        # Most rows are an indicator's: a value outside the printed columns says so before any name is read.
        if position not in names or not isinstance(cell, str):
            return False
        placeholders.append((position, cell))
    return all(printed_name(names[position], clean_text(cell)) is None for position, cell in placeholders)
