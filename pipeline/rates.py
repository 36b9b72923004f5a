"""Judge a rate a clerk wrote against the quotient of the figures it is made of, and word that quotient."""

from __future__ import annotations

from decimal import Decimal

from pipeline.problems import display
from pipeline.rounding import as_rounded

# A rate written `98%` stands for 97.5–98.5 %: it may be off by half a unit of its last digit, but by no less than
# 0.01 points (a computed rate has more digits than anyone writes) and no more than 0.5 (a bare `0.5` is 50 %).
RATE_TOLERANCE = (Decimal("0.0001"), Decimal("0.005"))


def rate_agrees(rate: Decimal, part: Decimal, whole: Decimal) -> bool:
    """Say whether a written rate (a fraction) is part ÷ whole as rounded as it is written."""
    return as_rounded(rate, part / whole, *RATE_TOLERANCE)


def percent_of(part: Decimal, whole: Decimal) -> str:
    """Show part over whole as a percentage to two decimals (`96.16`)."""
    return display((Decimal(part) / Decimal(whole) * 100).quantize(Decimal("0.01")))


def quotient(labels: tuple[str, str], figures: str, part: Decimal, whole: Decimal) -> str:
    """Show how a rate comes of its figures: `全年执行数÷全年预算数＝1250.1÷1300≈96.16%`."""
    return f"{labels[0]}÷{labels[1]}＝{figures}≈{percent_of(part, whole)}%"
