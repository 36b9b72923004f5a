from __future__ import annotations

import pytest

from pipeline.registry import RegistryError
from pipeline.rules import (
    MEASURE_UNITS,
    RULES_PATH,
    amount_indicator,
    computed_indicator,
    load_rules,
    rate_indicator,
)
from tests.pipeline.test_registry_errors import assert_said_at, refusal_of_broken


def test_an_indicator_is_read_by_the_first_binding_its_name_holds_as_the_models_read_it(tmp_path):
    # 计划投资 listed before 满意度: `计划投资满意度` is then bound to planned_investment, an amount, not a rate.
    text = RULES_PATH.read_text(encoding="utf-8")
    moved = "    - {contains: 计划投资, measure: planned_investment}\n"
    assert moved in text
    reordered = text.replace(moved, "").replace("  bindings:\n", "  bindings:\n" + moved, 1)
    rules = tmp_path / "rules.yaml"
    rules.write_text(reordered, encoding="utf-8")

    assert rate_indicator("计划投资满意度") and not rate_indicator("计划投资满意度", rules)
    assert rate_indicator("居民满意度（%）", rules) and rate_indicator("资金\n支付率", rules)
    assert computed_indicator("计划投资满意度", rules) and not computed_indicator("工程验收合格率", rules)
    assert not rate_indicator(None) and not computed_indicator("")


def test_an_indicator_bound_to_an_amount_names_the_measure_of_its_units(tmp_path):
    # What a bare target of it could be written in (㎡ or 万㎡): the units of the first binding its name holds.
    bindings = load_rules().defaults.bindings
    for binding in bindings:
        unit = MEASURE_UNITS[binding.measure]
        assert amount_indicator(f"居民{binding.contains}") == (None if unit in ("percent", "count") else unit)
    text = RULES_PATH.read_text(encoding="utf-8")
    moved = "    - {contains: 计划投资, measure: planned_investment}\n"
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        text.replace(moved, "").replace("  bindings:\n", "  bindings:\n" + moved, 1), encoding="utf-8"
    )
    assert amount_indicator("计划投资满意度") is None and amount_indicator("计划投资满意度", rules) == "money"
    assert amount_indicator("工程验收合格率") is None and amount_indicator(None) is None


def _band(n: int, **changed):
    return lambda rules: rules["defaults"]["lights"][n].update(changed)


# Each check of rules.yaml's own, as the real file is broken: where it says the fault stands, and what to write.
RULE_SHAPES = {
    "band-without-up_to": (
        lambda r: r["defaults"]["lights"][1].pop("up_to"),
        ("defaults", "lights", 1),
        "请写上 up_to",
    ),
    "last-band-bounded": (_band(-1, up_to=30), ("defaults", "lights", 3, "up_to"), "请删去末档的 up_to"),
    "up_to-not-increasing": (_band(2, up_to=5), ("defaults", "lights", 2, "up_to"), "请让 up_to 逐档增大"),
    "light-twice": (_band(2, light="blue"), ("defaults", "lights", 2, "light"), "请删去或改写其中一档"),
    "points-not-100": (
        lambda r: r["defaults"]["scoring"].update(indicator_points=80),
        ("defaults", "scoring", "indicator_points"),
        "请把 indicator_points 写为 90",
    ),
    "share-a-percentage": (
        lambda r: r["defaults"]["qualitative"].update(基本达成=80),
        ("defaults", "qualitative", "基本达成"),
        "请写 0 到 1 之间的小数",
    ),
    "word-of-no-outcome": (
        lambda r: r["defaults"]["qualitative_words"].update(完成="全部"),
        ("defaults", "qualitative_words", "完成"),
        "请写其中之一：达成、基本达成",
    ),
    "word-an-outcome": (
        lambda r: r["defaults"]["qualitative_words"].update(达成="达成"),
        ("defaults", "qualitative_words", "达成"),
        "请从 qualitative_words 中删去这一行",
    ),
    "blank-negative-item": (
        lambda r: r["defaults"]["negative_list"].insert(1, "　"),
        ("defaults", "negative_list", 1),
        "请删去这个空白的词",
    ),
    "last-grade-not-0": (
        lambda r: r["defaults"]["grades"][-1].update({"from": 10}),
        ("defaults", "grades", 3, "from"),
        "请把末级写为 from: 0",
    ),
    "grades-not-decreasing": (
        lambda r: r["defaults"]["grades"][1].update({"from": 95}),
        ("defaults", "grades", 1, "from"),
        "请按 from 从高到低排列各级",
    ),
    "a-years-override": (
        lambda r: r.update(
            years={2024: {"scoring": {"budget_execution_points": 20, "indicator_points": 90}}}
        ),
        ("years", 2024, "scoring", "indicator_points"),
        "请把 indicator_points 写为 80",
    ),
    "a-years-key-misspelt": (
        lambda r: r.update(years={2024: {"lightz": []}}),
        ("years", 2024, "lightz"),
        "请写 'lights'（多半是它的笔误）",
    ),
}


@pytest.mark.parametrize("shape", RULE_SHAPES)
def test_each_shape_of_a_rules_check_says_file_key_line_and_fix_in_chinese(tmp_path, shape):
    # Before: `defaults: Value error, lights: up_to must increase from band to band`, English alone and no line; a
    # year's override was said as if of the defaults (`lights: …`), with no `years.2024`.
    change, at, fix = RULE_SHAPES[shape]
    path = tmp_path / "rules.yaml"

    assert_said_at(refusal_of_broken(load_rules, RULES_PATH, path, change), path, at, fix)


@pytest.mark.parametrize(("word", "shown"), [("", '""'), ("\u3000", '"\u3000"')])
def test_a_blank_qualitative_word_is_quoted_in_its_key_path(tmp_path, word, shown):
    # Before: `defaults.qualitative_words.: 有空白的写法`, the key lost between the last `.` and the `:`.
    path = tmp_path / "rules.yaml"
    message = refusal_of_broken(
        load_rules, RULES_PATH, path, lambda r: r["defaults"]["qualitative_words"].update({word: "达成"})
    )
    assert message.startswith(f"{path}: defaults.qualitative_words.{shown}: 有空白的写法")
    assert message.endswith("行）")


def test_the_rules_file_missing_says_where_to_copy_it_from(tmp_path):
    with pytest.raises(
        RegistryError, match=r"rules\.yaml: 文件不存在（missing），请从本仓库的 registry/rules\.yaml"
    ):
        load_rules(tmp_path / "rules.yaml")
