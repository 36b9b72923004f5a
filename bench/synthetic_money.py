"""Build the money sheets an office fills out: the fund ledger, the monthly progress report, the scale and cost table.

Every figure adds up the way the validation rules require, so every file must be accepted. The other sheets are
bench/synthetic_sheets.py's.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

from bench.synthetic_sheets import Sheet
from bench.synthetic_style import (
    ENTRY_WRITTEN,
    FUND_SOURCES,
    Style,
    meta_lines,
    with_blanks,
    written_date,
    written_number,
)
from bench.synthetic_world import Project, cents, split

PAYMENT_PURPOSES = ("工程款", "设计费", "监理费", "材料款", "审计费", "检测费", "勘察费", "征收补偿款")


def ledger_sheet(rng: random.Random, p: Project) -> Sheet:
    style = Style.draw(rng, p.year)
    sources = rng.sample(sorted(FUND_SOURCES), rng.randint(2, 4))
    tranches = rng.randint(5, 10)
    payments = rng.randint(35, 50)
    received = rng.randint(
        int(p.planned_wan * 40), int(p.planned_wan * 90)
    )  # 40 %–90 % of plan, in 0.01 万元
    arrivals = [("到位", share) for share in split(rng, received, tranches)]
    rest = arrivals[1:] + [("支付", s) for s in split(rng, received * rng.randint(50, 95) // 100, payments)]
    rng.shuffle(rest)
    entries = [arrivals[0], *rest]  # some money arrives before the first payment
    days = sorted(dt.date(p.year, 1, 1) + dt.timedelta(days=rng.randrange(365)) for _ in entries)
    # 单位：元 written above the table, or 元 in the header, or 万元.
    yuan_line = style.yuan and rng.random() < 0.5
    amount_h = "金额" if yuan_line else f"金额（{'元' if style.yuan else '万元'}）"
    rows = []
    for number, (day, (kind, amount)) in enumerate(zip(days, entries, strict=True), start=1):
        money = cents(amount) * 10000 if style.yuan else cents(amount)
        source = rng.choice(sources)
        paying = kind == "支付"
        rows.append(
            (
                written_date(style.date_form if rng.random() < 0.9 else 1, day),
                p.name if rng.random() < 0.97 else f"{p.name} ",
                rng.choice(FUND_SOURCES[source]),
                rng.choice(ENTRY_WRITTEN[kind]),
                written_number(rng, money, style.text_numbers),
                f"记-{p.year}-{day.month:02d}-{number:03d}" if paying else f"宛财建〔{p.year}〕{number}号",
                rng.choice(PAYMENT_PURPOSES) if paying else "",
                f"第{number}笔{'支付' if paying else '到位'}",
            )
        )
    if style.two_row:
        header = (
            ("日期", "项目名称", "资金情况", None, None, "文号/凭证号", "支出用途", "摘要"),
            (None, None, "资金来源", "类型", amount_h, None, None, None),
        )
    else:
        header = (
            (
                rng.choice(("日期", "发生日期")),
                "项目名称",
                "资金来源",
                rng.choice(("类型", "收支类型")),
                amount_h,
                rng.choice(("文号/凭证号", "凭证号")),
                rng.choice(("支出用途", "用途")),
                rng.choice(("摘要", "备注")),
            ),
        )
    return Sheet(
        name=rng.choice(("资金台账", "Sheet1", "台账")),
        title=f"{p.name}资金到位及支付台账" if style.title else "",
        meta=meta_lines(style, p.unit, money_unit="元" if yuan_line else None),
        header=header,
        rows=with_blanks(rng, rows, style.blanks),
        footer=style.footer,
    )


def progress_sheet(rng: random.Random, unit: str, year: int, projects: Sequence[Project]) -> Sheet:
    style = Style.draw(rng, year)
    months = rng.choice((6, 9, 10, 11, 12, 12, 12))
    yuan = style.yuan and not style.two_row  # two-row sub-headers carry no unit: they are in 万元
    factor = 10000 if yuan else 1
    unit_h = "元" if yuan else "万元"
    month_form = rng.randrange(3)
    rows = []
    for p in projects:
        plan = rng.randint(int(p.planned_wan * 30), int(p.planned_wan * 100))
        monthly = split(rng, plan * rng.randint(70, 105) // 100, 12, floor=0)
        cumulative = 0
        for month in range(1, months + 1):
            cumulative += monthly[month - 1]
            rows.append(
                (
                    p.name,
                    year if month_form else f"{year}年",
                    (month, f"{month}月", f"{month:02d}")[month_form],
                    written_number(rng, cents(plan) * factor, style.text_numbers),
                    written_number(rng, cents(monthly[month - 1]) * factor, style.text_numbers),
                    written_number(rng, cents(cumulative) * factor, style.text_numbers),
                )
            )
    if style.two_row:
        header = (
            ("项目名称", "年度", "月份", "年度计划投资（万元）", "完成投资（万元）", None),
            (None, None, None, None, "本月完成投资", "累计完成投资"),
        )
    else:
        cumulative_h = rng.choice(("累计完成投资", "自年初累计完成投资"))
        header = (
            (
                "项目名称",
                "年度",
                rng.choice(("月份", "月")),
                f"年度计划投资（{unit_h}）",
                f"本月完成投资（{unit_h}）",
                f"{cumulative_h}（{unit_h}）",
            ),
        )
    return Sheet(
        name=rng.choice(("投资完成情况", "Sheet1", f"1-{months}月")),
        title=f"{unit}{year}年投资完成情况月报（1-{months}月）" if style.title else "",
        meta=meta_lines(style, unit),
        header=header,
        rows=with_blanks(rng, rows, style.blanks),
        footer=style.footer,
    )


def scale_rows(rng: random.Random, p: Project) -> list[tuple[str, object, str]]:
    """Return 建设规模 rows: (内容, 数量, 单位), with 其中 parts never exceeding their row."""
    in_wan = rng.random() < 0.3
    area_unit = "万平方米" if in_wan else rng.choice(("平方米", "㎡"))

    def area(m2: int) -> Decimal:
        return Decimal(m2).scaleb(-4) if in_wan else Decimal(m2)

    if p.compounds:
        rows = [
            ("改造小区数量", len(p.compounds), "个"),
            ("改造户数", sum(c.households for c in p.compounds), "户"),
        ]
        rows.append(("改造建筑面积", area(sum(c.area_m2 for c in p.compounds)), area_unit))
        rows += [(f"其中：{c.name}", area(c.area_m2), area_unit) for c in p.compounds[: rng.randint(25, 40)]]
        rows += [("改造楼栋数", rng.randint(40, 300), "栋"), ("新增停车位", rng.randint(50, 900), "个")]
        return rows
    buildings = [rng.randint(8_000, 30_000) for _ in range(rng.randint(25, 40))]
    rows = [("征收户数", rng.randint(200, 2000), "户"), ("安置区总建筑面积", area(sum(buildings)), area_unit)]
    rows += [(f"其中：{n}号楼", area(m2), area_unit) for n, m2 in enumerate(buildings, start=1)]
    return [*rows, ("新建安置住房套数", rng.randint(200, 3000), "套")]


def cost_rows(rng: random.Random, p: Project) -> list[tuple[str, Decimal, str]]:
    """Return 投资构成 rows whose top level adds up exactly to 计划总投资, with parts within their row."""
    total = int(p.planned_wan * 100)
    works, other, reserve, rest = split(rng, total, 4)
    rows: list[tuple[str, Decimal, str]] = []
    for item, amount, parts in (
        ("工程费用", works, ("建筑工程费", "安装工程费", "设备购置费")),
        ("工程建设其他费用", other, ("设计费", "监理费", "勘察费")),
        ("基本预备费", reserve, ()),
        ("其他费用", rest, ()),
    ):
        rows.append((item, cents(amount), "万元"))
        if parts:
            shares = split(rng, amount * rng.randint(60, 100) // 100, len(parts), floor=0)
            rows += [
                (f"其中：{part}", cents(share), "万元") for part, share in zip(parts, shares, strict=True)
            ]
    # Some offices write a cost in 元 on its own row.
    return [
        (item, amount * 10000, "元") if rng.random() < 0.15 else (item, amount, u) for item, amount, u in rows
    ]


def scale_sheet(rng: random.Random, p: Project) -> Sheet:
    style = Style.draw(rng, p.year)
    scale_word, cost_word = rng.choice((("建设规模", "投资构成"), ("规模", "投资")))
    rows = [
        (p.name, scale_word, item, written_number(rng, q, style.text_numbers), u)
        for item, q, u in scale_rows(rng, p)
    ]
    rows += [
        (p.name, cost_word, item, written_number(rng, q, style.text_numbers), u)
        for item, q, u in cost_rows(rng, p)
    ]
    header = (
        (
            "项目名称",
            "类别",
            rng.choice(("内容", "项目内容")),
            rng.choice(("数量", "数值")),
            rng.choice(("单位", "计量单位")),
        ),
    )
    return Sheet(
        name=rng.choice(("建设规模及投资构成", "Sheet1")),
        title=f"{p.name}建设规模及投资构成表" if style.title else "",
        meta=meta_lines(style, p.unit, f"年度：{p.year}"),
        header=header,
        rows=with_blanks(rng, rows, style.blanks),
        footer=style.footer,
    )
