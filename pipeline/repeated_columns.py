"""Compare a column named twice, or headed as a read column's revision (`累计完成投资（调整后）`), with the column read:
where they differ, nobody can tell which the clerk meant."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.cell_refs import column_letter
from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_cells import header_cell
from pipeline.header_match import Binding, HeaderMatch
from pipeline.header_warnings import warn_on_header
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, display
from pipeline.text import split_header
from pipeline.values import is_blank


def repeated_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
    """Reject a sheet where a column named twice (`实际完成值` in F, hidden, and in J) holds something else in its
    second column on a data row: which one the clerk meant nobody can tell. Empty or the same, it is passed over."""
    for binding, index, written in match.repeats:
        differing = _first_difference(grid, sheet, binding, index)
        if differing is None:
            continue
        excel_row, read, other = differing
        warn_on_header(
            sheet,
            binding.header,
            rule="repeated_column",
            expected=(
                f"表头“{written}”在{binding.letter}列和{column_letter(index)}列各出现一次，两列的值不同（第{excel_row}行："
                f"{binding.letter}列{_shown(read)}，{column_letter(index)}列{_shown(other)}），无法确定应读取哪一列"
            ),
            fix="请删去多余的一列（或清空其内容），只保留一列",
            severity=Severity.ERROR,
            row=header_cell(grid, match, binding.index, _merged_origin(grid))[0] + 1,
        )


def revised_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, told: set[int]) -> set[int]:
    """Reject a sheet where a filled column headed as a read column's revision (`累计完成投资（调整后）（万元）`,
    `核定本月完成投资`) holds something else than the read column on a data row, as a column named twice is: the
    template reads the one headed as its own, while the clerk likely meant the revised one. Return the columns told
    of (the same or empty: passed over, as a column named twice is)."""
    read, rows = read_and_data(grid, match, sheet)
    checked: set[int] = set()
    origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or index in told or not label:
            continue
        revised = _revision_of(written, match.bindings)
        if revised is None or blank_under(rows, index):
            continue
        binding, word = revised
        checked.add(index)
        differing = _first_difference(grid, sheet, binding, index)
        if differing is None:
            continue
        excel_row, value, other = differing
        letter = column_letter(index)
        origin = _merged_origin(grid) if origin is None else origin
        warn_on_header(
            sheet,
            written,
            rule="repeated_column",
            expected=(
                f"{letter}列“{written}”是{binding.letter}列“{binding.header}”的{word}数，两列的值不同（第{excel_row}行："
                f"{binding.letter}列{_shown(value)}，{letter}列{_shown(other)}），本表只读取{binding.letter}列，"
                f"无法确定应以哪一列为准"
            ),
            fix=(
                f"如以{letter}列为准，请将其填入{binding.letter}列后删去{letter}列"
                f"（或删去{binding.letter}列，并将{letter}列的表头改为“{binding.column.header}”）；否则请删去{letter}列"
            ),
            severity=Severity.ERROR,
            row=header_cell(grid, match, index, origin)[0] + 1,
        )
    return checked


def _revision_of(written: str, bindings: Sequence[Binding]) -> tuple[Binding, str] | None:
    """Return the read column a header revises and the word saying so (`调整后` in `累计完成投资（调整后）（万元）` or
    `累计完成投资（万元）（调整后）`, `核定` in `核定本月完成投资`); None for any other header."""
    label, peeled = _peeled(written)
    found = None
    for binding in bindings:
        for name in {_peeled(n)[0] for n in (binding.header, binding.column.header, *binding.column.aliases)}:
            if len(name) < 2 or name not in label:
                continue
            rest = label.replace(name, "", 1).strip(_BRACKETS)
            if rest and rest not in _REVISIONS:
                continue  # another column's header that holds this one's (`上年累计完成投资`)
            word = rest or next((w for w in peeled if w in _REVISIONS), None)
            if word and (found is None or len(name) > found[0]):
                found = len(name), binding, word
    return None if found is None else found[1:]


def _peeled(written: str) -> tuple[str, list[str]]:
    """Split a header into its label and the bracketed words after it (`累计完成投资（万元）（调整后）`: 万元, 调整后)."""
    label, peeled = written, []
    while True:
        rest, unit = split_header(label)
        if unit is None or rest == label:
            return rest, peeled
        label = rest
        peeled.append(unit)


# Words a clerk heads a revised copy of a column with: `累计完成投资（调整后）`, `核定本月完成投资`, `审定数`.
_REVISIONS = frozenset(
    {
        *(
            f"{w}{end}"
            for w in ("调整", "修正", "修订", "更正", "修改", "核定", "审定", "核实", "核减", "复核")
            for end in ("", "后", "数")
        ),
        "最终",
        "最新",
        "确认",
        "确认数",
    }
)
_BRACKETS = " ()（）[]【】<>《》-—_:："


def _first_difference(
    grid: Grid, sheet: ParsedSheet, binding: Binding, index: int
) -> tuple[int, object, object] | None:
    """Return the first data row where a column's second copy holds something else: (Excel row, read, other)."""
    for record in sheet.records:
        row = grid.rows[record["excel_row"] - 1]
        other = row[index] if index < len(row) else None
        if is_blank(other):
            continue  # an empty second column says nothing else
        read = row[binding.index] if binding.index < len(row) else None
        if is_blank(read) or display(read).strip() != display(other).strip():
            return record["excel_row"], read, other
    return None


def _shown(value: object) -> str:
    return "为空" if is_blank(value) else f"为“{display(value)}”"


def read_and_data(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> tuple[set[int], list[list[object]]]:
    """Return the columns a match reads, and the rows of data under its header, above the footer."""
    read = {index for b in match.bindings for index in b.indices} | {index for _, index, _ in match.repeats}
    return read, grid.rows[match.last_row + 1 : sheet.footer_row - 1 if sheet.footer_row else len(grid.rows)]


def blank_under(rows: list[list[object]], index: int) -> bool:
    """Say whether a column is blank in every row of data."""
    return all(index >= len(row) or is_blank(row[index]) for row in rows)
