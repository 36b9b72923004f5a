"""Join a target's comparison and unit, written in columns of their own beside its 年度指标值, to the target's cell."""

from __future__ import annotations

import re

from pipeline.indicator_figures import (
    CLOSING,
    INDICATOR,
    OPERATOR_WORDS,
    STRICT_WORDS,
    indicator_parts,
    numerals_as_digits,
    strict_word,
)
from pipeline.text import squash
from pipeline.values import CellError
from pipeline.written_units import unit_factor, unit_spelling

# A column of its own beside the 年度指标值 (指标性质, 指标方向) states a comparison as the cell would (`≥`, `不低于`),
# which way is better (正向: the higher), or only the kind of target: 定性 words, 定量 a number (compared as a bare
# number in the cell is).
_DIRECTIONS = {"正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤"}
_KINDS = {"定性": "定性", "定性指标": "定性", "定量": None, "定量指标": None}
# The same words written before the target in its own cell (`定性：优`, `定量：≥95%`, `反向：≤30天`), as read (`：` is
# `:`): the target was taken for words, `优` against `定性:优` unscored and `≥95%` compared as no number.
_STATED_IN_CELL = re.compile(
    rf"\s*({'|'.join(sorted({*_DIRECTIONS, *_KINDS}, key=len, reverse=True))})\s*:\s*"
)


def stated_in_cell(target: object) -> tuple[str, str] | None:
    """Return the kind or direction a target's cell writes before it (`定性：优`) and the target after it, or None."""
    if not isinstance(target, str) or (found := _STATED_IN_CELL.match(target)) is None:
        return None
    return found.group(1), target[found.end() :]


class TargetPartError(CellError):
    """A target's comparison or unit, in a column of its own, that cannot be read or contradicts the target's cell."""

    def __init__(self, expected: str, fix: str, in_unit: bool = False):
        super().__init__("indicator_parts", expected, fix)
        self.in_unit = in_unit


def joined_target(
    target: str | None, operator: str | None, unit: str | None, headers: tuple[str, str, str]
) -> str | None:
    """Return a target as if the comparison and unit written in columns of their own (`headers`: the target's, the
    comparison's, the unit's) were written in its cell: `≤` `9163.6` `万元` is ≤9163.6万元."""
    target_header, operator_header, unit_header = headers
    word = squash(operator) if operator else ""
    if word in _KINDS or not word:
        sign, kind = None, _KINDS.get(word)
    elif (sign := OPERATOR_WORDS.get(word) or _DIRECTIONS.get(word)) is None:
        raise TargetPartError(
            f"「{operator_header}」应为比较方式（≥、≤、=、不低于、不高于等）、正向、反向、定性或定量，"
            f"“{operator}”不是其中之一，本行的「{target_header}」无法读取",
            "请在该列填写比较方式，如“≥”“≤”“=”",
        )
    else:
        kind = None
    # `—` or `无` in either column is no value, read as blank with every cell (values.is_blank).
    written = squash(unit) if unit else ""
    parts = indicator_parts(target)
    if not target or parts.number is None:
        return target  # words, a deadline or a figure that is no number: read, and told of, as the cell alone
    if kind == "定性":
        raise TargetPartError(
            f"「{operator_header}」为“{operator}”（定性指标），「{target_header}」“{target}”却是数值，两者矛盾",
            f"定性指标请在「{target_header}」中写明要达到的情况；数值指标请在「{operator_header}」中写明比较方式，如“≥”",
        )
    # `大于` beside `≥95` is no agreement: one leaves 95 out, the other counts it (both are scored as ≥).
    cell_strict = strict_word(target)
    if (
        sign
        and parts.operator
        and (
            sign != parts.operator or (word in OPERATOR_WORDS and (word in STRICT_WORDS) != bool(cell_strict))
        )
    ):
        raise TargetPartError(
            f"「{operator_header}」为“{operator}”，「{target_header}」“{target}”中写的却是“{cell_strict or parts.operator}”，两者矛盾",
            f"请核对比较方式，使「{operator_header}」与「{target_header}」一致",
        )
    if written and parts.unit:
        spelled = unit_spelling(written)
        if parts.unit != spelled and not (
            parts.unit.startswith(spelled) and unit_factor(parts.unit) == unit_factor(spelled)
        ):
            raise TargetPartError(
                f"「{unit_header}」为“{unit}”，「{target_header}」“{target}”中写的单位却是“{parts.unit}”，两者不一致",
                f"请核对单位，使「{unit_header}」与「{target_header}」一致",
                in_unit=True,
            )
    text = numerals_as_digits(CLOSING.sub("", squash(target)))
    if written and not parts.unit:
        end = INDICATOR.match(text).end("number")
        text = text[:end] + written + text[end:]
    # A strict word (`大于`) is kept as written, so the row's reading tells the clerk it was scored as ≥.
    written_sign = word if word in STRICT_WORDS else sign
    return written_sign + text if sign and not parts.operator else text
