"""units.yaml is typed and checked: each spelling found, a factor, base or group that cannot hold refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.registry import load_registry
from pipeline.registry_errors import RegistryError
from pipeline.registry_units import load_units
from tests.pipeline.test_registry import registry_dir, template_yaml


@pytest.mark.parametrize(
    ("spelling", "meaning"),
    [
        ("万元", ("money", Decimal(1), "万元")),
        ("元", ("money", Decimal("0.0001"), "元")),
        ("亿元", ("money", Decimal(10000), "亿元")),
        ("平方米", ("area", Decimal(1), "平方米")),
        ("㎡", ("area", Decimal(1), "平方米")),
        ("m²", ("area", Decimal(1), "平方米")),
        ("M2", ("area", Decimal(1), "平方米")),
        ("万平方米", ("area", Decimal(10000), "万平方米")),
        ("万㎡", ("area", Decimal(10000), "万平方米")),
        ("万m²", ("area", Decimal(10000), "万平方米")),
        ("户", ("count", Decimal(1), "个")),
        ("延米", ("length", Decimal(1), "米")),
        ("千米", ("length", Decimal(1000), "公里")),
    ],
)
def test_units_find_every_spelling(registry, spelling, meaning):
    assert registry.units.find(spelling) == meaning


@pytest.mark.parametrize("spelling", [None, "", "千元", "%"])
def test_units_find_nothing_for_unknown_spellings(registry, spelling):
    assert registry.units.find(spelling) is None


def test_units_yaml_with_a_base_unit_not_at_factor_one_is_rejected_naming_it(tmp_path):
    units = "measures:\n  money:\n    base: 元\n    units:\n      万元: {factor: '1'}\n"
    directory = registry_dir(tmp_path, template_yaml(), units=units)
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert str(raised.value).startswith(f"{directory / 'units.yaml'}: measures.money")


def test_units_yaml_with_a_blank_alias_is_rejected_naming_it(tmp_path):
    # A blank alias made a unit written as spaces alone read as 万元.
    units = "measures:\n  money:\n    base: 万元\n    units:\n      万元: {factor: '1', aliases: [' ']}\n"
    directory = registry_dir(tmp_path, template_yaml(), units=units)
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert str(raised.value).startswith(
        f"{directory / 'units.yaml'}: measures.money.units.万元: 有空白的单位或别名"
    )


@pytest.mark.parametrize("factor", ["0", "-0.1"])
def test_units_yaml_with_a_factor_not_above_zero_is_rejected_naming_it(tmp_path, factor):
    # A factor of 0 stored every 千元 amount as 0.
    units = f"measures:\n  money:\n    base: 万元\n    units:\n      万元: {{factor: '1'}}\n      千元: {{factor: '{factor}'}}\n"
    directory = registry_dir(tmp_path, template_yaml(), units=units)
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert str(raised.value) == (
        f"{directory / 'units.yaml'}: measures.money.units.千元.factor: 应大于0（Input should be greater than 0）（第6行）"
    )


def test_units_yaml_with_one_spelling_for_two_units_is_rejected_naming_the_file(tmp_path):
    units = (
        "measures:\n  money:\n    base: 万元\n    units:\n"
        "      万元: {factor: '1'}\n      元: {factor: '0.0001', aliases: [万元]}\n"
    )
    directory = registry_dir(tmp_path, template_yaml(), units=units)
    with pytest.raises(RegistryError) as raised:
        load_registry(directory)
    assert (
        "measures.money.units.元: 单位写法 '万元' 指两个不同的单位，万元（money）和 元（money）"
        "（unit spelling means two different units），请只把它留在办公室用它所指的那个单位下（第6行）"
    ) in str(raised.value)
    assert str(directory / "units.yaml") in str(raised.value)


def test_units_yaml_with_a_blank_alias_says_to_remove_it(tmp_path):
    units = "measures:\n  money:\n    base: 万元\n    units:\n      万元: {factor: '1', aliases: [' ']}\n"
    directory = registry_dir(tmp_path, template_yaml(), units=units)
    with pytest.raises(RegistryError) as raised:
        load_units(directory)
    assert str(raised.value) == (
        f'{directory / "units.yaml"}: measures.money.units.万元: 有空白的单位或别名 ""（a blank unit or alias），'
        "请删去它，或写办公室使用的写法（第5行）"
    )


_COUNTS = "measures:\n  count:\n    base: 个\n    units:\n      个: {factor: '1', aliases: [栋, 幢, 户]}\n"


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("[[栋]]", "counted_alike.0: 组 ['栋'] 只有一个词（a group must name two words or more），请列出"),
        (
            "[[栋, 座]]",
            "counted_alike.0: '座' 不是计数（count）计量中 factor 为 1 的单位（no unit of the count measure",
        ),
        ("[[栋, 幢], [户, 幢]]", "counted_alike.1: '幢' 在两个组中（in two groups），请只留在一个组中"),
    ],
)
def test_units_yaml_with_a_counted_alike_group_that_cannot_hold_is_rejected(tmp_path, groups, message):
    directory = registry_dir(tmp_path, template_yaml(), units=f"{_COUNTS}counted_alike: {groups}\n")
    with pytest.raises(RegistryError) as raised:
        load_units(directory)
    assert message in str(raised.value)
    assert str(raised.value).startswith(str(directory / "units.yaml"))
    assert str(raised.value).endswith("（第6行）")


def test_counted_alike_reads_each_word_as_its_groups_first(tmp_path):
    directory = registry_dir(tmp_path, template_yaml(), units=f"{_COUNTS}counted_alike: [[栋, 幢]]\n")
    assert load_units(directory).alike == {"幢": "栋"}


def test_missing_units_yaml_is_reported(tmp_path):
    (tmp_path / "sources").mkdir()
    with pytest.raises(
        RegistryError, match=r"units\.yaml: 文件不存在（missing），请从本仓库的 registry/units\.yaml 复制"
    ):
        load_registry(tmp_path)
