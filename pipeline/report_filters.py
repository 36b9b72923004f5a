"""Give the report templates their filters and helpers: headings numbered in Chinese, the figures present."""

from __future__ import annotations

_ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """Write a section number in Chinese numerals: 一, 十, 十二, 二十三, 一百零五, 一千二百; Arabic from 10,000."""
    if n >= 10_000:
        return str(n)
    if 10 <= n < 20:
        return "十" + (_ZH_DIGITS[n - 10] if n > 10 else "")
    written, pending_zero = "", False
    for place, digit in zip(range(len(str(n)) - 1, -1, -1), map(int, str(n)), strict=True):
        if digit == 0:
            pending_zero = bool(written)
            continue
        written += ("零" if pending_zero else "") + _ZH_DIGITS[digit] + ("", "十", "百", "千")[place]
        pending_zero = False
    return written or _ZH_DIGITS[0]


def numbered(n: int, level: int) -> str:
    """Number a heading as official documents do: 1 一、 · 2 （一） · 3 1． · 4 （1）."""
    n = int(n)
    return {1: f"{zh_number(n)}、", 2: f"（{zh_number(n)}）", 3: f"{n}．", 4: f"（{n}）"}[int(level)]


def present(pairs: list) -> list:
    """Keep the `(label, figure)` pairs whose figure the marts produced."""
    return [pair for pair in pairs if pair[1] is not None]
