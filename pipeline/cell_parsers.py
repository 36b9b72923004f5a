"""Pick and remember each column's cell parser, decided once per sheet rather than once per cell."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable

from pipeline.chinese_numbers import ORDINALS
from pipeline.date_values import parse_date, parse_month, parse_written_date, parse_year
from pipeline.enum_values import parse_enum
from pipeline.percent_values import parse_percent
from pipeline.problems import display
from pipeline.registry_columns import Column, ColumnType
from pipeline.registry_units import Units
from pipeline.text import clean_name, clean_prose, clean_text, squash
from pipeline.values import (
    _CACHED_LENGTH,
    CellError,
    UnitContext,
    parse_decimal,
    parse_integer,
    parse_measure,
    parse_quantity,
)


def parse_cell(value: object, column: Column, units: Units, context: UnitContext) -> object:
    """Parse a non-blank cell into the Python value stored for `column` (wrapped in `Noted` if one of several)."""
    kind = column.type
    if kind in (ColumnType.MONEY, ColumnType.AREA):
        return parse_measure(value, column, units, context)
    if kind in (ColumnType.COUNT, ColumnType.INTEGER):
        return parse_integer(value, column, units, context)
    if kind is ColumnType.DECIMAL:
        return parse_decimal(value)
    if kind is ColumnType.PERCENT:
        return parse_percent(value, context.name)
    if kind is ColumnType.DATE:
        return parse_date(value)
    if kind is ColumnType.YEAR:
        return parse_year(value)
    if kind is ColumnType.MONTH:
        return parse_month(value)
    if kind is ColumnType.ENUM:
        return parse_enum(value, column)
    text = _number_text(value) if isinstance(value, int | float) else _written_text(str(value))
    if isinstance(value, dt.date):
        text = value.isoformat()
    if kind is ColumnType.PROSE:
        return clean_prose(text)
    return clean_name(text) if kind is ColumnType.NAME else clean_text(text)


# A short text's reading, its E+ check included: one cached call a cell (a refusal is not cached, so told each time).
@functools.lru_cache(maxsize=1 << 16)
def _clean_name_short(text: str) -> str:
    return clean_name(_written_text(text))


@functools.lru_cache(maxsize=1 << 16)
def _clean_text_short(text: str) -> str:
    return clean_text(_written_text(text))


# Excel keeps 15 significant digits: a longer number typed into a General cell (a 20-digit 项目编码, a 凭证号) is
# saved with its last digits gone, and shown, or saved in a CSV, as 3.20102E+17.
_LOST_DIGITS = 1e15
_SCIENTIFIC = re.compile(r"^\s*[+-]?\d+(?:\.\d+)?[eE]\+\d+\s*$")


def _number_text(value: int | float) -> str:
    """Return a number cell of a text column as Excel shows it; refuse one too long for Excel to have kept whole."""
    if not isinstance(value, bool) and abs(value) >= _LOST_DIGITS:
        raise _digits_lost()
    return format(value, ".15g") if isinstance(value, float) else str(value)


def _written_text(text: str) -> str:
    """Return a text cell as written; refuse a number Excel wrote in its E+ notation, its last digits gone."""
    if ("E+" in text or "e+" in text) and _SCIENTIFIC.match(text):
        raise _digits_lost()
    return text


def _digits_lost() -> CellError:
    return CellError(
        "type",
        "应为文本；该单元格是数字，Excel只保留15位有效数字，超过15位的编号末几位已丢失",
        "请把该单元格设为文本格式后重新填写完整的编号",
    )


def _text_parser(kind: ColumnType) -> Callable[[object], object]:
    clean = clean_prose if kind is ColumnType.PROSE else clean_name if kind is ColumnType.NAME else clean_text
    cached = {ColumnType.NAME: _clean_name_short, ColumnType.TEXT: _clean_text_short}.get(kind)

    def parse(value: object) -> object:
        if value.__class__ is str:
            if cached is not None and len(value) <= _CACHED_LENGTH:
                return cached(value)
            return clean(_written_text(value))
        text = _number_text(value) if isinstance(value, int | float) else str(value)
        if isinstance(value, bool):
            text = display(value)
        elif isinstance(value, dt.date):
            text = value.isoformat()
        return clean(text)

    return parse


def cell_parser(column: Column, units: Units, context: UnitContext) -> Callable[[object], object]:
    """Return `parse_cell` for one column in one context, decided once per sheet instead of once per cell."""
    key = (id(column), id(units), context)
    held = _PARSERS.get(key)
    if held is not None and held[0] is column and held[1] is units:
        return held[2]
    parse = _parser(column, units, context)
    if column.type in _REPEATED:
        parse = _remembering(parse)
    if len(_PARSERS) >= _PARSERS_KEPT:
        _PARSERS.clear()
    _PARSERS[key] = (column, units, parse)
    return parse


def _parser(column: Column, units: Units, context: UnitContext) -> Callable[[object], object]:
    kind = column.type
    if kind in (ColumnType.MONEY, ColumnType.AREA):
        return functools.partial(parse_measure, column=column, units=units, context=context)
    if column.ordinal:
        return parse_ordinal
    if kind in (ColumnType.COUNT, ColumnType.INTEGER):
        return functools.partial(parse_integer, column=column, units=units, context=context)
    if kind is ColumnType.DECIMAL:
        return parse_decimal
    if kind is ColumnType.PERCENT:
        return functools.partial(parse_percent, header_unit=context.name)
    if kind is ColumnType.DATE:
        return parse_date
    if kind is ColumnType.YEAR:
        return parse_year
    if kind is ColumnType.MONTH:
        return parse_month
    if kind is ColumnType.ENUM:
        return functools.partial(parse_enum, column=column)
    return _text_parser(kind)


_ORDINAL_WRAPPING = re.compile(r"^[(（\[【]|[)）\]】、.．。,，:：]+$|[)）\]】]")


def parse_ordinal(value: object) -> int | None:
    """Read a row's number as written (3, `3、`, `（3）`, `三`, `十二`); anything else is no number, never an error."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _ORDINAL_WRAPPING.sub("", squash(str(value)))
    if text.isdigit():
        return int(text)
    return ORDINALS.get(text)


# Each column's parser, per unit context, kept for the process: what it read is remembered across files.
_PARSERS: dict[tuple[int, int, UnitContext], tuple[Column, Units, Callable[[object], object]]] = {}
_PARSERS_KEPT = 4096
# Columns whose cells repeat from row to row and file to file (counts, dates, years, months, enum words);
# amounts and areas seldom do, and text columns remember their cleaning already.
_REPEATED = frozenset(
    {
        ColumnType.COUNT,
        ColumnType.INTEGER,
        ColumnType.DECIMAL,
        ColumnType.PERCENT,
        ColumnType.DATE,
        ColumnType.YEAR,
        ColumnType.MONTH,
        ColumnType.ENUM,
    }
)
_REMEMBERED_PER_COLUMN = 1024
_REMEMBERED_TYPES = (str, float, int)


def quantity_parser(units: Units) -> Callable[[object], object]:
    """Return `parse_quantity` for these units, remembering the cells it read like every column's parser."""
    held = _QUANTITY_PARSERS.get(id(units))
    if held is not None and held[0] is units:
        return held[1]
    parse = _remembering(functools.partial(parse_quantity, units=units))
    if len(_QUANTITY_PARSERS) >= _PARSERS_KEPT:
        _QUANTITY_PARSERS.clear()
    _QUANTITY_PARSERS[id(units)] = (units, parse)
    return parse


_QUANTITY_PARSERS: dict[int, tuple[Units, Callable[[object], object]]] = {}


def _remembering(parse: Callable[[object], object]) -> Callable[[object], object]:
    """Wrap a pure cell parser so that each distinct cell is read once: its value, or its error's words."""
    outcomes: dict[tuple[type, object], tuple[object, tuple[str, str, str] | None]] = {}

    def remembered(value: object) -> object:
        # Equal keys must mean one reading: bool is not int here, and -0.0 (read as -0) is not 0.0.
        if value.__class__ not in _REMEMBERED_TYPES or value == 0:
            return parse(value)
        key = (value.__class__, value)
        outcome = outcomes.get(key)
        if outcome is None:
            try:
                outcome = (parse(value), None)
            except CellError as exc:
                outcome = (None, (exc.rule, exc.expected, exc.fix))
            if len(outcomes) >= _REMEMBERED_PER_COLUMN:
                outcomes.clear()
            outcomes[key] = outcome
        if outcome[1] is not None:
            raise CellError(*outcome[1])
        return outcome[0]

    return remembered


# A CSV's date columns read by `parse_written_date`, remembering the cells read like every column's parser.
written_date_parser = _remembering(parse_written_date)
# A CSV's month columns, whose `2022.1` is as untold as a date column's.
written_month_parser = _remembering(functools.partial(parse_month, written=True))
