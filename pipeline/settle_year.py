"""Settle each record's reporting year from where its sheet states it, telling the clerk of every conflict."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.date_values import short_year_named, year_dated, years_named
from pipeline.problems import Problem, Severity, cell_problem
from pipeline.registry_columns import ColumnType
from pipeline.settings import TIMEZONE

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet

# The first reporting year the warehouse takes; the last is next year (a plan may be filed ahead).
FIRST_YEAR = 2000
# How far past next year a planned date (计划完工日期, a compound's 完工日期) may lie. A district's renovation or
# resettlement project is planned over a few years; ten past next year leaves room for any real plan, and still
# catches 2099 written for "not yet known" and a slipped digit (2202 for 2022, 2203 for 2023).
PLANNED_YEARS_AHEAD = 10

# How to correct a year out of range, by where it was stated.
_RANGE_FIX = {
    "line": "请核对填写的年度",
    "title": "请核对标题中的年度",
    "filename": "请改正文件名中的年度，或在表格上方加一行“年度：…”",
}


def latest_year() -> int:
    """Return the last reporting year taken: next year, in the district's time zone."""
    return dt.datetime.now(TIMEZONE).year + 1


def _year_range(
    sheet: ParsedSheet, latest: int, excel_row: int | None, header: str, value: object, fix: str
) -> Problem:
    """Report a year before 2000 or after `latest` where it was found, with the years allowed."""
    noun = "日期" if isinstance(value, dt.date) else "年度"
    return cell_problem(
        "year_range",
        sheet=sheet.name,
        excel_row=excel_row,
        header=header,
        value=value,
        expected=f"应为{FIRST_YEAR}年至{latest}年之间的{noun}",
        fix=fix,
    )


@dataclass(frozen=True, slots=True)
class _Statement:
    """One place a sheet states its year: the years read there, what it says as the clerk wrote it, and where."""

    source: str  # the year_from source it is
    years: tuple[int, ...]  # none: written but unreadable; several: the clerk has to say which
    says: str  # 第3行写的是“年度：2022”, 第1行的标题写的是2022年, 文件名“…”写的是2022年
    label: str  # what the clerk corrects: “年度：”一行, 标题, 文件名, 「日期」列的日期
    excel_row: int | None = None
    header: str | None = None
    rows: tuple[tuple[int, int], ...] = ()  # a column's (Excel row, year) for each row stating one


def _years_zh(years: tuple[int, ...]) -> str:
    """Name years as a clerk reads them: 2022年, or 2021年、2022年."""
    return "、".join(f"{year}年" for year in years)


def _year_statements(
    sheet: ParsedSheet, filename: str, headers: dict[str, str], bounded: Callable[[int], bool]
) -> list[_Statement]:
    """List where a sheet states its year, in the order its template takes them."""
    template, meta = sheet.template, sheet.meta
    found = []
    for source in template.year_from:
        if source in ("column", "dates"):
            column = "year" if source == "column" else template.date_column
            # A year out of range is reported on its own row, not as one more year the sheet states.
            given = [
                (r["excel_row"], year)
                for r in sheet.records
                if (value := r.get(column)) is not None
                and bounded(year := value if source == "column" else value.year)
            ]
            if not given:
                continue
            header = headers.get(column)
            label = f"「{header}」列" if source == "column" else f"「{header}」列的日期"
            first, last = min(row for row, _ in given), max(row for row, _ in given)
            rows = f"第{first}行" if first == last else f"第{first}至{last}行"
            years = tuple(sorted({year for _, year in given}))
            says = f"{label}（{rows}）是{_years_zh(years)}"
            found.append(_Statement(source, years, says, label, first, header, tuple(given)))
        elif source == "line" and meta.year_written is not None:
            row = meta.rows.get("year")
            years = () if meta.year is None else (meta.year,)
            says = f"第{row}行写的是“年度：{meta.year_written}”"
            found.append(_Statement(source, years, says, "“年度：”一行", row, "年度"))
        elif source == "title" and meta.title_years:
            row, years = meta.rows.get("title_year"), meta.title_years
            found.append(
                _Statement(source, years, f"第{row}行的标题写的是{_years_zh(years)}", "标题", row, "标题")
            )
        elif source == "filename" and (years := years_named(filename)):
            says = f"文件名“{filename}”写的是{_years_zh(years)}"
            found.append(_Statement(source, years, says, "文件名", header="文件名"))
    return found


def _short_title(sheet: ParsedSheet) -> list[_Statement]:
    """Return the year a title names in two digits only (`22年…清单`) as a statement to check the year against."""
    # Read as 2022 it is a guess too thin to file a sheet under (`20年` may be a span), but beside a file name
    # saying 2023 it is a conflict the clerk has to hear of: unread, the list was filed as 2023's without a word.
    short, row = sheet.meta.title_short_year, sheet.meta.rows.get("title_short_year")
    if short is None:
        return []
    year, written = short
    return [
        _Statement(
            "short_title", (year,), f"第{row}行的标题写的是“{written}”（{year}年）", "标题", row, "标题"
        )
    ]


def _filename_short_year(sheet: ParsedSheet, filename: str) -> tuple[int, str] | None:
    """Return the year a file name names in two digits only (`22年资金台账.xlsx`: 2022) and how, where it is read."""
    if "filename" not in sheet.template.year_from or years_named(filename):
        return None
    return short_year_named(filename)


def _short_filename(sheet: ParsedSheet, filename: str) -> list[_Statement]:
    """Return the year a file name names in two digits only as a statement to check the year against."""
    # As a title's: unread, a 2022 ledger so named under a title or dates of 2023 was filed as 2023's without a word.
    short = _filename_short_year(sheet, filename)
    if short is None:
        return []
    year, written = short
    return [
        _Statement(
            "short_filename",
            (year,),
            f"文件名“{filename}”写的是“{written}”（{year}年）",
            "文件名",
            header="文件名",
        )
    ]


def _rows_zh(rows: list[int]) -> str:
    """Name Excel rows as a clerk reads them, runs shortened: 第4、6行, 第3至5、9行."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][-1] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return "第" + "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}至{r[-1]}" for r in runs) + "行"


def _year_span(sheet: ParsedSheet, statement: _Statement, vouched: int | None = None) -> Problem:
    """Reject a column whose rows state several years, naming the rows of each and where the second begins; dates
    of a year the title or file name `vouched` for are told how a `年度：` line keeps them together."""
    by_year = {year: [row for row, said in statement.rows if said == year] for year in statement.years}
    where = "；".join(f"{year}年：{_rows_zh(rows)}" for year, rows in by_year.items())
    first_year = min(statement.rows)[1]
    other_row = min(row for row, year in statement.rows if year != first_year)
    found = "、".join(map(str, statement.years))
    fix = "一个文件只能报送一个年度的数据，请按年度分别报送"
    if vouched is not None:
        # A 2022 ledger's funds paid in January 2023 belong in it: split by year, as told alone, they would be
        # filed as 2023's. A `年度：` line lets its dates span years.
        others = _years_zh(tuple(year for year in statement.years if year != vouched))
        fix = (
            f"一个文件只能报送一个年度的数据：如{others}的几行也是{vouched}年度的资金（跨年到位或支付），"
            f"请在表格上方加一行“年度：{vouched}”后重新报送，否则请按年度分别报送"
        )
    return Problem(
        Severity.ERROR,
        "year_span",
        f"{statement.label}跨越了{found}多个年度（{where}），{fix}。",
        sheet=sheet.name,
        excel_row=other_row,
        column_header=statement.header,
        value=found,
        expected="应为同一年度",
        fix=fix,
    )


def _settle_year(parsed: ParsedFile, sheet: ParsedSheet, filename: str, latest: int) -> None:
    """Give every record its year: its own 年度 cell, else the first other statement its template lists."""
    template = sheet.template
    headers = {b.column.name: b.header for b in sheet.bindings}

    def bounded(year: int) -> bool:
        return FIRST_YEAR <= year <= latest

    _check_other_dates(parsed, sheet, headers, latest + PLANNED_YEARS_AHEAD)
    if "dates" in template.year_from:
        header = headers.get(template.date_column)
        for record in sheet.records:
            date = record.get(template.date_column)
            if date and not bounded(date.year):
                fix = "请核对日期中的年份"
                parsed.problems.append(_year_range(sheet, latest, record["excel_row"], header, date, fix))
    statements = _year_statements(sheet, filename, headers, bounded)
    # A 年度 column speaks for its own rows only; the rows without one take the first other statement, and
    # a statement naming no year or several decides all the same: the clerk says which, nothing is guessed.
    deciding = next((s for s in statements if s.source != "column"), None)
    # A year in two digits is checked against the year taken, never taking it.
    statements += _short_title(sheet) + _short_filename(sheet, filename)
    for statement in statements:
        # A file is one 报表年度: a 年度 column naming two would file one submission under two years. Dates span
        # years freely under a `年度：` line that decides (a 2022 ledger's funds arriving in January 2023).
        spanning = statement.source == "column" or (statement.source == "dates" and statement is deciding)
        if spanning and len(statement.years) > 1:
            vouched = next(
                (
                    s.years[0]
                    for s in statements
                    if statement.source == "dates"
                    and s.source in ("title", "filename")
                    and len(s.years) == 1
                    and s.years[0] in statement.years
                    and _dated(sheet, s, filename) is None  # the day it was filled vouches for no year
                ),
                None,
            )
            parsed.problems.append(_year_span(sheet, statement, vouched))
        elif statement.source == "line" and not statement.years:
            # Worded as a 年度 cell that cannot be read is; the line is never passed over for the title's year.
            parsed.problems.append(
                cell_problem(
                    "type",
                    sheet=sheet.name,
                    excel_row=statement.excel_row,
                    header="年度",
                    value=sheet.meta.year_written,
                    expected="应为四位年份，如2022",
                    fix="请写成“年度：2022”这样的四位年份",
                )
            )
    sheet_year = deciding.years[0] if deciding is not None and len(deciding.years) == 1 else None
    if deciding is not None and sheet_year is not None and not bounded(sheet_year):
        value = filename if deciding.source == "filename" else sheet_year
        fix = _RANGE_FIX[deciding.source]
        parsed.problems.append(_year_range(sheet, latest, deciding.excel_row, deciding.header, value, fix))
    missing = False
    filled: list[int] = []  # the rows whose blank 年度 cell took the sheet's year
    for record in sheet.records:
        if "column" in template.year_from and record.get("year") is not None:
            if not bounded(record["year"]):
                fix = "请核对填写的年度"
                parsed.problems.append(
                    _year_range(sheet, latest, record["excel_row"], headers.get("year"), record["year"], fix)
                )
            continue
        record["year"] = sheet_year
        missing = missing or sheet_year is None
        filled.append(record["excel_row"])
    if (
        filled
        and sheet_year is not None
        and bounded(sheet_year)
        and (dated := _dated(sheet, deciding, filename))
    ):
        parsed.problems.append(_dated_problem(sheet, deciding, dated, sheet_year))
    column = next((s for s in statements if s.source == "column"), None)
    if column is not None and len(column.years) == 1 and sheet_year not in (None, *column.years) and filled:
        # A column of one year whose blank cells take another from the line: one file, two 报表年度 all the same.
        mixed = dataclasses.replace(
            column,
            years=tuple(sorted({*column.years, sheet_year})),
            rows=tuple(sorted((*column.rows, *((row, sheet_year) for row in filled)))),
            label=f"{column.label}（空白处按{deciding.label}）",
        )
        parsed.problems.append(_year_span(sheet, mixed))
    if missing and deciding is None and column is not None:
        # The other rows' 年度 is no statement for these (a column speaks for its own rows): the blanks are named.
        parsed.fail(
            "year_unknown",
            f"{column.label}{_rows_zh(filled)}未填写，这些行的报表年度无法确定：请在这些行填写年度。",
            sheet=sheet.name,
            excel_row=filled[0],
        )
    elif missing and deciding is None and (blank := sheet.meta.rows.get("year_blank")) is not None:
        # The clerk was told to add a `年度：` line the sheet already has.
        said, fill = sheet.meta.left_blank(blank, "年度", "年度", "四位年份")
        parsed.fail(
            "year_unknown",
            f"报表年度无法确定：{said}，{fill}，如“年度：2022”。",
            sheet=sheet.name,
            excel_row=blank,
            column_header="年度",
        )
    elif missing and deciding is None and (short := sheet.meta.title_short_year) is not None:
        parsed.fail(
            "year_unknown",
            f"第{sheet.meta.rows['title_short_year']}行的标题写的是“{short[1]}”，两位数的年份不作为报表年度，"
            f"报表年度无法确定：请在表格上方加一行“年度：{short[0]}”，或在标题中写明四位年份，如“{short[0]}年”。",
            sheet=sheet.name,
            excel_row=sheet.meta.rows["title_short_year"],
        )
    elif missing and deciding is None and (short := _filename_short_year(sheet, filename)) is not None:
        parsed.fail(
            "year_unknown",
            f"文件名“{filename}”写的是“{short[1]}”，两位数的年份不作为报表年度，报表年度无法确定："
            f"请在表格上方加一行“年度：{short[0]}”，或在文件名中写明四位年份，如“{short[0]}年”。",
            sheet=sheet.name,
        )
    elif missing and deciding is None:
        parsed.fail(
            "year_unknown",
            "报表年度无法确定：请在表格上方加一行“年度：2022”，或在标题中写明年度。",
            sheet=sheet.name,
        )
    elif missing and deciding.source in ("title", "filename"):
        parsed.fail(
            "year_unknown",
            f"{deciding.says}，报表年度无法确定：请在表格上方加一行“年度：…”写明是哪一年度，如“年度：2022”。",
            sheet=sheet.name,
            excel_row=deciding.excel_row,
        )
    _flag_conflicts(parsed, sheet, statements, bounded)
    _hold_dated_months(parsed, sheet, deciding, set(filled))


def _check_other_dates(parsed: ParsedFile, sheet: ParsedSheet, headers: dict[str, str], last: int) -> None:
    """Reject a date before 2000 or after `last` in a column that does not decide the year (开工日期, 计划完工日期)."""
    # 1900-01-01 is what a date cell shows for a formula's 1 (=B5 of a count), 1999 or 2202 a mistyped year, 2099
    # a placeholder. Stored, a register's such 计划完工日期 moved the project's span, that every form's year is held
    # to: with 2099 no year of the project would ever be told it lies outside its plan.
    columns = [
        b.column.name
        for b in sheet.bindings
        if b.column.type is ColumnType.DATE and b.column.name != sheet.template.date_column
    ]
    for record in sheet.records:
        for column in columns:
            date = record.get(column)
            if date is not None and not FIRST_YEAR <= date.year <= last:
                fix = "请核对日期中的年份，或检查该单元格的公式"
                parsed.problems.append(
                    _year_range(sheet, last, record["excel_row"], headers.get(column), date, fix)
                )


def _dated(sheet: ParsedSheet, deciding: _Statement, filename: str) -> str | None:
    """Return the date the deciding title or file name writes the year in (`截至2023年1月`), if only so."""
    if deciding.source == "title":
        return sheet.meta.title_year_dated
    if deciding.source == "filename":
        return year_dated(filename, deciding.years[0])
    return None


def _dated_problem(sheet: ParsedSheet, deciding: _Statement, dated: str, year: int) -> Problem:
    """Warn that the year was read from a date (the day a form was filled or runs to), which may be a later year's."""
    return cell_problem(
        "year_from_date",
        sheet=sheet.name,
        excel_row=deciding.excel_row,
        header=deciding.header,
        value=dated,
        expected=f"报表年度只写在这一日期中，已按{year}年度读取；填报或截止日期常在报表年度之后",
        fix=f"如本表不是{year}年度的报表，请在表格上方加一行“年度：…”写明报表年度，如“年度：{year - 1}”",
        severity=Severity.WARNING,
    )


def _hold_dated_months(
    parsed: ParsedFile, sheet: ParsedSheet, deciding: _Statement | None, filled: set[int]
) -> None:
    """Hold each month written with its year (`2022年4月`) to its row's year: another year is an error on the cell,
    a day beside the month (`2022-04-15`) a warning naming the month taken."""
    if not sheet.dated_months:
        return
    headers = {b.column.name: b.header for b in sheet.bindings}
    records = {r["excel_row"]: r for r in sheet.records}
    for (excel_row, name), (dated, raw) in sheet.dated_months.items():
        record = records.get(excel_row)
        year = record.get("year") if record is not None else None
        if year is None:
            continue  # no year to hold it to: the sheet's year_unknown says so already
        shown = raw.date() if isinstance(raw, dt.datetime) else raw
        month = dated.month
        if dated.year != year:
            if excel_row in filled and deciding is not None:
                expected = f"与报表年度{year}不一致（{deciding.says}）"
                where = deciding.label
            else:
                where = f"「{headers.get('year', '年度')}」"
                expected = f"与本行{where}{year}不一致"
            # An error on the cell, in the sheet's problems: validation leaves the month it no longer holds alone.
            sheet.error(
                rule="month_year_mismatch",
                excel_row=excel_row,
                header=headers[name],
                value=shown,
                expected=expected,
                fix=f"请核对：若是{year}年{month}月，请把月份改填为“{month}”；否则请改正{where}",
            )
            record[name] = None
        elif dated.day != 1:
            # The file's, not the sheet's problems: a warned cell would drop out of the checks across rows (月份重复).
            parsed.problems.append(
                cell_problem(
                    "month_with_day",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=headers[name],
                    value=shown,
                    expected=f"应为月份；该单元格是一个具体日期，已按其所在的{year}年{month}月计",
                    fix=(
                        f"请核对：若这一行是{month}月的数据，改填为“{month}”即可；"
                        f"若{dated.day}日是填报日期等其他日期，请改填为这一行所属的月份"
                    ),
                    severity=Severity.WARNING,
                )
            )


def _flag_conflicts(
    parsed: ParsedFile, sheet: ParsedSheet, statements: list[_Statement], bounded: Callable[[int], bool]
) -> None:
    """Warn of each statement naming a year other than the one taken, so the clerk sees both and the year used."""
    if not statements:
        return
    taken, *others = statements
    if not taken.years or not all(map(bounded, taken.years)):
        return  # the year taken is unreadable or out of range: rejected on its own already
    if len(taken.years) > 1:
        return  # a column or dates spanning years, or a title naming several: rejected on its own already
    used = _years_zh(taken.years)
    if _stale_line(taken, others):
        parsed.problems.append(_stale_line_problem(sheet, taken, others))
        return
    for other in others:
        if set(other.years) <= set(taken.years):
            continue
        if other.source == "filename" and set(other.years) & set(taken.years):
            continue  # `2023年1月报送-2022年度台账`: the day it was sent beside the year it reports
        expected = f"应与{taken.label}一致"
        fix = (
            f"本表已按{taken.label}取{used}度；若报表年度不是{used}，请改正{taken.label}后重新报送，"
            f"否则请改正{other.label}"
        )
        if taken.source == "dates" and len(other.years) == 1:
            # The dates are when the money moved, true as written: a ledger of another year's funds is told by a
            # `年度：` line (its dates may span years), never by changing them.
            fix = (
                f"本表已按{taken.label}取{used}度；若本表是{other.years[0]}年度的{sheet.template.name_zh}"
                "（资金跨年到位或支付），"
                f"请在表格上方加一行“年度：{other.years[0]}”后重新报送，否则请改正{other.label}"
            )
        parsed.problems.append(
            Problem(
                Severity.WARNING,
                "year_conflict",
                f"{other.says}，而{taken.says}，二者不一致。{fix}。",
                sheet=sheet.name,
                excel_row=other.excel_row or taken.excel_row,
                column_header=other.header,
                value="、".join(map(str, other.years)),
                expected=expected,
                fix=fix,
            )
        )


def _stale_line(taken: _Statement, others: list[_Statement]) -> bool:
    """Say whether a `年度：` line is all that names its year, against every date of the sheet and all else stated.

    Last year's template sent again with January's rows (`年度：2022` over dates, title and name of 2023) would file
    them as 2022 and replace that year's whole ledger: a line behind every date, and named nowhere else, is asked
    about. Dates before the line's year are a year's funds issued ahead (提前下达 in December), as dates spanning
    into the next year are late ones; a title or file name naming the line's year too (`2022年度资金台账`) vouches
    for it.
    """
    dates = [o for o in others if o.source == "dates"]
    if taken.source != "line" or not dates:
        return False
    later = all(year > max(taken.years) for o in dates for year in o.years)
    return later and all(not set(o.years) & set(taken.years) for o in others)


def _stale_line_problem(sheet: ParsedSheet, taken: _Statement, others: list[_Statement]) -> Problem:
    used = _years_zh(taken.years)
    said = "；".join(o.says for o in others)
    fix = (
        f"若本表是{_years_zh(others[0].years)}度的，请把“年度：”一行改正后重新报送；若确是{used}度的资金"
        f"（全部在次年到位或支付），请在标题中写明{used}度后重新报送"
    )
    return Problem(
        Severity.ERROR,
        "year_conflict",
        f"{taken.says}，而{said}，本表没有一处与之相同，无法确定报表年度。{fix}。",
        sheet=sheet.name,
        excel_row=taken.excel_row,
        column_header=taken.header,
        value="、".join(map(str, taken.years)),
        expected="应与日期等处的年度一致",
        fix=fix,
    )
