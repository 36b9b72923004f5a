"""Refuse a file too big to read safely, judged from cheap looks at it before any parser inflates it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, NamedTuple

from pipeline.problems import Problem, Severity

if TYPE_CHECKING:
    from pipeline.struck_cells import Strikes
    from pipeline.xlsx_parts import OpenXlsx

MIB = 1024 * 1024
# Members are inflated a chunk at a time, so memory stays flat however large they claim or turn out to be.
CHUNK = MIB
# A small member's compression ratio says nothing: short, repetitive XML compresses very well.
RATIO_FLOOR = MIB
# Deflate never inflates a byte into more than 1,032: a small enough zip cannot hide a bomb, whatever it states.
DEFLATE_MAX_RATIO = 1032
# One XML tag longer than this is no spreadsheet; refusing it keeps the scan's carry-over bounded.
MAX_TAG = 4 * MIB


@dataclass(frozen=True, slots=True)
class Limits:
    """How big a file may be before it is refused instead of read; `PIPELINE_<FIELD>` overrides each."""

    max_file_bytes: int = 50 * MIB
    max_rows: int = 200_000
    max_cells: int = 5_000_000
    max_uncompressed_bytes: int = 500 * MIB
    max_compression_ratio: int = 200

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Read each limit from `PIPELINE_MAX_…` (e.g. `PIPELINE_MAX_ROWS=300000`); unset keeps the default."""
        environ = os.environ if environ is None else environ
        values = {}
        for limit in fields(cls):
            variable = f"PIPELINE_{limit.name.upper()}"
            raw = (environ.get(variable) or "").strip()
            if not raw:
                continue
            values[limit.name] = positive_whole_number(variable, raw, thousands=True)
        return cls(**values)


def positive_whole_number(variable: str, raw: str, thousands: bool = False) -> int:
    """Read a `PIPELINE_…` setting that must be a positive whole number; refuse anything else by name."""
    try:
        value = int(raw.replace(",", "") if thousands else raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(
            f"{variable} 的值 {raw!r} 不是正整数：请写大于 0 的整数（只写数字，不带单位），或删去该变量以使用默认值。"
            "（must be a positive whole number）"
        )
    return value


def _bytes(size: int) -> str:
    return f"{size / MIB:,.1f} MB" if size >= MIB else f"{size:,}字节"


_SPLIT = "将数据拆分为多个文件分别报送"
_RESAVE = "文件内部结构异常（可能含大量空白格式，或已损坏），请将数据复制到新建的工作簿中另存后重新报送"
# Per limit: what is measured (as the receipt's column), how a figure reads, the sentence, and the fix.
_WORDS: dict[str, tuple[str, Callable[[int], str], str, str]] = {
    "max_file_bytes": (
        "文件大小",
        _bytes,
        "文件大小为{found}，超过{allowed}的处理上限",
        f"请删除无关的工作表和图片后另存，或{_SPLIT}",
    ),
    "max_rows": (
        "每个工作表的行数",
        "{:,}行".format,
        "{place}{where}至少有{found}，超过每个工作表{allowed}的处理上限",
        f"请{_SPLIT}；如表格下方有大量设置了格式的空行，请删除这些行后另存",
    ),
    "max_cells": (
        "单元格数（行数×列数）",
        "{:,}个".format,
        "{place}{where}要读取的单元格（行数×列数）至少有{found}，超过每个文件{allowed}的处理上限",
        f"请删除多余的空行和空列后另存，或{_SPLIT}",
    ),
    "max_uncompressed_bytes": (
        "解压后的文件大小",
        _bytes,
        "文件解压后为{found}，超过{allowed}的处理上限",
        _RESAVE,
    ),
    "max_compression_ratio": (
        "文件内部的压缩比",
        "{:,}倍".format,
        "文件内部的压缩比为{found}，超过{allowed}的处理上限",
        _RESAVE,
    ),
}


class LimitExceeded(Exception):
    """A file goes past one of the limits; `problem()` words it for the receipt."""

    def __init__(self, limit: str, allowed: int, found: int, sheet: str | None = None, where: str = ""):
        super().__init__(limit, allowed, found)
        self.limit, self.allowed, self.found, self.sheet, self.where = limit, allowed, found, sheet, where

    def __str__(self) -> str:
        return self.message_zh

    @property
    def message_zh(self) -> str:
        _, show, sentence, fix = _WORDS[self.limit]
        place = f"工作表“{self.sheet}”" if self.sheet else "文件"
        said = sentence.format(
            place=place, where=self.where, found=show(self.found), allowed=show(self.allowed)
        )
        return f"{said}。{fix}。"

    def problem(self) -> Problem:
        """Word the limit for the receipt: which limit, its value, what was found, and what to do."""
        label, show, _, fix = _WORDS[self.limit]
        return Problem(
            Severity.ERROR,
            "too_large",
            self.message_zh,
            sheet=self.sheet,
            column_header=label,
            value=show(self.found),
            expected=f"不超过{show(self.allowed)}",
            fix=fix,
        )


class Unsupported(ValueError):
    """A file this pipeline will not open, for a reason the clerk can act on (the message, in Chinese)."""


PASSWORD = (
    "文件设置了打开密码，无法读取，请取消密码后重新报送"
    "（取消方法：在Excel中依次点“文件→信息→保护工作簿→用密码进行加密”，清空密码并保存）"
)


def check_file_size(size: int, limits: Limits) -> None:
    """Refuse a file larger than the file-size limit."""
    if size > limits.max_file_bytes:
        raise LimitExceeded("max_file_bytes", limits.max_file_bytes, size)


class _Extent:
    """The rows and columns a reader lays out for one sheet: from A1 to its farthest cell holding anything."""

    def __init__(self, sheet: str, limits: Limits, cells_before: int):
        self.sheet, self.limits, self.cells_before = sheet, limits, cells_before
        self.rows = self.columns = 0

    @property
    def area(self) -> int:
        return self.rows * self.columns

    def reach(self, row: int, column: int) -> None:
        """Take in a cell holding something at a 1-based row and column; raise as soon as a limit is passed."""
        if row > self.rows:
            self.rows = row
            if row > self.limits.max_rows:
                raise LimitExceeded("max_rows", self.limits.max_rows, row, self.sheet)
        self.columns = max(self.columns, column)
        if self.cells_before + self.area > self.limits.max_cells:
            raise LimitExceeded("max_cells", self.limits.max_cells, self.cells_before + self.area, self.sheet)

    def claim(self, rows: int, columns: int, written: str) -> None:
        """Refuse what the file itself says the sheet's used range is, when that is already too big."""
        where = f"（声明的使用范围{written}）"
        if rows > self.limits.max_rows:
            raise LimitExceeded("max_rows", self.limits.max_rows, rows, self.sheet, where)
        if self.cells_before + rows * columns > self.limits.max_cells:
            found = self.cells_before + rows * columns
            raise LimitExceeded("max_cells", self.limits.max_cells, found, self.sheet, where)


class Survey(NamedTuple):
    """What proving a workbook within the limits saw of its worksheets."""

    errors: bool  # a cell stores an error value (`t="e"`), which calamine reads as blank
    formulas: bool  # a cell holds a formula (an xlsx), or one saved with an empty result (an xls)
    # The rows hidden in Excel, by sheet name and Excel row number: calamine reads them as any other row.
    hidden_rows: dict[str, tuple[int, ...]] = {}
    # The columns hidden, by sheet name and column number from 1 (A is 1): read as any other too.
    hidden_columns: dict[str, tuple[int, ...]] = {}
    # Whether a font may draw a cell, or a run of its text, struck through: an xls's FONT records say so, an xlsx's
    # styles.xml, shared strings and worksheets.
    struck_fonts: bool = True
    # What an xlsx draws struck through, read from its styles and shared strings once (None for an xls: xlrd reads it).
    strikes: Strikes | None = None
    # An xlsx's zip as the survey opened it, kept open with what it read (its parts, its styles) for the cells'
    # formats and fonts: the file is opened once.
    xlsx: OpenXlsx | None = None
    # An xlsx's worksheet parts whose cells write a reference in part (`<c r="B">`, its row its row tag's).
    partly_referenced: frozenset[str] = frozenset()
