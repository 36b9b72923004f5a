"""Tell a percentage that is most likely its fraction with `%` after it (`0.95%` for 95 %), missing a high target."""

from __future__ import annotations

from decimal import Decimal

from pipeline.percent_values import points_text
from pipeline.values import Noted

# A target of 50 % or more asks for most of something: as bare_percent reads a bare number against it, a share at
# most 1 % of it is far more often the fraction (0.95, or 1 for all of it) with a `%` after it, typed or shown by
# the cell's format, than an outcome fifty times short.
_HIGH = Decimal(50)


def fraction_as_points(points: Decimal | None, target_points: Decimal | None) -> bool:
    """Say whether a percentage read as `points` (0.95 of `0.95%`) against a target of `target_points` percent is
    most likely the fraction written with `%` after it: at most 1 % against 50 % or more."""
    return points is not None and target_points is not None and target_points >= _HIGH and 0 < points <= 1


def fraction_typed(points: Decimal, what: str, against: str) -> Noted:
    """Ask the clerk about a percentage `fraction_as_points` doubts, kept as read: `what` names the cell's figure
    (实际完成值, 执行率), `against` the target it falls short of (`远低于年度指标值“≥90%”`)."""
    shown, meant = points_text(points), points_text(points.scaleb(2))
    return Noted(
        None,
        "percent_fraction",
        f"读作{shown}%，{against}，疑为{meant}%按小数写作{shown}后又加了百分号，已按{shown}%计算",
        f"请核对：如{what}为{meant}%，请填写“{meant}%”",
    )
