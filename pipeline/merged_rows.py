"""Read a row whose every required cell is merged with the row above's, and that adds text alone, as that row's."""

from __future__ import annotations

from pipeline.header_match import Binding
from pipeline.registry_columns import ColumnType
from pipeline.sheet_columns import SheetColumns


def joins_row_above(
    index: int,
    values: dict,
    failed: set[str],
    columns: SheetColumns,
    records: list[dict],
    bindings: list[Binding],
) -> bool:
    """Join into the last record the text of the row at `index` (from 0) whose required cells are each merged down
    from that record's row, when text is all it adds of its own; say whether it did.

    `棉纺厂东院` with its 面积, 户数 and 投资 merged over two rows, the second adding a 改造内容 of its own, is one
    compound: told as a second 棉纺厂东院 with its figures unfilled, the list was returned, and the fix it asked for
    (unmerge and fill each row) would have counted the compound twice.
    """
    if not columns.merged_into or not records or failed or not columns.required:
        return False
    top = records[-1]["excel_row"] - 1
    if any(columns.merged_into.get((index, b.index)) != top for _, b in columns.required):
        return False
    own = [
        b
        for b in bindings
        if values.get(b.column.name) is not None and columns.merged_into.get((index, b.index)) is None
    ]
    if not own or any(b.column.type is not ColumnType.TEXT for b in own):
        return False
    above = records[-1]
    for binding in own:
        name = binding.column.name
        above[name] = values[name] if above.get(name) is None else f"{above[name]}；{values[name]}"
    return True
