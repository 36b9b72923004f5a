"""Type a template's columns and fields as checked config: column types, Column, Field and their own checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from functools import cache, cached_property

import duckdb
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydanticField

from pipeline.text import split_header, squash


class ColumnType(StrEnum):
    TEXT = "text"  # free text, width-folded
    PROSE = "prose"  # a paragraph kept as written: full-width punctuation and line breaks stay
    NAME = "name"  # a proper name: spaces and trailing notes removed
    ENUM = "enum"
    INTEGER = "integer"
    COUNT = "count"  # non-negative integer
    DECIMAL = "decimal"
    MONEY = "money"  # stored in 万元
    AREA = "area"  # stored in 平方米
    PERCENT = "percent"  # stored as a fraction
    DATE = "date"
    YEAR = "year"
    MONTH = "month"


NUMERIC_TYPES = {ColumnType.INTEGER, ColumnType.COUNT, ColumnType.DECIMAL, ColumnType.MONEY, ColumnType.AREA}
# Columns a 合计 row is checked against: amounts and counts, not ordinals such as 序号.
SUMMABLE_TYPES = {ColumnType.COUNT, ColumnType.MONEY, ColumnType.AREA, ColumnType.DECIMAL}
MEASURE_OF_TYPE = {ColumnType.MONEY: "money", ColumnType.AREA: "area"}

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
# What sets apart the values of a `multiple` enum cell once widths are folded (`，` `；` `／` fold to , ; /); a
# space or a line break (Alt+Enter in a cell) too, where the words on either side are values of their own.
VALUE_SEPARATOR = re.compile(r"[、,;/]")
SPACE_SEPARATOR = re.compile(r"\s+")


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
        return f"write {guess!r}"
    # A Chinese name has no spelling to offer: it becomes a table name, so it is written in English or pinyin.
    return f"write lower-case letters, digits and _, starting with a letter, in English or pinyin (e.g. {example})"


def refuse_blank(words: Iterable[str], said: str, why: str = "") -> None:
    """Refuse a registry word that is blank or only spaces, saying `said` (where it stands) and `why` it matters."""
    if any(not squash(word) for word in words):
        raise ValueError(f'{said} (""){why}; remove it or write the words')


def refuse_joined(key: str, words: Iterable[str]) -> None:
    """Refuse a list item holding a comma: most often two items parted by `，`, which YAML reads as one."""
    # `aliases: [施工中，正在施工]` loaded as one alias no sheet writes: every 施工中 was refused as no value.
    if joined := next((w for w in words if "," in squash(w)), None):
        parts = ", ".join(part.strip() for part in squash(joined).split(","))
        raise ValueError(
            f"{key}: {joined!r} is one item holding a comma; YAML parts a list's items with an ASCII comma "
            f"and a space: write [{parts}]"
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ambiguity(_Strict):
    """A word offices write for an enum that could mean more than one of its values, and why."""

    between: tuple[str, ...] = PydanticField(min_length=2)
    why: str = PydanticField(min_length=1)


class Column(_Strict):
    name: str
    header: str
    aliases: tuple[str, ...] = ()
    type: ColumnType
    required: bool = False
    unique: bool = False
    values: dict[str, tuple[str, ...] | None] | None = None
    # An enum cell may name several of its values (`经费保障、制度保障`, or a √ in several tick columns): they are
    # stored joined by `、`, in the order `values` lists them.
    multiple: bool = False
    # Words that could mean two values (`拨付`: 到位 or 支付?); a cell holding one is an error, never a guess.
    ambiguous: dict[str, Ambiguity] | None = None
    # A column whose numbers are read against the target in another column (实际完成值 against 年度指标值).
    read_against: str | None = None
    # A text column whose cells may end with their points, `产出指标（55分）`: the points are stripped and
    # checked against the sum of this numeric column over the rows that carry the same text.
    points_of: str | None = None
    # A row's number the clerk writes as they like (序号: 1, 一, 3、, （4）): read as a whole number where it is one,
    # else as nothing, never an error; a row holding only it is an unused row of a pre-numbered form.
    ordinal: bool = False
    # A heading the form prints on every line of its table (二级指标: 成本指标, 经济效益指标…): a row holding only such
    # columns (and ordinals) is a line the unit had no indicator for, passed over like a blank row.
    preprinted: bool = False
    # What a printed form writes in a name column before or instead of a name (三级指标: `指标1：`, `……`), as
    # patterns matched on the cell as read (width folded: `：` is `:`). `strip_prefix` is dropped from the start of
    # a name (`指标1：改造小区数量` is 改造小区数量); a cell holding only it, or matching `placeholder` in full,
    # names nothing: on a row with only preprinted headings besides, an unused line; else the name is asked for.
    strip_prefix: str | None = None
    placeholder: str | None = None
    # What a count column counts (户, 份): a cell written with a unit counting something else (`12栋` of 惠及户数)
    # is an error, though 户 and 栋 are one measure.
    counts: str | None = None
    # Count words a clerk writes for what `counts` counts, one each (a survey's 人, 人次 or 户, each filling one 份):
    # read as so many of `counts`, the clerk warned to check (`count_word`), where any other word is an error.
    also_counts: tuple[str, ...] = ()
    # False for an amount that rows do not add up to (a yearly plan repeated on each month's row, a running 累计):
    # a 合计 row's cell of it is not checked against the rows above.
    adds_up: bool = True
    # False for a column the form as printed lacks and some provinces add (the 运行监控表's 预警情况): read where a
    # sheet has it, never printed on a blank template nor named as a column not found beside an unread header.
    printed: bool = True
    # A text stored as written but held against a list of items folded (`text.item_key`: width, inner spaces, line
    # breaks and trailing notes in brackets): 支出用途 `发放\n津贴补贴（春节慰问）` is on the negative list, in the suites
    # and in the marts alike.
    checked_as_item: bool = False
    # An enum whose values name parts of the form a clerk may send on their own (建设规模 and 投资构成, a report's
    # 章节): a file replacing one whose rows had a value it has none of drops those rows, and is warned
    # (`part_dropped`).
    sent_in_parts: bool = False
    # An amount a clerk may write negative to take back one recorded before (退回, 冲减 in a 台账): refused as every
    # negative amount is, the error saying which row to correct instead (negative_amounts.py).
    taken_back_in_place: bool = False
    # An enum a form may write as marks (● ▲ under 预警情况), each read by the legend line the sheet writes above or
    # below its table (`注：●表示正常，▲表示黄灯`): pipeline/legends.py.
    legend: bool = False

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if not _IDENTIFIER.match(name):
            raise ValueError(
                f"column name {name!r} must be a lower-case SQL identifier; {identifier_instead(name, 'compound_name')}"
            )
        # Raw tables and staging views name their columns unquoted: `order` loaded, and the night then failed on
        # the warehouse's DDL, told as a damaged warehouse.
        if name in sql_keywords("reserved", "type_function"):
            raise ValueError(
                f"column name {name!r} is an SQL keyword, which no table can take unquoted; choose another"
            )
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if (self.type is ColumnType.ENUM) != (self.values is not None):
            raise ValueError(f"column {self.name!r}: `values` is required for enum columns and only for them")
        if self.values == {}:  # every cell written would be refused, as no value could be chosen
            raise ValueError(
                f"column {self.name!r}: `values` lists no value; list each value the column allows"
            )
        if self.ambiguous is not None and self.values is None:
            raise ValueError(f"column {self.name!r}: `ambiguous` is only for enum columns")
        if self.multiple and self.type is not ColumnType.ENUM:
            raise ValueError(f"column {self.name!r}: `multiple` is only for enum columns")
        if self.read_against is not None and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `read_against` is only for text columns")
        if self.ordinal and (self.type is not ColumnType.INTEGER or self.required):
            raise ValueError(f"column {self.name!r}: `ordinal` is only for optional integer columns")
        if not self.adds_up and self.type not in SUMMABLE_TYPES:
            raise ValueError(f"column {self.name!r}: `adds_up` is only for amounts and counts")
        if self.taken_back_in_place and self.type is not ColumnType.MONEY:
            raise ValueError(f"column {self.name!r}: `taken_back_in_place` is only for money columns")
        if self.counts is not None and self.type is not ColumnType.COUNT:
            raise ValueError(f"column {self.name!r}: `counts` is only for count columns")
        if self.also_counts and self.counts is None:
            raise ValueError(f"column {self.name!r}: `also_counts` needs `counts`, what they are read as")
        if self.preprinted and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `preprinted` is only for text columns")
        if not self.printed and self.required:
            raise ValueError(f"column {self.name!r}: a column not `printed` cannot be `required`")
        if self.points_of is not None and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `points_of` is only for text columns")
        if self.legend and (self.type is not ColumnType.ENUM or self.multiple):
            raise ValueError(f"column {self.name!r}: `legend` is only for enum columns, not `multiple`")
        if self.checked_as_item and self.type is not ColumnType.TEXT:
            raise ValueError(f"column {self.name!r}: `checked_as_item` is only for text columns")
        if self.sent_in_parts and (self.type is not ColumnType.ENUM or not self.required or self.multiple):
            # A row's part is read from its own cell: a blank or several values would name no one part.
            raise ValueError(
                f"column {self.name!r}: `sent_in_parts` is only for required enum columns, not `multiple`"
            )
        for key in ("strip_prefix", "placeholder"):
            if getattr(self, key) is None:
                continue
            if self.type not in (ColumnType.TEXT, ColumnType.NAME):
                raise ValueError(f"column {self.name!r}: `{key}` is only for text and name columns")
            try:
                re.compile(getattr(self, key))
            except re.error as exc:
                raise ValueError(
                    f"column {self.name!r}: `{key}` is not a regular expression ({exc})"
                ) from None
        # A blank header matched the sheet's blank header cell, read silently as this column; a blank enum
        # spelling stood for a value no cell can write.
        spellings = [w for v, a in (self.values or {}).items() for w in (v, *(a or ()))]
        refuse_blank(
            (self.header, *self.aliases, *spellings),
            f"column {self.name!r}: a header, alias or enum value is blank",
        )
        for text in (self.header, *self.aliases):
            # Matched without its brackets, a header's `（千元）` was never read as a unit, and the blank template
            # printed `培训经费（千元）（万元）`, a header no column reads back.
            label, unit = split_header(text)
            if unit is not None:
                raise ValueError(
                    f"column {self.name!r}: header {text!r} ends in ({unit}), which is never read as its unit or "
                    f"matched; write {label!r}: the sheet's header or 单位 line gives the unit"
                )
        refuse_joined(f"column {self.name!r}: aliases", self.aliases)
        for value, aliases in (self.values or {}).items():
            refuse_joined(f"column {self.name!r}: values.{value}", aliases or ())
        # An alias repeating the header or another alias is most often a paste where another spelling was meant:
        # that spelling's sheets then lost the column without a word.
        said: dict[str, str] = {}
        for text in (self.header, *self.aliases):
            label = split_header(text)[0]
            if label in said:
                raise ValueError(
                    f"column {self.name!r}: alias {text!r} reads the same header as {said[label]!r} written before "
                    "it; remove the repeat, or write the other spelling offices use"
                )
            said[label] = text
        meaning = self.enum_lookup  # refuses a spelling listed for two values
        if self.multiple and (
            split := [w for w in meaning if VALUE_SEPARATOR.search(w) or SPACE_SEPARATOR.search(w.strip())]
        ):
            raise ValueError(
                f"column {self.name!r}: with `multiple`, a cell is split at 、,;/ and spaces, so no value or alias may hold "
                f"one: {', '.join(split)}"
            )
        for word, ambiguity in (self.ambiguous or {}).items():
            if squash(word) in meaning:
                raise ValueError(
                    f"column {self.name!r}: ambiguous word {word!r} is also a value or alias of "
                    f"{meaning[squash(word)]!r}; it cannot be both"
                )
            if unknown := [v for v in ambiguity.between if v not in (self.values or {})]:
                raise ValueError(
                    f"column {self.name!r}: ambiguous word {word!r} names unknown values {', '.join(unknown)}"
                )
            if len(set(ambiguity.between)) < 2:
                raise ValueError(
                    f"column {self.name!r}: ambiguous word {word!r} must name two different values"
                )
        return self

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Return the normalised header texts that identify this column."""
        return tuple(dict.fromkeys(split_header(text)[0] for text in (self.header, *self.aliases)))

    @cached_property
    def prefix_pattern(self) -> re.Pattern[str] | None:
        """Return `strip_prefix` compiled, or None."""
        return re.compile(self.strip_prefix) if self.strip_prefix is not None else None

    @cached_property
    def placeholder_pattern(self) -> re.Pattern[str] | None:
        """Return `placeholder` compiled, or None."""
        return re.compile(self.placeholder) if self.placeholder is not None else None

    @cached_property
    def enum_lookup(self) -> dict[str, str]:
        """Map every normalised spelling of an enum value to its canonical value."""
        lookup: dict[str, str] = {}
        for canonical, aliases in (self.values or {}).items():
            for spelling in (canonical, *(aliases or ())):
                key = squash(spelling)
                if lookup.setdefault(key, canonical) != canonical:
                    raise ValueError(
                        f"column {self.name!r}: {spelling!r} is listed for both {lookup[key]!r} and "
                        f"{canonical!r}; an alias may only re-spell one value, list it under `ambiguous`"
                    )
        return lookup

    @cached_property
    def ambiguity_lookup(self) -> dict[str, Ambiguity]:
        """Map every normalised ambiguous word to why it cannot be read as one value."""
        return {squash(word): ambiguity for word, ambiguity in (self.ambiguous or {}).items()}


class Field(Column):
    """A single value a form states outside its table, found by its label cell rather than by a header row.

    By default the value is the cell right of the label (`实施单位 | 枣林街道办事处`); with `below` the cell
    under it (`预期目标` over its text); with `row` the cell of the row labelled `row` under the nearest header
    above it that reads `header` (the 年度资金总额 row of the 项目资金 block, under 全年执行数).
    """

    below: bool = False
    row: str | None = None
    # Other labels clerks give that row (`总得分` for `总分`).
    row_aliases: tuple[str, ...] = ()
    # The label a blank template writes beside this field's block (`项目资金（万元）`, `年度总体目标`).
    block: str | None = None
    # False for a field the form as printed lacks and some provinces add (the 运行监控表's 全年预算数): read where a
    # form has it, never printed on a blank template nor asked for where a form has it not.
    printed: bool = True

    @model_validator(mode="after")
    def _one_place(self) -> Field:
        if self.below and self.row is not None:
            raise ValueError(f"field {self.name!r}: `below` and `row` are two places; keep one")
        if self.row_aliases and self.row is None:
            raise ValueError(
                f"field {self.name!r}: `row_aliases` are other labels of its `row`; give the row"
            )
        # A blank row label is matched by any row whose label cell is empty: its value read from the wrong row.
        refuse_blank(
            (*self.row_aliases, *(w for w in (self.row, self.block) if w is not None)),
            f"field {self.name!r}: its row, row_aliases or block holds a blank word",
        )
        refuse_joined(f"field {self.name!r}: row_aliases", self.row_aliases)
        if self.required or self.unique or self.read_against or self.points_of:
            raise ValueError(
                f"field {self.name!r}: required, unique, read_against and points_of are for columns"
            )
        return self
