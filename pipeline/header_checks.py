"""Check what a read sheet's header leaves unread: a column named twice, a filled column no template column reads,
a second table below the first's end. Each would otherwise lose or swap a clerk's figures without a word."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from pipeline.column_units import warn_on_header
from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_cells import header_cell
from pipeline.header_match import Binding, HeaderMatch, column_letter, header_text
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, display, row_problem
from pipeline.registry_columns import Column, ColumnType
from pipeline.text import months_so_far, split_header, with_months
from pipeline.values import is_blank


def check_header(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
    """Tell the clerk of columns and tables the sheet's header leaves unread, or reads from one of two."""
    told = _unread_columns(grid, match, sheet) | _half_read_columns(grid, match, sheet)
    told |= _revised_columns(grid, match, sheet, told)
    _name_missing_lookalikes(grid, match, sheet)
    if match.template.fields:
        _unknown_form_columns(grid, match, sheet, told)
    if sheet.footer_row:
        _second_table(grid, match, sheet, sheet.footer_row)
    _repeated_columns(grid, match, sheet)


def _repeated_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
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


def _revised_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, told: set[int]) -> set[int]:
    """Reject a sheet where a filled column headed as a read column's revision (`累计完成投资（调整后）（万元）`,
    `核定本月完成投资`) holds something else than the read column on a data row, as a column named twice is: the
    template reads the one headed as its own, while the clerk likely meant the revised one. Return the columns told
    of (the same or empty: passed over, as a column named twice is)."""
    read, rows = _read_and_data(grid, match, sheet)
    checked: set[int] = set()
    origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or index in told or not label or _blank_under(rows, index):
            continue
        revised = _revision_of(written, match.bindings)
        if revised is None:
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


def _unread_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> set[int]:
    """Warn of a filled column under a header no column of the template reads, that looks like one of its columns
    not found: `实际完成情况` where 实际完成值 was expected would otherwise leave every actual empty without a word.
    Return the columns told of."""
    template = match.template
    found = {b.column.name for b in match.bindings}
    missing = [
        column
        for column in template.columns
        if column.name not in found
        and not column.required  # already an error
        and column.type is not ColumnType.YEAR  # stated on a line, in the title or the file name as well
        and not (
            template.project is not None and template.project.line and column.name == template.project.column
        )
        and column.header not in _NEVER_DATA
        # Most forms write a target's comparison and unit in its cell: `指标分值` is no 指标性质 not found.
        and column.name not in template.target_part_columns
    ]
    told: set[int] = set()
    if not missing:
        return told
    read, rows = _read_and_data(grid, match, sheet)
    origin = None
    # The `1-N月` the form's read headers name (`1-6月执行数`): the fix asks for that, not the template's N.
    named = {months_so_far(b.header) for b in match.bindings} - {None}
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or not label or label in _NEVER_DATA:
            continue
        pairs = _pairs(label)
        alike = [c for c in missing if any(pairs & _pairs(w) for w in (c.header, *c.aliases))]
        if not alike or _blank_under(rows, index):
            continue
        months = next(iter(named)) if len(named) == 1 else months_so_far(written)
        origin = _merged_origin(grid) if origin is None else origin
        told.add(index)
        warn_on_header(
            sheet,
            written,
            rule="unread_column",
            expected=(
                f"{column_letter(index)}列的表头不是本表的栏目，该列未读取；"
                f"本表的“{'”“'.join(with_months(c.header, months) for c in alike)}”未找到"
            ),
            fix=meant_fix("该列", likeliest(written, alike, months)),
            row=header_cell(grid, match, index, origin)[0] + 1,
        )
    return told


def _name_missing_lookalikes(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
    """Name, in a required column's `missing_column` error, the filled unread column it likely is: `指标分值` where
    分值 was expected was told only 缺少必填列「分值」, and the clerk, seeing the column there, could not tell why."""
    read, rows = _read_and_data(grid, match, sheet)
    missing = {column.header: column for column in match.missing_required}
    for position, problem in enumerate(sheet.problems):
        column = missing.get(problem.column_header) if problem.rule == "missing_column" else None
        if column is None:
            continue
        wanted = set().union(*(_pairs(split_header(w)[0]) for w in (column.header, *column.aliases)))
        alike = [
            index
            for index, written in enumerate(match.headers)
            if written
            and index not in read
            and split_header(written)[0] not in _NEVER_DATA
            and wanted & _pairs(split_header(written)[0])
            and not _blank_under(rows, index)
        ]
        if not alike:
            continue
        if len(alike) == 1:
            letter = column_letter(alike[0])
            said = f"{letter}列的表头“{match.headers[alike[0]]}”不是本表的栏目，该列未读取"
            fix = meant_fix(f"{letter}列", [column.header])
        else:  # several the clerk must choose among (`（调整前）`, `（调整后）`): each is named, none is taken
            named = "、".join(f"{column_letter(index)}列“{match.headers[index]}”" for index in alike)
            said = f"{named}都不是本表的栏目，均未读取"
            fix = f"请将应读取的一列的表头改为“{column.header}”，并删去其余各列（或清空其内容）"
        sheet.problems[position] = replace(
            problem,
            message_zh=f"表头（第{problem.excel_row}行）缺少必填列「{column.header}」；{said}，{fix}。",
            fix=fix,
        )


def _half_read_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> set[int]:
    """Warn of a filled column under a header that is the rest of a read column's (`改进措施` beside `偏差原因分析`,
    where the template reads one `偏差原因分析及改进措施`): found alike, nothing said it was left unread. Return the
    columns told of."""
    read, rows = _read_and_data(grid, match, sheet)
    told: set[int] = set()
    origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or not label or _blank_under(rows, index):
            continue
        whole = next(
            (b for b in match.bindings if _halves(split_header(b.header)[0], label, b.column.header)), None
        )
        if whole is None:
            continue
        origin = _merged_origin(grid) if origin is None else origin
        told.add(index)
        warn_on_header(
            sheet,
            written,
            rule="unread_column",
            expected=(
                f"{column_letter(index)}列的表头不是本表的栏目，该列未读取；本表的“{whole.column.header}”"
                f"只读取了{whole.letter}列“{whole.header}”"
            ),
            fix=f"请将该列内容并入{whole.letter}列，并将其表头改为“{whole.column.header}”",
            row=header_cell(grid, match, index, origin)[0] + 1,
        )
    return told


def _unknown_form_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, told: set[int]) -> None:
    """Warn of a filled column of a national form's indicator table under a header the template does not read at
    all (`指标属性`, `完成进度`): a province's layout adds columns, and what the clerk wrote in one was lost unsaid."""
    if any(p.rule == "missing_column" for p in sheet.problems):
        return  # the sheet is returned for a column not found, which may be the one unread: told there
    read, rows = _read_and_data(grid, match, sheet)
    leading = split_header(match.template.leading_column or "")[0]
    origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or index in told or not label or label in _NEVER_DATA or label == leading:
            continue
        if _blank_under(rows, index):
            continue
        origin = _merged_origin(grid) if origin is None else origin
        warn_on_header(
            sheet,
            written,
            rule="unread_column",
            expected=f"{column_letter(index)}列的表头不是本表的栏目，该列未读取",
            fix="如该列内容应当读取，请将其移入本表相应的栏目；否则请删去该列",
            row=header_cell(grid, match, index, origin)[0] + 1,
        )


def _read_and_data(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> tuple[set[int], list[list[object]]]:
    """Return the columns a match reads, and the rows of data under its header, above the footer."""
    read = {index for b in match.bindings for index in b.indices} | {index for _, index, _ in match.repeats}
    return read, grid.rows[match.last_row + 1 : sheet.footer_row - 1 if sheet.footer_row else len(grid.rows)]


def _blank_under(rows: list[list[object]], index: int) -> bool:
    """Say whether a column is blank in every row of data."""
    return all(index >= len(row) or is_blank(row[index]) for row in rows)


def _halves(read: str, other: str, whole: str) -> bool:
    """Say whether two headers are the two parts of one (`偏差原因分析` and `改进措施` of `偏差原因分析及改进措施`)."""
    whole = split_header(whole)[0]
    return read != whole and any(whole in (read + joint + other, other + joint + read) for joint in _JOINTS)


# What joins two parts of one header: `偏差原因分析及改进措施`, `原因和措施`, `问题与建议`, `目标、措施`.
_JOINTS = ("", "及", "和", "与", "、")


def likeliest(written: str, columns: Sequence[Column], months: int | None) -> list[str]:
    """Return how to head the columns an unread header most likely means (sharing most two-character runs with it,
    then the longest ending: 执行数 an amount, 执行率 a rate; ties all kept), each by its spelling nearest the
    header, `1-N月` written with `months`."""
    label = split_header(written)[0]
    pairs = _pairs(label)

    def nearness(spelling: str) -> tuple[int, int]:
        other = split_header(spelling)[0]
        ending = next((n for n in range(min(len(label), len(other)), 0, -1) if label[-n:] == other[-n:]), 0)
        return len(pairs & _pairs(other)), ending

    scored = []
    for column in columns:
        # The header first: of spellings as near, the template's own is asked for.
        nearest = max((column.header, *column.aliases), key=nearness)
        scored.append((nearness(nearest), with_months(nearest, months)))
    top = max(score for score, _ in scored)
    return list(dict.fromkeys(spelling for score, spelling in scored if score == top))


def meant_fix(what: str, names: Sequence[str]) -> str:
    """Ask to head a value (`该值`) or column (`该列`) as the one column it likely is, or one of those as likely."""
    if len(names) == 1:
        return f"如{what}即“{names[0]}”，请将表头改为“{names[0]}”"
    return f"如{what}即“{'”或“'.join(names)}”，请将表头改为其中相应的一个"


def _pairs(label: str) -> set[str]:
    """Return the two-character runs of a label: two headers sharing one are alike (`实际完成情况`, `实际完成值`)."""
    return {label[i : i + 2] for i in range(len(label) - 1)}


def _second_table(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, footer_row: int) -> None:
    """Reject a sheet holding a second table of its template below the first's end (a unit's second project's
    自评表 under the first's 总分 or 填表人 lines): only the first is read, and the other would be lost unsaid."""
    required = [{column.header, *column.aliases} for column in match.template.required]
    enough = max(2, math.ceil(len(required) / 2))
    for index in range(footer_row, len(grid.rows)):
        labels = {split_header(header_text(cell))[0] for cell in grid.rows[index] if isinstance(cell, str)}
        if sum(not labels.isdisjoint(names) for names in required) < enough:
            continue
        name = match.template.name_zh
        first, last = sheet.header_rows[0], footer_row - 1
        expected = f"第{index + 1}行起还有一张“{name}”，本工作表只能读取一张（已读取第{first}至{last}行），下面这张未读取"
        fix = "请把每张表放在单独的工作表中（如每个项目一张），或删去多余的表"
        # The second table's rows are the data rows below the footer: this error says why, in place of that one.
        sheet.problems = [p for p in sheet.problems if p.rule != "data_after_footer"]
        sheet.problems.append(
            row_problem("second_table", sheet=sheet.name, excel_row=index + 1, expected=expected, fix=fix)
        )
        return


# Columns clerks add that hold nothing to read: numbering and remarks.
_NEVER_DATA = frozenset({"序号", "编号", "备注", "说明", "附注"})
