"""Normalise Chinese text the way offices write it: full/half width, stray spaces, notes."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from pipeline.chinese_numbers import MONTHS

_SPACE = re.compile(r"\s+")
T = TypeVar("T")


def remembered_if_short(limit: int, maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Remember what a function of a text gives for texts of at most `limit` characters, once per process."""

    # The names, units and headers a run repeats are short and few; a long text (a paragraph, a hostile cell) is
    # computed each time, so it never fills the cache.
    def remember(function: Callable[[str], T]) -> Callable[[str], T]:
        remembered = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(text: str) -> T:
            return remembered(text) if len(text) <= limit else function(text)

        return call

    return remember


# Units written in a header's trailing brackets: 改造面积（万平方米）, 计划投资(万元), 计划投资【万元】, 计划投资[万元]
# (full-width ［］ fold to []). The unit is the last group that matched.
_HEADER_UNIT = re.compile(r"(?:\(([^()]*)\)|\[([^\[\]]*)\]|【([^【】]*)】)\s*$")
# A unit after a slash or a space, `计划投资/万元`, `计划投资 万元`: read as one only where it is a known unit.
_UNIT_APART = re.compile(r"^(?P<label>[^/]*?\S)\s*(?:/\s*|\s+)(?P<unit>[^/\s]+)\s*$")
# The labels a unit is written after, on a line above a table (`金额单位：万元`) or in a header (`金额（单位：元）`).
UNIT_LABELS = ("计量单位", "金额单位", "货币单位", "计价单位", "面积单位", "单位")
# Labels naming the measure whose unit follows: a second such line adds its unit to the first (`单位：元  面积单位：万平方米`).
MEASURE_UNIT_LABELS = ("金额单位", "面积单位")
_UNIT_LABEL = re.compile(rf"^(?:{'|'.join(UNIT_LABELS)})[:：]")
# A unit stated in a line or cell of its own, labelled or in a sentence as read_meta reads it (`单位：元`,
# `（金额单位：元）`, `本表单位为元`), folded as `squash` folds it.
UNIT_STATED = re.compile(rf"^\(?(?:本表)?(?:{'|'.join(UNIT_LABELS)})[:：为]")
_TRAILING_NOTE = re.compile(r"(\((注|备注|说明)[^()]*\)|[*※]+)$")
# A header covering the year so far, `1-7月执行数`, `1至7月份实际完成情况`, `1月—7月`: folded to `1-N月…`, N kept
# apart. 月份 is 月 as often written; any dash a keyboard or a converted PDF gives joins the months.
_MONTH = r"(\d{1,2}|十[一二]?|[二三四五六七八九])"
_QUARTER = r"[1-4一二三四]"
_DASH = "-~〜‐‑‒–—―−"
# `1-6月`, `一至六月份`, `1-6月底`; and as provinces' exports write the same months: `截至6月`, `截止到6月底`, `上半年`,
# `前三季度`, `1-3季度`, `第三季度末`, `截至三季度`. Never a later quarter or half alone (`第二季度` is 4-6月, not 1-6月;
# `前一季度` may be the quarter before). A year may lead (`2022年1-6月`) or follow 截至 (`截至2022年6月30日`): the
# months are read as without it, the year kept to be checked against the form's (`header_year`).
_MONTHS_SO_FAR = re.compile(
    r"^(?:(?P<year>(?:19|20)\d{2})年度?)?(?:"
    rf"(?:1|一)(?:月份?)?[{_DASH}至到]+{_MONTH.replace('(', '(?P<upto>', 1)}月份?[底末]?"
    rf"|截[至止]到?(?:(?P<year_at>(?:19|20)\d{{2}})年)?{_MONTH.replace('(', '(?P<at>', 1)}月份?"
    r"(?:(?P<day>2[89]|3[01])日)?[底末]?"
    rf"|(?P<half>上半年)|前(?P<front>[二两三四])个?季度|(?:1|一)(?:季度)?[{_DASH}至到]+(?P<quarters>{_QUARTER})季度"
    rf"|(?:截[至止]到?)?第?(?P<ended>{_QUARTER})季度[末底]|截[至止]到?第?(?P<through>{_QUARTER})季度)"
)
# The same within a line, as a title writes it (`2022年1-6月项目支出绩效运行监控表`), never after a digit (`11-12月`).
_MONTHS_IN_LINE = re.compile(r"(?<![\d十])" + _MONTHS_SO_FAR.pattern.removeprefix("^"))
MONTHS_SO_FAR_MARK = "1-N月"
_QUARTERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_LAST_DAYS = {
    month: (29, 28) if month == 2 else (30,) if month in (4, 6, 9, 11) else (31,) for month in range(1, 13)
}
# One month a title names (`2022年6月投资完成情况`, `六月份月报`): never within a range (`1-6月`, `11-12月`), after
# 截至 (`截至6月`: the months so far), nor as a day's month (`6月30日`).
_MONTH_IN_LINE = re.compile(
    rf"(?<![\d十\-~〜‐‑‒–—―−至到止])(?<!截至)(?<!截止){_MONTH}月份?(?![\d〇一二三四五六七八九十]|[-~〜‐‑‒–—―−至到])"
)


def nfkc(value: str) -> str:
    """Fold full-width forms to half-width (`（` → `(`, `１` → `1`) and drop zero-width characters."""
    return unicodedata.normalize("NFKC", value).replace("\u200b", "").replace("\ufeff", "")


def squash(value: str) -> str:
    """Fold width and remove every space and line break, for matching keys and labels."""
    return _SPACE.sub("", nfkc(value))


def clean_name(value: str) -> str:
    """Normalise a name written by hand: width, inner spaces, trailing notes and asterisks."""
    return _stripped(squash(value), _TRAILING_NOTE)


def _stripped(text: str, ending: re.Pattern) -> str:
    """Strip what `ending` matches off the end of a text, again until nothing more is."""
    previous = None
    while previous != text:
        previous = text
        text = ending.sub("", text)
    return text


# Any note in brackets after an item: `发放津贴补贴（春节慰问）` is the item 发放津贴补贴.
_ITEM_NOTE = re.compile(r"\([^()]*\)$")


@functools.lru_cache(maxsize=4096)
def item_key(value: str) -> str:
    """Fold a text held against a list of items: width, every space and line break, and trailing notes in brackets."""
    return _stripped(squash(value), _ITEM_NOTE) or squash(value)


# Units written as one sign (㎡, ㎞, m²): NFKC spells them m2, km, so a clerk's `12.5万㎡` printed as `12.5万m2` in the
# report. Free text keeps them as written; the unit registry folds them where it reads them (Units.find squashes).
_UNIT_SIGNS = re.compile(r"([\u3380-\u33df²³])")


def clean_text(value: str) -> str:
    """Normalise free text: fold width, collapse runs of whitespace, trim; units written as one sign stay."""
    folded = "".join(part if i % 2 else nfkc(part) for i, part in enumerate(_UNIT_SIGNS.split(value)))
    return _SPACE.sub(" ", folded).strip()


def clean_prose(value: str) -> str:
    """Normalise a paragraph only where it is noise: line endings, zero-width characters, outer blank space."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u200b", "").replace("\ufeff", "")
    # Full-width punctuation is what an official Chinese text is written in, so widths are not folded.
    return "\n".join(line.strip() for line in text.strip().split("\n"))


# Each candidate header row is matched against every template, and offices reuse the same headers in every
# file, so the few thousand distinct headers of a run are split once each.
@functools.lru_cache(maxsize=8192)
def split_header(raw: str) -> tuple[str, str | None]:
    """Split a header as written into its normalised label and the unit in its trailing brackets."""
    # A form's label written `主管部门：` or `项目资金（万元）：` names its field as it does without the colon.
    text = squash(raw).lstrip("*").rstrip("*:")
    unit = None
    match = _HEADER_UNIT.search(text)
    if match:
        # `金额（单位：元）` names its unit as `金额（元）` does.
        unit = _UNIT_LABEL.sub("", match.group(match.lastindex)) or None
        text = text[: match.start()]
    elif (apart := _unit_apart(raw)) is not None:
        text, unit = apart
    return _MONTHS_SO_FAR.sub(MONTHS_SO_FAR_MARK, text.rstrip("*")), unit


def _unit_apart(raw: str) -> tuple[str, str] | None:
    """Return the label and unit of a header writing a known unit after a slash or a space (`计划投资/万元`)."""
    written = nfkc(raw).strip().lstrip("*").rstrip("*:")
    if "/" not in written and _SPACE.search(written) is None:
        return None
    match = _UNIT_APART.match(written)
    # Only a unit the registry knows, or %: `文号/凭证号` and `资金 来源` are one header each, not a label and a unit.
    if match is None or not is_unit_word(match["unit"]):
        return None
    return squash(match["label"]).lstrip("*"), squash(match["unit"])


def is_unit_word(word: str) -> bool:
    """Tell whether a word written apart in a header (`计划投资/万元`, a cell's last line) is a unit: %, or one of
    the registry's."""
    from pipeline.written_units import PERCENT_UNITS, indicator_units  # they import this module

    return word in PERCENT_UNITS or indicator_units().find(word) is not None


def with_months(header: str, months: int | None) -> str:
    """Write a template's `1-N月…` header with a form's N (`1-7月执行数`); as it is while N is not known."""
    return header if months is None else header.replace(MONTHS_SO_FAR_MARK, f"1-{months}月")


def months_so_far(raw: str) -> int | None:
    """Return N of a header written `1-N月…` (the months a monitoring form covers), else None."""
    return _month_of(_MONTHS_SO_FAR.match(squash(raw).lstrip("*")))


def months_named(line: str) -> int | None:
    """Return N of a `1-N月` written anywhere in a line (a title's), else None."""
    return _month_of(_MONTHS_IN_LINE.search(squash(line)))


def month_named(line: str) -> int | None:
    """Return the one month a line (a title) names on its own, not as months so far; None for none or several."""
    line = squash(line)
    if _MONTHS_IN_LINE.search(line):
        return None  # `2022年1-6月`: the months so far, which a form's headers are checked against
    months = {int(m) if m.isdigit() else MONTHS[m] for m in _MONTH_IN_LINE.findall(line)}
    return months.pop() if len(months) == 1 and 1 <= next(iter(months)) <= 12 else None


def header_year(raw: str) -> int | None:
    """Return the year a `1-N月…` header names with its months (`2022年1-6月执行数`, `截至2022年6月30日…`), else None."""
    match = _MONTHS_SO_FAR.match(squash(raw).lstrip("*"))
    year = match and (match.group("year") or match.group("year_at"))
    return int(year) if year else None


def _month_of(match: re.Match | None) -> int | None:
    if match is None:
        return None
    if match.group("half"):
        return 6
    quarter = next((q for q in match.group("front", "quarters", "ended", "through") if q), None)
    if quarter is not None:
        return 3 * (int(quarter) if quarter.isdigit() else _QUARTERS[quarter])
    month = match.group("upto") or match.group("at")
    month = int(month) if month.isdigit() else MONTHS[month]
    # `截至7月31日`: the month's last day is its end (February's 28th or 29th); another day leaves it unknown.
    day = match.group("day")
    if day is not None and int(day) not in _LAST_DAYS.get(month, ()):
        return None
    return month


# Every control (C0, DEL, C1), the line and paragraph separators, and the bidi embeddings, overrides, isolates and
# marks that can make a name read backwards. Kept faithfully in the warehouse; never printed raw, nor put in a name.
UNPRINTABLE = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_UNPRINTABLE = re.compile(f"[{UNPRINTABLE}]")
# Text of many lines (a table, a paragraph) keeps its line feeds and tabs: they are its layout, not its content.
# One class without them, not a lookahead before the class: the class alone lets the engine skip to a candidate,
# four times faster over a report's tooltips (session 49).
_BUT_LAYOUT = UNPRINTABLE.replace(r"\x00-\x1f", r"\x00-\x08\x0b-\x1f", 1)  # all but \t (9) and \n (10)
_UNPRINTABLE_BUT_LAYOUT = re.compile(f"[{_BUT_LAYOUT}]")


def _shown(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    # C0 controls have a visible picture (␁ for \x01, ␛ for ESC, ␊ for a line feed, ␡ for DEL); the rest are
    # replaced outright.
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


# A value printed within a line (a file name, a cell) takes `one_line`: a line feed in it could forge a line.
def printable(value: str, *, one_line: bool = False) -> str:
    """Replace control and bidi characters with visible stand-ins, for printing; with `one_line`, line feeds too."""
    # Every character UNPRINTABLE names is a control, format or separator character, which isprintable() refuses:
    # a text it accepts has none, and is returned at C speed (most texts of a report, a receipt, a page).
    if value.isprintable():
        return value
    return (_UNPRINTABLE if one_line else _UNPRINTABLE_BUT_LAYOUT).sub(_shown, value)


def one_line(value: object) -> str:
    """Show a value from a file or its name on one line: a line feed in a name must not forge a line."""
    return printable(str(value), one_line=True)


def first_said(exc: BaseException) -> str:
    """Return the first line of an exception's words (DuckDB's run on with context), or its type's name if none."""
    said = str(exc).splitlines()
    return said[0] if said and said[0] else type(exc).__name__


def display_width(text: str) -> int:
    """Return how many terminal columns text takes: wide and full-width characters (汉字, ，) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """Left-align text in `width` terminal columns, counting wide characters as two."""
    return text + " " * max(width - display_width(text), 0)


def clip(text: str, width: int) -> str:
    """Shorten text to at most `width` terminal columns, marking the cut with an ellipsis."""
    if display_width(text) <= width:
        return text
    kept = ""
    for char in text:
        if display_width(kept + char) > width - 1:
            break
        kept += char
    return kept + "…"


def char_pairs(label: str) -> set[str]:
    """Return the two-character runs of a label: two headers sharing one are alike (`实际完成情况`, `实际完成值`)."""
    return {label[i : i + 2] for i in range(len(label) - 1)}


def rows_text(rows: tuple[int, ...]) -> str:
    """Write Excel rows as ranges: (6, 7, 8, 10) → 第6至8、10行."""
    spans: list[str] = []
    ordered = sorted(set(rows))
    start = previous = None
    for row in [*ordered, None]:
        if previous is not None and row == previous + 1:
            previous = row
            continue
        if start is not None:
            spans.append(str(start) if start == previous else f"{start}至{previous}")
        start = previous = row
    return f"第{'、'.join(spans)}行" if spans else ""


# The outline numbers of a Chinese document, by level: 一、 over （一） over 1. over （1） over ①.
_OUTLINE = (
    re.compile(r"[一二三四五六七八九十]+[、.．]"),
    re.compile(r"[（(][一二三四五六七八九十]+[）)]"),
    re.compile(r"\d{1,2}(?:[、．]|\.(?!\d))"),
    re.compile(r"[（(]\d{1,2}[）)]"),
    re.compile(r"[①-⑳]"),
)


def outline_level(text: str) -> int | None:
    """Return the outline level a text's leading number marks (0 for `一、`, 2 for `1.`), None where it has none."""
    text = text.lstrip()
    return next((level for level, number in enumerate(_OUTLINE) if number.match(text)), None)
