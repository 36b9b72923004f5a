"""Tell what a row of a sheet's table is: data, blank, a 合计 or 小计, a `其中` breakdown, or a footer's line."""

from __future__ import annotations

import functools
import re

from pipeline.grids import Grid
from pipeline.text import UNIT_STATED
from pipeline.values import CellError, is_blank, squashed

# A footer's line: a label (`填表人：`), or the sheet's unit (UNIT_STATED: `金额单位：元`, `（本表单位为元）`), which
# alone on its line was read as a data row, told as blank cells. Ledgers sign off as often without the 人 (`制表：刘洋
# 审核：陈静`) or as 复核 and 经办人: such a line was read as a payment dated 制表：刘洋 and the whole ledger returned.
# A signer's label may say how he signs before its colon (`单位负责人（签字）：`), and a printed form's may stand in a cell
# of its own with no colon, its value in the next (`填报人 | 张三 | 联系电话 | …`); a seal's place alone (`（盖章）`) ends a
# form too. Under a 运行监控表, which has no 总分 row to end its table, each was read as one more indicator, its
# required cells told as blank. The sending office's line may stand below the table too (`填报单位：东关街道办事处`,
# printed forms sign off with it): first under the table, it was read as a data row and its office never seen, the
# file in a shared folder returned as naming no office.
_SIGN_NOTE = r"(?:[(【\[](?:签字|签名|签章|盖章|公章|章)[)】\]])"
_SIGNERS = (
    r"填表人|填报人|制表人|联系人|联系电话|审核人|复核人|经办人|负责人|单位负责人|财务负责人|分管领导|填报日期|填表日期|"
    r"填报单位|填表单位|报送单位"
)
_FOOTER = re.compile(
    rf"^(?:(?:填表人?|填报人|制表人?|联系人|联系电话|电话|审核人?|复核人?|经办人|负责人|单位负责人|财务负责人|分管领导|"
    rf"填报日期|填表日期|填报单位|填表单位|报送单位|注|备注|说明){_SIGN_NOTE}?[:：]|(?:{_SIGNERS}){_SIGN_NOTE}?$|(?:单位)?{_SIGN_NOTE}$)"
)
# A 合计 row in the words clerks write: totals of every row above, and subtotals of the rows since the last one (a
# page's, a month's). Read as data, a `总合计` or `汇总` row doubled every figure of its sheet.
_SUBTOTALS = ("小计", "本页合计", "本月合计", "本页小计", "本月小计")
# A row breaking down the row above (`其中：已完工`), in a template that has no parts of its own (part_of_previous).
_BREAKDOWN = "其中"
_TOTAL = re.compile(
    r"^(合计|总计|共计|总合计|合计数|总计数|汇总|累计|本年累计|" + "|".join(_SUBTOTALS) + r")(?:[:：(].*)?$"
)
# A total of some rows only, named by what they share (`到位资金合计`, `中央补助资金小计`): not the sum of the rows
# above, so not checked against it. Read as data, its label was told as an unregistered project, its blanks as
# missing dates.
_PART_TOTAL = re.compile(r"^[^\d\s]{2,20}?(合计|小计|总计|共计)(?:[:：(].*)?$")
# A month's subtotal as a monthly ledger writes it (`3月合计`, `2022年3月小计`, `三月份合计`): the rows since the last
# one, as 本月合计 is. Its digits kept it from being a total at all: its row was read as data, its label a bad date.
_MONTH_SUBTOTAL = re.compile(
    r"^(?:\d{4}年)?(?:\d{1,2}|[一二三四五六七八九十]{1,3})月份?(?:合计|小计)(?:[:：(].*)?$"
)


# What a text cell is, as bits: blank (no value), written at all, a footer's first words, a 合计 label, a 小计 label,
# a `其中：` breakdown's first words, a label of a total of some rows.
_BLANK, _WRITTEN, _FOOTER_WORDS, _TOTAL_LABEL, _SUBTOTAL_LABEL, _BREAKDOWN_WORDS = 1, 2, 4, 8, 16, 32
_PART_LABEL = 64
_ANY_TOTAL = _TOTAL_LABEL | _PART_LABEL


@functools.lru_cache(maxsize=1 << 16)
def _text_kind(text: str) -> int:
    """Say of a text cell, as the bits above, what it makes of its row."""
    written = bool(text.strip())
    folded = squashed(text) if written else ""
    return (
        is_blank(text) * _BLANK
        | written * _WRITTEN
        | (written and (_FOOTER.match(folded) or UNIT_STATED.match(folded)) is not None) * _FOOTER_WORDS
        | (written and _TOTAL.match(folded) is not None) * _TOTAL_LABEL
        | (written and folded.startswith(_SUBTOTALS)) * _SUBTOTAL_LABEL
        | (written and _MONTH_SUBTOTAL.match(folded) is not None) * (_TOTAL_LABEL | _SUBTOTAL_LABEL)
        | (written and folded.startswith(_BREAKDOWN)) * _BREAKDOWN_WORDS
        | (written and _PART_TOTAL.match(folded) is not None and not folded.startswith(_BREAKDOWN))
        * _PART_LABEL
    )


# Each short text's bits, looked up in a plain dict before any call: row_kind asks for every text cell of every row,
# and a call through the cache's wrapper cost a third of its time.
_KINDS: dict[str, int] = {}
_KINDS_KEPT = 1 << 16


def row_kind(row: list[object]) -> str:
    """Say what a row is: `blank`, `footer`, `total`, `subtotal`, `part_total`, `breakdown` or `data`."""
    blank = True
    first = 0  # the bits of the row's first written text cell
    seen = 0  # the bits of all its written text cells
    kinds = _KINDS
    for cell in row:
        if cell is None:
            continue
        if isinstance(cell, str):
            kind = kinds.get(cell)
            if kind is None:
                kind = _text_kind.__wrapped__(cell)
                if len(cell) <= 64:  # a paragraph is seldom seen twice and would only hold memory
                    if len(kinds) >= _KINDS_KEPT:
                        kinds.clear()
                    kinds[cell] = kind
            if not kind & _BLANK:
                blank = False
            if kind & _WRITTEN:
                first = first or kind
                seen |= kind
        else:
            blank = False
    if blank:
        return "blank"
    if first & _FOOTER_WORDS:
        return "footer"
    if seen & _TOTAL_LABEL:
        return "subtotal" if seen & _SUBTOTAL_LABEL else "total"
    if first & _BREAKDOWN_WORDS:
        return "breakdown"
    if seen & _PART_LABEL:
        return "part_total"
    return "data"


# A 累计 row totals the year so far, month after month (`本月合计`, `本年累计`, then the next month's rows).
_RUNNING = ("累计", "本年累计")


def running_total(row: list[object]) -> bool:
    """Say whether a 合计 row is a running total (`本年累计`), which rows may follow, not the table's last."""
    return any(isinstance(cell, str) and squashed(cell).startswith(_RUNNING) for cell in row)


# A group heading's mark: `一`, `一、`, `（一）` in the 序号 column, or opening its name (`一、东片区`, `（二）西片区`).
_HEADING_ORDINAL = re.compile(r"^[(（]?[一二三四五六七八九十]{1,3}[)）、.．]?$")
_HEADING_NAME = re.compile(
    r"^(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．])\s*\S"
)


def group_heading_at(
    row: list[object], ordinals: frozenset[int], names: frozenset[int]
) -> tuple[int, bool] | None:
    """Return where a group heading (`一 | 东片区`, `一、东片区`) names its group, and whether the name bears its
    number; None for any other row.

    Such a row writes a name and, at most, a Chinese number in the 序号 column: nothing else.
    """
    named = None
    in_name = in_ordinal = False
    for position, cell in enumerate(row):
        if cell is None or (isinstance(cell, str) and is_blank(cell)):
            continue
        if not isinstance(cell, str):
            return None  # a number written: 序号 3, or an amount
        text = squashed(cell)
        if position in ordinals:
            if not _HEADING_ORDINAL.match(text):
                return None
            in_ordinal = True
        elif position in names and named is None:
            named = position
            in_name = _HEADING_NAME.match(text) is not None
        else:
            return None
    return (named, in_name) if named is not None and (in_name or in_ordinal) else None


def chinese_numbered(row: list[object], ordinals: frozenset[int]) -> bool:
    """Say whether a row's 序号 is written as a Chinese number (`三`, `（三）`), as a heading's is."""
    return any(
        isinstance(row[i], str) and _HEADING_ORDINAL.match(squashed(row[i])) is not None
        for i in ordinals
        if i < len(row)
    )


def filled_width(row: list[object]) -> int:
    """Return how many cells a row reaches to, its last written one included."""
    for position in range(len(row) - 1, -1, -1):
        cell = row[position]
        if cell is not None and not (isinstance(cell, str) and not cell.strip()):
            return position + 1
    return 0


def complete_row(row: list[object], required_cells: list[tuple[int, object]], slips: bool = False) -> bool:
    """Say whether a row fills every required column with a value that reads: a data row, not a footer's line.

    With `slips`, most of them reading is enough: a data row with a slip in a cell (`约100`), not the names and
    numbers of a sign-off written under its labels, which mostly do not read as the table's values.
    """
    if not required_cells:
        return False
    width = len(row)
    failed = 0
    for position, parse in required_cells:
        raw = row[position] if position < width else None
        if raw is None or (isinstance(raw, str) and is_blank(raw)):
            return False
        try:
            parse(raw)
        except CellError:
            if not slips:
                return False
            failed += 1
    return 2 * failed < len(required_cells)


def labels_only_in(row: list[object], positions: frozenset[int]) -> bool:
    """Say whether every cell of a row that reads as a 合计 label is at one of these positions."""
    return all(
        position in positions
        for position, cell in enumerate(row)
        if isinstance(cell, str) and _text_kind(cell) & _ANY_TOTAL
    )


def total_label_at(row: list[object]) -> int | None:
    """Return the position of a row's first cell that reads as a 合计 label."""
    return next(
        (p for p, cell in enumerate(row) if isinstance(cell, str) and _text_kind(cell) & _ANY_TOTAL), None
    )


def starts_with(row: list[object], words: list[str]) -> bool:
    """Say whether a row's first written cell starts with one of the (squashed) words."""
    first = next((c for c in row if isinstance(c, str) and c.strip()), None)
    return first is not None and squashed(first).startswith(tuple(words))


def fill_vertical_merges(grid: Grid, header_last: int, columns: set[int]) -> None:
    """Give each cell under a vertical merge in the data rows of `columns` the merge's value, as the clerk meant.

    A row with nothing written on it stays blank: a spacer row inserted inside a merged block (Excel stretches the
    merge over it) is passed over as any blank row is, not read as an indicator with every other cell missing.
    """
    written: dict[int, bool] = {}
    for (top, left), (bottom, _right) in grid.merged:
        if top <= header_last or bottom == top or left not in columns:
            continue  # merges reaching into the header are its own; a horizontal merge is one cell
        value = grid.rows[top][left] if left < len(grid.rows[top]) else None
        for index in range(top + 1, bottom + 1):
            row = grid.rows[index]
            if index not in written:
                written[index] = row_kind(row) != "blank"  # blank as the data rows' loop sees it
            if not written[index]:
                continue
            if left >= len(row):
                row.extend([None] * (left + 1 - len(row)))
            if row[left] is None or (isinstance(row[left], str) and not row[left].strip()):
                row[left] = value
                grid.filled[index, left] = ((top, left), (bottom, _right))
