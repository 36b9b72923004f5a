"""Type a template's columns and fields as config: column types, Column and Field (their checks: registry_column_checks)."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydanticField

from pipeline.registry_refusals import Misconfigured
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

# What sets apart the values of a `multiple` enum cell once widths are folded (`，` `；` `／` fold to , ; /); a
# space or a line break (Alt+Enter in a cell) too, where the words on either side are values of their own.
VALUE_SEPARATOR = re.compile(r"[、,;/]")
SPACE_SEPARATOR = re.compile(r"\s+")


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
        from pipeline.registry_column_checks import refuse_unnamable  # its checks read this module's types

        return refuse_unnamable(name)

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        from pipeline.registry_column_checks import refuse_inconsistent

        refuse_inconsistent(self)
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
        from pipeline.registry_column_checks import refuse_misplaced

        refuse_misplaced(self)
        return self
