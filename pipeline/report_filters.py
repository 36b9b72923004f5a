"""Give the report templates their filters and helpers: headings numbered in Chinese, the figures present."""

from __future__ import annotations

from pipeline.chinese_numbers import zh_number


def numbered(n: int, level: int) -> str:
    """Number a heading as official documents do: 1 一、 · 2 （一） · 3 1． · 4 （1）."""
    n = int(n)
    return {1: f"{zh_number(n)}、", 2: f"（{zh_number(n)}）", 3: f"{n}．", 4: f"（{n}）"}[int(level)]


def present(pairs: list) -> list:
    """Keep the `(label, figure)` pairs whose figure the marts produced."""
    return [pair for pair in pairs if pair[1] is not None]
