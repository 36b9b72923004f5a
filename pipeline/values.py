"""Tell a blank cell and read a number cell as written by hand, converting units exactly.

Percentages are read by `pipeline.percent_values`, on the numbers read here."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from pipeline.chinese_numbers import in_digits
from pipeline.count_words import cell_counted_also, counted_also
from pipeline.magnitude_cells import magnitude_readings
from pipeline.number_writings import comma_misplaced, odd_writing, spaced_comma_decimals
from pipeline.problems import display
from pipeline.registry_columns import Column, ColumnType
from pipeline.registry_units import Units
from pipeline.text import nfkc, remembered_if_short, squash
from pipeline.written_units import column_unit, counted_word, is_magnitude

# Written in a cell, these mean "no value".
NULL_TOKENS = frozenset({"", "-", "--", "—", "——", "/", "无", "空", "n/a", "na", "null", "none"})
# U+2212, which width folding leaves as it is (the full-width －, U+FF0D, folds to -).
MINUS_SIGN = "\u2212"
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$")
# Excel's accounting and 财务 number formats show a negative number in brackets, `(50.00)`, and a CSV saved from such a
# cell keeps what was shown: a negative, not a number with a stray note.
_BRACKETED = re.compile(r"^\((\d+(?:\.\d*)?|\.\d+)\)(.*)$")
BRACKETED_NEGATIVE = "括号括起的数是会计格式的负数"
# Commas after the point too: `1.280,5` (a decimal comma after a thousands point) must reach the grouping check.
_DIGITS_AND_COMMAS = re.compile(r"[\d,]*(?:\.[\d,]*)?")
# Digits apart by spaces or a line break inside a cell; only `1 280 000` (thousands set apart by one space, in two
# groups or more) is a number. `370 249` is as likely two figures run together as one grouped: the clerk says which.
_SPACED_DIGITS = re.compile(r"\d[\s\u3000]+\d")
_DIGIT_RUN = re.compile(r"\d(?:\s*\d)*")
_SPACE_GROUPED = re.compile(r"\d{1,3}(?: \d{3}){2,}")
GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
# Money columns keep 6 decimals in 万元 (one 分 of a 元), areas 4 in 平方米.
SCALE = {ColumnType.MONEY: 6, ColumnType.AREA: 4, ColumnType.DECIMAL: 6, ColumnType.PERCENT: 6}
MAX_DIGITS = 18


class CellError(ValueError):
    """A cell cannot be read as its column's type; carries what was expected and how to fix it."""

    def __init__(self, rule: str, expected: str, fix: str):
        super().__init__(expected)
        self.rule = rule
        self.expected = expected
        self.fix = fix


# What Excel shows in a cell whose formula failed (a broken VLOOKUP's #N/A, a #DIV/0!): no value of any column.
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)


def formula_error(expected: str = "应为数字，不能是公式错误值") -> CellError:
    """Return the error of a cell showing a formula's error value."""
    return CellError("formula_error", expected, "请检查该单元格的公式或直接填写数值")


@dataclass(frozen=True, slots=True)
class Noted:
    """A value read one way of the several it could mean: stored, and the clerk warned which reading was taken."""

    value: object
    rule: str
    expected: str
    fix: str


@dataclass(frozen=True, slots=True)
class UnitContext:
    """The unit a column's numbers are written in when the cell itself names none."""

    factor: Decimal = Decimal(1)
    name: str | None = None


# Cells repeat from row to row and file to file (units, enum words, names, placeholders): a short text is
# folded once per process. Long texts (paragraphs) are folded each time, so the cache stays small.
_CACHED_LENGTH = 64


squashed = remembered_if_short(_CACHED_LENGTH, 1 << 16)(squash)


@functools.lru_cache(maxsize=1 << 16)
def _blank_short(value: str) -> bool:
    # Folded through the cache row_kind folds every written cell through: a text is folded once, not once each.
    return squashed(value).lower() in NULL_TOKENS


def is_blank(value: object) -> bool:
    """Say whether a cell holds no value (empty, or a placeholder such as `—` or `无`)."""
    if value is None:
        return True
    if isinstance(value, str):
        if len(value) <= _CACHED_LENGTH:
            return _blank_short(value)
        return squash(value).lower() in NULL_TOKENS
    return False


def digits_apart(written: str) -> bool:
    """Say whether a text sets digits apart by spaces or a line break, other than as thousands (`1 280 000`)."""
    if _SPACED_DIGITS.search(written) is None:
        return False
    runs = (run for run in _DIGIT_RUN.findall(nfkc(written)) if not run.isdigit())
    return any(not _SPACE_GROUPED.fullmatch(run) for run in runs)


def decimal_of(value: object, unit: str = "") -> tuple[Decimal, str]:
    """Read a number written as a number or as text; return it and any unit text that trails it. `unit`: the column's,
    in which a misplaced comma's readings are told."""
    if isinstance(value, float):  # most cells, so asked first (no bool, date or time is a float)
        if not math.isfinite(value):
            raise CellError("type", "应为数字", "请填写数字")
        # Excel keeps 15 significant digits; this recovers the number as it was typed, exactly.
        return Decimal(format(value, ".15g")), ""
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        raise CellError("type", "应为数字", "请填写数字")
    if isinstance(value, int):
        return Decimal(value), ""
    written = str(value)
    if digits_apart(written):
        if "," in written and (told := spaced_comma_decimals(written, unit)):
            raise CellError(*told)  # `1 250,50`: 1250.50 with a decimal comma, not two figures
        # `370 249` or `370⏎249` squashed would be 370249: two figures, or one mistyped; the clerk says which.
        raise CellError("type", "数字中间不能有空格或换行", "请只填写一个数字，删去数字中间的空格或换行")
    text = squashed(written)
    if "," in text:
        digits = _DIGITS_AND_COMMAS.match(text.lstrip("+-")).group(0)
        # `1,2` or `72,5.58` is no thousands separator: a slip, or a decimal comma; the clerk says which.
        if "," in digits and not GROUPED.fullmatch(digits):
            raise CellError(*comma_misplaced(written, unit))
        text = text.replace(",", "")
    if text.startswith("#"):
        raise formula_error()
    match = _NUMBER.match(text)
    if not match:
        if text[:1] == MINUS_SIGN:
            # `−5` typed with the minus sign of a formula editor or copied from a PDF: -5, no other reading.
            return decimal_of("-" + text[1:])
        if text.lstrip("+-").startswith("¥"):  # ￥ folded by squash
            # ￥ says money, not whether 元 or 万元 (a bank statement's ￥1,250.50 is in 元): read under a （万元）
            # header it may be 10,000 times the sum, so the clerk writes the bare number in the column's unit.
            raise CellError("type", "应为数字", "请删去货币符号“￥”，按本列的单位（元或万元）只填写数字")
        if _BRACKETED.match(text):
            # Told 不要带“约”“左右”等文字, which the cell has none of. Not read here: amounts and areas read it as the
            # negative it is (`parse_measure`), to be told as one; elsewhere the clerk writes the number meant.
            raise CellError("type", f"应为数字；{BRACKETED_NEGATIVE}", "请填写不带括号的数值")
        raise CellError("type", "应为数字", "请填写确切的数字，不要带“约”“左右”等文字")
    try:
        return Decimal(match.group(1)), match.group(2)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid literals
        raise CellError("type", "应为数字", "请填写数字") from exc


def bracketed_negative(value: object) -> tuple[Decimal, str] | None:
    """Return the negative number a cell writes in brackets (`(50.00)`, `（1,234.50）`) and its unit text, else None."""
    match = _BRACKETED.match(squashed(value).replace(",", "")) if isinstance(value, str) else None
    return None if match is None else (-Decimal(match.group(1)), match.group(2))


def unit_written(value: object) -> str | None:
    """Return the unit a number's cell writes after it (`1.2万㎡`: 万㎡), empty for a bare number, None for no number."""
    try:
        return decimal_of(value)[1]
    except CellError:
        return None  # told as such where it is read


# The smallest step and the first number too large at each scale, computed once rather than per cell.
STEP = {scale: Decimal(1).scaleb(-scale) for scale in set(SCALE.values())}
_TOO_LARGE = {scale: Decimal(10) ** (MAX_DIGITS - scale) for scale in set(SCALE.values())}


def _check_digits(number: Decimal, scale: int) -> Decimal:
    within = abs(number) < _TOO_LARGE[scale]
    # Under the limit it has at most 18 digits, so quantising it never passes the context's precision, and one with
    # fewer places only gains zeros: quantised whatever its places, a third of the time of `as_tuple()` (a named tuple
    # of every digit), on every amount read.
    quantised = number.quantize(STEP[scale]) if within or number.as_tuple().exponent < -scale else number
    if quantised != number:
        raise CellError("precision", f"小数位数过多（最多{scale}位）", "请按规定的小数位数填写")
    if not within:
        raise CellError("too_large", "数值超出合理范围", "请检查数值和单位是否正确")
    return number


def parse_measure(value: object, column: Column, units: Units, context: UnitContext) -> Decimal | Noted:
    """Read a money or area cell and convert it to the measure's base unit (万元, 平方米); note a cell read in a
    unit of its own that differs from its column's."""
    bracketed = None
    measure = "money" if column.type is ColumnType.MONEY else "area"
    base = units.measures[measure].base
    try:
        number, suffix = decimal_of(value, context.name or base)
    except CellError:
        bracketed = bracketed_negative(value)
        if bracketed is None:
            raise
        number, suffix = bracketed
    factor, own = context.factor, None
    if suffix:
        found = units.find(column_unit(suffix, measure, units))
        if found is None and (odd := odd_writing(value, context.name or base)):
            raise CellError(*odd)  # `1.250.000` read 1.25 with `.000` after it, which is no unit
        if found is None and (refused := units.measures[measure].refused_note(suffix)):
            # `36亩` was told 请只填写数字: its 36 then read as 36 平方米.
            raise CellError(
                "type", f"“{suffix}”不能确切换算为{base}（{refused}）", f"请换算为{base}后只填写数字"
            )
        if found is None and (told := magnitude_readings(number, suffix, measure, units, context)):
            raise CellError("type", *told)  # `1.2千` under 计划投资（万元）: 1200元, or 1200万元?
        if found is None or found[0] != measure:
            raise CellError("type", f"应为数字（单位{context.name or base}）", "请只填写数字")
        factor, own = found[1], found[2]
    if number < 0:
        what = "金额" if column.type is ColumnType.MONEY else "面积"
        expected = "应为不小于0的数" + ("" if bracketed is None else f"；{BRACKETED_NEGATIVE}")
        raise CellError("negative", expected, f"请填写正确的{what}")
    scale = SCALE[column.type]
    try:
        read = _check_digits(number * factor, scale)
    except CellError as exc:
        if exc.rule != "precision" or factor.normalize().as_tuple().digits != (1,):
            raise
        # The places are the stored unit's: 6 of 万元 are 2 of 元, so `333.335` under （元） was told 最多6位.
        raise CellError("precision", f"小数位数过多（最多{_places(factor, scale)}位）", exc.fix) from exc
    if value.__class__ is str and factor < _GROUPING_BELOW[scale] and "." in value:
        _refuse_point_grouped(number, value, factor, scale, own or context.name or base)
    if context.name is None or factor == context.factor:
        return read
    # `5000元` under 计划投资（万元） is read by its own unit, rightly, but a column in two units is where a figure
    # written in the wrong one slips through: the clerk checks it (none stated, unit_assumed tells the header).
    return _in_own_unit(read, own, base, context.name, read / context.factor)


# A unit of fewer than 3 places below its point (元 of 万元: 2, 分 cannot be split) is where `356.800` cannot be
# 356.8 written to 3 places: it may as well be 356,800 grouped by points, as foreign keyboards and templates write.
_GROUPING_BELOW = {scale: Decimal(10) ** (3 - scale) for scale in set(SCALE.values())}


def _places(factor: Decimal, scale: int) -> int:
    """Return how many places below the point a unit of `factor` holds, the stored unit holding `scale`."""
    return max(scale + factor.normalize().adjusted(), 0)


def point_grouped(number: Decimal, written: str) -> tuple[str, str] | None:
    """Return a number written with 3 places (`356.800`) as read and as grouped by a point (356800); None for one
    no grouping writes (`0.500`, `1356.800`, `356.80`, `1,250.000`). The one test of cells and indicator figures."""
    # A leading zero (`012.000`) leaves both readings open, 12 or 12,000: asked. A comma grouping the thousands says
    # the point is the decimal point (`1,250.000`, `0,012.000`): nothing to ask of it.
    digits = number.as_tuple()
    if digits.exponent != -3 or len(digits.digits) > 6 or number < 1 or "," in written:
        return None
    return display(number.normalize()), display(number.scaleb(3).to_integral_value())


def _refuse_point_grouped(number: Decimal, written: str, factor: Decimal, scale: int, unit: str) -> None:
    """Refuse `356.800` in a unit of 2 places (元): 356.8, or 356,800 grouped by a point; the clerk says which."""
    if (readings := point_grouped(number, written)) is None:
        return  # its zeros are told nothing, as before
    places = _places(factor, scale)
    short, grouped = readings
    raise CellError(
        "separator",
        f"写有3位小数，而单位{unit}最多{places}位：可能是{short}{unit}，也可能是以小数点作千分位的{grouped}{unit}",
        f"请改写为确切的数：是{short}的请写{short}，是{grouped}的请写{grouped}（千分位只用逗号，如1,280）",
    )


def _refuse_count_grouped(number: Decimal, written: str, unit: str) -> None:
    """Refuse a count written `1.000` or `1.250`: 1 (or no whole number), or 1,000 grouped by a point."""
    if (readings := point_grouped(number, written)) is None:
        return
    short, grouped = readings
    if number == number.to_integral_value():  # `1.000` was read as 1 unasked
        said, asked = f"可能是{short}{unit}，也可能是", f"是{short}的请写{short}，"
    else:  # `1.250` was told only 应为不小于0的整数
        said, asked = "可能是", ""
    raise CellError(
        "separator",
        f"应为整数，却写有3位小数：{said}以小数点作千分位的{grouped}{unit}",
        f"请改写为确切的数：{asked}是{grouped}的请写{grouped}（千分位只用逗号，如1,280）",
    )


def _in_count_words(exc: CellError, expected: str, fix: str) -> CellError:
    """Return a number's refusal in a count's words, keeping what it says of the cell's writing (`(500)`, `1,25`)."""
    if exc.rule == "separator":
        return CellError(exc.rule, exc.expected, exc.fix)  # its fix names the readings: 是1.25的请写1.25…
    if exc.rule != "type":
        return CellError(exc.rule, exc.expected, fix)
    if exc.expected == "应为数字":
        return CellError("type", expected, fix)
    # `(500)`: 应为不小于0的整数；括号括起的数是会计格式的负数. Words of their own (`5×10`) stay as they are.
    said = exc.expected.removeprefix("应为数字；")
    return CellError("type", f"{expected}；{said}" if said != exc.expected else exc.expected, exc.fix)


# What a note of a cell in a unit of its own calls the column's unit: the rows' loop names the cell that wrote it.
COLUMN_UNIT = "本列的单位"


def _in_own_unit(read: Decimal | int, own: str, base: str, stated: str, as_stated: Decimal) -> Noted:
    """Note a cell read in a unit of its own (`own`), not its column's (`stated`): `read` in `base`, `as_stated` in
    the column's unit."""
    return Noted(
        read,
        "unit_in_cell",
        f"按单元格注明的“{own}”换算为{display(read)}{base}，与{COLUMN_UNIT}“{stated}”不同",
        f"请核对；无误的，请按本列单位改写为{display(as_stated)}（不带单位），以免单位混用",
    )


def count_fix(header: str) -> str:
    """Ask for a count exactly, worded by its header: 确切的惠及户数, but 「满意」的确切数目 (never 确切的满意)."""
    return f"请填写确切的{header}" if header.endswith("数") else f"请填写「{header}」的确切数目"


def _any_tail(_tail: str) -> bool:
    """Take whatever follows a count's numerals as its unit, to be read as a unit written after digits is."""
    return True


def parse_integer(
    value: object, column: Column, units: Units, context: UnitContext = UnitContext()
) -> int | Noted:
    """Read a whole number; counts may carry their own unit (`200户`, `0.037万户`) and must not be negative; note a
    count read in a unit of its own that differs from its column's (`0.037万户` under 惠及户数（户）)."""
    counting = column.type is ColumnType.COUNT
    expected, fix = (
        ("应为不小于0的整数", count_fix(column.header)) if counting else ("应为整数", "请填写整数")
    )
    # `一千二百` or `三千一百四十八户` is exactly 1200, 3148 户, as an indicator's value reads it: it was refused, told
    # 应为不小于0的整数. Only a count's: an amount in numerals (`五十万`) may be 大写 money or 50 万元.
    read = in_digits(squashed(value), _any_tail) or value if counting and isinstance(value, str) else value
    try:
        number, suffix = decimal_of(read, column.counts or context.name or "")
    except CellError as exc:
        raise _in_count_words(exc, expected, fix) from exc
    written = suffix
    if counting and written == "%":
        # `85%` under 满意 is a share of a whole this cell does not know: told only 应为不小于0的整数, the clerk who
        # wrote a survey's shares saw no cause.
        raise CellError("type", f"{expected}，本列填写的是数目，不是百分比", f"{fix}，不填百分比")
    # `3万` counts ten thousand of what the column counts (万户 under 惠及户数); an integer column's 万 is no unit.
    suffix = column_unit(suffix, "count" if counting else None, units)
    found = units.find(suffix)
    if suffix and (found is None or found[0] != "count"):
        # `1.2千` was told only 应为不小于0的整数: no count is kept in 千, and the clerk is told what to write.
        told = (
            counting
            and found is None
            and magnitude_readings(number, written, "count", units, context, column.counts)
        )
        if not told and found is None and (odd := odd_writing(value, column.counts or context.name or "")):
            raise _in_count_words(CellError(*odd), expected, fix)
        raise CellError("type", *told) if told else CellError("type", expected, fix)
    other = bool(suffix and column.counts) and counted_word(suffix) not in (counted_word(column.counts), "个")
    if other and not counted_also(column, suffix):
        # 户, 栋 and 人 are one measure, but 12栋 or 860人 are no number of households.
        raise CellError(
            "type",
            f"应为以“{column.counts}”计的{column.header}，“{suffix}”计的是另一种数目",
            f"请填写{column.header}，如“200{column.counts}”",
        )
    # A count is kept in ones: `3万户` is 30000 户, and under a （万户） header a bare 0.037 is 370.
    factor = found[1] if found is not None else context.factor
    if factor == 1 and value.__class__ is str and "." in value:
        _refuse_count_grouped(number, value, column.counts or context.name or "")
    number *= factor
    if number != number.to_integral_value():
        raise CellError("type", expected, fix)
    if counting and number < 0:
        raise CellError("negative", expected, fix)
    if other and not (context.name and counted_word(context.name) == counted_word(suffix)):
        # `100人次` under 有效问卷（份） was stored as 100 questionnaires unasked, as `100人` was; a header in 人 is told
        # once, on the header (column_units), not on each cell in it.
        return Noted(int(number), "count_word", *cell_counted_also(column, value, suffix, int(number)))
    if found is None or context.name is None or found[1] == context.factor:
        return int(number)
    # `0.037万户` under 惠及户数（户） is 370 households, as under a 单位：万户 line `370户` is; asked as an amount is.
    counts = column.counts or "个"
    stated = counts if context.factor == 1 else f"万{counts}" if context.factor == 10000 else context.name
    # 有效问卷（人次）'s unit is 人次, though read as so many 份: it was told 份, which the header does not say.
    stated = context.name if counted_also(column, context.name) else stated
    own = written + counts if is_magnitude(written) else written
    return _in_own_unit(int(number), own, counts, stated, number / context.factor)


def parse_decimal(value: object) -> Decimal:
    """Read a plain decimal such as a 分值; only `分` may follow it (`80左右` is no number)."""
    number, suffix = decimal_of(value)
    if suffix == "%":  # a 权重 written as a share: which total it is a share of is the clerk's to say
        raise CellError("type", "应为分数，不能带百分号", f"请填写分数，如{display(number)}，不带“%”")
    if suffix not in ("", "分"):
        odd = odd_writing(value)
        raise (
            CellError(*odd)
            if odd
            else CellError("type", "应为数字", "请只填写确切的数字，不要带“左右”“余”等文字")
        )
    if isinstance(value, float):
        # A number cell's far digits are a formula's (`=15*90%/95%` is 14.2105263157895, shown as 14.21): a score is
        # no money, and as with a rate (`percent_values`) refusing the file for digits nobody can see asks the impossible.
        return rounded_to(number, SCALE[ColumnType.DECIMAL])
    return _check_digits(number, SCALE[ColumnType.DECIMAL])


class Quantity(NamedTuple):
    """A 数量 written with a unit of its own (`26880平方米`), to be checked against its row's 单位."""

    number: Decimal
    unit: str


def parse_quantity(value: object, units: Units) -> Decimal | Quantity:
    """Read a 数量 whose unit is written on its row; a known unit written in the cell too is kept to check."""
    number, suffix = decimal_of(value)
    number = _check_digits(number, SCALE[ColumnType.DECIMAL])
    if not suffix:
        return number
    if units.find(suffix) is None:
        odd = odd_writing(value)
        raise (
            CellError(*odd) if odd else CellError("type", "应为数字", "请只填写确切的数字，单位填在“单位”列")
        )
    return Quantity(number, suffix)


def rounded_to(number: Decimal, scale: int) -> Decimal:
    """Round a number to `scale` decimals (half even) where it has more, then hold it to the limits."""
    rounded = number.quantize(STEP[scale]) if number.as_tuple().exponent < -scale else number
    return _check_digits(rounded, scale)
