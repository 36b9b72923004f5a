"""Tell the clerk of rows out of place (too wide, after the footer, hidden, a stray 其中) or not filled in."""

from __future__ import annotations

from pipeline.flattened import LOST_MERGE
from pipeline.header_match import Binding, HeaderMatch
from pipeline.header_warnings import warn_on_header
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, cell_problem, display, row_problem, row_value_problem
from pipeline.row_kinds import total_label_at
from pipeline.sheet_meta import SheetMeta, read_meta
from pipeline.text import rows_text


def _error_wider_row(sheet: ParsedSheet, excel_row: int, width: int, header_width: int) -> None:
    """Return a CSV whose row has more fields than its header: its values may have moved into the wrong columns."""
    expected = (
        f"第{excel_row}行有{width}栏，表头只有{header_width}栏，无法确定各栏对应哪一列"
        "（常见原因：数字中的千分位逗号未加引号，如1,250.10被当作1和250.10两栏，其后各栏随之错位）"
    )
    fix = (
        "请去掉该行数字中的千分位逗号（或在Excel中打开后另存为.xlsx），表格右侧若写有备注请删去，然后重新报送"
    )
    sheet.problems.append(
        row_problem("csv_fields", sheet=sheet.name, excel_row=excel_row, expected=expected, fix=fix)
    )


def _error_after_footer(sheet: ParsedSheet, footer_row: int, footer_line: str, rows: list[int]) -> None:
    """Return a sheet whose data rows go on below a footer or note line: unread, they would be lost unsaid."""
    shown = footer_line if len(footer_line) <= 30 else footer_line[:30] + "…"
    expected = (
        f"{rows_text(rows)}是数据行，但位于第{footer_row}行“{shown}”之下；"
        "该行之下的内容都按表尾说明处理，这些数据行未读取"
    )
    fix = "说明、备注和填表人等只能写在表格最下方：请把该行移到所有数据行和合计行之下，或删除该行"
    sheet.problems.append(
        row_problem("data_after_footer", sheet=sheet.name, excel_row=rows[0], expected=expected, fix=fix)
    )


def other_slice_line(sheet: ParsedSheet, excel_row: int, row: list[object], above: SheetMeta) -> bool:
    """Say whether a row is a `项目名称：…` or `年度：…` line alone; reject it where it names another than the lines
    above the table (a second project's list put under the first's), whose rows below would count as the first's."""
    only = None
    for cell in row:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        if only is not None:
            return False  # a second cell written: no line alone (asked of every data row, so it stops here)
        only = cell
    if not isinstance(only, str) or not any(mark in only for mark in ":："):
        return False
    written = [only]
    line = read_meta([only])
    stated = [
        (label, what, value, was)
        for label, what, value, was in (
            ("项目名称", "项目", line.project, above.project),
            ("年度", "年度", line.year, above.year),
        )
        if value is not None
    ]
    if not stated:
        return False
    if all(value == was for *_, value, was in stated):
        return True  # the lines above repeated, as a page's heading is: nothing of the rows' project or year changes
    label, what, _, was = next(item for item in stated if item[2] != item[3])
    text = written[0].strip()
    shown = text if len(text) <= 30 else text[:30] + "…"
    differs = f"与表格上方的“{label}：{was}”不同" if was is not None else f"而表格上方没有“{label}：”一行"
    sheet.problems.append(
        row_problem(
            "second_table",
            sheet=sheet.name,
            excel_row=excel_row,
            expected=f"第{excel_row}行“{shown}”写在表格中间，{differs}，其下各行属于哪个{what}无法确定",
            fix=f"本工作表只能填写一个{what}的数据：请把每个{what}的表放在单独的工作表中，或删去该行",
        )
    )
    return True


def _error_below_total(sheet: ParsedSheet, total_row: int, rows: list[int]) -> None:
    """Reject data rows below a 合计 of every row above (a summary by 片区 put under the list): counted beside the
    rows they sum, each figure would count twice; a row added after the 合计 is left out of it."""
    expected = f"{rows_text(rows)}是数据行，但位于第{total_row}行合计行之下，不在该合计之内"
    fix = (
        "合计行应在所有数据行之下：如这些行是本表的数据，请移到合计行之上并更正合计；"
        "如是另一张表（如按片区的汇总），请放在单独的工作表中或删除"
    )
    sheet.problems.append(
        row_problem("data_after_total", sheet=sheet.name, excel_row=rows[0], expected=expected, fix=fix)
    )


def _warn_repeated_header(sheet: ParsedSheet, excel_row: int, header_rows: tuple[int, int]) -> None:
    """Tell the clerk a row repeating the header (a page's header pasted along with its rows) was not read as data."""
    first, last = header_rows
    said = f"第{first}行" if first == last else f"第{first}至{last}行"
    sheet.problems.append(
        row_problem(
            "repeated_header",
            sheet=sheet.name,
            excel_row=excel_row,
            expected=f"第{excel_row}行与{said}的表头相同，已视为重复的表头行，未作为数据读取",
            fix="如该行是多余的表头，请删除；如其下是另一张表，请把它放在单独的工作表中",
            severity=Severity.WARNING,
        )
    )


def _warn_hidden_rows(sheet: ParsedSheet, hidden: tuple[int, ...]) -> None:
    """Ask about data rows the clerk hid in Excel: dropped as old data, or only tidied out of view? Counted as sent."""
    hidden_set = set(hidden)
    rows = [r["excel_row"] for r in sheet.records if r["excel_row"] in hidden_set]
    if not rows:
        return  # hidden titles, blank rows, footers: nothing of them is counted
    sheet.problems.append(
        row_problem(
            "hidden_rows",
            sheet=sheet.name,
            excel_row=rows[0],
            expected=f"{rows_text(rows)}是隐藏行，其数据已按报送计入",
            fix=f"如{'这些行' if len(rows) > 1 else '该行'}不应报送，请删除后重新报送；如只是为便于查看而隐藏，无需处理",
            severity=Severity.WARNING,
        )
    )


def _warn_hidden_columns(sheet: ParsedSheet, hidden: tuple[int, ...]) -> None:
    """Ask about each column read that the clerk hid in Excel, as of hidden rows: its data is counted as sent."""
    hidden_set = set(hidden)
    for binding in sheet.bindings:
        if binding.index + 1 not in hidden_set:
            continue
        if not any(r.get(binding.column.name) is not None for r in sheet.records):
            continue  # a hidden column with nothing read from it counts for nothing
        warn_on_header(
            sheet,
            binding.header,
            rule="hidden_columns",
            expected=f"该列（{binding.letter}列）是隐藏列，其数据已按报送计入",
            fix="如该列不应报送，请删除后重新报送；如只是为便于查看而隐藏，无需处理",
            row=sheet.header_rows[0],
        )


def _first_text(row: list[object], match: HeaderMatch) -> tuple[str | None, str | None]:
    """Return a row's first text cell, its label as the clerk wrote it, and the header over it (None, None: no text)."""
    position, text = next(
        ((i, c) for i, c in enumerate(row) if isinstance(c, str) and c.strip()), (None, None)
    )
    return next((b.header for b in match.bindings if b.index == position), None), text


def _error_breakdown(sheet: ParsedSheet, excel_row: int, row: list[object], match: HeaderMatch) -> None:
    """Refuse a `其中：…` row found under a data row of a template that has no parts: it would be counted twice."""
    header, text = _first_text(row, match)
    sheet.error(
        rule="breakdown_row",
        excel_row=excel_row,
        header=header,
        value=text,
        expected="“其中”行是上一行的组成部分，本表不能单列，否则该部分会重复计算",
        fix="请删去该行；如确为单独的一项，请删去“其中”二字",
    )


def _error_unlabelled_total(
    sheet: ParsedSheet, excel_row: int, row: list[object], match: HeaderMatch
) -> None:
    """Tell the clerk a row stating the sum of the rows above, with no 合计 label, would be counted twice as data."""
    header, text = _first_text(row, match)
    said = "各项数值都恰好等于上方各行之和，像是合计行，但没有写“合计”，按明细计入会使各项数字重复计算"
    fix = "如是合计行，请在该行写明“合计”；如确为一行明细，请核对其数值"
    if text is None:
        # A row of figures only: there is no cell to quote, and a cell's wording (`第7行未填写`) says it is empty.
        sheet.problems.append(
            row_value_problem(
                "unlabelled_total",
                Severity.ERROR,
                sheet=sheet.name,
                excel_row=excel_row,
                header=None,
                value=None,
                expected=said,
                fix=fix,
            )
        )
        return
    sheet.error(
        rule="unlabelled_total",
        excel_row=excel_row,
        header=header,
        value=text,
        expected=f"本行{said}",
        fix=fix,
    )


def _warn_total_word(sheet: ParsedSheet, excel_row: int, row: list[object], match: HeaderMatch) -> None:
    """Tell the clerk a whole row whose note reads as a 合计 label (`合计（3张发票）`) was read as a row of its own."""
    required = "、".join(f"「{b.header}」" for b in match.bindings if b.column.required)
    _warn_label(
        sheet, excel_row, row, match, "total_word_in_note",
        expected=f"本行{required}都已填写，已按明细行计入，未当作合计行",
        fix="如本行确为合计行，请删去其日期、项目名称等明细栏目；如为明细，无需处理，也可改写说明以免误解",
    )  # fmt: skip


def _warn_part_total(
    sheet: ParsedSheet, excel_row: int, row: list[object], match: HeaderMatch, named: str | None = None
) -> None:
    """Tell the clerk a total of some rows (`到位资金合计`) was passed over, and not checked against them; `named`:
    the header of the name column it was written in as a whole row's (`东片区小计` as 小区名称)."""
    fix = (
        f"如本行不是合计行，请改写其「{named}」，不要以“合计”“小计”等字样结尾；如是合计行，无需处理"
        if named
        else "如本行不是合计行，请补全其日期、项目名称等必填栏目；如是合计行，无需处理"
    )
    _warn_label(
        sheet, excel_row, row, match, "part_total",
        expected="本行是分类合计行，未计入明细，也未与明细核对（只核对“合计”“小计”行）",
        fix=fix,
    )  # fmt: skip


def _warn_group_heading(
    sheet: ParsedSheet, excel_row: int, row: list[object], at: int, match: HeaderMatch
) -> None:
    """Tell the clerk a row read as a group heading (`一、东片区`) was passed over, not stored as one of the rows."""
    sheet.error(
        severity=Severity.WARNING,
        rule="group_heading",
        excel_row=excel_row,
        header=next((b.header for b in match.bindings if b.index == at), None),
        value=row[at],
        expected="本行只有序号和名称、其余各栏均为空，已视为分组标题，未作为一行数据入库",
        fix="如本行是分组标题，无需处理；如是一行数据，请补全其余各栏后重新报送",
    )


def _warn_label(
    sheet: ParsedSheet,
    excel_row: int,
    row: list[object],
    match: HeaderMatch,
    rule: str,
    *,
    expected: str,
    fix: str,
) -> None:
    """Warn on the cell of a row that reads as a 合计 label, naming it as written."""
    position = total_label_at(row)
    header = next((b.header for b in match.bindings if b.index == position), None)
    value = row[position] if position is not None else None
    sheet.error(
        severity=Severity.WARNING,
        rule=rule,
        excel_row=excel_row,
        header=header,
        value=value,
        expected=expected,
        fix=fix,
    )


def warn_merged_amount(sheet: ParsedSheet, excel_row: int, binding: Binding, merged_top: int) -> None:
    """Tell the clerk an optional amount merged down from `merged_top` counts for that row only, this one blank."""
    # One 得分 merged over a 二级指标's rows is the group's, not its first indicator's: read as that row's, with
    # the rows below blank, it passed unsaid whenever it was within the first row's 分值.
    sheet.error(
        severity=Severity.WARNING,
        rule="merged_amount",
        excel_row=excel_row,
        header=binding.header,
        value=None,
        expected=f"该单元格与第{merged_top + 1}行合并，合并单元格中的数值只算作第{merged_top + 1}行的",
        fix="请取消合并单元格，为每一行分别填写",
    )


# What error_required says of a cell simply left blank: neither merged, nor lost in a CSV, nor a tick group.
LEFT_BLANK = "此项为必填项"
# How it begins where the cell holds a `—` or `无`, which means no value.
WRITTEN_EMPTY = "视为未填写，"


def error_required(
    sheet: ParsedSheet,
    excel_row: int,
    binding: Binding,
    merged_top: int | None,
    flattened: bool,
    written: object = None,
) -> None:
    """Tell the clerk a required cell is empty: merged from `merged_top`, lost in a CSV, or unfilled (`written` a
    `—` or `无`, named as written)."""
    if merged_top is not None:  # the clerk sees the merged figure on this row too
        expected = f"此项为必填项；该单元格与第{merged_top + 1}行合并，合并单元格中的数值只算作第{merged_top + 1}行的"
        fix = "请取消合并单元格，为每一行分别填写"
    elif flattened and not binding.ticks:
        expected, fix = f"此项为必填项；{LOST_MERGE}", "请在该行填写"
    else:
        expected = LEFT_BLANK
        # Ticks: the clerk is told where the mark goes, not only that something is missing.
        fix = (
            f"请在“{'”“'.join(t.header for t in binding.ticks)}”中勾选一项" if binding.ticks else "请补充填写"
        )
    # A `—` or `无` means no value (submissions.md): the clerk who wrote one is not told the cell was left empty.
    shown = None if binding.ticks or written is None or not display(written) else written
    sheet.error(
        rule="required",
        excel_row=excel_row,
        header=binding.header,
        value=shown,
        expected=expected if shown is None else f"{WRITTEN_EMPTY}{expected}",
        fix=fix,
    )


def retell_split_rows(sheet: ParsedSheet, bindings: list[Binding]) -> None:
    """Say where a row with required cells blank and the row next to it make one whole row between them: one row
    written on two (a long 三级指标 or 偏差原因 run on below), told as blanks it read as two rows each half empty."""
    at = {
        (p.excel_row, p.column_header): i
        for i, p in enumerate(sheet.problems)
        if p.rule == "required" and p.expected == LEFT_BLANK
    }
    if not at:
        return
    records = {record["excel_row"]: record for record in sheet.records}
    required = [b for b in bindings if b.column.required and not b.ticks]
    for excel_row in sorted({row for row, _ in at}):
        other = next(
            (
                o
                for o in (excel_row - 1, excel_row + 1)
                if _one_row(sheet, bindings, required, records, excel_row, o)
            ),
            None,
        )
        if other is None:
            continue
        first, last = sorted((excel_row, other))
        for binding in required:
            if (index := at.get((excel_row, binding.header))) is not None:
                sheet.problems[index] = cell_problem(
                    "required",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=binding.header,
                    value=None,
                    expected=(
                        f"此项为必填项；第{first}行与第{last}行合起来才是完整的一行，似为同一行分写在了两行"
                    ),
                    fix=(
                        f"如确为同一行，请把第{last}行的内容并入第{first}行（单元格内换行可按Alt+Enter）并删去第{last}行；"
                        "如是单独的一行，请补充填写"
                    ),
                )


def _one_row(
    sheet: ParsedSheet,
    bindings: list[Binding],
    required: list[Binding],
    records: dict[int, dict],
    excel_row: int,
    other: int,
) -> bool:
    """Say whether two data rows next to each other fill every required cell between them, sharing at most one cell
    each wrote itself (the text run on): a row and its own next row, not two rows each with its own figures."""
    pair = (records.get(excel_row), records.get(other))
    if None in pair:
        return False  # a blank row, a 合计 or the header between: no row runs on across it
    if any(all(record.get(b.column.name) is None for record in pair) for b in required):
        return False

    def own(row: int, record: dict, preprinted: bool) -> set[str]:
        # A merged cell (一级指标 down its run) is each row's, not written on it.
        return {
            b.column.name
            for b in bindings
            if record.get(b.column.name) is not None
            and b.column.preprinted is preprinted
            and (row, b.column.name) not in sheet.merged_copies
        }

    (upper, above), (lower, below) = sorted(zip((excel_row, other), pair, strict=True), key=lambda p: p[0])
    # A row writing its own 一级 or 二级指标 starts an indicator: it runs on from none above it.
    if own(lower, below, True):
        return False
    return len(own(upper, above, False) & own(lower, below, False)) <= 1
