"""Type the units (`registry/units.yaml`): each measure, its units, their factors and spellings, and load them."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path

from pydantic import Field as PydanticField
from pydantic import ValidationError, model_validator

from pipeline.registry_columns import _Strict
from pipeline.registry_errors import RegistryError, at_line, explain, key_path, missing_file
from pipeline.registry_refusals import Misconfigured
from pipeline.registry_yaml import REGISTRY_DIR, read_yaml
from pipeline.text import remembered_if_short, squash


class UnitDef(_Strict):
    # A factor of 0 stored every amount written in that unit as 0; a negative one turned it into a `negative` error.
    factor: Decimal = PydanticField(gt=0)
    aliases: tuple[str, ...] = ()
    # False where the magnitude it starts with, written alone (`单位：千`, `改造面积（千）`), is not this unit: a finance
    # sheet's 千 is 千元, and read as 千平方米 it left the amounts beside it assumed in 万元, no longer refused.
    magnitude_alone: bool = True


class Measure(_Strict):
    base: str
    units: dict[str, UnitDef]
    # Units of the measure offices write that no exact factor converts (亩 is no whole number of 平方米), each with what
    # the clerk is told of it: a unit naming one, a header's, a `单位：` line's or a cell's, is refused, never passed over;
    # a row's own 单位 (建设规模 `36 | 亩`) is kept as written, and told so (sheet_units.kept_as_written).
    refused: dict[str, str] = {}

    @model_validator(mode="after")
    def _base_is_unit(self) -> Measure:
        if self.base not in self.units or self.units[self.base].factor != 1:
            raise Misconfigured(
                f"基本单位 {self.base!r} 须列在 units 下，且 factor 为 1",
                "base unit must be listed with factor 1",
                f"请在 units 下写 {self.base}: {{factor: 1}}",
                ("units", self.base, "factor") if self.base in self.units else ("base",),
            )
        return self

    def refused_note(self, written: str | None) -> str | None:
        """Return what the clerk is told of a written unit the measure refuses (`亩`: 1亩约合666.67平方米), else None."""
        key = unit_key(written) if written else None
        return next((note for unit, note in self.refused.items() if unit_key(unit) == key), None)


class Units(_Strict):
    measures: dict[str, Measure]
    counted_alike: tuple[tuple[str, ...], ...] = ()

    @model_validator(mode="after")
    def _alike_are_counts(self) -> Units:
        seen: set[str] = set()
        for n, group in enumerate(self.counted_alike):
            if len(group) < 2:
                raise Misconfigured(
                    f"组 {list(group)} 只有一个词",
                    "a group must name two words or more",
                    "请列出两个或更多同类的量词，如 [栋, 幢]",
                    ("counted_alike", n),
                )
            for word in group:
                if (found := self.find(word)) is None or found[0] != "count" or found[1] != 1:
                    raise Misconfigured(
                        f"{word!r} 不是计数（count）计量中 factor 为 1 的单位",
                        "no unit of the count measure at factor 1",
                        f"请先在 measures.count.units 下写 {word}: {{factor: 1}}，或从组中删去它",
                        ("counted_alike", n),
                    )
                if word in seen:
                    raise Misconfigured(
                        f"{word!r} 在两个组中", "in two groups", "请只留在一个组中", ("counted_alike", n)
                    )
                seen.add(word)
        return self

    @cached_property
    def alike(self) -> dict[str, str]:
        """Map each measure word of a `counted_alike` group to the group's first (幢 → 栋)."""
        return {word: group[0] for group in self.counted_alike for word in group[1:]}

    @cached_property
    def known_prefixes(self) -> dict[str, tuple[str, tuple[str, Decimal, str]] | None]:
        """Each written unit looked up so far and the longest known unit it starts with (written_units)."""
        return {}

    @cached_property
    def lookup(self) -> dict[str, tuple[str, Decimal, str]]:
        """Map a normalised unit spelling to (measure, factor to base, canonical unit)."""
        table: dict[str, tuple[str, Decimal, str]] = {}
        for measure_name, measure in self.measures.items():
            for unit, definition in measure.units.items():
                for spelling in (unit, *definition.aliases):
                    key = unit_key(spelling)
                    if not key:  # a blank spelling read a unit cell holding only spaces as this unit
                        raise Misconfigured(
                            '有空白的单位或别名 ""',
                            "a blank unit or alias",
                            "请删去它，或写办公室使用的写法",
                            ("measures", measure_name, "units", unit),
                        )
                    meaning = (measure_name, definition.factor, unit)
                    # ㎡, m² and m2 fold to one spelling; only a clash in meaning is an error.
                    if (earlier := table.get(key, meaning)) != meaning:
                        raise Misconfigured(
                            f"单位写法 {spelling!r} 指两个不同的单位，"
                            f"{earlier[2]}（{earlier[0]}）和 {unit}（{measure_name}）",
                            "unit spelling means two different units",
                            "请只把它留在办公室用它所指的那个单位下",
                            ("measures", measure_name, "units", unit),
                        )
                    table[key] = meaning
        return table

    def find(self, spelling: str | None) -> tuple[str, Decimal, str] | None:
        """Return (measure, factor, canonical unit) for a written unit, or None if unknown."""
        if not spelling:
            return None
        return self.lookup.get(unit_key(spelling))


# Units are looked up for every row of a quantity and every cell naming one: a short spelling is folded once per process.
@remembered_if_short(64, 1 << 12)
def unit_key(spelling: str) -> str:
    """Fold a unit's spelling the way the registry's units are looked up by."""
    return squash(spelling).lower()


def load_units(directory: Path | None = None) -> Units:
    """Load and check `directory/units.yaml`: every measure, its units and their spellings."""
    units_path = Path(directory or REGISTRY_DIR) / "units.yaml"
    if not units_path.is_file():
        raise missing_file(units_path)
    data = read_yaml(units_path)
    try:
        units = Units.model_validate(data)
        _ = units.lookup
    except ValidationError as exc:
        raise explain(units_path, exc, Units, data) from exc
    except Misconfigured as exc:
        raise RegistryError(units_path, f"{key_path(exc.at)}: {exc}{at_line(units_path, exc.at)}") from exc
    return units
