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
        return f"请写 {guess!r}"
    # A Chinese name has no spelling to offer: it becomes a table name, so it is written in English or pinyin.
    return f"请用英文或拼音写，只用小写字母、数字和 _，以字母开头（如 {example}）"


class Misconfigured(ValueError):
    """A registry check's refusal: what is wrong in Chinese (its English in brackets), what to write, and where.

    `at` is the key path below the model that raised it (`("multiple",)` of a column), which `registry.explain` adds
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
    # Words an enum cell writes to say there is nothing to name (偏差原因分析 `无偏差`, `未偏离`): read as blank, as
    # `无` and `—` are.
    blank_words: tuple[str, ...] = ()
    # A prose column an enum's cell written as a sentence (偏差原因分析 `受雨季影响外墙施工延误`) is kept in, as the
    # explanation it is, the enum left blank and the clerk told (`prose_kept`); `其他：雨季延误` is 其他 with its words.
    prose_to: str | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
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

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        def only_for(key: str, kinds: str, english: str, ok: bool) -> None:
            if not ok:
                raise Misconfigured(
                    f"`{key}` 只用于{kinds}",
                    f"`{key}` is only for {english}",
                    f"请删去 {key}，或改 type",
                    (key,),
                )

        if (self.type is ColumnType.ENUM) != (self.values is not None):
            if self.values is None:
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
        if self.values == {}:  # every cell written would be refused, as no value could be chosen
            raise Misconfigured(
                "`values` 未列出任何取值",
                "`values` lists no value",
                "请列出这一列允许的每个取值",
                ("values",),
            )
        only_for("ambiguous", " enum 列", "enum columns", self.ambiguous is None or self.values is not None)
        only_for("multiple", " enum 列", "enum columns", not self.multiple or self.type is ColumnType.ENUM)
        only_for(
            "read_against",
            " text 列",
            "text columns",
            self.read_against is None or self.type is ColumnType.TEXT,
        )
        only_for(
            "ordinal",
            "非必填（required 不为 true）的 integer 列",
            "optional integer columns",
            not self.ordinal or (self.type is ColumnType.INTEGER and not self.required),
        )
        only_for(
            "adds_up",
            "金额和计数列（count、money、area、decimal）",
            "amounts and counts",
            self.adds_up or self.type in SUMMABLE_TYPES,
        )
        only_for(
            "taken_back_in_place",
            " money 列",
            "money columns",
            not self.taken_back_in_place or self.type is ColumnType.MONEY,
        )
        only_for("counts", " count 列", "count columns", self.counts is None or self.type is ColumnType.COUNT)
        if self.also_counts and self.counts is None:
            raise Misconfigured(
                "`also_counts` 需要 `counts`（这些词折算成的单位）",
                "`also_counts` needs `counts`, what they are read as",
                "请加上 counts:，如 counts: 户",
                ("also_counts",),
            )
        only_for(
            "preprinted", " text 列", "text columns", not self.preprinted or self.type is ColumnType.TEXT
        )
        if not self.printed and self.required:
            raise Misconfigured(
                "未印在表上（printed: false）的列不能是必填列",
                "a column not `printed` cannot be `required`",
                "请删去 required: true，或删去 printed: false",
                ("required",),
            )
        only_for(
            "points_of", " text 列", "text columns", self.points_of is None or self.type is ColumnType.TEXT
        )
        only_for(
            "legend",
            "不带 multiple 的 enum 列",
            "enum columns, not `multiple`",
            not self.legend or (self.type is ColumnType.ENUM and not self.multiple),
        )
        only_for(
            "checked_as_item",
            " text 列",
            "text columns",
            not self.checked_as_item or self.type is ColumnType.TEXT,
        )
        # A row's part is read from its own cell: a blank or several values would name no one part.
        only_for(
            "sent_in_parts",
            "必填、不带 multiple 的 enum 列",
            "required enum columns, not `multiple`",
            not self.sent_in_parts or (self.type is ColumnType.ENUM and self.required and not self.multiple),
        )
        only_for(
            "blank_words", " enum 列", "enum columns", not self.blank_words or self.type is ColumnType.ENUM
        )
        only_for(
            "prose_to", " enum 列", "enum columns", self.prose_to is None or self.type is ColumnType.ENUM
        )
        refuse_blank(
            self.blank_words, "blank_words 中有空白的词", "blank_words holds a blank word", ("blank_words",)
        )
        for key in ("strip_prefix", "placeholder"):
            if getattr(self, key) is None:
                continue
            only_for(
                key,
                " text 和 name 列",
                "text and name columns",
                self.type in (ColumnType.TEXT, ColumnType.NAME),
            )
            try:
                re.compile(getattr(self, key))
            except re.error as exc:
                raise Misconfigured(
                    f"`{key}` 不是有效的正则表达式",
                    f"not a regular expression: {exc}",
                    "请改正；要匹配字面的 ( ) [ ] . * + ? 请在前面加 \\，并给整个值加单引号",
                    (key,),
                ) from None
        # A blank header matched the sheet's blank header cell, read silently as this column; a blank enum
        # spelling stood for a value no cell can write.
        spellings = [w for v, a in (self.values or {}).items() for w in (v, *(a or ()))]
        for key, words in (("header", (self.header,)), ("aliases", self.aliases), ("values", spellings)):
            refuse_blank(
                words, "表头、别名或取值中有空白的词", "a header, alias or enum value is blank", (key,)
            )
        for text in (self.header, *self.aliases):
            # Matched without its brackets, a header's `（千元）` was never read as a unit, and the blank template
            # printed `培训经费（千元）（万元）`, a header no column reads back.
            label, unit = split_header(text)
            if unit is not None:
                raise Misconfigured(
                    f"表头 {text!r} 以（{unit}）结尾，括号中的单位既不会被读作单位，也不参与表头匹配",
                    f"header ends in ({unit}), which is never read as its unit or matched",
                    f"请写 {label!r}：单位由表中的表头或“单位：”行给出",
                    ("header",) if text == self.header else ("aliases",),
                )
        refuse_joined(self.aliases, ("aliases",))
        for value, aliases in (self.values or {}).items():
            refuse_joined(aliases or (), ("values", value))
        # An alias repeating the header or another alias is most often a paste where another spelling was meant:
        # that spelling's sheets then lost the column without a word.
        said: dict[str, str] = {}
        for text in (self.header, *self.aliases):
            label = split_header(text)[0]
            if label in said:
                raise Misconfigured(
                    f"别名 {text!r} 与前面的 {said[label]!r} 读的是同一个表头",
                    "alias reads the same header as one written before it",
                    "请删去重复的一个，或写办公室实际使用的另一种写法",
                    ("aliases",),
                )
            said[label] = text
        meaning = self.enum_lookup  # refuses a spelling listed for two values
        if self.multiple and (
            split := [w for w in meaning if VALUE_SEPARATOR.search(w) or SPACE_SEPARATOR.search(w.strip())]
        ):
            raise Misconfigured(
                f"带 `multiple` 的列按 、,;/ 和空格拆分单元格，取值和别名中不能含这些符号：{', '.join(split)}",
                "with `multiple`, no value or alias may hold a separator",
                "请改写这些取值或别名，去掉其中的分隔符",
                ("values",),
            )
        for word, ambiguity in (self.ambiguous or {}).items():
            if squash(word) in meaning:
                raise Misconfigured(
                    f"歧义词 {word!r} 同时是 {meaning[squash(word)]!r} 的取值或别名，不能两者都是",
                    "ambiguous word is also a value or alias",
                    f"请从 values 中删去它，或从 ambiguous 中删去 {word!r}",
                    ("ambiguous", word),
                )
            if unknown := [v for v in ambiguity.between if v not in (self.values or {})]:
                raise Misconfigured(
                    f"歧义词 {word!r} 的 between 列出了 values 中没有的取值 {', '.join(unknown)}",
                    "ambiguous word names unknown values",
                    f"请写 values 中的取值：{', '.join(self.values or {})}",
                    ("ambiguous", word, "between"),
                )
            if len(set(ambiguity.between)) < 2:
                raise Misconfigured(
                    f"歧义词 {word!r} 的 between 须列出两个不同的取值",
                    "ambiguous word must name two different values",
                    "请写它可能指的两个或更多取值",
                    ("ambiguous", word, "between"),
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
                    raise Misconfigured(
                        f"{spelling!r} 同时列在取值 {lookup[key]!r} 和 {canonical!r} 下，一个别名只能是一个取值的另一种写法",
                        "listed for two values",
                        "请只保留在它所指的取值下；若两者都可能，请从 values 中删去，改列在 ambiguous 下",
                        ("values", canonical),
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
    # An enum field a form may write after this field's number in its cell (总分 `95（优）`, `95分 优`): that cell
    # gives both, the number to this field and the word, where it is one of that field's values, to the other.
    carries: str | None = None
    # True for a field no figure is computed from, only held against one (the 自评表's own 自评等级 beside the grade
    # the rules give): a cell that cannot be read is kept blank and the clerk asked on it (`compared_unread`), a
    # warning, where any other field's would send back the whole form and every figure on it.
    compared_only: bool = False

    @model_validator(mode="after")
    def _one_place(self) -> Field:
        if self.below and self.row is not None:
            raise Misconfigured(
                "`below` 和 `row` 是两个位置",
                "`below` and `row` are two places",
                "请只保留其中一个",
                ("row",),
            )
        if self.row_aliases and self.row is None:
            raise Misconfigured(
                "`row_aliases` 是 `row` 那一行的其他写法，但未写 `row`",
                "`row_aliases` are other labels of its `row`",
                "请加上 row:",
                ("row_aliases",),
            )
        # A blank row label is matched by any row whose label cell is empty: its value read from the wrong row.
        for key in ("row", "row_aliases", "block"):
            words = getattr(self, key) or ()
            refuse_blank(
                (words,) if isinstance(words, str) else words,
                "row、row_aliases 或 block 中有空白的词",
                "its row, row_aliases or block holds a blank word",
                (key,),
            )
        refuse_joined(self.row_aliases, ("row_aliases",))
        if given := [
            k for k in ("required", "unique", "read_against", "points_of", "prose_to") if getattr(self, k)
        ]:
            raise Misconfigured(
                f"字段（fields）不能写 {given[0]}，required、unique、read_against、points_of 和 prose_to 只用于列",
                "required, unique, read_against, points_of and prose_to are for columns",
                f"请删去 {given[0]}",
                (given[0],),
            )
        return self
