"""Tell a sheet kept as one row a month with the kinds spread over columns (月份 | 到位 | 支付 | 余额) how the
template it is asks for it: a row for each sum, its kind written in its own column."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.grids import Grid
from pipeline.header import HEADER_SEARCH_ROWS
from pipeline.registry import Registry
from pipeline.registry_columns import ColumnType
from pipeline.text import split_header
from pipeline.values import squashed

# A column a summary by month or a running balance is headed by: nothing a row-per-sum template reads.
_MONTH_LABELS = frozenset({"月份", "月度", "月"})
_BALANCE_WORDS = ("余额", "结余")


@dataclass(frozen=True, slots=True)
class SummedSheet:
    """Where such a header is, what it says of it and what the clerk should write instead."""

    excel_row: int
    said: str
    fix: str


def summed_by_month(grid: Grid, registry: Registry) -> SummedSheet | None:
    """Return what to tell of a sheet no template matched whose header spreads a required enum's values over
    columns (到位资金, 支付资金) beside a 月份 or a 余额 column; None for any other sheet."""
    # Told only 无法识别的报表模板，请使用统一下发的模板, an office keeping its ledger a row a month with a balance
    # could not tell what was wrong with it. Its sums cannot be read as the template's: a month's 到位 is no dated
    # sum, and a balance is no column of it. Looked for only on a sheet no template matched.
    for index, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        labels = [split_header(squashed(cell))[0] for cell in row if isinstance(cell, str) and cell.strip()]
        by_month = any(label in _MONTH_LABELS for label in labels)
        balance = [label for label in labels if any(word in label for word in _BALANCE_WORDS)]
        if not by_month and not balance:
            continue
        for template in registry.templates.values():
            for column in template.columns:
                if column.type is not ColumnType.ENUM or not column.required or not column.values:
                    continue
                spread = [value for value in column.values if any(value in label for label in labels)]
                if len(spread) < 2:
                    continue
                return _told(index + 1, template, column, spread, by_month, balance)
    return None


def _told(
    excel_row: int, template, column, spread: list[str], by_month: bool, balance: list[str]
) -> SummedSheet:
    """Word what is told of a summed sheet: how it is kept, why it is not read, what to write."""
    kept = "按月汇总、" if by_month else ""
    said = (
        f"第{excel_row}行的表头{kept}把「{column.header}」（{'、'.join(spread)}）分列填写"
        + (f"，并有「{balance[0]}」列" if balance else "")
        + f"，不是模板《{template.name_zh}》的格式，未读取"
    )
    required = "、".join(f"「{c.header}」" for c in template.columns if c.required)
    fix = (
        f"请按模板《{template.name_zh}》逐笔填写：每笔一行，填写{required}，"
        f"「{column.header}」填“{'”或“'.join(spread)}”"
        + (f"；{balance[0]}由各笔计算，无需填写" if balance else "")
    )
    return SummedSheet(excel_row, said, fix)
