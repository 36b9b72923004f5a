"""What a written unit measures and multiplies by, as the registry's units say."""

from __future__ import annotations

from decimal import Decimal

import pytest

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


def test_wan_alone_in_a_column_is_its_measures_unit_of_ten_thousand():
    units = load_units()
    # What 万 stands for is the registry's: the unit named 万 + another, at ten thousand times its factor.
    read = {
        measure: units.find(written_units.column_unit("万", measure, units))
        for measure in ("money", "area", "count")
    }
    assert read == {
        measure: units.find(unit)
        for measure, unit in (("money", "万元"), ("area", "万平方米"), ("count", "万户"))
    }
    assert written_units.column_unit(" 万 ", "area", units) == "万平方米"
    # Any other unit is as written; 万 is no unit where the column measures nothing, or has no 万 unit (米, 公里).
    assert written_units.column_unit("万㎡", "area", units) == "万㎡"
    assert written_units.column_unit("万元", "area", units) == "万元"
    assert written_units.column_unit("万", None, units) == "万"
    assert written_units.column_unit("万", "length", units) == "万"
    assert units.find(written_units.column_unit("万", "length", units)) is None


def test_wan_is_no_unit_where_a_registry_lists_two_units_it_could_stand_for(tmp_path):
    # 万元 beside 万美元 (each 万 of a listed unit): which the clerk meant nobody can tell.
    text = (REGISTRY_DIR / "units.yaml").read_text(encoding="utf-8")
    (tmp_path / "units.yaml").write_text(
        text.replace(
            '      亿元: {factor: "10000"}',
            '      亿元: {factor: "10000"}\n      美元: {factor: "0.0007"}\n      万美元: {factor: "7"}',
        ),
        encoding="utf-8",
    )
    units = load_units(tmp_path)
    assert written_units.column_unit("万", "money", units) == "万"
    assert written_units.column_unit("万", "area", units) == "万平方米"


def test_a_magnitude_alone_is_the_measures_unit_so_many_times_another_where_there_is_one():
    units = load_units()
    # 亿 is 亿元 for money (元 × 10^8 is 亿元's factor), and nothing for an area or a count: no 亿平方米, no 亿个.
    assert written_units.column_unit("亿", "money", units) == "亿元"
    assert units.find(written_units.column_unit(" 亿 ", "money", units))[1] == Decimal(10000)
    assert {
        measure: written_units.column_unit("亿", measure, units) for measure in ("area", "count", None)
    } == {
        "area": "亿",
        "count": "亿",
        None: "亿",
    }
    # 千 names no unit the registry lists (no 千元): it stays unknown, refused where it is written.
    assert written_units.column_unit("千", "money", units) == "千"
    # A full unit, or two magnitudes, is as written: 万万 is no spelling of 亿.
    assert written_units.column_unit("亿元", "money", units) == "亿元"
    assert written_units.column_unit("万万", "money", units) == "万万"
    assert written_units.column_unit("", "money", units) == ""


def test_a_magnitude_a_bureau_lists_a_unit_of_is_read_in_it(tmp_path):
    # The registry, not the code, says what a magnitude stands for: a bureau listing 千元 has 千 read as it.
    text = (REGISTRY_DIR / "units.yaml").read_text(encoding="utf-8")
    (tmp_path / "units.yaml").write_text(
        text.replace(
            '      亿元: {factor: "10000"}', '      亿元: {factor: "10000"}\n      千元: {factor: "0.1"}'
        ),
        encoding="utf-8",
    )
    units = load_units(tmp_path)
    assert written_units.column_unit("千", "money", units) == "千元"
    assert written_units.column_unit("亿", "money", units) == "亿元"


@pytest.mark.parametrize(
    ("unit", "others", "read"),
    [
        ("亿", ("万元",), "亿元"),
        ("万", (None, "%", "㎡"), "万平方米"),  # the first other of a known measure tells it
        ("万", ("万户",), "万户"),
        ("万", ("人",), "万人"),
        ("万", ("栋",), "万"),  # no 万栋 is listed: a 万个 would count anything
        ("亿", ("平方米",), "亿"),  # no area is kept in 亿
        ("万", ("%",), "万"),
        ("万", (), "万"),
        ("万元", ("平方米",), "万元"),  # a unit, not a magnitude alone
        (None, ("万元",), None),
    ],
)
def test_a_magnitude_alone_is_spelled_as_the_unit_of_that_size_of_the_measure_another_unit_names(
    unit, others, read
):
    assert written_units.magnitude_unit(unit, *others) == read


@pytest.mark.parametrize(
    ("unit", "per"),
    [
        ("元/平方米", "平方米"),
        ("元/m2", "m2"),
        ("元每户", "户"),
        ("万元/户", "户"),
        ("元", None),
        ("户", None),
        ("元/", None),
    ],
)
def test_a_price_is_per_the_unit_after_its_slash(unit, per):
    assert written_units.per_unit(unit) == per


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("平方米", "m2", True),
        ("㎡", "平米", True),
        ("栋", "幢", True),
        ("部", "台", True),
        ("户", "人", False),  # one measure and factor, counting different things
        ("平方米", "万平方米", False),
        ("户", "斤", False),
    ],
)
def test_two_units_are_one_where_they_spell_it_or_count_alike(first, second, same):
    assert written_units.same_unit(first, second) is same
