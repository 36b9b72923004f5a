"""Reject a sheet whose reporting year cannot be settled, saying what to write and where."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.text import rows_text
from pipeline.year_statements import filename_short_year

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.year_statements import Statement


def fail_unknown(
    parsed: ParsedFile,
    sheet: ParsedSheet,
    filename: str,
    deciding: Statement | None,
    column: Statement | None,
    filled: list[int],
    statements: list[Statement],
) -> None:
    """Fail a sheet whose `filled` rows took no year: name the blank 年度 cells or line, the two-digit year not taken,
    or the title or file name naming several, and ask for a `年度：` line.

    The line asked for is shown with the year the file most likely means (`year_example`), or a blank where nothing in
    it names one: a clerk copies an example as written, and any year shown would file the sheet under it.
    """
    example = year_example(deciding, statements)
    if deciding is None and column is not None:
        # The other rows' 年度 is no statement for these (a column speaks for its own rows): the blanks are named.
        parsed.fail(
            "year_unknown",
            f"{column.label}{rows_text(tuple(filled))}未填写，这些行的报表年度无法确定：请在这些行填写年度。",
            sheet=sheet.name,
            excel_row=filled[0],
        )
    elif deciding is None and (blank := sheet.meta.rows.get("year_blank")) is not None:
        # The clerk was told to add a `年度：` line the sheet already has.
        said, fill = sheet.meta.left_blank(blank, "年度", "年度", "四位年份")
        parsed.fail(
            "year_unknown",
            f"报表年度无法确定：{said}，{fill}，如{example}。",
            sheet=sheet.name,
            excel_row=blank,
            column_header="年度",
        )
    elif deciding is None and (short := sheet.meta.title_short_year) is not None:
        parsed.fail(
            "year_unknown",
            f"第{sheet.meta.rows['title_short_year']}行的标题写的是“{short[1]}”，两位数的年份不作为报表年度，"
            f"报表年度无法确定：请在表格上方加一行“年度：{short[0]}”，或在标题中写明四位年份，如“{short[0]}年”。",
            sheet=sheet.name,
            excel_row=sheet.meta.rows["title_short_year"],
        )
    elif deciding is None and (short := filename_short_year(sheet, filename)) is not None:
        parsed.fail(
            "year_unknown",
            f"文件名“{filename}”写的是“{short[1]}”，两位数的年份不作为报表年度，报表年度无法确定："
            f"请在表格上方加一行“年度：{short[0]}”，或在文件名中写明四位年份，如“{short[0]}年”。",
            sheet=sheet.name,
        )
    elif deciding is None:
        parsed.fail(
            "year_unknown",
            f"报表年度无法确定：请在表格上方加一行“年度：…”写明报表年度，如{example}，或在标题中写明年度。",
            sheet=sheet.name,
        )
    elif deciding.source in ("title", "filename"):
        parsed.fail(
            "year_unknown",
            f"{deciding.says}，报表年度无法确定：请在表格上方加一行“年度：…”写明是哪一年度，如{example}。",
            sheet=sheet.name,
            excel_row=deciding.excel_row,
        )


def year_example(deciding: Statement | None, statements: list[Statement]) -> str:
    """Return the `年度：` line to show: of the years the deciding statement names, the one another statement names too
    (a title's 2021-2022 beside a file name's 2022), else each of them; with none deciding, the one year the others
    name (a blank `年度：` line under a title's `22年`); else a blank to fill, never a year: the run's year, copied,
    filed 2022's list as 2026's."""
    named = deciding.years if deciding is not None else ()
    others = {s.years[0] for s in statements if s is not deciding and len(s.years) == 1}
    seconded = others.intersection(named) if named else others
    years = tuple(seconded) if len(seconded) == 1 else named
    if years:
        return "或".join(f"“年度：{year}”" for year in years)
    return "“年度：＿＿＿＿”（横线处填写本表数据所属的四位年份，不一定是今年）"
