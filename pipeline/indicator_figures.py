"""Read one 年度指标值 or 实际完成值 as written: its comparison, number and unit, and what keeps it from being exact."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from pipeline.chinese_numbers import figure_in_digits, leading_number
from pipeline.registry_columns import ColumnType
from pipeline.text import squash
from pipeline.values import GROUPED, MAX_DIGITS, SCALE, digits_apart, point_grouped
from pipeline.written_units import (
    counted_word,
    magnitude_unit,
    measure_of,
    per_unit,
    same_unit,
    unit_factor,
    unit_prefix,
    unit_spelling,
)

# Words offices write for a comparison: before the number (`不低于90%`) or after its unit (`90%以上`).
OPERATOR_WORDS = {
    **dict.fromkeys(
        ("≥", ">=", "≧", ">", "不低于", "不少于", "不小于", "大于等于", "大于或等于", "至少"), "≥"
    ),
    **dict.fromkeys(("达到", "高于", "大于", "超过", "多于"), "≥"),
    **dict.fromkeys(
        ("≤", "<=", "≦", "<", "不高于", "不超过", "不多于", "不大于", "小于等于", "小于或等于"), "≤"
    ),
    **dict.fromkeys(("控制在", "至多", "最多", "低于", "小于", "少于"), "≤"),
    **dict.fromkeys(("=", "等于"), "="),
}
# Of those, the ones that leave the bound itself out. `以上`, `以下` are read as including it, as statistics do.
STRICT_WORDS = frozenset((">", "高于", "大于", "超过", "多于", "<", "低于", "小于", "少于"))
# `95%+` is `95%以上` as a keyboard writes it: a bound, not the figure.
_AFTER_WORDS = {"及以上": "≥", "以上": "≥", "+": "≥", "及以下": "≤", "以下": "≤", "以内": "≤", "之内": "≤"}
_APPROXIMATE_BEFORE = ("大约", "约", "将近", "接近", "近", "大概")
_APPROXIMATE_IN_UNIT = ("左右", "上下", "余", "多", "许")
# Every word saying a number is not exact, an approximation or a bound: one written beside a number elsewhere (总分
# `95（约）`) keeps it from being read as exact.
HEDGE_WORDS = (*_APPROXIMATE_BEFORE, *_APPROXIMATE_IN_UNIT, *_AFTER_WORDS)


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


INDICATOR = re.compile(
    rf"^(?P<about>{_alternatives(_APPROXIMATE_BEFORE)})?(?P<op>{_alternatives(OPERATOR_WORDS)})?"
    rf"(?P<about2>{_alternatives(_APPROXIMATE_BEFORE)})?(?P<number>[0-9][0-9,]*(?:\.[0-9][0-9,]*)?)"
    rf"(?P<unit>.*?)(?P<after>{_alternatives(_AFTER_WORDS)})?$"
)
# A trailing note in brackets says something about the figure, not its unit: `16个(含3个新增)`.
_UNIT_NOTE = re.compile(r"\([^()]*\)$")
# A sentence's closing punctuation ends the value, it is no part of its unit: `85%。`, `93%；`, `16个，`. A comma or
# point right after a digit stays: `1,280,` is a misplaced separator, an error.
CLOSING = re.compile(r"(?:[。;、!]|(?<=\D)[,.])+$")
# A range or a second figure after the first (`80%-90%`, `85-90%`, `90%，整改后100%`): no one number to compare.
_RANGE_START = re.compile(r"^[-~～—–至到]\d")
_DIGIT = re.compile(r"\d")
# `16/16` (done of planned) after a figure: a fraction, the count done or the share of it, never a unit `/16`.
_FRACTION = re.compile(r"^/\d")
# A clerk's words before the one figure of a value (`已完成16个`, `共16个`, `实际完成：16个`): what was done, no doubt
# on the figure. Only these: `未完成16个`, `超额完成16个`, `还差16个` say something else of it, and are not read.
_DONE_WORDS = re.compile(
    r"^(?:(?:实际|已经|已|均已|全部|累计|共计|总计|合计|总共|一共|共)+(?:完成|建成|实现|达成)?|(?:完成|建成|实现|达成))"
    r"了?:?"
)


class Written(NamedTuple):
    operator: str | None
    number: Decimal | None
    unit: str | None
    # approximate, separator, compared or several: what keeps the figure from being exact
    flaw: str | None = None


def _indicator_match(text: str | None, unit: str | None = None) -> re.Match | None:
    return INDICATOR.match(numerals_as_digits(CLOSING.sub("", squash(text or "")), unit))


@functools.lru_cache(maxsize=4096)  # asked of every indicator row, whose targets repeat (`≥95%`, `100%`)
def strict_word(text: str | None) -> str | None:
    """Return the strict comparison a target is written with (`>`, `低于`), None for any other target."""
    # The rules compare by ≥, ≤ and = only (warehouse.md): `>95%` is scored as ≥95%, which the clerk is told.
    match = _indicator_match(text)
    return match.group("op") if match and match.group("op") in STRICT_WORDS else None


def indicator_parts(text: str | None, unit_of_target: str | None = None) -> Written:
    """Read a target or a value; a value's figure in Chinese numerals may end in its target's unit (`三年`)."""
    if text and digits_apart(text):
        return Written(None, None, None, "spaced")  # squashed, `≥370 249户` would be 370249
    match = _indicator_match(text, unit_of_target)
    if match is None:
        return Written(None, None, None)
    written, after = match.group("op"), match.group("after")
    operator = OPERATOR_WORDS.get(written) if written else None
    if after and operator not in (None, _AFTER_WORDS[after]):
        return Written(None, None, None, "compared")  # `≥90%以下` says two things
    operator = operator or (_AFTER_WORDS[after] if after else None)
    digits, unit = match.group("number"), _UNIT_NOTE.sub("", match.group("unit")) or None
    if "," in digits and not GROUPED.fullmatch(digits):
        return Written(operator, None, None, "separator")
    # A bare figure is compared in its target's unit: `1.000` against `=1000个` is 1 or 1,000 as much as `1.000个` is.
    if "." in digits and _point_grouped(digits, unit or unit_of_target):
        return Written(operator, None, None, "point_grouped")
    number = Decimal(digits.replace(",", ""))
    # A figure longer than the warehouse's numbers hold is no indicator value; it must not stop the models.
    if number >= Decimal(10) ** MAX_DIGITS:
        return Written(None, None, None)
    # `2023年11月底前`, `2022年底前完成`: a deadline, met or not, never a number to compare.
    if 1900 <= number <= 2100 and unit and unit.startswith("年"):
        return Written(None, None, None)
    # `12月底前`, `12月底前完工`, `11月完成`: a month is a deadline too (`6个月` is a count of months).
    if 1 <= number <= 12 and number == number.to_integral_value() and unit and unit.startswith("月"):
        return Written(None, None, None)
    if match.group("about") or match.group("about2") or any(w in (unit or "") for w in _APPROXIMATE_IN_UNIT):
        return Written(operator, None, None, "approximate")
    if unit and _another_figure(unit):
        return Written(operator, None, None, "several")
    if unit and _FRACTION.match(unit):
        return Written(operator, None, None, "fraction")
    return Written(operator, number, magnitude_unit(unit_spelling(unit), unit_of_target))


# The places each measure's stored unit holds (万元 to 分, 平方米 to 4; counts are whole), as cells are kept.
_PLACES_STORED = {"money": SCALE[ColumnType.MONEY], "area": SCALE[ColumnType.AREA], "count": 0}


def _point_grouped(digits: str, unit: str | None) -> bool:
    """Say whether a figure may be grouped by points: `1.250.000`, or `12.000户` / `356.800元` in a unit holding fewer
    than 3 places, where its 3 cannot be its own."""
    if unit and unit[0] == "." and unit[1:2].isdigit():
        return True  # `1.250.000户`: read 1.250, and `.000户` taken for its unit
    if not unit or (measure := measure_of(unit)) not in _PLACES_STORED:
        return False
    # A cell's test, so `012.000户` in a 户 column and against `≥12000户` are asked alike.
    if point_grouped(Decimal(digits.replace(",", "")), digits) is None:
        return False
    return _PLACES_STORED[measure] + unit_factor(unit).adjusted() < 3


_OPENING = re.compile(rf"^(?:{_alternatives(OPERATOR_WORDS)})?")


def numerals_as_digits(text: str, unit_of_target: str | None = None) -> str:
    """Write a figure given in Chinese numerals (`≥九成`, `百分之九十`, `十六个`) in digits, and tenths in digits
    (`8成`) as a percentage; any other text as it is. `unit_of_target`: a unit the figure may end in besides the
    known ones (`三年` against `≥3年`)."""
    # Read exactly, they score as the digits would; left as words, the value was no number and scored 0, and `8成`
    # was an error naming 成 a unit where `八成` was 80 %.
    opening = _OPENING.match(text).end()
    written = figure_in_digits(text[opening:], functools.partial(_whole_unit, unit_of_target=unit_of_target))
    return text if written is None else text[:opening] + written


def numerals_unit(text: str | None) -> str | None:
    """Return the word after a figure in Chinese numerals (`≥三年`: 年) when it may be a unit nobody listed: one or
    two characters, no bound; None for any other text."""
    text = CLOSING.sub("", squash(text or ""))
    found = leading_number(text[_OPENING.match(text).end() :])
    tail = found[1] if found else ""
    return tail if 0 < len(tail) <= 2 and not _DIGIT.search(tail) and tail not in _AFTER_WORDS else None


def _whole_unit(tail: str, unit_of_target: str | None = None) -> bool:
    """Say whether what follows a figure is nothing or one known unit (or the target's own), with a bound after it
    (`个以上`): so `十分满意` or `一般` is no figure."""
    bound = next((w for w in sorted(_AFTER_WORDS, key=len, reverse=True) if tail.endswith(w)), "")
    unit = tail.removesuffix(bound) if bound else tail
    if not unit or unit == unit_of_target:
        return True
    return (prefix := unit_prefix(unit)) is not None and prefix[0] == unit


def done_figure(text: str | None, target_unit: str) -> Written | None:
    """Read a value that words the one figure it holds (`已完成16个`, `共16个`) as the figure, where the figure is
    exact and in a unit its target's compares with; None for any other text (two figures, a range, a fraction,
    another unit, no unit, words that say something else of it), which stays a value that is no number."""
    # `已完成16个` against `=16个` was no number and scored 0, where `16个（已完成）` scored in full.
    words = _DONE_WORDS.match(CLOSING.sub("", squash(text or "")))
    if not words or not words.end():
        return None
    written = indicator_parts(squash(text)[words.end() :], target_unit)
    if written.number is None or written.flaw or written.unit is None:
        return None
    # Counted in the target's own word: `完成16户` against `=16个` stays asked about (a bare `16户` is compared, as
    # `个` counts anything), words and another count's unit are two doubts at once.
    if measure_of(written.unit) == "count" and counted_word(written.unit) != counted_word(target_unit):
        return None
    return written if comparable(target_unit, written.unit) else None


# A minus sign before a figure: ASCII, or the typographic one (U+2212) a pasted figure brings.
_MINUS = re.compile(r"^[-−](?=\d)")


def negative_percent(text: str | None, unit_of_target: str | None) -> Written | None:
    """Read a percentage below zero (`-2%`: an 超支率 or 增长率 that fell); None for any other text."""
    # `-2%` against `≤5%` was no number and scored 0, where the target was met. Only a percentage, with its `%`
    # written: a bare `-0.02` is -2 % or -0.02 %, and a count or an amount below zero is no outcome to score.
    squashed = CLOSING.sub("", squash(text or ""))
    if not _MINUS.match(squashed):
        return None
    written = indicator_parts(squashed[1:], unit_of_target)
    if written.number is None or written.flaw or written.operator or written.unit != "%":
        return None
    return written._replace(number=-written.number)


def _another_figure(unit: str) -> bool:
    """Say whether what follows a figure holds a range or a second figure: `%-90%`, `-90%`, `%，整改后100%`."""
    if _RANGE_START.match(unit):
        return True
    prefix = unit_prefix(unit)
    if prefix is None:
        return False
    per = per_unit(unit)
    if per is not None and (known := unit_prefix(per)) is not None and known[0] == per:
        return False  # `元/㎡` is folded to `元/m2`: the 2 of the unit it is per, no second figure
    return _DIGIT.search(unit[len(prefix[0]) :]) is not None


def comparable(first: str, second: str) -> bool:
    """Say whether numbers written in two units can be compared (one measure, or the same words)."""
    pers = per_unit(first), per_unit(second)
    if pers != (None, None) and (None in pers or not same_unit(*pers)):
        # `1400元/户` against `≤1500元/平方米` is a price of another thing, and `1400元` no price at all.
        return False
    shorter, longer = sorted((first, second), key=len)
    known = unit_prefix(longer)
    if (
        longer.startswith(shorter)
        and unit_factor(first) == unit_factor(second)
        and (known is None or len(known[0]) <= len(shorter))
    ):
        # `16个小区` against `=16个`: the measure word, then what is counted. Not `24.5万` against `≥24.4万平方米`:
        # 万 is no unit, and taken as one 24.5 would be compared with 244000 平方米; nor `人` against `人次`, a unit of
        # its own (people, and visits of them).
        return True
    measures = measure_of(first), measure_of(second)
    if None in measures or measures[0] != measures[1]:
        return False
    if measures[0] == "count":
        # 户 are households, 人 people, 套 dwellings: counted of different things, they never compare. Only the
        # plain 个 counts whatever its target counts.
        words = {counted_word(first), counted_word(second)}
        return len(words) == 1 or "个" in words
    return True


INDICATOR_FLAWS = {
    "approximate": ("应为确切的数值，不能带“约”“左右”“余”等字样", "请填写确切的数值"),
    "separator": ("数字中的逗号位置不对，逗号只能用作千分位分隔符（如1,280）", "请检查数字，删去多余的逗号"),
    "point_grouped": (
        "的数可能是以小数点作千分位写的（如“12.000户”可能是12000户，“1.250.000”可能是1250000），无法确定是多少",
        "请改写为确切的数：千分位只用逗号（如12,000户），小数点只用于小数",
    ),
    "spaced": ("数字中间不能有空格或换行", "请只填写一个数字，删去数字中间的空格或换行"),
    "compared": ("同时写了两种比较方式（如“≥…以下”）", "请只保留一种，如“≥90%”"),
    "several": (
        "应为一个确切的数值，不能写成范围或多个数值（如“80%-90%”）",
        "请只填写一个数值，其他说明写在偏差原因分析栏",
    ),
    "fraction": (
        "应为一个确切的数值，不能写成分数（如“16/16”），无法确定是完成的数量还是完成的比例",
        "请填写实际完成的数量或比例，如“16个”或“100%”",
    ),
}
