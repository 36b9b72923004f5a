"""Tell each `其中：…` row of a template with parts (part_of_previous) which row above it is a part of."""

from __future__ import annotations

from pipeline.header_match import Binding
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry_templates import PartOfPrevious
from pipeline.text import squash
from pipeline.values import squashed


class Parts:
    """The rows a sheet's parts may belong to, followed down its data rows."""

    __slots__ = ("part", "prefixes", "parents", "by_name")

    def __init__(self, part: PartOfPrevious, by_name: dict[str, Binding]):
        self.part = part
        self.prefixes = [(p, squash(p)) for p in part.prefixes]
        self.parents: dict[object, str] = {}  # the latest row each part may belong to, by its `within` value
        self.by_name = by_name

    def place(
        self, sheet: ParsedSheet, row: list[object], excel_row: int, values: dict, failed: set[str]
    ) -> bool:
        """Set a data row's `parent_item`, the row it is a part of, and say whether it is a part."""
        part = self.part
        item = values.get(part.column) or ""
        folded_item = squashed(item)
        prefix = next((p for p, folded in self.prefixes if folded_item.startswith(folded)), None)
        group = values.get(part.within) if part.within else None
        values["parent_item"] = self.parents.get(group) if prefix else None
        if prefix is None:
            self.parents[group] = item
        elif values["parent_item"] is None and part.column not in failed:
            # Summed as a row of its own, or as a part of another 类别's row, it would count twice or wrongly.
            by_name = self.by_name
            binding = by_name[part.column]
            sheet.error(
                rule="part_without_parent",
                excel_row=excel_row,
                header=binding.header,
                value=row[binding.index],
                expected="“其中”行是上方某一行的组成部分，但它上方没有可归属的行"
                + (
                    f"（同一{by_name[part.within].header}“{group}”中）"
                    if part.within in by_name and group
                    else ""
                ),
                fix="请把该行移到它所属的行之下，或删去“其中”二字",
            )
        return values["parent_item"] is not None
