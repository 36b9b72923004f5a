"""Tell a clerk what to write for a number written with a magnitude no column is kept in (`1.2千`, `1.2百户`)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pipeline.problems import display
from pipeline.registry_units import Units, unit_key
from pipeline.written_units import MAGNITUDES, counted_word

if TYPE_CHECKING:
    from pipeline.values import UnitContext


def magnitude_readings(
    number: Decimal, suffix: str, measure: str, units: Units, context: UnitContext, counts: str | None = None
) -> tuple[str, str] | None:
    """Return what a cell written `number` + `suffix` (a magnitude, alone or before a unit of `measure`) is told and
    asked to write instead, in the column's unit (`context`); None for no such suffix.

    `1.2千` under 惠及户数（户） was told only 应为不小于0的整数: the number was plain, the 千 not a unit any count is
    kept in. A magnitude alone may be of the smallest unit (千元, 千平方米) or of the column's (千万元): both asked
    where they differ, never one chosen.
    """
    factor, name = context.factor, context.name
    key = unit_key(suffix)
    word = next((w for w in sorted(MAGNITUDES, key=len, reverse=True) if key.startswith(w)), None)
    # A count or area in 万 is read (`3万户`, `2.4万`); one in 亿 or 百万 is a slip, nothing to convert: told as any
    # number not one. Money's 百万 and 千万 are how sums are spoken (`3百万` is 300万元).
    if word is None or (measure != "money" and MAGNITUDES[word] >= MAGNITUDES["万"]):
        return None
    found = units.measures[measure]
    counted, rest = counts or "个", key[len(word) :]
    column = _counted_in(counted, factor, name) if measure == "count" else name or found.base
    if rest:
        unit = units.find(rest)
        if unit is None or unit[0] != measure:
            return None
        if measure == "count" and counted_word(rest) not in (counted_word(counted), "个"):
            return None  # `1.2千人` of 户: another kind, told as such
        readings = [(number * MAGNITUDES[word] * unit[1], rest)]
    else:
        smallest, least = min(found.units.items(), key=lambda item: item[1].factor)
        own = counted if measure == "count" else smallest
        readings = [(number * MAGNITUDES[word] * least.factor, own)]
        # `3百万` under （万元） is 300万元: of the column's unit, only a magnitude under its own 万 may be meant.
        if factor != least.factor and MAGNITUDES[word] < MAGNITUDES["万"]:
            readings.append((number * MAGNITUDES[word] * factor, column))
    if measure == "count" and any(total != total.to_integral_value() for total, _ in readings):
        return None  # `1.2345百` is no count in any unit
    written = [(total / factor, total, unit) for total, unit in readings]
    asked = "；".join(
        f"如指{display(_shown(total, unit, units))}{unit}，请填写{display(value)}"
        for value, total, unit in written
    )
    return f"本列以“{column}”计，不以“{word}”计", f"{asked}（不带单位）"


def _shown(total: Decimal, unit: str, units: Units) -> Decimal:
    """Show a reading in its own unit: 1200 of 元, not 0.12 of 万元."""
    found = units.find(unit)
    return total / found[1] if found is not None else total


def _counted_in(counted: str, factor: Decimal, name: str | None) -> str:
    """Name the unit a count column is written in by what it counts: 户 or 万户, not the registry's 个."""
    return counted if factor == 1 else f"万{counted}" if factor == 10000 else name or counted
