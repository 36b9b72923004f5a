"""Fill a sheet in the ways offices do: a title, a `填报单位：` line, merged two-row headers, numbers as text,
full-width digits, amounts in 元, blank rows, a 合计 row, a footer, and each value in one of its spellings.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

STATUS_WRITTEN = {
    "已完工": ("已完工", "完工", "已竣工"),
    "在建": ("在建", "在建中", "施工中"),
    "未开工": ("未开工",),
}
TYPE_WRITTEN = {
    "老旧小区改造": ("老旧小区改造", "城镇老旧小区改造", "老旧小区改造项目"),
    "棚户区改造": ("棚户区改造", "棚改"),
    "其他": ("其他",),
}
FUND_SOURCES = {
    "中央补助资金": ("中央补助资金",),
    "中央预算内投资": ("中央预算内投资", "发改资金", "中央预算内投资（发改资金）"),
    "省级补助资金": ("省级补助资金",),
    "市级配套资金": ("市级配套资金",),
    "区级配套资金": ("区级配套资金",),
    "专项债券资金": ("专项债券资金", "专项债券", "债券资金"),
    "居民出资": ("居民出资",),
    "社会资本": ("社会资本",),
}
# No word the registry lists as ambiguous (拨付, 拨款, 下达…): a ledger holding one is rejected. 支付 is still
# drawn from three spellings, so that each seed writes the files it always has, 支付 where 拨付 was.
ENTRY_WRITTEN = {"到位": ("到位", "资金到位", "到账"), "支付": ("支付", "资金支付", "支付")}
FOOTERS = (
    ("填表人：张三    联系电话：0377-12345678    审核人：李四",),
    ("填表人：王芳", "联系电话：0377-63125588"),
    ("注：本表金额保留两位小数。",),
    ("审核人：赵六    填报日期：{filed}",),
)
FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


@dataclass(frozen=True, slots=True)
class Style:
    """How one office fills one sheet in: which of the usual quirks it shows."""

    title: bool
    unit_line: bool
    two_row: bool
    yuan: bool
    text_numbers: float
    total: bool
    blanks: int
    footer: tuple[str, ...]
    date_form: int

    @classmethod
    def draw(cls, rng: random.Random, year: int) -> Style:
        footer = rng.choice((*FOOTERS, ()))
        filed = f"{year + 1}年1月{rng.randint(3, 20)}日"
        return cls(
            title=rng.random() < 0.9,
            unit_line=rng.random() < 0.75,
            two_row=rng.random() < 0.35,
            yuan=rng.random() < 0.2,
            text_numbers=rng.choice((0.0, 0.05, 0.15)),
            total=rng.random() < 0.5,
            blanks=rng.choice((0, 0, 1, 2)),
            footer=tuple(line.format(filed=filed) for line in footer),
            date_form=rng.randrange(6),
        )


def written_number(rng: random.Random, value: int | Decimal, chance: float, unit: str = "") -> object:
    """Write a number as a clerk might: as a number, or as text with separators, full-width digits, a unit."""
    if rng.random() >= chance:
        return value
    kind = rng.randrange(4 if unit else 3)
    if kind == 0:
        return format(value, ",")
    if kind == 1:
        return str(value).translate(FULL_WIDTH)
    if kind == 2:
        return f" {value} "
    return f"{value}{unit}"


def written_date(form: int, day: dt.date) -> object:
    """Write a date in one of the forms offices use."""
    return (
        day,
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day,
    )[form]


def with_blanks(rng: random.Random, rows: list[tuple], count: int) -> list[tuple]:
    """Insert empty rows between data rows, as clerks leave them."""
    rows = list(rows)
    for _ in range(count):
        rows.insert(rng.randint(1, max(1, len(rows) - 1)), ())
    return rows


def meta_lines(style: Style, unit: str, *more: str, money_unit: str | None = None) -> tuple[str, ...]:
    """Return the lines above the table: `填报单位：…（盖章）  填报日期：…  单位：…`, then the others given."""
    lines = list(more)
    if style.unit_line:
        line = f"填报单位：{unit}（盖章）   填报日期：{dt.date(2024, 1, 5):%Y年%m月%d日}"
        lines.insert(0, f"{line}   单位：{money_unit}" if money_unit else line)
    elif money_unit:
        lines.insert(0, f"单位：{money_unit}")
    return tuple(lines)
