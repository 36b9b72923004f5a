"""Refuse a column or field whose keys cannot hold together: a key of another type's, a pattern, a header or an
enum word that would read the sheet wrong."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.registry_columns import SPACE_SEPARATOR, SUMMABLE_TYPES, VALUE_SEPARATOR, ColumnType
from pipeline.registry_refusals import (
    _IDENTIFIER,
    Misconfigured,
    identifier_instead,
    refuse_blank,
    refuse_joined,
    sql_keywords,
)
from pipeline.text import split_header, squash

if TYPE_CHECKING:
    from pipeline.registry_columns import Column, Field


def refuse_unnamable(name: str) -> str:
    """Return a column's name, refusing one that is no lower-case SQL identifier or is an SQL keyword."""
    if not _IDENTIFIER.match(name):
        raise Misconfigured(
            f"列名 {name!r} 不是小写的 SQL 标识符",
            "column name must be a lower-case SQL identifier",
            identifier_instead(name, "compound_name"),
        )
    # Raw tables and staging views name their columns unquoted: `order` loaded, and the night then failed on
    # the warehouse's DDL, told as a damaged warehouse.
    if name in sql_keywords("reserved", "type_function"):
        raise Misconfigured(
            f"列名 {name!r} 是 SQL 关键字，表中不能不加引号使用",
            "column name is an SQL keyword",
            f"请另起名称，如 {name}_value",
        )
    return name


def refuse_inconsistent(column: Column) -> None:
    """Refuse a column whose keys cannot hold together; the first found is said."""
    _keys_of_its_type(column)
    _words_and_patterns(column)
    _headers(column)
    _enum_words(column)


def _only_for(key: str, kinds: str, english: str, ok: bool) -> None:
    """Refuse `key` written on a column of a type it is not for (`ok` false)."""
    if not ok:
        raise Misconfigured(
            f"`{key}` 只用于{kinds}",
            f"`{key}` is only for {english}",
            f"请删去 {key}，或改 type",
            (key,),
        )


def _keys_of_its_type(column: Column) -> None:
    """Refuse a key written on a column of a type it does not apply to."""
    if (column.type is ColumnType.ENUM) != (column.values is not None):
        if column.values is None:
            raise Misconfigured(
                "enum 列须列出 `values`",
                "`values` is required for enum columns",
                "请加上 values:，每行一个“取值: [别名…]”",
                ("type",),
            )
        raise Misconfigured(
            "只有 enum 列才写 `values`",
            "`values` is only for enum columns",
            "请删去 values，或把 type 改为 enum",
            ("values",),
        )
    if column.values == {}:  # every cell written would be refused, as no value could be chosen
        raise Misconfigured(
            "`values` 未列出任何取值",
            "`values` lists no value",
            "请列出这一列允许的每个取值",
            ("values",),
        )
    _only_for("ambiguous", " enum 列", "enum columns", column.ambiguous is None or column.values is not None)
    _only_for("multiple", " enum 列", "enum columns", not column.multiple or column.type is ColumnType.ENUM)
    _only_for(
        "read_against",
        " text 列",
        "text columns",
        column.read_against is None or column.type is ColumnType.TEXT,
    )
    _only_for(
        "ordinal",
        "非必填（required 不为 true）的 integer 列",
        "optional integer columns",
        not column.ordinal or (column.type is ColumnType.INTEGER and not column.required),
    )
    _only_for(
        "adds_up",
        "金额和计数列（count、money、area、decimal）",
        "amounts and counts",
        column.adds_up or column.type in SUMMABLE_TYPES,
    )
    _only_for(
        "taken_back_in_place",
        " money 列",
        "money columns",
        not column.taken_back_in_place or column.type is ColumnType.MONEY,
    )
    _only_for(
        "counts", " count 列", "count columns", column.counts is None or column.type is ColumnType.COUNT
    )
    if column.also_counts and column.counts is None:
        raise Misconfigured(
            "`also_counts` 需要 `counts`（这些词折算成的单位）",
            "`also_counts` needs `counts`, what they are read as",
            "请加上 counts:，如 counts: 户",
            ("also_counts",),
        )
    _only_for(
        "preprinted", " text 列", "text columns", not column.preprinted or column.type is ColumnType.TEXT
    )
    if not column.printed and column.required:
        raise Misconfigured(
            "未印在表上（printed: false）的列不能是必填列",
            "a column not `printed` cannot be `required`",
            "请删去 required: true，或删去 printed: false",
            ("required",),
        )
    _only_for(
        "points_of", " text 列", "text columns", column.points_of is None or column.type is ColumnType.TEXT
    )
    _only_for(
        "legend",
        "不带 multiple 的 enum 列",
        "enum columns, not `multiple`",
        not column.legend or (column.type is ColumnType.ENUM and not column.multiple),
    )
    _only_for(
        "checked_as_item",
        " text 列",
        "text columns",
        not column.checked_as_item or column.type is ColumnType.TEXT,
    )
    # A row's part is read from its own cell: a blank or several values would name no one part.
    _only_for(
        "sent_in_parts",
        "必填、不带 multiple 的 enum 列",
        "required enum columns, not `multiple`",
        not column.sent_in_parts
        or (column.type is ColumnType.ENUM and column.required and not column.multiple),
    )
    _only_for(
        "blank_words", " enum 列", "enum columns", not column.blank_words or column.type is ColumnType.ENUM
    )
    _only_for(
        "prose_to", " enum 列", "enum columns", column.prose_to is None or column.type is ColumnType.ENUM
    )


def _words_and_patterns(column: Column) -> None:
    """Refuse a blank word, or a name pattern that is no regular expression or not of a text column."""
    refuse_blank(
        column.blank_words, "blank_words 中有空白的词", "blank_words holds a blank word", ("blank_words",)
    )
    for key in ("strip_prefix", "placeholder"):
        if getattr(column, key) is None:
            continue
        _only_for(
            key,
            " text 和 name 列",
            "text and name columns",
            column.type in (ColumnType.TEXT, ColumnType.NAME),
        )
        try:
            re.compile(getattr(column, key))
        except re.error as exc:
            raise Misconfigured(
                f"`{key}` 不是有效的正则表达式",
                f"not a regular expression: {exc}",
                "请改正；要匹配字面的 ( ) [ ] . * + ? 请在前面加 \\，并给整个值加单引号",
                (key,),
            ) from None


def _headers(column: Column) -> None:
    """Refuse a blank or bracketed header, two aliases joined by a comma, or one repeating another."""
    # A blank header matched the sheet's blank header cell, read silently as this column; a blank enum
    # spelling stood for a value no cell can write.
    spellings = [w for v, a in (column.values or {}).items() for w in (v, *(a or ()))]
    for key, words in (("header", (column.header,)), ("aliases", column.aliases), ("values", spellings)):
        refuse_blank(words, "表头、别名或取值中有空白的词", "a header, alias or enum value is blank", (key,))
    for text in (column.header, *column.aliases):
        # Matched without its brackets, a header's `（千元）` was never read as a unit, and the blank template
        # printed `培训经费（千元）（万元）`, a header no column reads back.
        label, unit = split_header(text)
        if unit is not None:
            raise Misconfigured(
                f"表头 {text!r} 以（{unit}）结尾，括号中的单位既不会被读作单位，也不参与表头匹配",
                f"header ends in ({unit}), which is never read as its unit or matched",
                f"请写 {label!r}：单位由表中的表头或“单位：”行给出",
                ("header",) if text == column.header else ("aliases",),
            )
    refuse_joined(column.aliases, ("aliases",))
    for value, aliases in (column.values or {}).items():
        refuse_joined(aliases or (), ("values", value))
    # An alias repeating the header or another alias is most often a paste where another spelling was meant:
    # that spelling's sheets then lost the column without a word.
    said: dict[str, str] = {}
    for text in (column.header, *column.aliases):
        label = split_header(text)[0]
        if label in said:
            raise Misconfigured(
                f"别名 {text!r} 与前面的 {said[label]!r} 读的是同一个表头",
                "alias reads the same header as one written before it",
                "请删去重复的一个，或写办公室实际使用的另一种写法",
                ("aliases",),
            )
        said[label] = text


def _enum_words(column: Column) -> None:
    """Refuse a value or alias a `multiple` cell would split, and an ambiguous word that cannot hold."""
    meaning = column.enum_lookup  # refuses a spelling listed for two values
    if column.multiple and (
        split := [w for w in meaning if VALUE_SEPARATOR.search(w) or SPACE_SEPARATOR.search(w.strip())]
    ):
        raise Misconfigured(
            f"带 `multiple` 的列按 、,;/ 和空格拆分单元格，取值和别名中不能含这些符号：{', '.join(split)}",
            "with `multiple`, no value or alias may hold a separator",
            "请改写这些取值或别名，去掉其中的分隔符",
            ("values",),
        )
    for word, ambiguity in (column.ambiguous or {}).items():
        if squash(word) in meaning:
            raise Misconfigured(
                f"歧义词 {word!r} 同时是 {meaning[squash(word)]!r} 的取值或别名，不能两者都是",
                "ambiguous word is also a value or alias",
                f"请从 values 中删去它，或从 ambiguous 中删去 {word!r}",
                ("ambiguous", word),
            )
        if unknown := [v for v in ambiguity.between if v not in (column.values or {})]:
            raise Misconfigured(
                f"歧义词 {word!r} 的 between 列出了 values 中没有的取值 {', '.join(unknown)}",
                "ambiguous word names unknown values",
                f"请写 values 中的取值：{', '.join(column.values or {})}",
                ("ambiguous", word, "between"),
            )
        if len(set(ambiguity.between)) < 2:
            raise Misconfigured(
                f"歧义词 {word!r} 的 between 须列出两个不同的取值",
                "ambiguous word must name two different values",
                "请写它可能指的两个或更多取值",
                ("ambiguous", word, "between"),
            )


def refuse_misplaced(field: Field) -> None:
    """Refuse a field whose place keys contradict (`below` and `row`) or that carries a key only columns have."""
    if field.below and field.row is not None:
        raise Misconfigured(
            "`below` 和 `row` 是两个位置",
            "`below` and `row` are two places",
            "请只保留其中一个",
            ("row",),
        )
    if field.row_aliases and field.row is None:
        raise Misconfigured(
            "`row_aliases` 是 `row` 那一行的其他写法，但未写 `row`",
            "`row_aliases` are other labels of its `row`",
            "请加上 row:",
            ("row_aliases",),
        )
    # A blank row label is matched by any row whose label cell is empty: its value read from the wrong row.
    for key in ("row", "row_aliases", "block"):
        words = getattr(field, key) or ()
        refuse_blank(
            (words,) if isinstance(words, str) else words,
            "row、row_aliases 或 block 中有空白的词",
            "its row, row_aliases or block holds a blank word",
            (key,),
        )
    refuse_joined(field.row_aliases, ("row_aliases",))
    if given := [
        k for k in ("required", "unique", "read_against", "points_of", "prose_to") if getattr(field, k)
    ]:
        raise Misconfigured(
            f"字段（fields）不能写 {given[0]}，required、unique、read_against、points_of 和 prose_to 只用于列",
            "required, unique, read_against, points_of and prose_to are for columns",
            f"请删去 {given[0]}",
            (given[0],),
        )
