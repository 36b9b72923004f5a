"""Settle each record's project: its own column, else the `项目名称：` line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet


def _settle_project(parsed: ParsedFile, sheet: ParsedSheet) -> None:
    """Give every record its project: its own column, else the `项目名称：` line; the register may fill the rest."""
    rule = sheet.template.project
    stated = sheet.meta.project if rule.line else None
    unresolved = False
    for record in sheet.records:
        if rule.column and record.get(rule.column):
            continue
        record["project_name"] = stated
        unresolved = unresolved or stated is None
    # A required 项目名称 column the sheet has: each blank cell is an error on its row, which says what to fill in.
    bound = next((b.column for b in sheet.bindings if b.column.name == rule.column), None)
    own_rows = bound is not None and bound.required
    if (
        unresolved
        and not own_rows
        and rule.register_project_type is None
        and "project" in sheet.template.slice
    ):
        if (blank := sheet.meta.rows.get("project_blank")) is not None and rule.line:
            # The clerk was told to add a `项目名称：` line the sheet already has.
            said, fill = sheet.meta.left_blank(
                blank, "项目名称", "项目名称", "项目基本信息表中登记的项目名称"
            )
            parsed.fail(
                "project_unknown",
                f"所属项目无法确定：{said}，{fill}。",
                sheet=sheet.name,
                excel_row=blank,
                column_header="项目名称",
            )
            return
        parsed.fail(
            "project_unknown",
            "所属项目无法确定：请填写“项目名称”列，或在表格上方加一行“项目名称：…”。",
            sheet=sheet.name,
        )
