"""Settle each record's month: from the header's `1-N月`, or from its date column."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.date_values import years_named
from pipeline.problems import Problem, Severity
from pipeline.registry_columns import ColumnType
from pipeline.text import month_named, months_named

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet


def _settle_month(parsed: ParsedFile, sheet: ParsedSheet) -> None:
    """Give every record of a source that reads its month from a date column that date's month."""
    if sheet.template.month_from_headers:
        months = sheet.meta.months_so_far
        conflicting = any(p.rule == "months_mismatch" for p in sheet.problems)  # already named on its header
        if not conflicting and (months is None or not 1 <= months <= 12):
            # No header names its months (`截至6月执行数`): the clerk is sent to the table's `1-N月…` column.
            column = next((c for c in sheet.template.columns if "1-N月" in c.header), None)
            excel_row = sheet.meta.rows.get("months_so_far", sheet.header_rows[0])
            parsed.fail(
                "month_range" if months else "required",
                f"表头（第{excel_row}行）截至的月份无法确定：表头应写明“1-N月执行数”“1-N月实际完成情况”，N为1至12。",
                sheet=sheet.name,
                excel_row=excel_row,
                column_header=sheet.header_of(column.name, column.header) if column else None,
            )
        if not conflicting and months is not None and 1 <= months <= 12:
            _check_filename_months(parsed, sheet, months)
            _check_filed_months(parsed, sheet, months)
        for record in sheet.records:
            record["month"] = months
        return
    column = sheet.template.month_from
    if column is None:
        return
    header = sheet.header_of(column)
    for record in sheet.records:
        date = record.get(column)
        record["month"] = date.month if date is not None else None
        # An empty required date is reported on its cell already; an optional one leaves the month unknown.
        if date is None and not sheet.template.column(column).required:
            parsed.fail(
                "required",
                f"第{record['excel_row']}行「{header}」没有填写日期，无法确定这一行属于哪个月份，请补充日期。",
                sheet=sheet.name,
                excel_row=record["excel_row"],
            )


def check_title_month(parsed: ParsedFile, sheet: ParsedSheet) -> None:
    """Warn where a monthly report's title, or else its file name, names one month (`2022年6月…`) that none of its
    rows is of."""
    # Last month's file copied forward, its title (or name) and figures updated but not its 月份 cells, would store
    # June's figures as May's, replacing them: the rows' months are taken, and the title is asked about beside them.
    column = next((c for c in sheet.template.columns if c.type is ColumnType.MONTH), None)
    if column is None or not sheet.records:
        return
    titled, where = sheet.meta.title_month, "标题"
    if titled is None and sheet.meta.title_months is None:  # a title's 1-6月 says what the file covers
        titled, where = month_named(Path(parsed.original_name).stem), "文件名"
    if titled is None:
        return
    months = sorted({r.get(column.name) for r in sheet.records} - {None})
    if not months or titled in months:
        return
    years = {r.get("year") for r in sheet.records}
    named = sheet.meta.title_years if where == "标题" else years_named(Path(parsed.original_name).stem)
    if named and set(named) != years:
        return  # `2023年1月…月报` over December's rows: the month it was filed in, as a title may name
    written = "、".join(f"{m}月" for m in months)
    header = sheet.header_of(column.name, column.header)
    sheet.error(
        severity=Severity.WARNING,
        rule="month_title",
        excel_row=sheet.meta.rows["title_month"] if where == "标题" else sheet.header_rows[0],
        header=where,
        value=f"{titled}月",
        expected=f"应与表中各行的“{header}”一致（表中为{written}）",
        fix=(
            f"本表已按各行的“{header}”读取；如本表报送的是{titled}月的数据，请把各行的“{header}”改为{titled}后重新报送；"
            f"如{where}写的是报送月份，可忽略本提示"
        ),
    )


def _check_filename_months(parsed: ParsedFile, sheet: ParsedSheet, months: int) -> None:
    """Warn where the file name names other months (`2022年1-7月运行监控表.xlsx`) than the headers' N is taken from."""
    # Last month's form sent again under this month's name, its headers left at `1-6月`, is filed as 1-6月: it replaces
    # that month's form and the time progress is 6/12, with the receipt silent. A title naming the file name's months
    # is told of already (months_title).
    named = months_named(parsed.original_name)
    if named is None or named in (months, sheet.meta.title_months):
        return
    excel_row = sheet.meta.rows.get("months_so_far")
    fix = f"本表已按表头取1-{months}月；若本表截至{named}月，请把表头改为“1-{named}月…”后重新报送，否则请改正文件名"
    parsed.problems.append(
        Problem(
            Severity.WARNING,
            "months_filename",
            f"文件名“{parsed.original_name}”写的是1-{named}月，而第{excel_row}行的表头写的是1-{months}月，"
            f"二者不一致。{fix}。",
            sheet=sheet.name,
            excel_row=excel_row,
            column_header="文件名",
            value=f"1-{named}月",
            expected=f"应与表头的截至月份（1-{months}月）一致",
            fix=fix,
        )
    )


def _check_filed_months(parsed: ParsedFile, sheet: ParsedSheet, months: int) -> None:
    """Warn where the form's 填报日期 (above or under its table) falls before the last month its headers cover ends
    (`1-7月` filed on 2022年6月5日)."""
    # A form filled in on a day of July holds no whole July: its headers copied from the last form, or the date
    # mistyped. The headers' N decides the slice replaced and the time progress, and was taken unsaid.
    filed = sheet.meta.filed
    if filed is None or {r.get("year") for r in sheet.records} != {filed.year} or filed.month > months:
        return
    header_row = sheet.meta.rows.get("months_so_far")
    day = f"{filed.year}年{filed.month}月{filed.day}日"
    fix = (
        f"本表已按表头取1-{months}月；若本表截至{filed.month - 1}月，请把表头改为“1-{filed.month - 1}月…”后重新报送，"
        "否则请改正填报日期"
        if filed.month > 1
        else f"本表已按表头取1-{months}月，请改正填报日期或表头后重新报送"
    )
    parsed.problems.append(
        Problem(
            Severity.WARNING,
            "months_filed",
            f"第{sheet.meta.filed_row}行的填报日期为{day}，而第{header_row}行的表头写的是1-{months}月，"
            f"{months}月当时尚未结束。{fix}。",
            sheet=sheet.name,
            excel_row=sheet.meta.filed_row,
            column_header="填报日期",
            value=day,
            expected=f"应在表头的截至月份（1-{months}月）结束之后",
            fix=fix,
        )
    )
