from __future__ import annotations

from pipeline.rules import (
    MEASURE_UNITS,
    RULES_PATH,
    amount_indicator,
    computed_indicator,
    load_rules,
    rate_indicator,
)


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
