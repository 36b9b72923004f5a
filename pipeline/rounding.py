"""Judge a figure a clerk wrote against the exact one it stands for: as rounded as it is written, no more."""

from __future__ import annotations

from decimal import Decimal

# A sum of points a form states (its 总分, a level's `产出指标（77.14分）`) is held no closer than this to the exact sum
# of the cells it is made of: weights from formulas (`=90/7`) are stored to six decimals, and their sums carry them.
POINTS_FLOOR = Decimal("0.01")


def rounding_of(number: Decimal) -> Decimal:
    """Return half a unit of a number's last digit as written: how far rounding may have moved it (98% → 0.005)."""
    return Decimal(1).scaleb(number.as_tuple().exponent) / 2


def as_rounded(
    stated: Decimal, exact: Decimal, floor: Decimal, ceiling: Decimal | None = None, *, whole: bool = True
) -> bool:
    """Say whether a stated figure is the exact one as rounded as written: within half a unit of its last digit,
    but never held closer than `floor` (the exact figure has more digits than anyone writes) nor let further than
    `ceiling`. With `whole` false a whole number is taken as exact, held to `floor` (a 得分 of 10 claims full marks;
    it is no 9.5–10.5 rounded)."""
    rounding = rounding_of(stated) if whole or stated.as_tuple().exponent < 0 else floor
    if ceiling is not None:
        rounding = min(rounding, ceiling)
    return abs(stated - exact) <= max(floor, rounding)


def as_written(stored: Decimal) -> Decimal:
    """Return a stored figure with the digits a cell holds: a warehouse decimal pads 9.8 to 9.800000, and a cell
    keeps no trailing zero (a 9.80 shown is the number 9.8)."""
    number = stored.normalize()
    return number if number.as_tuple().exponent <= 0 else number.quantize(Decimal(1))
