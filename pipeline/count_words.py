"""Word a count written in a word its column reads as what it counts, one each (a survey's 人 or 人次 for 份)."""

from __future__ import annotations

from pipeline.registry_columns import Column
from pipeline.written_units import counted_word


def counted_also(column: Column, unit: str) -> bool:
    """Say whether a count unit is one a column reads as what it counts, one each (`also_counts`: 人 of 有效问卷)."""
    return counted_word(unit) in {counted_word(word) for word in column.also_counts}


def cell_counted_also(column: Column, written: object, unit: str, number: int) -> tuple[str, str]:
    """Return what a clerk is told (expected, fix) of a cell read so (`100人次` under 有效问卷（份）: 100 份)."""
    return (
        f"{column.header}应以“{column.counts}”计，“{written}”按每{counted_word(unit)}一{column.counts}读取为"
        f"{number}{column.counts}",
        f"请核对；无误的，请改写为{number}（不带单位）",
    )


def header_counted_also(column: Column, written: str, unit: str, in_ones: bool) -> tuple[str, str]:
    """Return what a clerk is told (expected, fix) of a header or a `单位：` line read so (有效问卷（人次）, `单位：人次`),
    once for the cells under it."""
    counts = column.counts
    return (
        f"{column.header}应以“{counts}”计，{'表上方写的是' if written.startswith('单位') else '表头的单位是'}“{written}”，"
        f"本列数值已按每{counted_word(unit)}一{counts}读取",
        f"请核对；无误的，请将表头改为「{column.header}（{counts if in_ones else f'万{counts}'}）」",
    )
