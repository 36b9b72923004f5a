"""Read the unit a column's or a row's numbers are written in: a header's, a `单位：` line's, a 单位 column's."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from pipeline.problems import display
from pipeline.registry import Registry
from pipeline.registry_templates import Template
from pipeline.values import CellError, Noted, Quantity, UnitContext
from pipeline.written_units import column_unit, counted_word, is_magnitude


@dataclass(frozen=True, slots=True)
class UnitReading:
    """The unit numbers of one measure are read in, and what the clerk must hear of it.

    `issue`: None; `unit` (the nearer unit written, or a `单位：` line's `…元`, is no unit of the measure: an error);
    `unit_assumed` (no unit written anywhere: read in the base); `unit_conflict` (the nearer unit differs from the
    farther one, `written`: the nearer is taken); `unit_price` (no header unit, and the `单位：` line names this
    measure's unit only in a price, `written`: `元/平方米` over a bare 计划投资).
    """

    context: UnitContext
    issue: str | None = None
    written: str | None = None
    on_line: bool = False  # the unit `written` is the `单位：` line's, the header naming none
    # A `单位：万` line over columns of two measures: the unit it would be in each ((money, 万元), (area, 万平方米)),
    # the column read in its base (`unit_assumed`, the same number either way) or not at all (`unit`).
    meant: tuple[tuple[str, str], ...] = ()


def read_unit(
    measure: str, near: str | None, far: str | None, registry: Registry, measures: Collection[str] = ()
) -> UnitReading:
    """Read the unit a measure's numbers are written in: the nearer unit written (a header's), else the farther
    (a `单位：` line's, money's or, where it names one, an area's); a farther unit of another measure says nothing.

    `measures`: those of every column the farther unit is over (this one's alone if none given): a `单位：万` line
    is the 万-unit of the one measure among them that has one, and asked where two have.
    """
    units = registry.units
    if near:
        # `金额（人民币元）` names the currency as a `单位：人民币元` line does: the unit is 元.
        near = near.replace("人民币", "").strip(" ,，") or None
        # `金额（万）` names 万元 and `改造面积（万）` 万平方米, as `1,260.50万` under them does.
        near = column_unit(near, measure, units) if near else None
    said = None
    if far:
        line, far = far, _line_unit(measure, far, registry)
        said = far
        # `单位：万元、万`: the 万 is of none of the measures the line names a unit of (money's is 万元).
        named = {found[0] for part in _listed(line, registry) if (found := units.find(part)) is not None}
        over = [m for m in measures or (measure,) if m not in named]
        if (meant := line_magnitude(far, over, registry)) is not None:
            if near is None and measure in meant and len(meant) > 1:
                # `单位：万` over 计划投资 and 改造面积: 万元 or 万平方米. Read in its base, a column whose 万-unit is
                # the base (万元) is the same number either way; any other would be ten thousand times off, or not.
                same = units.find(meant[measure])[1] == 1
                return UnitReading(
                    UnitContext(), "unit_assumed" if same else "unit", far, True, tuple(meant.items())
                )
            # `单位：亿` over amounts and areas is 亿元: no area is kept in 亿. Left a magnitude (`单位：千`, no unit of
            # any measure), it is refused below as a `单位：千元` line is; of two measures, it is no header's conflict.
            far = meant.get(measure) if len(meant) == 1 else None if meant else far
        if near is None and (price := _price_of(measure, far, line, registry)) is not None:
            # `单位：元/平方米` over a bare 计划投资 is a price per square metre, no unit of the amounts: read as 元, or as
            # 万元 with the 元 passed over, either may be ten thousand times off.
            return UnitReading(UnitContext(), "unit_price", price, on_line=True)
    written = near or far
    found = units.find(written)
    if written and (found is None or found[0] != measure):
        if (
            near is not None
            or (found is None and measure == "money" and written.endswith("元"))
            or (found is None and _refused(measure, written, registry))
            or is_magnitude(written)
        ):
            # A header's unit, or a `单位：千元` or `单位：千` line: money in a unit nobody listed cannot be converted.
            return UnitReading(UnitContext(), "unit", written, on_line=near is None)
        # A `单位：` line naming a non-money unit (or an office) says nothing about money columns.
        found = None
    if found is None:
        return UnitReading(UnitContext(), "unit_assumed")
    line = units.find(far) if near is not None else None
    if line is not None and line[0] == measure and line[1] != found[1]:
        return UnitReading(UnitContext(found[1], found[2]), "unit_conflict", said)
    return UnitReading(UnitContext(found[1], found[2]))


def kept_as_written(values: dict, template: Template, registry: Registry) -> Noted | None:
    """Return what a clerk is told of a row's quantity in a unit no exact factor converts (`36 | 亩`), else None.

    The row's figure has its own unit, printed as written and summed only with parts in it: exact as it is, so
    neither refused as an area column's 亩 is nor converted, but the receipt says it stays 亩. It was passed over.
    """
    rule = template.row_unit
    unit = values.get(rule.unit)
    quantity = values.get(rule.value)
    if not isinstance(unit, str) or quantity is None:
        return None
    for measure in registry.units.measures.values():
        if (note := measure.refused_note(unit)) is not None:
            written = f"{display(quantity)}{unit.strip()}"
            return Noted(
                quantity,
                "unit_as_written",
                f"{note}：本行数量按所写的“{written}”保存，报告中照写，不换算为{measure.base}，"
                f"也不与以{measure.base}计的数量相加或核对",
                f"无需处理；如需与以{measure.base}计的数量一并核对，请换算为{measure.base}后填写",
            )
    return None


def _refused(measure: str, written: str, registry: Registry) -> bool:
    """Say whether a written unit is one of the measure's that units.yaml refuses (亩 of an area)."""
    found = registry.units.measures.get(measure)
    return found is not None and found.refused_note(written) is not None


def line_magnitude(written: str, measures: Collection[str], registry: Registry) -> dict[str, str] | None:
    """Return, for a `单位：` line writing a magnitude alone (`单位：万`), the unit it is of each of `measures` that
    has one of that size (money: 万元, area: 万平方米); None for a line writing anything else."""
    if not is_magnitude(written):
        return None
    read = {measure: column_unit(written, measure, registry.units) for measure in dict.fromkeys(measures)}
    return {measure: unit for measure, unit in read.items() if unit != written}


# How a `单位：` line lists a unit per measure: `单位：元、平方米`, `单位：万平方米，万元`, `单位：户/万元`.
_UNIT_LIST = re.compile(r"[、,，;；/和及]+")
_UNIT_LIST_KEPT = re.compile(f"({_UNIT_LIST.pattern})")  # the same, each separator kept
# The measure a listed unit is named for: `面积：万平方米`.
_MEASURE_NAMED = re.compile(r"^[^:：]*[:：]")


def _line_unit(measure: str, written: str, registry: Registry) -> str:
    """Return the unit of this measure a `单位：` line naming several measures' units gives (`元、平方米` → 元,
    `元；面积：万平方米` → 万平方米 for area)."""
    parts = _listed(written, registry)
    if len(parts) < 2:
        return parts[0] if parts and parts[0] else written
    mine = set(listed_units(measure, written, registry))
    if not mine and measure == "money":
        # `单位：千元、平方米`: money in a unit nobody listed is refused as such, never read as the base unit.
        mine = {part for part in parts if part.endswith("元")}
    if not mine:
        mine = {part for part in parts if _refused(measure, part, registry)}  # `单位：万元、亩`: the area's
    if not mine:
        # `单位：万元、万`: a magnitude alone beside the units of other measures may be this one's (万平方米), as a
        # `单位：万` line is read; two (`万元、万、亿`) say nothing certain.
        mine = {part for part in parts if is_magnitude(part)}
    # Two of this measure's units (`单位：元、万元`) say nothing certain: left as written, it is refused as a unit.
    return mine.pop() if len(mine) == 1 else written


def listed_units(measure: str, written: str, registry: Registry) -> list[str]:
    """Return the units of this measure a `单位：` line lists (`万元、元`: both), each once, in the order written."""
    return list(
        dict.fromkeys(
            p
            for p in _listed(written, registry)
            if (found := registry.units.find(p)) is not None and found[0] == measure
        )
    )


def _listed(written: str, registry: Registry) -> list[str]:
    """Return the units a `单位：` line lists, each without the measure it is named for (`面积：万平方米`), a price
    (`元/平方米`) as one."""
    parts: list[str] = []
    pieces = _UNIT_LIST_KEPT.split(written)
    for part, separator in zip(pieces[::2], [*pieces[1::2], ""], strict=True):
        part = _MEASURE_NAMED.sub("", part)
        if parts and parts[-1].endswith("/") and _price(parts[-1][:-1], part, registry):
            parts[-1] += part
        elif part:
            parts.append(part + "/" if separator == "/" else part)
    return [part.removesuffix("/") for part in parts if part.removesuffix("/")]


# What a price is of per what: money per an area, a count or a length (`元/平方米`, `万元/户`, `元/米`), an area per a
# count (`平方米/户`). A line listing two units apart by a slash the other way round (`户/万元`) lists them.
_PRICES = {("money", "area"), ("money", "count"), ("money", "length"), ("area", "count")}


def _price(unit: str, per: str, registry: Registry) -> bool:
    """Say whether `unit` per `per` is a price (`元`, `平方米`: 元/平方米)."""
    each = registry.units.find(per)
    return each is not None and (_measure_of(unit, registry), each[0]) in _PRICES


def _measure_of(unit: str, registry: Registry) -> str | None:
    """Return the measure of a unit a `单位：` line writes: `千元` is money nobody listed."""
    found = registry.units.find(unit)
    return found[0] if found is not None else "money" if unit.endswith("元") else None


def line_prices(written: str, registry: Registry) -> list[str]:
    """Return the prices a `单位：` line lists (`元/平方米`, `元每平方米`, `万元/户`), each once, in the order written."""
    return list(dict.fromkeys(part for part in _listed(written, registry) if price_parts(part, registry)))


def price_parts(part: str, registry: Registry) -> tuple[str, str] | None:
    """Return the unit and what it is per of a listed price (`元/平方米`: 元, 平方米), else None."""
    for per in ("/", "每"):
        unit, said, each = part.partition(per)
        if said and _price(unit, each, registry):
            return unit, each
    return None


def _price_of(measure: str, far: str | None, line: str, registry: Registry) -> str | None:
    """Return the price a `单位：` line names this measure's unit in (`元/平方米`: of money and of area), where the line
    lists no unit of the measure itself; else None."""
    if far is not None and _measure_of(far, registry) == measure:
        return None
    prices = line_prices(line, registry)
    return next(
        (p for p in prices if measure in {_measure_of(u, registry) for u in price_parts(p, registry)}), None
    )


# A note in brackets after a row's unit: `万元（含税）`, `平方米(建筑面积)`.
_UNIT_NOTE = re.compile(r"[（(][^（）()]*[）)]\s*$")


def convert_by_row_unit(values: dict, template: Template, registry: Registry) -> UnitContext | None:
    """Convert a row's quantity by the unit written on that row (元 → 万元, 万平方米 → 平方米); return that unit's
    context when the quantity changed."""
    rule = template.row_unit
    quantity, unit = values.get(rule.value), values.get(rule.unit)
    if isinstance(unit, str) and _UNIT_NOTE.search(unit):
        # `万元（含税）`: the note says what the amount covers, the unit is before it.
        unit = values[rule.unit] = _UNIT_NOTE.sub("", unit).strip() or unit
    found = registry.units.find(unit)
    if found is None and isinstance(unit, str) and unit.strip().endswith("元"):
        # An amount in a unit nobody listed (千元) cannot be converted: stored as written, it would be read as 万元.
        money = registry.units.measures["money"]
        raise CellError(
            "unit", f"金额单位应为{'、'.join(money.units)}之一", f"请把金额换算为{money.base}填写"
        )
    if found is None and isinstance(unit, str) and is_magnitude(unit):
        # `万` is 万元, 万平方米 or 万户: stored as written, the row was added to no total and checked against nothing.
        raise CellError(
            "unit",
            f"“{unit.strip()}”只是数量级，没有写明计量单位",
            "请写明完整的单位，如“万元”“万平方米”“万户”",
        )
    if isinstance(quantity, Quantity):
        written = registry.units.find(quantity.unit)
        # 套 and 户 are one measure and factor, but 1280套 in a row of 户 is no number of 户.
        other_count = (
            found is not None and found[0] == "count" and counted_word(quantity.unit) != counted_word(unit)
        )
        if found is None or written[:2] != found[:2] or other_count:
            raise CellError(
                "quantity_unit",
                f"数量带的单位“{quantity.unit}”与单位列的“{unit or '（空）'}”不一致",
                "请只在数量中填写数字，单位填在“单位”列",
            )
        quantity = values[rule.value] = quantity.number
    if quantity is None or found is None:
        return None
    if found[0] == "count":
        # 2560.5套 is no number of dwellings: a count is whole in ones, kept as written (0.128万户 is 1280户).
        if (quantity * found[1]) % 1:
            raise CellError("type", f"应为整数（单位“{unit}”）", "请填写确切的整数")
        return None
    measure, factor, written = found
    values[rule.value] = quantity * factor
    values[rule.unit] = registry.units.measures[measure].base
    return UnitContext(factor, written) if factor != 1 else None
