"""What a slice replaced held, and the rows its replacement drops: a ledger's earlier or later dates, or a list's rows."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.frames import span
from pipeline.intake.periods import said_when
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, display, row_value_problem
from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.slice_keys import slice_parts


@dataclass(frozen=True, slots=True)
class Holder:
    """A file holding slices: a submission in force (its number), or a file of this run (not yet numbered)."""

    key: object  # the submission id, or ("run", the parsed file's id)
    name: str
    number: int | None

    @classmethod
    def stored(cls, submission: int, name: str, stored_in_run: set[int]) -> Holder:
        """Return a stored file: numbered, unless stored earlier in this run (named as a file of the run, as a run
        cut into chunks words its receipts as a run in one piece does)."""
        return cls(submission, name, None if submission in stored_in_run else submission)

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
    amounts: tuple[Column, ...]  # money, then counts, that add up
    units: tuple[str, ...]  # each amount's unit as said: money's base unit, a count's `counts` (户) or none
    # The enum whose values name parts of the form sent on their own (registry `sent_in_parts`).
    part: Column | None

    @classmethod
    def of(cls, template: Template, registry: Registry) -> Columns:
        """Read a template's columns from the registry: a rule its layout has no column for does not apply."""
        money = registry.units.measures[MEASURE_OF_TYPE[ColumnType.MONEY]].base
        amounts = tuple(
            c
            for kind in (ColumnType.MONEY, ColumnType.COUNT)
            for c in template.columns
            if c.type is kind and c.adds_up
        )
        return cls(
            template.date_column if "month" not in template.slice else None,
            next((c.name for c in template.columns if c.unique), None),
            tuple(c for c in template.columns if c.type is ColumnType.ENUM and c.required),
            amounts,
            tuple(money if c.type is ColumnType.MONEY else c.counts or "" for c in amounts),
            next((c for c in template.columns if c.sent_in_parts), None),
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
    found = (
        rule(template, columns, key, new, old)
        for rule in (
            _earlier_dates_dropped,
            _later_dates_dropped,
            _months_dropped,
            _list_replaced,
            _part_dropped,
        )
    )
    return [problem for problem in found if problem is not None]


# What a receipt of these rules says besides resending the whole: the earlier file's rows come back with it.
_WITHDRAW = "如本表误报，可联系财政局撤回本表，该文件的数据即恢复有效"


def _earlier_dates_dropped(
    template: Template, columns: Columns, key: str, new: Slice, old: Slice
) -> Problem | None:
    """Warn where a slice of a dated template without months is replaced by rows starting after the first date of
    the rows it replaces: those before its first date drop out (a month's extract of a whole-year ledger). A row
    corrected keeps its date, so a resent whole year so far covers every earlier date and says nothing."""
    return _dates_dropped(template, columns, key, new, old, later=False)


def _later_dates_dropped(
    template: Template, columns: Columns, key: str, new: Slice, old: Slice
) -> Problem | None:
    """Warn where a slice of a dated template without months is replaced by rows ending before the last date of the
    rows it replaces: those after its last date drop out (an older extract, or the first months alone, sent again).
    The whole year so far reaches at least as far as what was sent before, so a resent one says nothing."""
    return _dates_dropped(template, columns, key, new, old, later=True)


def _dates_dropped(
    template: Template, columns: Columns, key: str, new: Slice, old: Slice, *, later: bool
) -> Problem | None:
    """Warn where the replaced rows dated before the new rows' first date (after their last, if `later`) drop out."""
    if columns.date is None:
        return None
    # Each side's rule, the new rows' end it names and how that end is found, and where a dropped row lies from it.
    rule, end, bound, beyond = (
        ("later_dates_dropped", "最晚", max, operator.gt)
        if later
        else ("earlier_dates_dropped", "最早", min, operator.lt)
    )
    edge = bound((row[0] for row in new.read(columns) if row[0] is not None), default=None)
    if edge is None:
        return None
    dropped = [row for row in old.read(columns) if row[0] is not None and beyond(row[0], edge)]
    if not dropped:
        return None
    return _told_dropped(
        rule, template, columns, key, new, old, edge, dropped, f"本表{end}的{{}}是{edge.isoformat()}"
    )


def _months_dropped(template: Template, columns: Columns, key: str, new: Slice, old: Slice) -> Problem | None:
    """Warn where a slice of a dated template without months is replaced by rows with none in a month between their
    first and last dates that the rows it replaces have: that month's rows drop out (a month lost joining the
    months' extracts into the whole year). A wrong entry taken out of a month keeping others says nothing."""
    if columns.date is None:
        return None
    days = sorted(row[0] for row in new.read(columns) if row[0] is not None)
    if not days:
        return None
    months = {(day.year, day.month) for day in days}
    dropped = [
        row
        for row in old.read(columns)
        if row[0] is not None and days[0] < row[0] < days[-1] and (row[0].year, row[0].month) not in months
    ]
    if not dropped:
        return None
    first = min(row[0] for row in dropped)
    edge = max(day for day in days if day < first)  # the new row just before the first month left out
    gone = sorted({(row[0].year, row[0].month) for row in dropped})
    named = "、".join(f"{year}年{month}月" for year, month in gone)
    return _told_dropped(
        "months_dropped", template, columns, key, new, old, edge, dropped, f"本表的{{}}中没有{named}的记录"
    )


def _told_dropped(
    rule: str,
    template: Template,
    columns: Columns,
    key: str,
    new: Slice,
    old: Slice,
    edge: dt.date,
    dropped: list[Row],
    what: str,
) -> Problem:
    """Warn, on the new row dated `edge`, that the replaced rows `dropped` drop out; `what` says how the new rows
    leave them out, `{}` standing for the date column's header as written."""
    sheet, record = next((s, r) for s, r in new.records if _day(r.get(columns.date)) == edge)
    header = sheet.header_of(columns.date)
    _, _, _, year, month = slice_parts(key)
    expected = (
        f"本表是项目“{record.get('project_name')}”{said_when(year, month)}的{template.name_zh}，替代{old.holder.said()}"
        f"中该项目的全部数据；{what.format(header)}，该文件中{span([row[0] for row in dropped])}"
        f"的{amounts(columns, dropped)}不再计入报告"
    )
    fix = (
        f"每次报送的{template.name_zh}都替代此前报送的该项目本年度全部数据，请将本年度截至目前的全部记录"
        f"（含上述{len(dropped)}行）填报齐全后重新报送；{_WITHDRAW}；如这些记录确应删除，可忽略此提示"
    )
    return row_value_problem(
        rule,
        Severity.WARNING,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=header,
        value=edge.isoformat(),
        expected=expected,
        fix=fix,
    )


# The word a title, a sheet or a file is named with when it only adds rows to a list sent before (补充清单).
_SUPPLEMENT = "补充"
# The values a warning names, at most.
_NAMED = 10


def _list_replaced(template: Template, columns: Columns, key: str, new: Slice, old: Slice) -> Problem | None:
    """Warn where a slice of a template with a unique column is replaced by rows leaving out most of its values, or
    any where the new file calls itself a 补充: those rows drop out (a 补充清单, a second batch sent on its own)."""
    if columns.unique is None:
        return None
    return _values_dropped(
        "whole_list_replaced",
        template,
        columns,
        key,
        new,
        old,
        columns.unique,
        lambda row: row[1],
        part=False,
    )


def _part_dropped(template: Template, columns: Columns, key: str, new: Slice, old: Slice) -> Problem | None:
    """Warn where a slice of a form sent in parts is replaced by rows with none of a part its rows had: those rows
    drop out (a corrected 建设规模 sent without the 投资构成, a 补充 of two chapters). A resent whole says nothing."""
    if columns.part is None:
        return None
    at = columns.kinds.index(columns.part)
    return _values_dropped(
        "part_dropped", template, columns, key, new, old, columns.part.name, lambda row: row[2][at], part=True
    )


def _values_dropped(
    rule: str,
    template: Template,
    columns: Columns,
    key: str,
    new: Slice,
    old: Slice,
    column: str,
    value_of: Callable[[Row], object],
    *,
    part: bool,
) -> Problem | None:
    """Warn where the replaced rows whose `column` holds a value the new rows have none of drop out: for a form's
    `part`s, or where the new file calls itself a 补充, any such value; for a list's rows, most of its values."""
    mine = {value_of(row) for row in new.read(columns) if value_of(row) is not None}
    listed = {value_of(row) for row in old.read(columns) if value_of(row) is not None}
    dropped = [row for row in old.read(columns) if value_of(row) is not None and value_of(row) not in mine]
    if not mine or not dropped:
        return None
    left_out = list(dict.fromkeys(value_of(row) for row in dropped))
    called = _supplement(new)
    # A list correcting a few of its rows (a compound renamed, one taken out) is the ordinary way; one keeping
    # fewer than half of them is more likely a part sent for the whole.
    if not part and called is None and len(left_out) * 2 <= len(listed):
        return None
    sheet, record = new.records[0]
    header = sheet.header_of(column)
    _, _, _, year, month = slice_parts(key)
    named = "、".join(f"“{value}”" for value in left_out[:_NAMED])
    more = f"等{len(left_out)}个" if len(left_out) > _NAMED else ""
    said = (
        f"该文件的{header}{named}{more}本表未列出，其{amounts(columns, dropped)}不再计入报告"
        # A form has few parts, each named; a list sharing no row with the one it replaces is said so.
        if part or len(left_out) < len(listed)
        else f"两份没有一个相同的{header}，该文件的{amounts(columns, dropped)}都不再计入报告"
    )
    expected = (
        f"本表是项目“{record.get('project_name')}”{said_when(year, month)}的{template.name_zh}，替代{old.holder.said()}"
        f"中该项目的全部数据，{f'本表{called}写有“{_SUPPLEMENT}”，' if called else ''}{said}"
    )
    fix = (
        f"每次报送的{template.name_zh}都替代此前报送的该项目全部数据；如本表只是补充的部分，请与原表合并为完整的"
        f"一份（含上述{len(dropped)}行）后重新报送；{_WITHDRAW}；如确为整份替换，可忽略此提示"
    )
    # On the sheet, not a row; the project's name as written says whose list it is, as mart.open_warnings reads it:
    # the report names that project, not every project of the sheet.
    return Problem(
        Severity.WARNING,
        rule,
        f"工作表“{sheet.name}”：{expected}，{fix}。",
        sheet=sheet.name,
        column_header=sheet.header_of("project_name", "项目名称"),
        value=record.get("project_name"),
        expected=expected,
        fix=fix,
    )


def _supplement(new: Slice) -> str | None:
    """Say where a file of this run calls itself a 补充 (标题, 文件名 or 工作表名称), or None where it does not."""
    sheets = list({id(sheet): sheet for sheet, _ in new.records}.values())
    titles = [sheet.meta.title or "" for sheet in sheets]
    names = [sheet.name for sheet in sheets]
    for place, texts in (("标题", titles), ("文件名", [new.holder.name]), ("工作表名称", names)):
        if any(_SUPPLEMENT in text for text in texts):
            return place
    return None


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
            f"{c.header}{'' if label else '合计'}{display(t)}{unit}"
            for c, t, unit in zip(columns.amounts, totals, columns.units, strict=True)
        )
        said.append(f"{label}的{money}" if label else money)
    return f"{len(rows)}行（{'；'.join(said)}）"


def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value
