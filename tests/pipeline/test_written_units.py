"""What a written unit measures and multiplies by, as the registry's units say."""

from __future__ import annotations

from decimal import Decimal

from pipeline import written_units
from pipeline.registry import REGISTRY_DIR, Units, load_units


def test_a_written_unit_is_looked_up_among_the_registrys_units_once(monkeypatch):
    units = load_units()
    monkeypatch.setattr(written_units, "indicator_units", lambda: units)
    looked_up = []
    find = Units.find
    monkeypatch.setattr(
        Units, "find", lambda self, spelling: looked_up.append(spelling) or find(self, spelling)
    )
    assert written_units.unit_factor("万平方米") == Decimal(10000)
    once = len(looked_up)
    # The marts' rebuild reads each indicator's units five times (factors, measure, what a count counts).
    assert written_units.unit_measure("万平方米") == "area"
    assert written_units.unit_factor("万平方米") == Decimal(10000)
    assert written_units.counted_word("户居民") == "户"
    assert written_units.measure_of("户居民") == "count"
    assert once > 0
    assert looked_up[once:] == ["户居民", "户居", "户"]  # 户居民 walked back to 户 once, 万平方米 not again


def test_units_another_registry_lists_are_not_answered_from_what_the_first_remembered(monkeypatch, tmp_path):
    assert written_units.unit_factor("千元") == Decimal(1)  # nobody's unit: taken as written
    units = (REGISTRY_DIR / "units.yaml").read_text(encoding="utf-8")
    (tmp_path / "units.yaml").write_text(
        units.replace(
            '      元: {factor: "0.0001"}', '      元: {factor: "0.0001"}\n      千元: {factor: "0.1"}'
        ),
        encoding="utf-8",
    )
    bureaus = load_units(tmp_path)
    monkeypatch.setattr(written_units, "indicator_units", lambda: bureaus)
    assert written_units.unit_factor("千元") == Decimal("0.1")
    assert written_units.measure_of("千元") == "money"


def test_units_remembered_stay_bounded_whatever_a_hostile_sheet_writes(monkeypatch):
    units = load_units()
    monkeypatch.setattr(written_units, "indicator_units", lambda: units)
    for number in range(written_units._REMEMBERED_UNITS + 10):
        written_units.unit_factor(f"个{number}")

    assert 0 < len(units.known_prefixes) <= written_units._REMEMBERED_UNITS
    assert written_units.unit_factor("万平方米") == Decimal(10000)
