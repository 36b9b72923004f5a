"""Read a date, a reporting year or a month as written in a cell."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.chinese_numbers import DIGITS, MONTHS
from pipeline.text import nfkc
from pipeline.values import CellError, squashed

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?|月)?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# A day or month without its year (`4月5日`, `4月5号`, `4月`), as a ledger under a `2024年` title writes its dates: which
# year is not guessed (a ledger may hold last December's entries), but the clerk is told it is the year that is missing.
_YEARLESS = re.compile(r"^(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?$")
# A statistical period, `202404`: the year and month as statistical returns write them. Read in a 月份 cell only, held
# to the row's 年度 as `2024年4月` is; in a date column six digits may be a day too (`201211`: 2012-11 or 2020-12-11).
_PERIOD_MONTH = re.compile(r"^(20\d{2})(0[1-9]|1[0-2])$")
# A CSV's `2022.1`: what Excel writes for a number 2022.10 shown in the General format, as well as January.
_TEXT_MONTH_ONE = re.compile(r"^(\d{4})\s*\.\s*1$")
_YEAR = re.compile(r"^(20\d{2})\s*(?:年度?)?$")
_MONTH = re.compile(r"^(\d{1,2})(?:\.0+)?\s*月?(?:份)?$")  # `3.0`: a month typed as text from a number
# Months run together in one 月份 cell (`1-3月`, `1～3月`, `1至3月份`): a quarter's row in a monthly form.
_MONTH_SPAN = re.compile(r"^(\d{1,2})\s*[-－—~～至到]\s*(\d{1,2})\s*月?份?$")
# A month written in words, as clerks head a column of months: 一月 … 十二月 (正月 and 腊月 are lunar: not read).
_MONTH_SUFFIX = re.compile(r"月份?$")
# A year a title or file name names: four digits 2000–2099 standing alone. Not a count or amount (`回收问卷2023份`,
# `惠及2050户`, `2022万元`: a unit right after it), nor a document's number (`财预〔2020〕10号`): taken for the year,
# either filed a file under a year its clerk never wrote. But 项目 and 台账 are no count of 项 or 台: `2022项目清单`,
# `2022台账` name their year, and were returned as 报表年度不明 though their title or name said it.
_YEAR_NAMED = re.compile(
    r"(?<!\d)(20\d{2})(?!\d|\s*(?:[份户个人名套栋幢座间处件次元万亿吨辆张本米㎡]|项(?!目)|台(?!账)|平方))"
)
_DOCUMENT_NUMBER = re.compile(r"[〔\[【(]\s*20\d{2}\s*[〕\]】)]\s*第?\s*\d+\s*号")


def _year_numerals(*digits: int) -> str:
    """Return a pattern of the numerals a year may write these digits in: lower case or capital, never 两."""
    return "[" + "".join(c for c, n in DIGITS.items() if n in digits and c != "两") + "]"


# A year written in Chinese digits, as formal titles write it (`二〇二二年度…`, `二零二二年`, with ○ for 〇), or in capitals
# (`贰零贰贰年`, `贰〇贰贰`): read as its four digits. Unread, a title so written named no year, and the file name's
# (`…2023年1月报`) was taken without a word.
_ZH_YEAR_DIGITS = f"{_year_numerals(2)}{_year_numerals(0)}{_year_numerals(*range(10))}{{2}}"
_ZH_YEAR = re.compile(rf"{_ZH_YEAR_DIGITS}(?=\s*年)")
# Where a year is all a value states (`年度：二〇二二`, a 年度 cell), its numerals need no 年 after them; only none
# run into them, as in a longer number.
_ZH_NUMERAL = f"[{''.join(DIGITS)}十百千万拾佰仟萬亿]"
_ZH_YEAR_STATED = re.compile(rf"(?<!{_ZH_NUMERAL}){_ZH_YEAR_DIGITS}(?!{_ZH_NUMERAL})")
_ZH_DIGITS = str.maketrans({c: str(n) for c, n in DIGITS.items()})


def _years_in_digits(text: str, pattern: re.Pattern[str] = _ZH_YEAR) -> str:
    """Return `text` with its years in Chinese digits written in figures, each in as many characters."""
    return pattern.sub(lambda m: m.group().translate(_ZH_DIGITS), text)


def stated_year_in_digits(text: str) -> str:
    """Return a 年度 value with a year written in Chinese digits (`二〇二二`, `二零二二年度`) written in figures."""
    return _years_in_digits(text, _ZH_YEAR_STATED)


# A year written as part of the day a form was filled, revised or runs to (`截至2023年1月`, `2023.1.5`, `2023年1月5日`,
# `2023年1月填报`, `2023年1月更新`), not as the year it reports; a month alone (`2022年3月投资完成情况月报`) is a
# period of the year reported, not matched.
_DATED_YEAR = re.compile(
    r"(?:截至|截止)(?:到|于)?[:：]?\s*(20\d{2})\s*"
    r"(?:年(?![底末度])(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|[.\-/]\s*\d{1,2}(?:\s*[.\-/]\s*\d{1,2}(?!\d))?)"
    r"|(?<!\d)(20\d{2})\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[.\-/]\s*\d{1,2}\s*[.\-/]\s*\d{1,2}(?!\d)"
    r"|年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*(?=填报|填制|报送|编制|制表|更新|修订|修改|更正|版))"
)


class UntoldMonth(CellError):
    """A date whose month cannot be told (a number 2022.1, which is 2022.10 too): `written` is the cell as read."""

    def __init__(self, expected: str, fix: str, written: str):
        super().__init__("type", expected, fix)
        self.written = written


@dataclass(frozen=True, slots=True)
class DatedMonth:
    """A month written with its year (`2022年4月`, `2022-04`, an Excel date), to be held to the row's 年度."""

    year: int
    month: int
    day: int  # 1 where none was written: Excel keeps a month as its first day


def parse_date(value: object) -> dt.date:
    """Read an Excel date or any listed written form (2022-03-01, 2022/3/1, 2022.3, 2022年3月1日…)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    text = format(value, ".15g") if numeric else nfkc(str(value)).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if numeric and match and match.group(3) is None:
        # Excel keeps 2022.10 typed into a number cell as 2022.1: the month cannot be told, so none is guessed.
        raise UntoldMonth(
            "应为日期；该单元格是数字，2022.1与2022.10是同一个数，无法确定月份",
            "请填写完整日期，如2022-10-01或2022年10月",
            text,
        )
    if not match:
        _refuse_yearless(text)
        raise CellError("type", "应为日期，如2022-03-01或2022年3月1日", "请按“年-月-日”填写日期")
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError("type", "应为有效日期", "请检查月份和日期是否存在") from exc


def _refuse_yearless(text: str) -> None:
    """Refuse a day or month written without its year (`4月5日`) saying the year is missing, not that it is no date."""
    found = _YEARLESS.match(text)
    if found is None:
        return
    month, day = int(found.group(1)), found.group(2)
    if not 1 <= month <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return
    named = f"{month}月{int(day)}日" if day is not None else f"{month}月"
    raise CellError(
        "type", f"应为日期；没有写年份，无法确定是哪一年的{named}", f"请写上年份，如××××年{named}"
    )


def parse_written_date(value: object) -> dt.date:
    """Read a date as a CSV wrote it, where `2022.1` may be October with its zero dropped (`parse_date` else)."""
    # Excel saves a number as shown: 2022.10 in the General format becomes `2022.1`, and the format that would
    # tell it from January is not in the file. `2022.10`, `2022.01` and `2022.2` (2022.20 is no month) are clear.
    match = _TEXT_MONTH_ONE.match(nfkc(value).strip()) if isinstance(value, str) else None
    if match:
        year = match.group(1)
        raise UntoldMonth(
            f"应为日期；CSV文件中的“{year}.1”也可能是Excel把{year}.10（10月）末尾的0省略后写成的，无法确定月份",
            f"请改写为{year}-01或{year}-10（或{year}年1月、{year}年10月）",
            f"{year}.1",
        )
    return parse_date(value)


def parse_year(value: object) -> int:
    """Read a reporting year between 2000 and 2099 (`2022`, `2022年`, `2022年度`, `二〇二二`)."""
    text = format(value, ".15g") if isinstance(value, float) else stated_year_in_digits(squashed(str(value)))
    match = _YEAR.match(text)
    if not match:
        raise CellError("type", "应为四位年份，如2022", "请填写年度")
    return int(match.group(1))


def parse_month(value: object, written: bool = False) -> int | DatedMonth:
    """Read a month 1–12 (`3`, `3月`, `03`, `三月`, `十二月份`), or one of a year (`2022年3月`, `2022-03`, `202203`, a date).

    `written`: the cell is a CSV's text, where `2022.1` may be 2022.10 with its zero dropped.
    """
    if isinstance(value, dt.date):
        return DatedMonth(value.year, value.month, value.day)
    text = format(value, ".15g") if isinstance(value, float) else squashed(str(value))
    match = _MONTH.match(text)
    month = int(match.group(1)) if match else MONTHS.get(_MONTH_SUFFIX.sub("", text))
    if month is None and (period := _PERIOD_MONTH.match(text)) is not None:
        return DatedMonth(int(period.group(1)), int(period.group(2)), 1)
    if month is None:
        # `2022年4月` names its month, and a year that may not be the row's: parse_file holds it to the 年度.
        try:
            date = (parse_written_date if written else parse_date)(value)
        except UntoldMonth as exc:
            shown = int(exc.written.rpartition(".")[2])
            fix = (
                "请只填写月份：1月填“1”，10月填“10”"
                if shown == 1
                else f"请只填写月份，如{shown}月填“{shown}”"
            )
            raise CellError(
                "type", f"应为1至12之间的月份；{exc.expected.removeprefix('应为日期；')}", fix
            ) from exc
        except CellError:
            date = None
        if date is not None:
            return DatedMonth(date.year, date.month, date.day)
    if month is None and (span := _MONTH_SPAN.match(text)) is not None:
        first, last = int(span.group(1)), int(span.group(2))
        if 1 <= first < last <= 12:
            # Told only 应为1至12之间的月份, the clerk saw a month in it; its figures are no one month's.
            raise CellError(
                "month_range",
                f"应为1至12之间的一个月份，本格写了{first}至{last}月几个月",
                f"请每个月填一行，月份只填一个月（如{last}月填“{last}”），各行填该月的数",
            )
    if month is None or not 1 <= month <= 12:
        raise CellError("month_range", "应为1至12之间的月份", "请填写1至12的整数")
    return month


def year_dated(text: str, year: int) -> str | None:
    """Return the date `text` writes `year` in (`截至2023年1月`), when it writes that year in such dates alone."""
    # The date is quoted as written: the years are read in figures in a copy of the same length.
    written = _DOCUMENT_NUMBER.sub(" ", nfkc(text))
    text = _years_in_digits(written)
    dated = [m for m in _DATED_YEAR.finditer(text) if int(m.group(1) or m.group(2)) == year]
    starts = {m.start(1) if m.group(1) else m.start(2) for m in dated}
    named = [m.start(1) for m in _YEAR_NAMED.finditer(text) if int(m.group(1)) == year]
    if not dated or not set(named) <= starts:
        return None
    return written[dated[0].start() : dated[0].end()].strip()


# A year in two digits where a title names its year (`22年老旧小区改造项目清单`, `'22年…`, `枣林街道办事处22年…`, `…（22年度）`,
# `枣林街道办事处改造老旧小区22年群众满意度调查汇总表`): at its start or after an office's name, before the form's
# name, or as a 年度. Anywhere else `房龄超过20年的` or `20年以上` is no year.
_SHORT_YEAR = re.compile(
    r"(?:^['‘’]?|办事处|街道|局|公司|委员会|中心)\s*(\d{2})\s*年(?!\s*(?:以|内|前|后|来|间|代|龄|期|限))"
    r"|(?<![\d.])(?<!超过)(?<![近满逾约])(\d{2})\s*(?:年度|年(?=\s*(?:老旧|棚户|项目|群众|资金|投资|绩效|满意|建设)))"
)


def short_year_named(text: str) -> tuple[int, str] | None:
    """Return the year a title names in two digits (`22年` as 2022) and how it writes it, when it names one only."""
    found = {
        (int(m.group(1) or m.group(2)), m.group().strip()) for m in _SHORT_YEAR.finditer(nfkc(text).strip())
    }
    if len({year for year, _ in found}) != 1:
        return None
    year, written = min(found)
    return 2000 + year, re.sub(r"^\D+", "", written)


def years_named(text: str) -> tuple[int, ...]:
    """Return the years a title or file name names, in order, each once."""
    return tuple(
        dict.fromkeys(
            int(year) for year in _YEAR_NAMED.findall(_years_in_digits(_DOCUMENT_NUMBER.sub(" ", nfkc(text))))
        )
    )
