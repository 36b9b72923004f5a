"""Read a mark column (● ▲ under 预警情况) by the legend line its form writes above or below the table.

A local form may lay the unit's light out as marks with a line saying what each means (`● 正常 ▲ 黄灯`, or
`注：●表示正常，▲表示黄灯预警`). A mark is read where the legend says exactly which of the column's values it is; a
mark the legend words as none of them (`▲ 预警`: which light?), words two ways, or leaves out, is an error on its
cell, never a guess. Only columns marked `legend: true` in the registry are read so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.enum_values import allowed_zh
from pipeline.grids import Grid
from pipeline.registry_columns import Column
from pipeline.sheet_meta import row_text
from pipeline.text import squash
from pipeline.values import CellError

# The marks forms use for a state: filled and empty shapes.
MARKS = "●○▲△■□◆◇★☆◎◉"
_MARK = re.compile(f"[{MARKS}]")
_SEPARATORS = r"[\s，,、；;。.．]"
# One mark and what it means: `●正常`, `● 表示 正常`, `▲为黄灯`, `■：红灯`, and a gloss after it in brackets
# (`■红灯（严重偏差）`), which may say the light again but is no light of its own.
_PAIR = rf"([{MARKS}])\s*(?:表示|代表|为|是|[:：=＝])?\s*([^{MARKS}\s，,、；;。.．()（）]+)(?:\s*[（(]([^（()）]*)[）)])?"
# The number of a note's item: `1.`, `2、`, `（1）`, `①`.
_NUMBERED = r"(?:\d+\s*[.．、)）]|[(（]\d+[)）]|[①-⑳])"
# A whole legend line: an optional `注：` `说明：` `图例：`, then marks and their meanings only, each maybe numbered
# (`注：1.●表示正常；2.▲表示黄灯`, refused as no legend, every mark an error).
_LINE = re.compile(
    rf"(?:(?:注|说明|图例|备注)\s*\d*\s*[:：]?)?(?:{_SEPARATORS}*(?:{_NUMBERED}\s*)?{_PAIR})+{_SEPARATORS}*"
)
_PAIRS = re.compile(_PAIR)
_NOTE = re.compile(r"(?:注|说明|图例|备注)\s*\d*\s*[:：]")
# What a header adds in brackets after its label: a legend, where it is one.
_BRACKETED = re.compile(r"[（(]([^（()）]*)[）)]")


@dataclass(frozen=True, slots=True)
class Said:
    """What a legend says a mark means: the words and the Excel rows saying them, and the value they read as."""

    # None for a note naming the mark that is no legend line (`注：●表示正常，其余为预警`).
    words: tuple[str, ...]
    rows: tuple[int, ...]
    value: str | None  # None where the words name no one value of the column


def read_legend(
    grid: Grid, header: tuple[int, int], column: Column, written: str | None = None
) -> dict[str, Said]:
    """Return what the sheet's legend lines, above or below its `header` (first and last Excel rows), and the
    column's header as `written` (`预警情况（●绿灯 ▲黄灯）`) say each mark in `column` means."""
    found: dict[str, dict[str, list[int]]] = {}
    unread: dict[str, int] = {}
    for bracketed in _BRACKETED.findall(written or ""):
        if _LINE.fullmatch(bracketed.strip()):
            for mark, word in _said(bracketed, column):
                found.setdefault(mark, {}).setdefault(word, []).append(header[0])
    for index, row in enumerate(grid.rows):
        if header[0] <= index + 1 <= header[1] or not any(
            isinstance(c, str) and _MARK.search(c) for c in row
        ):
            continue
        line = row_text(row)
        if not _LINE.fullmatch(line.strip()):
            if _NOTE.match(line.strip()):  # `注：●表示正常，其余为预警`: told as a note not read, not as none
                for mark in _MARK.findall(line):
                    unread.setdefault(mark, index + 1)
            continue
        for mark, word in _said(line, column):
            found.setdefault(mark, {}).setdefault(word, []).append(index + 1)
    legend = {}
    for mark, words in found.items():
        values = {column.enum_lookup.get(squash(word)) for word in words}
        value = values.pop() if len(values) == 1 else None
        rows = sorted({r for said in words.values() for r in said})
        legend[mark] = Said(tuple(words), tuple(rows), value)
    for mark, row in unread.items():
        legend.setdefault(mark, Said((), (row,), None))
    return legend


def _said(line: str, column: Column) -> list[tuple[str, str]]:
    """Return each mark of a legend line and the words saying what it means: its light, and its gloss where that
    names a light too (`红灯（严重偏差）`) or words one (`黄灯（或红灯）`), to be held to the light before it."""
    said, lookup = [], column.enum_lookup
    for mark, word, gloss in _PAIRS.findall(line):
        said.append((mark, word))
        folded = squash(gloss)
        # 严重偏差 is 红灯 again; 或红灯 beside 黄灯 names another, and is asked; 执行正常 beside 绿灯 only describes it.
        others = {value for key, value in lookup.items() if key in folded} - {lookup.get(squash(word))}
        if folded and (folded in lookup or others):
            said.append((mark, gloss))
    return said


def legend_rows(legend: dict[str, Said]) -> frozenset[int]:
    """Return the Excel rows a legend is written on: lines of the form, no data."""
    return frozenset(r for said in legend.values() if said.words for r in said.rows)


def legend_parser(
    column: Column, legend: dict[str, Said], parse: Callable[[object], object]
) -> Callable[[object], object]:
    """Wrap a mark column's cell parser: a mark is the value its legend names, else an error saying why not."""

    def read(raw: object) -> object:
        mark = raw.strip() if isinstance(raw, str) else None
        if not mark or len(mark) != 1 or not _MARK.match(mark):
            return parse(raw)
        said = legend.get(mark)
        if said is not None and said.value is not None:
            return said.value
        allowed = allowed_zh(column)
        if said is None or not said.words:
            # A note naming the mark that reads as no legend was told there was none.
            why = (
                f"表中没有说明“{mark}”含义的图例"
                if said is None
                else f"第{said.rows[0]}行的注释写有“{mark}”，但没有逐一写明各符号的含义"
            )
            raise CellError(
                "enum",
                f"{allowed}；{why}",
                f"请改填文字（{'、'.join(column.values or {})}），或在表下注明各符号的含义，如“注：●表示正常，▲表示黄灯”",
            )
        where = "、".join(map(str, said.rows))
        meant = "”“".join(said.words)
        why = "说法不一，无法确定是哪一个" if len(said.words) > 1 else "未说明是其中哪一个"
        raise CellError(
            "enum_ambiguous",
            f"{allowed}；第{where}行的图例说“{mark}”表示“{meant}”，{why}",
            f"请改填文字（{'、'.join(column.values or {})}），或在图例中写明“{mark}”表示其中哪一个",
        )

    return read
