"""Write and read Excel cell references: column letters, column numbers and ranges."""

from __future__ import annotations


def column_letter(index: int) -> str:
    """Return the Excel column letter for a zero-based column index (0 → A)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def range_text(merge: tuple[tuple[int, int], tuple[int, int]]) -> str:
    """Write a zero-based ((top, left), (bottom, right)) range the Excel way: B5:B6."""
    (top, left), (bottom, right) = merge
    return f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}"


def column_number(letters: bytes) -> int:
    """Turn Excel column letters (b"A", b"XFD") into a 1-based number."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number
