"""Withdraw a wrongly accepted submission: its slices fall back to the file before it, and its receipt says so."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from pipeline.cumulative_frame import gap_tolerance
from pipeline.intake.file_rows import add_issues
from pipeline.intake.held_months import _CUMULATIVE, _MONTHLY, cumulative_templates
from pipeline.intake.pending_rows import PendingRows
from pipeline.intake.retell import retell
from pipeline.problems import describe_cell, display
from pipeline.projects import REGISTER_TEMPLATE, is_derived
from pipeline.receipt_facts import STATUS_ZH, ReceiptIssue, recount_warnings
from pipeline.receipts import write_receipts
from pipeline.registry import Registry
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.text import one_line
from pipeline.warehouse import writer
from pipeline.warehouse_schema import ensure_schema

# A rejected or duplicate file never reached the data; only these can be taken back out of it.
WITHDRAWABLE = ("accepted", "superseded")
# Who the receipt says withdrew it when the command names no one (`pipeline withdraw --by`).
WITHDRAWN_BY = "管理员"


class WithdrawError(ValueError):
    """The submission cannot be withdrawn; the message says why, in Chinese."""

    def __init__(self, message: str, already_withdrawn: bool = False):
        super().__init__(message)
        self.already_withdrawn = already_withdrawn  # withdrawn before: what is left is to publish it


@dataclass(frozen=True, slots=True)
class Unregistered:
    """A file still in force whose projects only the withdrawn register registered."""

    submission_id: int
    original_name: str
    unit: str | None
    forms: tuple[str, ...]  # its templates' Chinese names
    projects: tuple[tuple[str, int, str], ...]  # (项目名称 as the file wrote it, year, project code)


@dataclass(frozen=True, slots=True)
class OffSum:
    """A month in force whose 累计 the withdrawal left off the sum of its months' 本月 in force."""

    submission_id: int
    original_name: str
    unit: str | None
    project: str
    year: int
    month: int
    cumulative: Decimal
    months_sum: Decimal
    sheet: str
    excel_row: int

    @property
    def month_of(self) -> tuple:
        return self.submission_id, self.unit, self.project, self.year, self.month


@dataclass(frozen=True, slots=True)
class Withdrawal:
    submission_id: int
    original_name: str
    unit: str | None
    status_before: str
    restored: list[tuple[int, str]]  # earlier files in force again: (submission, file name)
    unregistered: list[Unregistered]  # files in force whose projects it alone registered
    off_sums: list[OffSum]  # months in force whose 累计 added up before it and no longer do


def withdraw(
    settings: Settings, registry: Registry, submission_id: int, reason: str, by: str | None = None
) -> Withdrawal:
    """Mark a submission withdrawn, keep who, when and why in ops.withdrawals, restore what it superseded.

    `by` is who the office's receipt names (`--by`; 管理员 if none): never the machine's login, which told the
    office the bureau's account names (root, a service user) and not who it could ask.

    The change is left in the writer's copy, unpublished: the marts rebuilt without the file publish it with them
    (`pipeline withdraw`), so no version shows the file withdrawn beside marts that still count it.
    """
    if not reason.strip():
        raise WithdrawError("请用 --reason 写明撤回原因，它会记入 ops.withdrawals 并写进回执。")
    with run_lock(settings, purpose="withdraw"), writer(settings.warehouse, publish_it=False) as con:
        ensure_schema(con, registry)
        found = con.execute(
            "select status, original_name, unit from ops.submissions where submission_id = ?", [submission_id]
        ).fetchone()
        if found is None:
            raise WithdrawError(f"没有第{submission_id}号提交（见 ops.submissions 或 pipeline status）。")
        status, name, unit = found
        if status not in WITHDRAWABLE:
            raise WithdrawError(
                f"第{submission_id}号提交“{name}”的状态是“{STATUS_ZH[status]}”，其数据从未入库或已撤回；"
                f"只有“{STATUS_ZH['accepted']}”或“{STATUS_ZH['superseded']}”的提交可以撤回。",
                already_withdrawn=status == "withdrawn",
            )
        con.execute("begin")
        try:
            # Months whose 累计 was off before are told on their own receipts (cumulative_*): only those it puts off.
            off_before = {o.month_of for o in off_sums_of(con, registry, submission_id)}
            con.execute(
                "insert into ops.withdrawals values (?, ?, ?, ?, ?)",
                [
                    submission_id,
                    dt.datetime.now(TIMEZONE),
                    one_line(by or "").strip() or WITHDRAWN_BY,
                    reason.strip(),
                    status,
                ],
            )
            con.execute(
                "update ops.submissions set status = 'withdrawn' where submission_id = ?", [submission_id]
            )
            # The files its slices fall back to are in force again: superseded no more, so no reason why.
            restored = con.execute(
                """
                update ops.submissions set status = 'accepted', reason = null
                where status = 'superseded' and submission_id in (
                    select c.submission_id from ops.current_slices c
                    where c.slice_key in (select slice_key from ops.slices where submission_id = ?)
                )
                returning submission_id, original_name
                """,
                [submission_id],
            ).fetchall()
            retell(con)
            unregistered = unregistered_by(con, registry, submission_id)
            off_sums = [o for o in off_sums_of(con, registry, submission_id) if o.month_of not in off_before]
            _tell_off_sums(con, submission_id, name, off_sums)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        write_receipts(con, settings)
    return Withdrawal(submission_id, name, unit, status, sorted(restored), unregistered, off_sums)


def off_sums_of(con: duckdb.DuckDBPyConnection, registry: Registry, submission_id: int) -> list[OffSum]:
    """Return the months in force, of the periods (unit, project, year) this file sent months of, whose 累计 is off
    the sum of the 本月 in force up to it."""
    found = []
    for template in cumulative_templates(registry):
        found += con.execute(
            f"""
            with periods as (
                select distinct unit, project_code, year from ops.slices
                where submission_id = $number and template = $template
            ), sums as (
                select t.submission_id, t.sheet, t.excel_row, t.project_name, t.unit, t.year, t.month,
                    t.{_CUMULATIVE} as cumulative,
                    (select coalesce(sum(m.{_MONTHLY}), 0) from staging.{template} as m
                     where m.unit = t.unit and m.project_code = t.project_code and m.year = t.year
                     and m.month <= t.month) as months_sum
                from staging.{template} as t inner join periods using (unit, project_code, year)
            )
            select sums.submission_id, s.original_name, sums.unit, sums.project_name, sums.year, sums.month,
                sums.cumulative, sums.months_sum, sums.sheet, sums.excel_row
            from sums inner join ops.submissions as s using (submission_id)
            where abs(sums.cumulative - sums.months_sum) > $tolerance
            order by all
            """,
            {"number": submission_id, "template": template, "tolerance": gap_tolerance(template)},
        ).fetchall()
    return [OffSum(*row) for row in found]


def _tell_off_sums(
    con: duckdb.DuckDBPyConnection, submission_id: int, name: str, off_sums: list[OffSum]
) -> None:
    """Warn each file holding a month the withdrawal put off its months' sum, on that month's 累计, as arriving
    it would have been (`cumulative_mismatch`): its office, not only the operator, must send it again. The warning
    says so no more once the months in force add up again (`retell.retell_mismatches`)."""
    # A cell told so before says so again by itself (its note cleared by `retell`): not told twice.
    told = set(
        con.execute(
            "select submission_id, sheet, excel_row from ops.validation_issues "
            "where rule = 'cumulative_mismatch' and submission_id in (select unnest(?::integer[]))",
            [sorted({o.submission_id for o in off_sums})],
        ).fetchall()
    )
    pending = PendingRows()
    for o in off_sums:
        if (o.submission_id, o.sheet, o.excel_row) in told:
            continue
        told.add((o.submission_id, o.sheet, o.excel_row))
        [(header,)] = con.execute(
            "select coalesce(max(column_header), '累计完成投资') from ops.sheet_columns "
            "where submission_id = ? and sheet = ? and column_name = ?",
            [o.submission_id, o.sheet, _CUMULATIVE],
        ).fetchall()  # all: a result left open would hold the connection from the insert
        expected = (
            f"第{submission_id}号提交“{one_line(name)}”撤回后，项目“{o.project}”{o.year}年{o.month}月的累计完成投资"
            f"（{display(o.cumulative)}万元）与仍然有效的1月至{o.month}月本月完成投资之和（{display(o.months_sum)}万元）"
            "不再相符，报告仍以最新月份报送的累计计算投资完成率"
        )
        fix = "请核对各月的本月完成投资和本行累计完成投资，更正后重新报送这些月份"
        value = display(o.cumulative)
        message = describe_cell(o.excel_row, header, value, expected, fix)
        issue = ReceiptIssue(
            o.sheet, o.excel_row, header, value, "warning", "cumulative_mismatch", message, expected, fix
        )
        add_issues(pending, o.submission_id, [issue])
    pending.insert(con)
    recount_warnings(con, {o.submission_id for o in off_sums})


def off_sum_lines(done: Withdrawal) -> list[str]:
    """Say which months in force the withdrawal left with a 累计 off their months' sum, and what to do."""
    if not done.off_sums:
        return []
    lines = ["注意：撤回后，下列仍然有效的月份的累计完成投资与1月至该月本月完成投资之和不再相符："]
    for o in done.off_sums:
        lines.append(
            f"  第{o.submission_id}号提交“{one_line(o.original_name)}”（{one_line(o.unit or '单位未知')}）"
            f"项目“{one_line(o.project or '')}”{o.year}年{o.month}月：累计{display(o.cumulative)}万元，"
            f"1月至{o.month}月本月完成投资之和{display(o.months_sum)}万元"
        )
    lines.append(
        "报告仍以最新月份报送的累计计算完成投资和完成率；请报送单位核对并重新报送这些月份（或所撤回文件中月份的正确数据）；已在这些文件的回执中提示。"
    )
    return lines


def unregistered_by(
    con: duckdb.DuckDBPyConnection, registry: Registry, submission_id: int
) -> list[Unregistered]:
    """Return the files in force whose projects a withdrawn register registered and no register in force does.

    Projects are told by code, as intake resolved them: a project any register in force lists (a restored earlier
    one, another office's, another year's) is still registered, and its files are not returned.
    """
    rows = con.execute(
        """
        with gone as (
            select project_code from ops.slices
            where submission_id = $number and template = $register and project_code is not null
            except
            select s.project_code from ops.slices as s inner join ops.current_slices as c using (submission_id, slice_key)
            where s.template = $register
        )
        select s.submission_id, any_value(m.original_name), any_value(m.unit), list(distinct s.template),
            list(distinct struct_pack(name := s.project_name, year := s.year, code := s.project_code))
        from ops.slices as s
        inner join ops.current_slices as c using (submission_id, slice_key)
        inner join ops.submissions as m using (submission_id)
        where s.project_code in (select project_code from gone) and m.status = 'accepted'
        group by s.submission_id
        order by s.submission_id
        """,
        {"number": submission_id, "register": REGISTER_TEMPLATE},
    ).fetchall()
    return [
        Unregistered(
            number,
            name,
            unit,
            tuple(registry.templates[t].name_zh if t in registry.templates else t for t in sorted(templates)),
            tuple(sorted((p["name"] or "", p["year"], p["code"]) for p in projects)),
        )
        for number, name, unit, templates, projects in rows
    ]


def unregistered_lines(done: Withdrawal, registry: Registry) -> list[str]:
    """Say which files in force lost their projects' registration with the withdrawn register, and what to do."""
    if not done.unregistered:
        return []
    register = registry.templates[REGISTER_TEMPLATE].name_zh
    lines = [
        f"注意：撤回后，下列仍然有效的文件所报的项目已不在任何有效的{register}中"
        f"（原由第{done.submission_id}号提交登记）："
    ]
    for f in done.unregistered:
        projects = "、".join(
            f"“{one_line(name)}”（{year}年度，"
            f"{'未填项目编码' if is_derived(code) else '项目编码' + one_line(code)}）"
            for name, year, code in f.projects
        )
        lines.append(
            f"  第{f.submission_id}号提交“{one_line(f.original_name)}”"
            f"（{one_line(f.unit or '单位未知')}，{'、'.join(f.forms)}）：{projects}"
        )
    lines += [
        "这些文件没有撤回，其数字仍计入指标和年度报告，报告照常列出这些项目，但它们已没有登记信息："
        "报告中计划总投资显示为“—”，mart.project_year 中项目类型、实施单位为空，金额也不再与计划总投资核对；"
        "在重新登记之前，再报送这些项目的文件会因项目未登记而被退回。",
        f"如这些项目确实存在，请{one_line(done.unit or '负责登记的单位')}报送列有它们的更正版{register}："
        "须按原项目编码列出（未填编码的，项目名称和实施单位须与原表相同），上述文件才会重新对应到登记信息；"
        "如这些项目本不该有，请用 pipeline withdraw <提交编号> --reason … 逐一撤回上述文件。",
    ]
    return lines
