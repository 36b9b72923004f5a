"""Read an indicator's 年度指标值 and 实际完成值 together: operator, number and unit as the clerk meant them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from pipeline.indicator_figures import (
    INDICATOR_FLAWS,
    Written,
    comparable,
    done_figure,
    indicator_parts,
    negative_percent,
    numerals_unit,
    strict_word,
)
from pipeline.percent_slips import fraction_as_points, fraction_typed
from pipeline.percent_values import bare_percent
from pipeline.problems import display
from pipeline.text import split_header
from pipeline.values import Noted
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


def _in_header_unit(
    written: Written, header_unit: str | None, against: Decimal | None, basis: str, *, target: bool = False
) -> tuple[Written, Noted | None]:
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
    target = indicator_parts(target_text)
    # `≥1.5亿` beside `16000万元` is 1.5 亿元, `≥2.4万` under 年度指标值（万平方米） 2.4 万平方米: the measure is told by the
    # unit the row names, else its value's. With none, 万 stays a word compared only with itself.
    if is_magnitude(target.unit):
        other = indicator_parts(reported_text).unit
        target = target._replace(
            unit=magnitude_unit(target.unit, target_header_unit, other, reported_header_unit)
        )
    # `≥三年` beside `4年` or `三年`: numerals ending in the unit its value is written in, as `三年` is read against
    # `≥3年` (it was 定性, and `4年` no outcome, scored 0).
    if (
        target.number is None
        and not target.flaw
        and (unit := numerals_unit(target_text))
        and indicator_parts(reported_text, unit).unit == unit
    ):
        target = indicator_parts(target_text, unit)
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
    reported = indicator_parts(reported_text, target_unit)
    if reported.number is None and not reported.flaw and target_unit is not None:
        reported = done_figure(reported_text, target_unit) or reported
    if reported.number is None and not reported.flaw:
        reported = negative_percent(reported_text, target_unit) or reported
    if (
        target_unit is None
    ):  # else a bare value is read in its own row's target unit, nearer than the header's
        basis = f"{named_by if named else '实际完成值的表头注明（%）'}，对照年度指标值“{target_text}”"
        reported, header_noted = _in_header_unit(reported, reported_header_unit, target_number, basis)
    reported_number, reported_unit = reported.number, reported.unit
    noted = error = None
    in_target = False
    if target.flaw:
        expected, fix = INDICATOR_FLAWS[target.flaw]
        error, in_target = Noted(None, "indicator_value", f"年度指标值{expected}", fix), True
    elif reported.flaw:
        expected, fix = INDICATOR_FLAWS[reported.flaw]
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
    elif reported_unit is not None and not comparable(target_unit, reported_unit):
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


def _bound_unscorable(bound: str | None, operator: str) -> bool:
    """Say whether a value written as a bound (`≥95%`, `90%以下`) leaves its score unknown against the target's
    comparison: a bound the other way (`≤` against `≥`), or any bound against `=`."""
    return bound in ("≥", "≤") and operator in ("≥", "≤", "=") and bound != operator


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
