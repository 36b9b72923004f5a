"""Check what a read sheet's header leaves unread: a column named twice, a filled column no template column reads,
a second table below the first's end. Each would otherwise lose or swap a clerk's figures without a word."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from pipeline.cell_refs import column_letter
from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_cells import header_cell
from pipeline.header_match import Binding, HeaderMatch, header_text
from pipeline.header_warnings import warn_on_header
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import row_problem
from pipeline.registry_columns import SUMMABLE_TYPES, Column, ColumnType
from pipeline.repeated_columns import blank_under, read_and_data, repeated_columns, revised_columns
from pipeline.text import char_pairs, months_so_far, split_header, with_months
from pipeline.values import CellError, decimal_of, is_blank


def check_header(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> None:
    """Tell the clerk of columns and tables the sheet's header leaves unread, or reads from one of two."""
    told = _unread_columns(grid, match, sheet) | _half_read_columns(grid, match, sheet)
    told |= revised_columns(grid, match, sheet, told)
    told |= _finer_columns(grid, match, sheet, told)
    _name_missing_lookalikes(grid, match, sheet)
    if match.template.fields:
        _unknown_form_columns(grid, match, sheet, told)
    if sheet.footer_row:
        _second_table(grid, match, sheet, sheet.footer_row)
    side = sheet.side_table = _side_table(match, sheet)
    if side is not None:  # its columns are the second table's, no column named twice
        match = replace(match, repeats=[r for r in match.repeats if r[1] < side])
    repeated_columns(grid, match, sheet)


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
        and column.printed  # a province's addition (预警情况) is no column a form must have
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
    read, rows = read_and_data(grid, match, sheet)
    origin = None
    # The `1-N月` the form's read headers name (`1-6月执行数`): the fix asks for that, not the template's N.
    named = {months_so_far(b.header) for b in match.bindings} - {None}
    # A 满意度 beside the counts is checked against them (written_rates.py), not a column the template lacks.
    rates = {label for rate in template.written_rates for label in rate.labels}
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or not label or label in _NEVER_DATA or label in rates:
            continue
        pairs = char_pairs(label)
        alike = [c for c in missing if any(pairs & char_pairs(w) for w in (c.header, *c.aliases))]
        if not alike or blank_under(rows, index):
            continue
        months = next(iter(named)) if len(named) == 1 else months_so_far(written)
        origin = _merged_origin(grid) if origin is None else origin
        told.add(index)
        warn_on_header(
            sheet,
            written,
            rule="unread_lookalike_column",  # a column of the form left empty: the report names it
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
    missing = {column.header: column for column in match.missing_required}
    if not missing:
        return  # every required column found, as on nearly every sheet: no slice of its rows is taken for nothing
    read, rows = read_and_data(grid, match, sheet)
    for position, problem in enumerate(sheet.problems):
        column = missing.get(problem.column_header) if problem.rule == "missing_column" else None
        if column is None:
            continue
        wanted = set().union(*(char_pairs(split_header(w)[0]) for w in (column.header, *column.aliases)))
        alike = [
            index
            for index, written in enumerate(match.headers)
            if written
            and index not in read
            and split_header(written)[0] not in _NEVER_DATA
            and wanted & char_pairs(split_header(written)[0])
            and not blank_under(rows, index)
        ]
        if not alike:
            continue
        if rated := _rate_instead(match, alike, column):
            said, fix = rated
        elif len(alike) == 1:
            letter = column_letter(alike[0])
            said = f"{letter}列的表头“{match.headers[alike[0]]}”不是本表的栏目，该列未读取"
            fix = meant_fix(f"{letter}列", [column.header])
        else:  # several the clerk must choose among (`（调整前）`, `（调整后）`): each is named, none is taken
            named = "、".join(f"{column_letter(index)}列“{match.headers[index]}”" for index in alike)
            said = f"{named}都不是本表的栏目，均未读取"
            fix = f"请将应读取的一列的表头改为“{column.header}”，并删去其余各列（或清空其内容）"
            if (split := _split_by_value(match, alike)) is not None:
                # `到位金额` and `支付金额` are the one 金额 of two 类型: keeping one column, as asked above, lost the other.
                kinds = "”或“".join(split[1])
                said = f"{named}是按「{split[0].header}」分列填写的{column.header}，均未读取"
                fix = (
                    f"请增加「{split[0].header}」列，在各行填写“{kinds}”，并把这几列合为一列「{column.header}」"
                    "（一行中几列都有数的，分成几行填写）"
                )
        sheet.problems[position] = replace(
            problem,
            message_zh=f"表头（第{problem.excel_row}行）缺少必填列「{column.header}」；{said}，{fix}。",
            fix=fix,
        )


def _rate_instead(match: HeaderMatch, alike: list[int], column: Column) -> tuple[str, str] | None:
    """Say, where the columns like a missing count are each a rate the template checks beside its counts (满意度（%）
    for 满意), that a rate cannot stand for the count; None where one of them is no such rate."""
    # Told to rename 满意率（%） to 不满意, a clerk did, and 8 (%) stood as 8 questionnaires: a rate gives no count.
    rates = {label for rate in match.template.written_rates for label in rate.labels}
    if not all(split_header(match.headers[index])[0] in rates for index in alike):
        return None
    named = "、".join(f"{column_letter(index)}列“{match.headers[index]}”" for index in alike)
    header = f"{column.header}（{column.counts}）" if column.counts else column.header
    said = f"{named}是比率，不能代替「{column.header}」的数目"
    fix = f"请增加「{header}」列，按行填写其数目（比率由数目计算，原列可保留，仅供核对）"
    return said, fix


def _split_by_value(match: HeaderMatch, columns: list[int]) -> tuple[Column, list[str]] | None:
    """Return the missing required enum column whose values the columns' headers name, a different one each
    (`到位金额`, `支付金额` under 类型), and those values in the columns' order; None where they name no such column."""
    for enum in match.missing_required:
        if enum.type is not ColumnType.ENUM:
            continue
        named = []
        for index in columns:
            label = split_header(match.headers[index])[0]
            values = {
                v
                for v, aliases in (enum.values or {}).items()
                if any(w in label for w in (v, *(aliases or ())))
            }
            named.append(values.pop() if len(values) == 1 else None)
        if None not in named and len(set(named)) == len(named):
            return enum, named
    return None


def _half_read_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet) -> set[int]:
    """Warn of a filled column under a header that is the rest of a read column's (`改进措施` beside `偏差原因分析`,
    where the template reads one `偏差原因分析及改进措施`): found alike, nothing said it was left unread. Return the
    columns told of."""
    read, rows = read_and_data(grid, match, sheet)
    told: set[int] = set()
    origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or not label or blank_under(rows, index):
            continue
        whole = next(
            (b for b in match.bindings if _halves(split_header(b.header)[0], label, b.column.header)), None
        )
        if whole is None:
            continue
        origin = _merged_origin(grid) if origin is None else origin
        told.add(index)
        _unread_beside(
            grid,
            match,
            sheet,
            (index, origin),
            whole,
            f"请将该列内容并入{whole.letter}列，并将其表头改为“{whole.column.header}”",
            "unread_column",
        )
    return told


def _unread_beside(
    grid: Grid,
    match: HeaderMatch,
    sheet: ParsedSheet,
    at: tuple[int, object],
    read: Binding,
    fix: str,
    rule: str,
) -> None:
    """Warn of an unread column (`at`: its index and the merged origin) beside the column read in its stead."""
    index, origin = at
    warn_on_header(
        sheet,
        match.headers[index],
        rule=rule,
        expected=(
            f"{column_letter(index)}列的表头不是本表的栏目，该列未读取；本表的“{read.column.header}”"
            f"只读取了{read.letter}列“{read.header}”"
        ),
        fix=fix,
        row=header_cell(grid, match, index, origin)[0] + 1,
    )


def _finer_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, told: set[int]) -> set[int]:
    """Warn of a filled column of numbers under a header holding a read count's or amount's name (`非常满意` beside
    `满意`, `非常不满意` beside `不满意`): a survey in five grades was told only that its 有效问卷 did not add up, its
    `非常满意` left unread without a word. Return the columns told of."""
    names = [
        (split_header(name)[0], binding)
        for binding in match.bindings
        if binding.column.type in SUMMABLE_TYPES
        for name in (binding.column.header, *binding.column.aliases)
    ]
    found: set[int] = set()
    data = origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in told or not label or label in _NEVER_DATA or label.endswith(_RATE_WORDS):
            continue
        held = [(name, binding) for name, binding in names if name and name != label and name in label]
        if not held:
            continue
        # The sheet's rows are sliced only for a header that may be such a column, as on few sheets.
        if data is None:
            data = read_and_data(grid, match, sheet)
        read, rows = data
        if index in read:
            continue
        binding = max(held, key=lambda pair: len(pair[0]))[1]  # 非常不满意 is 不满意's kin, not 满意's
        if not _numbers_under(rows, index, whole=binding.column.type is ColumnType.COUNT):
            continue
        origin = _merged_origin(grid) if origin is None else origin
        found.add(index)
        _unread_beside(
            grid,
            match,
            sheet,
            (index, origin),
            binding,
            f"如该列的数应计入“{binding.column.header}”，请将其并入{binding.letter}列后删去该列；如不应计入，请删去该列",
            "unread_finer_column",  # counts or amounts left out of the column read: the report names it
        )
    return found


def _numbers_under(rows: list[list[object]], index: int, *, whole: bool) -> bool:
    """Say whether a column's filled cells all hold plain numbers (`whole`: whole numbers, as a count's are), a
    count's word after them allowed (`84份`), no percentage: a rate beside the counts is computed from them."""
    filled = [row[index] for row in rows if index < len(row) and not is_blank(row[index])]
    return bool(filled) and all(_plain_number(value, whole) for value in filled)


def _plain_number(value: object, whole: bool) -> bool:
    """Say whether a cell holds a plain number, whole where `whole`, as a number or as typed text with at most a
    count's word after it (份, 户, 个, 万元), read as every number cell is."""
    try:
        number, unit = decimal_of(value)
    except CellError:
        return False
    return len(unit) <= 2 and "%" not in unit and not (whole and number != number.to_integral_value())


# A header's ending that makes its column a rate of the counts (`满意度`, `满意率`), not a count of its own.
_RATE_WORDS = ("率", "度", "比", "比例", "占比")


def _unknown_form_columns(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, told: set[int]) -> None:
    """Warn of a filled column of a national form's indicator table under a header the template does not read at
    all (`指标属性`, `完成进度`): a province's layout adds columns, and what the clerk wrote in one was lost unsaid."""
    if any(p.rule == "missing_column" for p in sheet.problems):
        return  # the sheet is returned for a column not found, which may be the one unread: told there
    read, rows = read_and_data(grid, match, sheet)
    leading = split_header(match.template.leading_column or "")[0]
    origin = None
    for index, written in enumerate(match.headers):
        label = split_header(written)[0] if written else ""
        if index in read or index in told or not label or label in _NEVER_DATA or label == leading:
            continue
        if blank_under(rows, index):
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
    pairs = char_pairs(label)

    def nearness(spelling: str) -> tuple[int, int]:
        other = split_header(spelling)[0]
        ending = next((n for n in range(min(len(label), len(other)), 0, -1) if label[-n:] == other[-n:]), 0)
        return len(pairs & char_pairs(other)), ending

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


def _is_a_header(labels: set[str], match: HeaderMatch) -> bool:
    """Say whether header labels name enough of a template's required columns to be another copy of its header."""
    required = [{column.header, *column.aliases} for column in match.template.required]
    return sum(not labels.isdisjoint(names) for names in required) >= max(2, math.ceil(len(required) / 2))


def _second_table(grid: Grid, match: HeaderMatch, sheet: ParsedSheet, footer_row: int) -> None:
    """Reject a sheet holding a second table of its template below the first's end (a unit's second project's
    自评表 under the first's 总分 or 填表人 lines): only the first is read, and the other would be lost unsaid."""
    for index in range(footer_row, len(grid.rows)):
        labels = {split_header(header_text(cell))[0] for cell in grid.rows[index] if isinstance(cell, str)}
        if not _is_a_header(labels, match):
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


def _side_table(match: HeaderMatch, sheet: ParsedSheet) -> int | None:
    """Reject a sheet holding a second table of its template right of the first (a second project's 自评表 pasted
    beside the first); return the column it starts at. Its header binds nothing: where its cells were the first's
    the whole table was passed over unsaid, else told as columns named twice."""
    last = max((b.index for b in match.bindings), default=len(match.headers))
    labels = [split_header(written)[0] if written else "" for written in match.headers]
    names = {name for column in match.template.columns for name in (column.header, *column.aliases)}
    start = next((i for i in range(last + 1, len(labels)) if labels[i] in names), None)
    if start is None or not _is_a_header(set(labels[start:]), match):
        return None
    name, first = match.template.name_zh, min(b.index for b in match.bindings)
    expected = (
        f"第{sheet.header_rows[0]}行{column_letter(start)}列起还有一张“{name}”，本工作表只能读取一张"
        f"（已读取{column_letter(first)}至{column_letter(last)}列），右边这张未读取"
    )
    fix = "请把每张表放在单独的工作表中（如每个项目一张），或删去多余的表"
    sheet.problems.append(
        row_problem(
            "second_table", sheet=sheet.name, excel_row=sheet.header_rows[0], expected=expected, fix=fix
        )
    )
    return start


# Columns clerks add that hold nothing to read: numbering and remarks.
_NEVER_DATA = frozenset({"序号", "编号", "备注", "说明", "附注"})
