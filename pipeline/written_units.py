"""Tell what a unit written beside a number measures, how the models spell it and what it multiplies by."""

from __future__ import annotations

import functools
from decimal import Decimal

from pipeline.registry_units import Units, load_units, unit_key

# The national self-evaluation form writes 百分比 where others write %.
PERCENT_UNITS = frozenset({"%", "百分比"})
PERCENT_FACTOR = Decimal("0.01")  # a percentage point, as the fraction the warehouse keeps rates in
_REMEMBERED_LENGTH = 64  # the longest written unit remembered (registry_units.unit_key's limit too)
_REMEMBERED_UNITS = 4096  # the most remembered at once
_PER = ("/", "每")  # a unit per another (`元/平方米`, `元每户`)
# Words of size alone, no unit (`1.5亿`, `金额（万）`): what each multiplies by.
MAGNITUDES = {
    word: Decimal(10) ** power
    for power, word in enumerate(("十", "百", "千", "万", "十万", "百万", "千万", "亿"), start=1)
}


def unit_prefix(unit: str) -> tuple[str, str | None] | None:
    """Return the longest percent sign or known unit a written unit starts with, and how the models spell it
    (`%`; the registry's name of a money or area unit; None for a count, kept as written)."""
    for percent in sorted(PERCENT_UNITS, key=len, reverse=True):
        if unit.startswith(percent):
            return percent, "%"
    known = _longest_known(unit)
    if known is None:
        return None
    prefix, (measure, _, name) = known
    return prefix, name if measure in ("money", "area") else None


def column_unit(written: str, measure: str | None, units: Units) -> str:
    """Return the unit a unit written alone as a magnitude (万, 亿) is read as in a column of `measure`: that measure's
    unit named the magnitude + another, at so many times its factor (万元, 亿元, 万平方米, 万个); any other is as written.

    `1,260.50万` in a money column is 1,260.50 万元 whatever unit the header names, as `1,260.50万元` is, `1.5亿` is
    1.5 亿元, and `金额（万）` names 万元: the clerk wrote the magnitude and the column says what is counted. A measure
    with no such unit (亿 of an area or a count), or two (万元 and a listed 万美元), keeps the magnitude unknown.
    """
    # Asked of every count read, most with no unit at all: none written settles it without folding the text.
    word = unit_key(written) if measure is not None and written else ""
    magnitude = MAGNITUDES.get(word)
    if magnitude is None:
        return written
    found = units.measures.get(measure)
    named = [
        word + unit
        for unit, definition in (found.units.items() if found is not None else ())
        if (scaled := found.units.get(word + unit)) is not None
        and scaled.factor == definition.factor * magnitude
        and scaled.magnitude_alone
    ]
    return named[0] if len(named) == 1 else written


def unit_spelling(unit: str | None) -> str | None:
    """Spell a written unit as the models convert it: `%` for 百分比, the registry's name for 万㎡ or 元. A percent,
    money or area unit followed by words is spelled as that unit (`%达标` is `%`, `万元资金` 万元), or its factor would
    be lost; a count's word (`个小区`) or an unknown unit stays as written, as it is compared with itself."""
    prefix = unit_prefix(unit) if unit else None
    if prefix is None or prefix[1] is None or unit[len(prefix[0]) :].startswith(_PER):
        return unit  # `元/平方米` is a price, not money: compared only with itself
    return prefix[1]


def per_unit(unit: str | None) -> str | None:
    """Return what a price's unit is per (`元/平方米`: 平方米, `元每户`: 户); None for a unit per nothing."""
    prefix = unit_prefix(unit) if unit else None
    rest = unit[len(prefix[0]) :] if prefix is not None else ""
    return rest[1:] or None if rest.startswith(_PER) else None


def same_unit(first: str, second: str) -> bool:
    """Say whether two units written alone are one: two spellings of it (㎡, 平方米), or count words counted alike."""
    if first == second:
        return True
    units = indicator_units()
    found = units.find(first), units.find(second)
    if None in found or found[0][:2] != found[1][:2]:
        return False
    return found[0][0] != "count" or counted_word(first) == counted_word(second)


def is_magnitude(unit: str | None) -> bool:
    """Say whether a written unit is a magnitude alone (`万`, ` 亿 `), no unit of any measure."""
    return bool(unit) and unit_key(unit) in MAGNITUDES


def is_scaled(unit: str | None) -> bool:
    """Say whether a written unit starts with a magnitude (`千户`, `万份`, `十万人`): a unit of so many of another."""
    key = unit_key(unit) if unit else ""
    return any(key.startswith(word) and len(key) > len(word) for word in MAGNITUDES)


def magnitude_unit(unit: str | None, *others: str | None) -> str | None:
    """Spell a magnitude written alone (`1.5亿`, `24.5万`) as the unit of that size of the measure the first of `others`
    known is of (亿元 beside 万元, 万平方米 beside `≥24.4万平方米`); any other unit, or one no other tells, as written."""
    if not is_magnitude(unit):
        return unit
    other = next((other for other in others if other and measure_of(other) is not None), None)
    units = indicator_units()
    read = column_unit(unit, other and measure_of(other), units)
    if read != unit and units.find(read)[0] == "count":
        # `3.1万` beside `≥3万户` is 3.1 万户, and beside `人` 万人: counted in the other's word, or left unread
        # where that word has no unit of the size (a 万个 would count anything, households for people).
        word = unit_prefix(other)[0].removeprefix(unit)
        found = units.find(unit + word)
        return unit + word if found is not None and found[2] == read else unit
    return unit_spelling(read)


def counted_word(unit: str) -> str:
    """Return what a count's unit counts: its measure word without 万 (`万户` → 户), spelled as the first of its
    `counted_alike` group (幢 → 栋)."""
    prefix = unit_prefix(unit)
    word = prefix[0].removeprefix("万") if prefix is not None else unit
    return indicator_units().alike.get(word, word)


def unit_measure(unit: str | None) -> str | None:
    """Return what a target's unit (as read_indicator spells it) measures: `percent`, a registry measure (money,
    area, count), or None for no unit or one the registry does not know (`分`)."""
    if unit is None:
        return None
    return "percent" if unit == "%" else measure_of(unit)


def measure_of(unit: str) -> str | None:
    """Return the measure of the longest known unit a written unit starts with (`户居民` → count)."""
    found = _known_unit(unit)
    return found[0] if found is not None else None


def _known_unit(unit: str) -> tuple[str, Decimal, str] | None:
    """Return (measure, factor, unit) of the longest known unit a written unit starts with, else None."""
    known = _longest_known(unit)
    return known[1] if known is not None else None


def _longest_known(unit: str) -> tuple[str, tuple[str, Decimal, str]] | None:
    """Return the longest known unit a written unit starts with, as written, and its (measure, factor, unit)."""
    units = indicator_units()
    # Remembered by the units it was found among: a year's indicators are written in a handful of units, each read
    # five times a reading in the marts' rebuild. A long text (a hostile cell) is looked up each time.
    remembered = units.known_prefixes
    if unit in remembered:
        return remembered[unit]
    longest = None
    for end in range(len(unit), 0, -1):
        if (found := units.find(unit[:end])) is not None:
            longest = unit[:end], found
            break
    if len(unit) <= _REMEMBERED_LENGTH:
        if len(remembered) >= _REMEMBERED_UNITS:  # hostile cells writing ever new units never fill memory
            remembered.clear()
        remembered[unit] = longest
    return longest


def unit_factor(unit: str | None) -> Decimal:
    """Return what a number written in a unit is multiplied by to be in its measure's base unit (万平方米: 10000).

    A percentage is a fraction (0.01); the factors are registry/units.yaml's, so a unit a bureau adds there is
    converted in the models too. A unit nobody listed is taken as written (1), as it is compared only with itself.
    """
    if unit is None:
        return Decimal(1)
    if unit == "%":
        return PERCENT_FACTOR
    found = _known_unit(unit)
    return found[1] if found is not None else Decimal(1)


@functools.cache
def indicator_units() -> Units:
    # 年度指标值 are read by texts alone (the models call this too); the units are the bureau's registry's.
    return load_units()
