"""Say how a registry check refuses: `Misconfigured` (Chinese, its English, what to write, where) and the refusals
every model shares (a blank word, two items joined by a comma, a name that is no SQL identifier)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import duckdb

from pipeline.text import squash

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def sql_keywords(*categories: str) -> frozenset[str]:
    """Return DuckDB's keywords of these categories (`reserved`, `type_function`, …)."""
    with duckdb.connect() as con:
        rows = con.execute(
            "select keyword_name from duckdb_keywords() where keyword_category in (select unnest(?))",
            [list(categories)],
        )
        return frozenset(name for (name,) in rows.fetchall())


def identifier_instead(text: str, example: str) -> str:
    """Say what to write for a name that is no lower-case SQL identifier (`Fund Ledger` → fund_ledger)."""
    guess = re.sub(
        r"_+", "_", re.sub(r"[^a-z0-9_]", "", re.sub(r"[\s\-.]+", "_", text.strip().lower()))
    ).strip("_")
    if text.isascii() and guess and _IDENTIFIER.match(guess):
        return f"请写 {guess!r}"
    # A Chinese name has no spelling to offer: it becomes a table name, so it is written in English or pinyin.
    return f"请用英文或拼音写，只用小写字母、数字和 _，以字母开头（如 {example}）"


class Misconfigured(ValueError):
    """A registry check's refusal: what is wrong in Chinese (its English in brackets), what to write, and where.

    `at` is the key path below the model that raised it (`("multiple",)` of a column), which `registry_errors.explain` adds
    to pydantic's location to name the key and find its line.
    """

    def __init__(self, zh: str, english: str, fix: str = "", at: tuple = ()) -> None:
        self.at = tuple(at)
        super().__init__(f"{zh}（{english}）" + (f"，{fix}" if fix else ""))


def refuse_blank(
    words: Iterable[str],
    zh: str,
    english: str,
    at: tuple = (),
    why: str = "",
    fix: str = "请删去这个空白的词，或写上文字",
) -> None:
    """Refuse a registry word that is blank or only spaces, saying where it stands (`zh`, `english`), `why` it matters
    and what to write (`fix`)."""
    if any(not squash(word) for word in words):
        raise Misconfigured(f'{zh} ""{why}', english, fix, at)


def refuse_joined(words: Iterable[str], at: tuple) -> None:
    """Refuse a list item holding a comma: most often two items parted by `，`, which YAML reads as one."""
    # `aliases: [施工中，正在施工]` loaded as one alias no sheet writes: every 施工中 was refused as no value.
    if joined := next((w for w in words if "," in squash(w)), None):
        parts = ", ".join(part.strip() for part in squash(joined).split(","))
        raise Misconfigured(
            f"{joined!r} 是含逗号的一项（YAML 列表的各项以英文逗号加空格分隔，中文逗号不分项）",
            "one item holding a comma",
            f"请写 [{parts}]",
            at,
        )
