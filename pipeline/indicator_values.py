"""Read an indicator's 年度指标值 and 实际完成值 together: operator, number and unit as the clerk meant them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from pipeline.chinese_numbers import figure_in_digits, leading_number
from pipeline.percent_slips import fraction_as_points, fraction_typed
from pipeline.problems import display
from pipeline.text import split_header, squash
from pipeline.values import GROUPED, MAX_DIGITS, CellError, Noted, bare_percent, digits_apart
from pipeline.written_units import (
    counted_word,
    indicator_units,
    is_magnitude,
    magnitude_unit,
    measure_of,
    unit_factor,
    unit_measure,
    unit_prefix,
    unit_spelling,
)


@dataclass(frozen=True, slots=True)
class Indicator:
    """An 年度指标值 and its 实际完成值 read together, numbers in the unit written (the models convert them)."""

    operator: str  # ≥, ≤, = or 定性 (no number in the target)
    target_number: Decimal | None
    target_unit: str | None
    reported_number: Decimal | None
    reported_unit: str | None
    noted: Noted | None = None
    # What makes the pair unreadable (the file is returned), and whether it lies in the target or the value.
    error: Noted | None = None
    error_in_target: bool = False
    # How the target's own cell was read, where `noted` already tells of the value (both bare 1s under （%）).
    target_noted: Noted | None = None
    noted_in_target: bool = False  # `noted` is about the target's cell (`≥90` read as ≥90 %), not the value's

    @property
    def target_factor(self) -> Decimal:
        """Return what the target's number is multiplied by to be in its measure's base unit."""
        return unit_factor(self.target_unit)

    @property
    def target_measure(self) -> str | None:
        """Return what the target's unit measures (`percent`, money, area, count), None with no unit or an unknown one."""
        return unit_measure(self.target_unit)

    @property
    def target_counts(self) -> str | None:
        """Return what a count target counts (`≥9000人`: 人, `≥0.3万户`: 户), None for any other target."""
        return counted_word(self.target_unit) if self.target_measure == "count" else None

    @property
    def reported_factor(self) -> Decimal:
        """Return what the reported number is multiplied by to be in its measure's base unit."""
        return unit_factor(self.reported_unit)


# Words offices write for a comparison: before the number (`不低于90%`) or after its unit (`90%以上`).
_OPERATOR_WORDS = {
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
_STRICT_WORDS = frozenset((">", "高于", "大于", "超过", "多于", "<", "低于", "小于", "少于"))
# `95%+` is `95%以上` as a keyboard writes it: a bound, not the figure.
_AFTER_WORDS = {"及以上": "≥", "以上": "≥", "+": "≥", "及以下": "≤", "以下": "≤", "以内": "≤", "之内": "≤"}
_APPROXIMATE_BEFORE = ("大约", "约", "将近", "接近", "近", "大概")
_APPROXIMATE_IN_UNIT = ("左右", "上下", "余", "多", "许")


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_INDICATOR = re.compile(
    rf"^(?P<about>{_alternatives(_APPROXIMATE_BEFORE)})?(?P<op>{_alternatives(_OPERATOR_WORDS)})?"
    rf"(?P<about2>{_alternatives(_APPROXIMATE_BEFORE)})?(?P<number>[0-9][0-9,]*(?:\.[0-9][0-9,]*)?)"
    rf"(?P<unit>.*?)(?P<after>{_alternatives(_AFTER_WORDS)})?$"
)
# A trailing note in brackets says something about the figure, not its unit: `16个(含3个新增)`.
_UNIT_NOTE = re.compile(r"\([^()]*\)$")
# A sentence's closing punctuation ends the value, it is no part of its unit: `85%。`, `93%；`, `16个，`. A comma or
# point right after a digit stays: `1,280,` is a misplaced separator, an error.
_CLOSING = re.compile(r"(?:[。;、!]|(?<=\D)[,.])+$")
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


class _Written(NamedTuple):
    operator: str | None
    number: Decimal | None
    unit: str | None
    # approximate, separator, compared or several: what keeps the figure from being exact
    flaw: str | None = None


def _indicator_match(text: str | None, unit: str | None = None) -> re.Match | None:
    return _INDICATOR.match(_numerals_as_digits(_CLOSING.sub("", squash(text or "")), unit))


@functools.lru_cache(maxsize=4096)  # asked of every indicator row, whose targets repeat (`≥95%`, `100%`)
def strict_word(text: str | None) -> str | None:
    """Return the strict comparison a target is written with (`>`, `低于`), None for any other target."""
    # The rules compare by ≥, ≤ and = only (warehouse.md): `>95%` is scored as ≥95%, which the clerk is told.
    match = _indicator_match(text)
    return match.group("op") if match and match.group("op") in _STRICT_WORDS else None


def _indicator_parts(text: str | None, unit_of_target: str | None = None) -> _Written:
    """Read a target or a value; a value's figure in Chinese numerals may end in its target's unit (`三年`)."""
    if text and digits_apart(text):
        return _Written(None, None, None, "spaced")  # squashed, `≥370 249户` would be 370249
    match = _indicator_match(text, unit_of_target)
    if match is None:
        return _Written(None, None, None)
    written, after = match.group("op"), match.group("after")
    operator = _OPERATOR_WORDS.get(written) if written else None
    if after and operator not in (None, _AFTER_WORDS[after]):
        return _Written(None, None, None, "compared")  # `≥90%以下` says two things
    operator = operator or (_AFTER_WORDS[after] if after else None)
    digits, unit = match.group("number"), _UNIT_NOTE.sub("", match.group("unit")) or None
    if "," in digits and not GROUPED.fullmatch(digits):
        return _Written(operator, None, None, "separator")
    number = Decimal(digits.replace(",", ""))
    # A figure longer than the warehouse's numbers hold is no indicator value; it must not stop the models.
    if number >= Decimal(10) ** MAX_DIGITS:
        return _Written(None, None, None)
    # `2023年11月底前`, `2022年底前完成`: a deadline, met or not, never a number to compare.
    if 1900 <= number <= 2100 and unit and unit.startswith("年"):
        return _Written(None, None, None)
    # `12月底前`, `12月底前完工`, `11月完成`: a month is a deadline too (`6个月` is a count of months).
    if 1 <= number <= 12 and number == number.to_integral_value() and unit and unit.startswith("月"):
        return _Written(None, None, None)
    if match.group("about") or match.group("about2") or any(w in (unit or "") for w in _APPROXIMATE_IN_UNIT):
        return _Written(operator, None, None, "approximate")
    if unit and _another_figure(unit):
        return _Written(operator, None, None, "several")
    if unit and _FRACTION.match(unit):
        return _Written(operator, None, None, "fraction")
    return _Written(operator, number, magnitude_unit(unit_spelling(unit), unit_of_target))


# A column of its own beside the 年度指标值 (指标性质, 指标方向) states a comparison as the cell would (`≥`, `不低于`),
# which way is better (正向: the higher), or only the kind of target: 定性 words, 定量 a number (compared as a bare
# number in the cell is).
_DIRECTIONS = {"正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤"}
_KINDS = {"定性": "定性", "定性指标": "定性", "定量": None, "定量指标": None}


class TargetPartError(CellError):
    """A target's comparison or unit, in a column of its own, that cannot be read or contradicts the target's cell."""

    def __init__(self, expected: str, fix: str, in_unit: bool = False):
        super().__init__("indicator_parts", expected, fix)
        self.in_unit = in_unit


def joined_target(
    target: str | None, operator: str | None, unit: str | None, headers: tuple[str, str, str]
) -> str | None:
    """Return a target as if the comparison and unit written in columns of their own (`headers`: the target's, the
    comparison's, the unit's) were written in its cell: `≤` `9163.6` `万元` is ≤9163.6万元."""
    target_header, operator_header, unit_header = headers
    word = squash(operator) if operator else ""
    if word in _KINDS or not word:
        sign, kind = None, _KINDS.get(word)
    elif (sign := _OPERATOR_WORDS.get(word) or _DIRECTIONS.get(word)) is None:
        raise TargetPartError(
            f"「{operator_header}」应为比较方式（≥、≤、=、不低于、不高于等）、正向、反向、定性或定量，"
            f"“{operator}”不是其中之一，本行的「{target_header}」无法读取",
            "请在该列填写比较方式，如“≥”“≤”“=”",
        )
    else:
        kind = None
    # `—` or `无` in either column is no value, read as blank with every cell (values.is_blank).
    written = squash(unit) if unit else ""
    parts = _indicator_parts(target)
    if not target or parts.number is None:
        return target  # words, a deadline or a figure that is no number: read, and told of, as the cell alone
    if kind == "定性":
        raise TargetPartError(
            f"「{operator_header}」为“{operator}”（定性指标），「{target_header}」“{target}”却是数值，两者矛盾",
            f"定性指标请在「{target_header}」中写明要达到的情况；数值指标请在「{operator_header}」中写明比较方式，如“≥”",
        )
    # `大于` beside `≥95` is no agreement: one leaves 95 out, the other counts it (both are scored as ≥).
    cell_strict = strict_word(target)
    if (
        sign
        and parts.operator
        and (
            sign != parts.operator
            or (word in _OPERATOR_WORDS and (word in _STRICT_WORDS) != bool(cell_strict))
        )
    ):
        raise TargetPartError(
            f"「{operator_header}」为“{operator}”，「{target_header}」“{target}”中写的却是“{cell_strict or parts.operator}”，两者矛盾",
            f"请核对比较方式，使「{operator_header}」与「{target_header}」一致",
        )
    if written and parts.unit:
        spelled = unit_spelling(written)
        if parts.unit != spelled and not (
            parts.unit.startswith(spelled) and unit_factor(parts.unit) == unit_factor(spelled)
        ):
            raise TargetPartError(
                f"「{unit_header}」为“{unit}”，「{target_header}」“{target}”中写的单位却是“{parts.unit}”，两者不一致",
                f"请核对单位，使「{unit_header}」与「{target_header}」一致",
                in_unit=True,
            )
    text = _numerals_as_digits(_CLOSING.sub("", squash(target)))
    if written and not parts.unit:
        end = _INDICATOR.match(text).end("number")
        text = text[:end] + written + text[end:]
    # A strict word (`大于`) is kept as written, so the row's reading tells the clerk it was scored as ≥.
    written_sign = word if word in _STRICT_WORDS else sign
    return written_sign + text if sign and not parts.operator else text


_OPENING = re.compile(rf"^(?:{_alternatives(_OPERATOR_WORDS)})?")


def _numerals_as_digits(text: str, unit_of_target: str | None = None) -> str:
    """Write a figure given in Chinese numerals (`≥九成`, `百分之九十`, `十六个`) in digits, and tenths in digits
    (`8成`) as a percentage; any other text as it is. `unit_of_target`: a unit the figure may end in besides the
    known ones (`三年` against `≥3年`)."""
    # Read exactly, they score as the digits would; left as words, the value was no number and scored 0, and `8成`
    # was an error naming 成 a unit where `八成` was 80 %.
    opening = _OPENING.match(text).end()
    written = figure_in_digits(text[opening:], functools.partial(_whole_unit, unit_of_target=unit_of_target))
    return text if written is None else text[:opening] + written


def _numerals_unit(text: str | None) -> str | None:
    """Return the word after a figure in Chinese numerals (`≥三年`: 年) when it may be a unit nobody listed: one or
    two characters, no bound; None for any other text."""
    text = _CLOSING.sub("", squash(text or ""))
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


def _done_figure(text: str | None, target_unit: str) -> _Written | None:
    """Read a value that words the one figure it holds (`已完成16个`, `共16个`) as the figure, where the figure is
    exact and in a unit its target's compares with; None for any other text (two figures, a range, a fraction,
    another unit, no unit, words that say something else of it), which stays a value that is no number."""
    # `已完成16个` against `=16个` was no number and scored 0, where `16个（已完成）` scored in full.
    words = _DONE_WORDS.match(_CLOSING.sub("", squash(text or "")))
    if not words or not words.end():
        return None
    written = _indicator_parts(squash(text)[words.end() :], target_unit)
    if written.number is None or written.flaw or written.unit is None:
        return None
    # Counted in the target's own word: `完成16户` against `=16个` stays asked about (a bare `16户` is compared, as
    # `个` counts anything), words and another count's unit are two doubts at once.
    if measure_of(written.unit) == "count" and counted_word(written.unit) != counted_word(target_unit):
        return None
    return written if _comparable(target_unit, written.unit) else None


# A minus sign before a figure: ASCII, or the typographic one (U+2212) a pasted figure brings.
_MINUS = re.compile(r"^[-−](?=\d)")


def _negative_percent(text: str | None, unit_of_target: str | None) -> _Written | None:
    """Read a percentage below zero (`-2%`: an 超支率 or 增长率 that fell); None for any other text."""
    # `-2%` against `≤5%` was no number and scored 0, where the target was met. Only a percentage, with its `%`
    # written: a bare `-0.02` is -2 % or -0.02 %, and a count or an amount below zero is no outcome to score.
    squashed = _CLOSING.sub("", squash(text or ""))
    if not _MINUS.match(squashed):
        return None
    written = _indicator_parts(squashed[1:], unit_of_target)
    if written.number is None or written.flaw or written.operator or written.unit != "%":
        return None
    return written._replace(number=-written.number)


def _bound_unscorable(bound: str | None, operator: str) -> bool:
    """Say whether a value written as a bound (`≥95%`, `90%以下`) leaves its score unknown against the target's
    comparison: a bound the other way (`≤` against `≥`), or any bound against `=`."""
    return bound in ("≥", "≤") and operator in ("≥", "≤", "=") and bound != operator


def _another_figure(unit: str) -> bool:
    """Say whether what follows a figure holds a range or a second figure: `%-90%`, `-90%`, `%，整改后100%`."""
    if _RANGE_START.match(unit):
        return True
    prefix = unit_prefix(unit)
    return prefix is not None and _DIGIT.search(unit[len(prefix[0]) :]) is not None


def _comparable(first: str, second: str) -> bool:
    """Say whether numbers written in two units can be compared (one measure, or the same words)."""
    if (first.startswith(second) or second.startswith(first)) and unit_factor(first) == unit_factor(second):
        # `16个小区` against `=16个`: the measure word, then what is counted. Not `24.5万` against `≥24.4万平方米`:
        # 万 is no unit, and taken as one 24.5 would be compared with 244000 平方米.
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


_INDICATOR_FLAWS = {
    "approximate": ("应为确切的数值，不能带“约”“左右”“余”等字样", "请填写确切的数值"),
    "separator": ("数字中的逗号位置不对，逗号只能用作千分位分隔符（如1,280）", "请检查数字，删去多余的逗号"),
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


def _in_header_unit(
    written: _Written, header_unit: str | None, against: Decimal | None, basis: str, *, target: bool = False
) -> tuple[_Written, Noted | None]:
    """Give a number written without a unit the unit of its column's header (`年度指标值（%）`): 0.9 there is 90 %."""
    unit = unit_spelling(header_unit) if header_unit else None
    if unit is None or written.number is None or written.unit is not None:
        return written, None
    if unit != "%":
        return written._replace(unit=unit), None
    number, noted = bare_percent(written.number, against, basis, target=target)
    return written._replace(number=number, unit="%"), noted


@functools.lru_cache(maxsize=4096)  # a year's thousands of indicators repeat a few hundred names
def name_unit(level3: str | None) -> str | None:
    """Return the unit a 三级指标 names in its closing brackets (`改造面积（万平方米）`, `满意度（%）`), if a known one."""
    unit = split_header(level3)[1] if level3 else None
    prefix = unit_prefix(unit) if unit else None
    # `（含道路）`, `（中央资金）` are notes on what is counted, `（万元/户）` a price: none is the unit of a bare number.
    return unit if prefix is not None and prefix[0] == unit else None


def read_indicator(
    target_text: str | None,
    reported_text: str | None,
    target_header_unit: str | None = None,
    reported_header_unit: str | None = None,
    rate: bool = False,
    level3: str | None = None,
) -> Indicator:
    """Read a target and the value reported against it (`_read_indicator`), the 三级指标 kept only where it names a
    unit: a year's indicators repeat a few hundred targets under many names, and each pair is read once."""
    named = level3 if name_unit(level3) is not None else None
    return _read_indicator(target_text, reported_text, target_header_unit, reported_header_unit, rate, named)


@functools.lru_cache(maxsize=65536)
def _read_indicator(
    target_text: str | None,
    reported_text: str | None,
    target_header_unit: str | None,
    reported_header_unit: str | None,
    rate: bool,
    level3: str | None,
) -> Indicator:
    """Read a target (`≥95%`, `=16个`, `按期完成`) and the value reported against it, as the clerk meant it.

    A header's unit (`实际完成值（%）`) is the unit of a number written without one in its column, and the unit the
    row's 三级指标 names (`改造面积（万平方米）`) that of both its cells, before the headers'. `rate`: the indicator is
    computed as a rate (rules.yaml bindings: 满意度, 支付率), so a target without a unit is a percentage.
    """
    named = name_unit(level3)
    named_by = f"三级指标“{level3}”注明（%）"
    target_header_unit = named or target_header_unit
    reported_header_unit = named or reported_header_unit
    target = _indicator_parts(target_text)
    # `≥1.5亿` beside `16000万元` is 1.5 亿元, `≥2.4万` under 年度指标值（万平方米） 2.4 万平方米: the measure is told by the
    # unit the row names, else its value's. With none, 万 stays a word compared only with itself.
    if is_magnitude(target.unit):
        other = _indicator_parts(reported_text).unit
        target = target._replace(
            unit=magnitude_unit(target.unit, target_header_unit, other, reported_header_unit)
        )
    # `≥三年` beside `4年` or `三年`: numerals ending in the unit its value is written in, as `三年` is read against
    # `≥3年` (it was 定性, and `4年` no outcome, scored 0).
    if (
        target.number is None
        and not target.flaw
        and (unit := _numerals_unit(target_text))
        and _indicator_parts(reported_text, unit).unit == unit
    ):
        target = _indicator_parts(target_text, unit)
    operator = "定性" if target.number is None else target.operator or "≥"
    # A bare 1 as a percent target: `≥1` asks for all of something (100 %), `≤1` for a small share (1 %).
    all_of = Decimal(100) if operator in ("≥", "=") else None
    basis = (
        f"{named_by}、年度指标值“{target_text}”按“{operator}”比较"
        if named
        else f"年度指标值“{target_text}”的表头注明（%）、按“{operator}”比较"
    )
    target, target_noted = _in_header_unit(target, target_header_unit, all_of, basis, target=True)
    header_noted = None
    if rate and target.unit is None and target.number is not None:
        # `居民满意度（%）` `≥90`: the data give the rate as a fraction, so 90 read as written would be 90 times 100 %.
        # (No header unit was taken, or the target would have one: nothing is noted of it yet.)
        said = f"年度指标值“{target_text}”未写单位，该指标由数据按百分比计算"
        target, target_noted = _in_header_unit(target, "%", all_of, said, target=True)
        target_noted = target_noted or Noted(
            None,
            "indicator_unit_assumed",
            f"{said}，已读作“{operator}{display(target.number)}%”",
            f"请在年度指标值中写明单位，如“{operator}{display(target.number)}%”",
        )
    target_number, target_unit = target.number, target.unit
    if target_number == 0 and target.operator is None:
        # `0起`: ≥ 0, as a bare number is read, is met by any value (安全生产事故 2起 scored in full); a target of none
        # is = 0, and the clerk is told it was read so.
        written = f"0{target_unit or ''}"
        operator, target_noted = (
            "=",
            Noted(
                None,
                "indicator_zero_target",
                f"年度指标值“{target_text}”未写比较方式，按“≥{written}”任何完成值都达标，已按“={written}”计分",
                f"请写明比较方式，如“={written}”或“≤{written}”",
            ),
        )
    # A value in Chinese numerals may end in a unit only its target knows (`三年` against `≥3年`).
    reported = _indicator_parts(reported_text, target_unit)
    if reported.number is None and not reported.flaw and target_unit is not None:
        reported = _done_figure(reported_text, target_unit) or reported
    if reported.number is None and not reported.flaw:
        reported = _negative_percent(reported_text, target_unit) or reported
    if (
        target_unit is None
    ):  # else a bare value is read in its own row's target unit, nearer than the header's
        basis = f"{named_by if named else '实际完成值的表头注明（%）'}，对照年度指标值“{target_text}”"
        reported, header_noted = _in_header_unit(reported, reported_header_unit, target_number, basis)
    reported_number, reported_unit = reported.number, reported.unit
    noted = error = None
    in_target = False
    if target.flaw:
        expected, fix = _INDICATOR_FLAWS[target.flaw]
        error, in_target = Noted(None, "indicator_value", f"年度指标值{expected}", fix), True
    elif reported.flaw:
        expected, fix = _INDICATOR_FLAWS[reported.flaw]
        error, reported_number = Noted(None, "indicator_value", f"实际完成值{expected}", fix), None
    elif reported_number is None or target_number is None:
        if reported_text and target_number is not None and reported_text.strip() != target_text.strip():
            noted = Noted(
                None,
                "indicator_not_number",
                f"年度指标值“{target_text}”是数值，实际完成值不是数值，不能计分，已按0分计（能由数据算出的指标除外）",
                "请填写实际完成的数值，如“95%”",
            )
    elif reported_unit is None and target_unit == "%":
        # Under a percent target a bare 0.95 and a bare 95 both mean 95 %, never 0.95 %.
        basis = f"对照年度指标值“{target_text}”"
        reported_number, noted = bare_percent(reported_number, target_number, basis)
    elif reported_unit is not None and target_unit is None:
        # A target written without its unit is read in the unit the value names, and the clerk told so.
        if reported_unit == "%":
            basis = f"对照实际完成值“{reported_text}”"
            target_number, _ = bare_percent(target_number, reported_number, basis, target=True)
        target_unit = reported_unit
        noted = Noted(
            None,
            "indicator_unit_assumed",
            f"年度指标值“{target_text}”未写单位，已按实际完成值的单位读作“{operator}{display(target_number)}{target_unit}”",
            "请在年度指标值中写明单位",
        )
    elif reported_unit is not None and not _comparable(target_unit, reported_unit):
        error = Noted(
            None,
            "indicator_unit",
            f"实际完成值的单位“{reported_unit}”与年度指标值“{target_text}”的单位不一致，无法对照",
            "请用年度指标值的单位填写实际完成值",
        )
        reported_number = None
    elif (
        reported_unit is None
        and target_unit not in (None, "%")
        and (apart := _far_apart(target_unit, target_number, reported_number))
    ):
        # `244000` against `≥24.4万平方米`: read in the target's unit it is 244000 万㎡, most likely square metres.
        noted = Noted(
            None,
            "indicator_scale",
            f"实际完成值“{reported_text}”未写单位，已按年度指标值“{target_text}”的单位读作"
            f"{display(reported_number)}{target_unit}，{apart}",
            "请在实际完成值中写明单位",
        )
    elif (
        reported_unit is None
        and target_unit is None
        and _percent_and_fraction(target_number, reported_number)
    ):
        noted = Noted(
            None,
            "indicator_scale",
            f"年度指标值“{target_text}”与实际完成值“{reported_text}”一个像百分数、一个像小数，已按所写数值对照",
            "如为百分比，请在两处都写明%，如“≥90%”“93%”",
        )
    if error is None and reported_number is not None and _bound_unscorable(reported.operator, operator):
        # `<90%` against `≥90%` scored as 90 %, full marks, where it says the target was missed; `≤95%` or `5%以上`
        # say nothing of the score, and `16个以上` against `=16个` as little (over 16 loses points).
        shown = f"{display(reported_number)}{reported_unit or target_unit or ''}"
        strict = strict_word(reported_text) is not None
        side = (
            ("高于" if strict else "不低于") if reported.operator == "≥" else ("低于" if strict else "不高于")
        )
        error = Noted(
            None,
            "indicator_value",
            f"实际完成值“{reported_text}”只说明{side}{shown}，对照年度指标值“{target_text}”无法确定完成程度，不能计分",
            "请填写实际完成的确切数值",
        )
        noted, reported_number = None, None
    if (
        noted is None
        and error is None
        and reported.operator not in (None, "=")
        and reported_number is not None
    ):
        # `≥95%` reported says the target was met, not by how much: scored as the figure it names, and said so.
        noted = Noted(
            None,
            "indicator_bound",
            f"实际完成值“{reported_text}”不是确切的数值，已按{reported_number}{reported_unit or target_unit or ''}计",
            "请填写实际完成的确切数值",
        )
    if (
        noted is None
        and error is None
        and operator in ("≥", "=")
        and target_unit == reported_unit == "%"
        and fraction_as_points(reported_number, target_number)
    ):
        # `0.95%` against `≥90%` scored 0 and printed as 0.95 %, untold: kept as read, the clerk is asked whether
        # 95 % was meant. Only with its `%` written (or shown by the cell's format): a bare 0.0095 was typed so.
        noted = fraction_typed(reported_number, "实际完成值", f"远低于年度指标值“{target_text}”")
    return Indicator(
        operator,
        target_number,
        target_unit,
        reported_number,
        reported_unit or target_unit,
        noted or header_noted or target_noted,
        error,
        in_target,
        target_noted if (noted or header_noted) else None,
        not (noted or header_noted) and target_noted is not None,
    )


def _far_apart(unit: str, target: Decimal, reported: Decimal) -> str | None:
    """Say how far a bare value read in its target's unit is from the target: a thousandfold, or so far over it that
    read in the measure's next smaller unit it is nearer (`2500` against `≥3公里`: 2500 米 rather than 公里)."""
    if _thousandfold(target, reported):
        return "与目标相差千倍以上"
    measure, factor = measure_of(unit), unit_factor(unit)
    if measure is None or not 0 < target < reported:
        return None
    smaller = [
        (d.factor, name) for name, d in indicator_units().measures[measure].units.items() if d.factor < factor
    ]
    if not smaller:
        return None
    step, name = max(smaller)
    # Nearer the target by ratio: over it by more than the square root of the step between the two units.
    if (reported / target) ** 2 <= factor / step:
        return None
    return f"若按{name}读作{display(reported)}{name}则更接近目标"


def _thousandfold(first: Decimal, second: Decimal) -> bool:
    """Say whether two positive numbers are a thousand times apart or more."""
    return first > 0 and second > 0 and not Decimal("0.001") < second / first < 1000


def _percent_and_fraction(first: Decimal, second: Decimal) -> bool:
    """Say whether of two bare numbers one looks like a fraction (0.93) and the other like percent (90)."""
    # A bare 1 or a ratio under 2 (a formula's 1.02) is 100 % or 102 % as surely as 0.93 is 93 %: against 50 or more,
    # as bare_percent reads them, compared as written it scores a 合格率 of `1` against `≥90` near nothing.
    return any(
        0 < a < 1 < b <= 100 or (1 <= a < 2 and 50 <= b <= 100) for a, b in ((first, second), (second, first))
    )
