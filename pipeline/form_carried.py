"""Read a form's cell that states two fields, a number and a word after it (总分 `95（优）`), and check the word."""

from __future__ import annotations

import re

from pipeline.cell_refs import column_letter
from pipeline.form_cells import _where
from pipeline.form_places import Place, Places
from pipeline.indicator_figures import HEDGE_WORDS
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity
from pipeline.registry_columns import Field
from pipeline.text import squash
from pipeline.values import is_blank

# A number, 分 perhaps, then a word in brackets or after a space or mark: `95（优）`, `95分 优`, `95，良`.
_NUMBER_AND_WORD = re.compile(
    r"\s*(\d+(?:\.\d+)?\s*分?)\s*(?:[(（]\s*([^()（）]+?)\s*[)）]|[\s,，、/]+(\S+))\s*"
)
# What is told of the word a number carried, on the number's cell: the number itself was read, and is checked as any.
CARRIED_RULES = frozenset({"compared_unread", "carried_differs"})
# A second number after the first (`95/100`, `95（100分）`): no word at all, the full marks as often as not.
_SECOND_NUMBER = re.compile(r"\d+(?:\.\d+)?分?")
# A grade with 以上 after it (`良好以上`, `良及以上`: good or better): the bound is the grade phrase's, not the number's.
_VALUE_AND_UP = re.compile(r"(.+?)及?以上")


def split_carried(places: Places, found: dict[str, Place | None], fields: tuple[Field, ...]) -> None:
    """Read a cell giving two fields, its number one's and the word after it the other's (`carries`): 总分 `95（优）`.
    Where the other field has a cell of its own written, the number is read and the word kept to check against it."""
    by_name = {field.name: field for field in fields}
    for field in fields:
        place = found[field.name]
        if field.carries is None or place is None:
            continue
        raw = places.inline.get(field.name, places.cell(place[0], place[1]))
        parts = _NUMBER_AND_WORD.fullmatch(raw) if isinstance(raw, str) else None
        word = parts and (parts[2] or parts[3])
        if not word:
            continue
        carried, squashed = by_name[field.carries], squash(word)
        # A field only compared takes any other word (`95（合格）`, `100（满分）`) and asks about it on the cell, the
        # number read; a word saying the number is not exact (`95（约）`) stays the number's, refused as `约95` is. Of
        # a field a figure reads, the cell stays the number's, refused as before.
        if squashed not in carried.enum_lookup and (not carried.compared_only or _hedged(squashed, carried)):
            continue
        places.inline[field.name] = parts[1]
        own = found[field.carries]
        if own is not None and not is_blank(places.inline.get(field.carries, places.cell(own[0], own[1]))):
            # The form states the grade in a cell of its own (`自评等级 | 良`): that cell is read, the word after the
            # number only held against it (`check_carried`).
            places.beside[field.carries] = (place, raw.strip(), parts[1], word)
            continue
        if squashed not in carried.enum_lookup:
            places.carried[field.carries] = (raw.strip(), parts[1])
        places.inline[field.carries] = word
        found[field.carries] = place


def _hedged(squashed: str, carried: Field) -> bool:
    """Say whether a word after a number says the number is not exact (`约`, `左右`, `以上`). A value of the carried
    field with 以上 (`良好以上`, `良及以上`) bounds that value, not the number; `以上` alone, or after another word, does."""
    phrase = _VALUE_AND_UP.fullmatch(squashed)
    if phrase is not None and phrase[1] in carried.enum_lookup:
        return False
    return any(hedge in squashed for hedge in HEDGE_WORDS)


def second_number(number: str, word: str, field: Field) -> tuple[str, str] | None:
    """Say what is read of a cell writing two numbers (`95/100`) and how to fix it, where the word after the number
    carried is itself a number; else None."""
    if _SECOND_NUMBER.fullmatch(squash(word)) is None:
        return None
    told = f"数字已按“{number}”读取，其后的“{word}”是另一个数（如满分），不是{field.header}"
    return told, f"请只填写一个数，删去“{word}”；若“{number}”不是本项的分数，请改正"


def check_carried(
    places: Places,
    found: dict[str, Place | None],
    values: dict[str, object],
    sheet: ParsedSheet,
    fields: tuple[Field, ...],
) -> None:
    """Hold the word a number carried (`95（优）`) against the cell of its own the form states that field in (`自评等级 |
    良`): the same value says nothing; another value, or a word that is none, is told on the number's cell, naming both."""
    for field in fields:
        if field.name not in places.beside:
            continue
        place, written, number, word = places.beside[field.name]
        own = found[field.name]
        said, stated = field.enum_lookup.get(squash(word)), values[field.name]
        if said is not None and said == stated:
            continue
        at = f"{column_letter(place[1])}{place[0] + 1}"
        own_at = f"{column_letter(own[1])}{own[0] + 1}"
        own_written = places.inline.get(field.name, places.cell(own[0], own[1]))
        kept = (
            f"{field.header}已按{own_at}单元格的“{stated}”核对"
            if stated is not None
            else f"{own_at}单元格的{field.header}未能读取，未作核对"
        )
        if said is None and (second := second_number(number, word, field)) is not None:
            rule, (expected, fix) = "compared_unread", second
            expected += f"；本表在{own_at}单元格另填有{field.header}“{own_written}”，{kept}"
        elif said is None:
            rule = "compared_unread"
            expected = (
                f"数字已按“{number}”读取；其后的“{word}”不是{field.header}（应为{'、'.join(field.values or {})}之一），"
                f"本表在{own_at}单元格另填有{field.header}“{own_written}”，{kept}"
            )
            fix = f"请删去{at}单元格中的“{word}”；若“{word}”是对“{number}”的说明（如并非确切的数），请改正“{number}”"
        else:
            rule = "carried_differs"
            expected = (
                f"数字已按“{number}”读取；其后的{field.header}“{word}”与{own_at}单元格填写的{field.header}"
                f"“{own_written}”不一致，{kept}"
            )
            fix = f"请统一两处的{field.header}：删去{at}单元格中的“{word}”，或改正{own_at}单元格"
        # Of a field only compared, the clerk is asked and the form's figures kept; one a figure reads is refused.
        severity = Severity.WARNING if field.compared_only else Severity.ERROR
        sheet.error(
            rule=rule,
            excel_row=place[0] + 1,
            header=_where(place),
            value=written,
            expected=expected,
            fix=fix,
            severity=severity,
        )
