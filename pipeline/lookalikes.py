"""Name the character of an enum word typed as another of nearly the same shape (己完工 for 已完工)."""

from __future__ import annotations

from collections.abc import Container

# Characters typed, picked from an input method's list or carried in from another script in place of one of nearly
# the same shape. Never the same word (己 is not 已), so a word holding one is still refused, as every word outside
# the list is; only the refusal names the character, which “己完工，应为……已完工” leaves the clerk hunting for.
LOOKALIKES = {
    "己": "已",  # 自己的己 for 已经的已: 己完工
    "巳": "已",
    "末": "未",  # 末尾的末 for 未开工的未
    "劵": "券",  # 债劵 for 债券
    "戸": "户",  # the Japanese form of 户 (棚戸区), from a copied document
}
_MENDED = str.maketrans(LOOKALIKES)


def mistyped(written: str, known: Container[str]) -> tuple[str, list[tuple[str, str]]] | None:
    """Return the known word a word is once its look-alike characters are put right, and each (typed, meant)."""
    mended = written.translate(_MENDED)
    if mended == written or mended not in known:
        return None
    return mended, sorted(
        {(typed, meant) for typed, meant in zip(written, mended, strict=True) if typed != meant}
    )


def lookalike_zh(written: str, mended: str, swaps: list[tuple[str, str]]) -> str:
    """Word which character of a written word is which other, for the clerk."""
    named = "，".join(f"“{typed}”应为“{meant}”" for typed, meant in swaps)
    return f"“{written}”中{named}（字形相近）"
