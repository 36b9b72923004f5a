"""Read a percentage as written by hand (`95%`, or `0.95` or `95` under a `（%）` header) as an exact fraction, noting a
bare number that could be read two ways."""

from __future__ import annotations

from decimal import Decimal

from pipeline.number_writings import odd_writing
from pipeline.problems import display
from pipeline.registry_columns import ColumnType
from pipeline.values import SCALE, STEP, CellError, Noted, decimal_of, rounded_to


def bare_percent(
    number: Decimal, target_points: Decimal | None, basis: str, *, target: bool = False
) -> tuple[Decimal, Noted | None]:
    """Read a number written without `%` for a percentage, in percent points; note a reading in doubt."""
    # Clerks write 95 % as 0.95 or as 95. A bare 1 could be either (1 % or 100 %), and so could a number just over 1:
    # 1.0235 is a formula's ratio (=1606.9/1570) in a General cell as surely as it is 1.0235 %. A target of 50 % or
    # more reads it as a fraction, a lower one as points; with none to read against, as points. Each reading is
    # noted (`basis`: what it was read against), bar one over 1 read against a lower target, which is no doubt.
    # `target`: the number is a target itself, whose `target_points` is its comparison (`≥1` asks for all of
    # something): only a bare 1 is in doubt there, as `≥1.5` is 1.5 % far more often than 150 %.
    if 0 < number < 1:
        # Against a target of 1 % or under (`≤0.5%`, `≤1%`), a number under 1 is on the target's own scale: 0.3 is
        # 0.3 % as surely as it is 30 %, and 30 % would score an accident rate 60 times its target. Read as points, as
        # a lower target reads a bare 1, and noted; any other number under 1 is a fraction.
        if target or target_points is None or target_points > 1:
            return number.scaleb(2), None
        return number, _doubt(number, number, basis)
    if number != 1 and (target or not 1 < number < 2):
        return number, None
    high = target_points is not None and target_points >= 50
    if number != 1 and target_points is not None and not high:
        return number, None
    points = (Decimal(100) if number == 1 else number.scaleb(2)) if high else number
    return points, _doubt(number, points, basis)


def _doubt(number: Decimal, points: Decimal, basis: str) -> Noted:
    """Note a bare number read as `points` percent that could as well be read the other way."""
    fraction = Decimal(100) if number == 1 else number.scaleb(2)
    other = number if points == fraction else fraction
    return Noted(
        points,
        "percent_ambiguous",
        f"既可读作{points_text(number)}%也可读作{points_text(fraction)}%，{basis}，已按{points_text(points)}%计算",
        f"请填写带百分号的数值，如实为{points_text(other)}%请改为“{points_text(other)}%”"
        + ("" if number == 1 else "（公式结果可将单元格设为百分比格式）"),
    )


def points_text(number: Decimal) -> str:
    """Show percent points as a clerk reads them: a formula's 102.35031847… to four decimals."""
    return display(number.quantize(STEP[4]) if number.as_tuple().exponent < -4 else number)


def parse_percent(value: object, header_unit: str | None = None) -> Decimal | Noted:
    """Read `95%`, or `0.95` or `95` under a `（%）` header, as the fraction 0.95; a bare 1 there is noted as 1 %."""
    number, suffix = decimal_of(value, "%" if header_unit == "%" else "")
    if suffix not in ("", "%"):
        odd = odd_writing(value, "%" if header_unit == "%" else "")
        raise CellError(*odd) if odd else CellError("type", "应为百分比，如95%", "请填写百分比数字")
    if suffix == "%":
        return _rate(number.scaleb(-2))
    if header_unit != "%":
        return _rate(number)
    points, noted = bare_percent(number, None, "表头注明（%）且无指标值可对照")
    fraction = _rate(points.scaleb(-2))
    return Noted(fraction, noted.rule, noted.expected, noted.fix) if noted else fraction


def _rate(fraction: Decimal) -> Decimal:
    """Keep a rate to a millionth (0.0001 %), rounding what a formula or another system carried beyond it.

    Unlike money, a rate's far digits are no figure a clerk wrote: 98.500318 % shows as 98.50 %, and refusing the
    file for digits nobody can see would ask the clerk the impossible.
    """
    return rounded_to(fraction, SCALE[ColumnType.PERCENT])
