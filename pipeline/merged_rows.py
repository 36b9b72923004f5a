"""Read a row whose every required cell is merged with the row above's, and that adds text alone, as that row's."""

from __future__ import annotations

from pipeline.header_match import Binding
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity
from pipeline.registry_columns import ColumnType
from pipeline.sheet_columns import SheetColumns


def joins_row_above(
    index: int,
    values: dict,
    failed: set[str],
    columns: SheetColumns,
    sheet: ParsedSheet,
    bindings: list[Binding],
) -> bool:
    """Join into the sheet's last record the text of the row at `index` (from 0) whose required cells are each
    merged down from that record's row, when text is all it adds of its own; say whether it did.

    `棉纺厂东院` with its 面积, 户数 and 投资 merged over two rows, the second adding a 改造内容 of its own, is one
    compound: told as a second 棉纺厂东院 with its figures unfilled, the list was returned, and the fix it asked for
    (unmerge and fill each row) would have counted the compound twice.
    """
    records = sheet.records
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
    _warn_joined(sheet, index + 1, top + 1, own, values, [b for _, b in columns.required])
    return True


def _warn_joined(
    sheet: ParsedSheet,
    excel_row: int,
    top_row: int,
    own: list[Binding],
    values: dict,
    merged: list[Binding],
) -> None:
    """Tell the clerk each text cell of `excel_row` was joined to row `top_row`'s, so a second compound is not lost."""
    # Joined unsaid, a row that was another compound under the same merged figures (the clerk merging too far) was
    # lost from the list: the clerk confirms the reading or unmerges.
    headers = "、".join(f"「{b.header}」" for b in merged)
    above = sheet.records[-1]
    # The row above by its name (小区名称), where the list names its rows: the clerk finds the compound by it.
    named = next(
        (above[b.column.name] for b in merged if b.column.unique and b.column.type is ColumnType.NAME), None
    )
    what = f"第{top_row}行“{named}”" if named else f"第{top_row}行"
    for binding in own:
        sheet.error(
            severity=Severity.WARNING,
            rule="merged_row_joined",
            excel_row=excel_row,
            header=binding.header,
            value=values[binding.column.name],
            expected=(
                f"本行的{headers}与第{top_row}行合并，已读作{what}的一部分，"
                f"本格并入第{top_row}行为“{above[binding.column.name]}”"
            ),
            fix=f"如本行与第{top_row}行确为同一项，无需修改；如为另一项，请取消合并单元格并为本行分别填写",
        )
