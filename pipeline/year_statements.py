"""List where a sheet states its reporting year: a 年度 column or line, its dates, title and file name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from pipeline.date_values import short_year_named, year_dated, years_named
from pipeline.text import nfkc

if TYPE_CHECKING:
    from pipeline.parsed_sheet import ParsedSheet


@dataclass(frozen=True, slots=True)
class Statement:
    """One place a sheet states its year: the years read there, what it says as the clerk wrote it, and where."""

    source: str  # the year_from source it is
    years: tuple[int, ...]  # none: written but unreadable; several: the clerk has to say which
    says: str  # 第3行写的是“年度：2022”, 第1行的标题写的是2022年, 文件名“…”写的是2022年
    label: str  # what the clerk corrects: “年度：”一行, 标题, 文件名, 「日期」列的日期
    excel_row: int | None = None
    header: str | None = None
    rows: tuple[tuple[int, int], ...] = ()  # a column's (Excel row, year) for each row stating one


def years_zh(years: tuple[int, ...]) -> str:
    """Name years as a clerk reads them: 2022年, or 2021年、2022年."""
    return "、".join(f"{year}年" for year in years)


def year_statements(
    sheet: ParsedSheet, filename: str, headers: dict[str, str], bounded: Callable[[int], bool]
) -> list[Statement]:
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
            says = f"{label}（{rows}）是{years_zh(years)}"
            found.append(Statement(source, years, says, label, first, header, tuple(given)))
        elif source == "line" and meta.year_written is not None:
            row = meta.rows.get("year")
            years = () if meta.year is None else (meta.year,)
            says = f"第{row}行写的是“年度：{meta.year_written}”"
            found.append(Statement(source, years, says, "“年度：”一行", row, "年度"))
        elif source == "title" and meta.title_years:
            row, years = meta.rows.get("title_year"), meta.title_years
            found.append(
                Statement(source, years, f"第{row}行的标题写的是{years_zh(years)}", "标题", row, "标题")
            )
        elif source == "filename" and (years := years_named(filename)):
            says = f"文件名“{filename}”写的是{years_zh(years)}"
            found.append(Statement(source, years, says, "文件名", header="文件名"))
    return found


def short_title(sheet: ParsedSheet) -> list[Statement]:
    """Return the year a title names in two digits only (`22年…清单`) as a statement to check the year against."""
    # Read as 2022 it is a guess too thin to file a sheet under (`20年` may be a span), but beside a file name
    # saying 2023 it is a conflict the clerk has to hear of: unread, the list was filed as 2023's without a word.
    short, row = sheet.meta.title_short_year, sheet.meta.rows.get("title_short_year")
    if short is None:
        return []
    year, written = short
    return [
        Statement(
            "short_title", (year,), f"第{row}行的标题写的是“{written}”（{year}年）", "标题", row, "标题"
        )
    ]


_YEAR_MONTH = re.compile(r"20\d{2}\s*(?:年\s*\d{1,2}\s*月|[.\-/]\s*\d{1,2}(?!\d))")


def sheet_name_years(sheet: ParsedSheet, filename: str) -> list[Statement]:
    """Return the years a sheet's name names (`2021年`) as a statement to check the year against, never taking it."""
    # A CSV's one sheet is named after its file (as is a workbook saved from one): its name states what the file
    # name does, which is checked already. Counted again, `2021年清单.csv` was told the one conflict twice.
    if sheet.name == PurePath(filename).stem:
        return []
    # A workbook keeps a sheet per year (2021年 | 2022年) under titles naming none: each was filed under the file
    # name's year, last year's compounds added to this year's list without a word.
    # A year with a month (`2023年1月`, `2023.1`) names the month a ledger was kept to or sent in, as often a year
    # after the one it reports: no statement of the year.
    years = years_named(sheet.name)
    if not years or _YEAR_MONTH.search(nfkc(sheet.name)):
        return []
    return [Statement("sheet_name", years, f"工作表名写的是{years_zh(years)}", "工作表名")]


def filename_short_year(sheet: ParsedSheet, filename: str) -> tuple[int, str] | None:
    """Return the year a file name names in two digits only (`22年资金台账.xlsx`: 2022) and how, where it is read."""
    if "filename" not in sheet.template.year_from or years_named(filename):
        return None
    return short_year_named(filename)


def short_filename(sheet: ParsedSheet, filename: str) -> list[Statement]:
    """Return the year a file name names in two digits only as a statement to check the year against."""
    # As a title's: unread, a 2022 ledger so named under a title or dates of 2023 was filed as 2023's without a word.
    short = filename_short_year(sheet, filename)
    if short is None:
        return []
    year, written = short
    return [
        Statement(
            "short_filename",
            (year,),
            f"文件名“{filename}”写的是“{written}”（{year}年）",
            "文件名",
            header="文件名",
        )
    ]


def date_written(sheet: ParsedSheet, deciding: Statement, filename: str) -> str | None:
    """Return the date the deciding title or file name writes the year in (`截至2023年1月`), if only so."""
    if deciding.source == "title":
        return sheet.meta.title_year_dated
    if deciding.source == "filename":
        return year_dated(filename, deciding.years[0])
    return None
