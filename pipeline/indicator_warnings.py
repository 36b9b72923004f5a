"""Word what a clerk is told of an indicator's 实际完成值 that the rules score otherwise than by its number."""

from __future__ import annotations

from pipeline.problems import display
from pipeline.values import Noted
from pipeline.written_units import column_unit, indicator_units


def unscored_words(
    operator: str, target: str | None, reported: str | None, qualitative: frozenset[str]
) -> bool:
    """Say whether a qualitative indicator's value is words the rules cannot score (not the target's own)."""
    if operator != "定性" or not target or not reported:
        return False
    # The target's own words, or them said done (`已建立` for `建立`), mean it was met: mart.self_evaluation agrees.
    met = (target.strip(), f"已{target.strip()}")
    return reported.strip() not in met and reported.strip() not in qualitative


def unscored(target: str, reported: str, qualitative: frozenset[str]) -> Noted:
    """Say that a qualitative indicator's value names no outcome the rules score, so it scores nothing."""
    outcomes = "、".join(f"“{w}”" for w in ("达成", "基本达成", "部分达成", "未达成") if w in qualitative)
    return Noted(
        None,
        "indicator_qualitative",
        f"年度指标值“{target}”是定性指标，“{reported}”不是规定的完成情况写法，无法判定，按0分计",
        f"请填写{outcomes}之一，或与年度指标值相同的文字（视为达成）",
    )


def scored_by_outcome(target: str, reported: str) -> Noted:
    """Say that a number's target met with words (`达成预期指标`) is scored as those words say, not by a number."""
    # submissions.md: 达成预期指标 means 达成, and 达成 scores in full. The clerk is asked for the number all the same.
    return Noted(
        None,
        "indicator_outcome_word",
        f"年度指标值“{target}”是数值，实际完成值“{reported}”未写数值，已按其所写的完成情况计分"
        "（与定性指标相同，如“达成”计满分；能由数据算出的指标除外）",
        "请填写实际完成的数值",
    )


# The warnings that say which number a 实际完成值 was scored as (`95%以上` as 95 %, a bare 1 as 100 %, `0.95%` as
# 0.95 % against `≥90%`).
READ_FOR_SCORE = frozenset({"indicator_bound", "percent_ambiguous", "indicator_scale", "percent_fraction"})


def scored_from_data(noted: Noted) -> Noted:
    """Say that an indicator the data compute (满意度 from the survey) is scored by them, not by the reading named."""
    # `95%以上` was told 已按95%计 while the report scored the survey's 93.12 %: the reading only stands without them.
    said = f"{noted.expected}（该指标能由已报送的数据算出时，按数据计算的数值计分）"
    return Noted(noted.value, noted.rule, said, noted.fix)


def strict_bound(word: str, operator: str, bound: str) -> Noted:
    """Say that a strict target (`>95%`) is scored as the inclusive one, so its bound itself gets full marks."""
    # Told on the target's cell, whose message names the target as written already.
    return Noted(
        None,
        "indicator_strict",
        f"“{word}”不含{bound}本身，计分规则只有≥、≤、=，已按“{operator}{bound}”计分："
        f"实际完成值恰为{bound}时，只有按此读法才计满分",
        f"请核对：如含{bound}本身，请改写为“{operator}{bound}”；如不含，恰为{bound}的实际完成值不应计满分",
    )


def blank_actual(written: object) -> tuple[Noted, object]:
    """Return the warning of a blank 实际完成值 and the value it names: `无` or `—` as written, else none."""
    # The message already says 未填写 of an empty cell; a `无` is named as written, read as no value (submissions.md).
    shown = None if written is None or not display(written) else written
    said = "该指标无法由数据计算，不能计分，已按0分计"
    noted = Noted(
        None,
        "indicator_blank",
        said if shown is None else f"视为未填写，{said}",
        "请填写实际完成值（数值或完成情况），如“95%”“已完成”",
    )
    return noted, shown


def unit_unwritten(target_text: str, measure: str, magnitude: str | None = None) -> Noted:
    """Tell a clerk why a target of an amount the data compute, written with no unit or a `magnitude` alone
    (`≥24.4万`), is scored by the value reported."""
    # `≥24.4` for 改造面积 is 24.4 ㎡ or 24.4 万㎡: compared with the data's 201000 ㎡ it would score whichever the
    # warehouse guessed. The value reported beside it is written in the clerk's own unit, and so is compared. `≥24.4万`
    # names no measure the models can tell from its text (万元, 万平方米, 万户), and is compared so too.
    units = indicator_units()
    listed = "、".join(units.measures[measure].units)
    compared = "不能与由数据计算的数值对照，已按填报的实际完成值计分（视为与年度指标值同一单位）"
    if magnitude is None:
        expected, fix = f"年度指标值“{target_text}”未写单位，不知是{listed}中的哪一种，{compared}", listed
    else:
        meant = column_unit(magnitude, measure, units)
        expected = f"年度指标值“{target_text}”只写了数量级“{magnitude}”，未写计量单位，{compared}"
        fix = f"如“{meant}”" if meant != magnitude else listed
    return Noted(None, "indicator_unit_assumed", expected, f"请在年度指标值中写明单位（{fix}）")


# What names an indicator of cost (`成本指标`, `单个小区改造成本`, `工程造价`), whose bare amount may be a ceiling.
_COST_WORDS = ("成本", "造价", "单价", "费用")


def names_cost(level2: object, level3: object) -> bool:
    """Say whether an indicator's 二级 or 三级指标 names a cost."""
    return any(isinstance(name, str) and any(w in name for w in _COST_WORDS) for name in (level2, level3))


def bare_cost(bound: str) -> Noted:
    """Say that a cost's amount written with no comparison is scored as a floor, as a bare number is read."""
    # submissions.md: a bare number means ≥; of a cost, the clerk more often means a ceiling (`≤1250.1万元`).
    return Noted(
        None,
        "indicator_bare_cost",
        f"成本指标的年度指标值未写比较方式，已按“≥{bound}”计分：实际完成值低于{bound}的扣分，高于的计满分；"
        f"成本指标一般是不超过{bound}",
        f"请写明比较方式：如是上限，请改写为“≤{bound}”；如是下限，请改写为“≥{bound}”",
    )
