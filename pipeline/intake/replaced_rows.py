"""What a slice replaced held, and the rows its replacement drops: a ledger's earlier dates, or a whole list."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.layout import ParsedSheet
from pipeline.problems import Problem, Severity, display
from pipeline.projects import slice_parts
from pipeline.registry import MEASURE_OF_TYPE, Column, ColumnType, Registry, Template


@dataclass(frozen=True, slots=True)
class Holder:
    """A file holding slices: a submission in force (its number), or a file of this run (not yet numbered)."""

    key: object  # the submission id, or ("run", the parsed file's id)
    name: str
    number: int | None

    def said(self) -> str:
        if self.number is None:
            return f"本次一并接收的《{self.name}》"
        return f"第{self.number}号提交《{self.name}》"


# One row as the rules read it: (date, unique value, required enum values, money amounts).
Row = tuple[dt.date | None, str | None, tuple, tuple]


@dataclass(slots=True)
class Slice:
    """A slice as the file holding it has it: its rows, and for a file of this run the records they were read from."""

    holder: Holder
    project: str | None  # as the holding file wrote it
    rows: list[Row] = field(default_factory=list)  # a stored file's; a file of this run's are read when asked
    records: list[tuple[ParsedSheet, dict]] = field(default_factory=list)  # a file of this run's own

    def read(self, columns: Columns) -> list[Row]:
        """Return the slice's rows, reading a file of this run's from its records the first time."""
        if self.records and not self.rows:
            self.rows = [
                columns.row([r.get(n) if n else None for n in columns.names]) for _, r in self.records
            ]
        return self.rows


@dataclass(frozen=True, slots=True)
class Columns:
    """The registry's columns the rules read, for one template."""

    date: str | None  # its date column, where its slice has no month
    unique: str | None
    kinds: tuple[Column, ...]  # required enums: what amounts are told apart by (资金来源, 类型)
    amounts: tuple[Column, ...]  # money that adds up
    base: str  # the unit money is stored in

    @classmethod
    def of(cls, template: Template, registry: Registry) -> Columns:
        """Read a template's columns from the registry: a rule its layout has no column for does not apply."""
        return cls(
            template.date_column if "month" not in template.slice else None,
            next((c.name for c in template.columns if c.unique), None),
            tuple(c for c in template.columns if c.type is ColumnType.ENUM and c.required),
            tuple(c for c in template.columns if c.type is ColumnType.MONEY and c.adds_up),
            registry.units.measures[MEASURE_OF_TYPE[ColumnType.MONEY]].base,
        )

    @property
    def names(self) -> list[str | None]:
        return [self.date, self.unique, *(c.name for c in self.kinds), *(c.name for c in self.amounts)]

    def row(self, values: list) -> Row:
        """Make a row of the values of `names`, in that order."""
        day, unique, *rest = values
        split = len(self.kinds)
        return _day(day), None if unique is None else str(unique), tuple(rest[:split]), tuple(rest[split:])


def dropped_rows(template: Template, columns: Columns, key: str, new: Slice, old: Slice) -> list[Problem]:
    """Warn where a file's slice replacing another file's drops rows the clerk likely meant to keep."""
    found = (rule(template, columns, key, new, old) for rule in (_dropped_dates, _list_replaced))
    return [problem for problem in found if problem is not None]


def _month_after(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _dropped_dates(template: Template, columns: Columns, key: str, new: Slice, old: Slice) -> Problem | None:
    """Warn where a slice of a dated template without months is replaced by rows starting a month or more after
    the rows it replaces: those before its first date drop out (a month's extract of a whole-year ledger)."""
    if columns.date is None:
        return None
    first = min((row[0] for row in new.read(columns) if row[0] is not None), default=None)
    before = min((row[0] for row in old.read(columns) if row[0] is not None), default=None)
    if first is None or before is None or first < _month_after(before):
        return None
    dropped = [row for row in old.read(columns) if row[0] is not None and row[0] < first]
    sheet, record = next((s, r) for s, r in new.records if _day(r.get(columns.date)) == first)
    header = sheet.header_of(columns.date)
    _, _, _, year, month = slice_parts(key)
    expected = (
        f"本表是项目“{record.get('project_name')}”{_when(year, month)}的{template.name_zh}，替代{old.holder.said()}"
        f"中该项目的全部数据；本表最早的{header}是{first.isoformat()}，该文件中{min(row[0] for row in dropped)}"
        f"至{max(row[0] for row in dropped)}的{amounts(columns, dropped)}不再计入报告"
    )
    fix = (
        f"每次报送的{template.name_zh}都替代此前报送的该项目本年度全部数据，请将本年度截至目前的全部记录"
        f"（含上述{len(dropped)}行）填报齐全后重新报送；如这些记录确应删除，可忽略此提示"
    )
    return Problem(
        Severity.WARNING,
        "earlier_dates_dropped",
        f"第{record['excel_row']}行{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=record["excel_row"],
        column_header=header,
        value=first.isoformat(),
        expected=expected,
        fix=fix,
    )


def _list_replaced(template: Template, columns: Columns, key: str, new: Slice, old: Slice) -> Problem | None:
    """Warn where a slice of a template with a unique column is replaced by rows sharing none of its values: the
    whole earlier list drops out (a 补充清单 sent on its own)."""
    if columns.unique is None:
        return None
    mine = {row[1] for row in new.read(columns) if row[1] is not None}
    before = {row[1] for row in old.read(columns) if row[1] is not None}
    if not mine or not before or mine & before:
        return None
    sheet, record = new.records[0]
    header = sheet.header_of(columns.unique)
    _, _, _, year, month = slice_parts(key)
    expected = (
        f"本表是项目“{record.get('project_name')}”{_when(year, month)}的{template.name_zh}，替代{old.holder.said()}"
        f"中该项目的全部数据，两份没有一个相同的{header}，该文件的{amounts(columns, old.read(columns))}都不再计入报告"
    )
    fix = (
        f"每次报送的{template.name_zh}都替代此前报送的该项目全部数据；如本表只是补充的部分，请与原表合并为完整的"
        "一份后重新报送；如确为整份替换，可忽略此提示"
    )
    return Problem(
        Severity.WARNING,
        "whole_list_replaced",
        f"工作表“{sheet.name}”：{expected}，{fix}。",
        sheet=sheet.name,
        column_header=header,
        expected=expected,
        fix=fix,
    )


def amounts(columns: Columns, rows: list[Row]) -> str:
    """Say what rows hold: how many, and each amount column's sum per kind of row (资金来源“…”、类型“…”)."""
    if not columns.amounts:
        return f"{len(rows)}行"
    sums: dict[tuple, list[Decimal]] = {}
    for _, _, kinds, amounts in rows:
        totals = sums.setdefault(kinds, [Decimal(0)] * len(amounts))
        for i, amount in enumerate(amounts):
            totals[i] += amount if amount is not None else 0
    said = []
    for kinds, totals in sums.items():
        label = "、".join(
            f"{c.header}“{v}”" for c, v in zip(columns.kinds, kinds, strict=True) if v is not None
        )
        money = "、".join(
            f"{c.header}{'' if label else '合计'}{display(t)}{columns.base}"
            for c, t in zip(columns.amounts, totals, strict=True)
        )
        said.append(f"{label}的{money}" if label else money)
    return f"{len(rows)}行（{'；'.join(said)}）"


def _when(year: str, month: str) -> str:
    return f"{year}年度{f'{month}月' if month else ''}"


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value
