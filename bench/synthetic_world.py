"""Draw the synthetic world: 400 街道办事处, each with one 老旧小区改造 project a year and sometimes a 棚户区改造 or
other project, and the 区财政局, which files the project registers.

Amounts are whole hundredths of 万元, so that every figure drawn from them can add up exactly.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

BUREAU = "区财政局"
# fmt: off
PLACES = (
    "枣林", "双铺", "白河", "卧龙", "梅溪", "仲景", "新华", "光武", "汉冶", "车站",
    "溧河", "独山", "靳岗", "七里园", "红泥湾", "潦河", "英庄", "王村", "蒲山", "石桥",
    "瓦店", "高庙", "茶庵", "金华", "青华", "安皋", "陆营", "黄台岗", "官庄", "红星",
    "建设", "人民", "解放", "胜利", "和平", "团结", "文化", "工业", "友谊", "长江",
)
QUARTERS = ("", "东", "西", "南", "北", "新区", "中心", "城关", "河东", "河西")
COMPOUND_PREFIXES = (
    "棉纺厂", "市委", "石化", "育源", "六院", "水利局", "药厂", "农办", "统计局", "车站支行",
    "国土局", "教工", "翔辉", "宏兴", "建行", "邮电局", "粮食局", "电业局", "烟厂", "一中",
    "二中", "人民医院", "税务局", "交通局", "水泥厂", "纺织厂", "机械厂", "化肥厂", "印刷厂", "法院",
    "检察院", "工商局", "财政局", "卫生局", "气象局", "林业局", "供销社", "电影公司", "商业局", "油田",
)
# fmt: on
COMPOUND_SUFFIXES = ("家属院", "小区", "东院", "西院", "南院", "北院", "一村", "二村", "宿舍", "生活区")
RENOVATION_CONTENTS = (
    "屋面防水、外墙保温、雨污分流",
    "道路硬化、绿化提升、路灯照明",
    "管网改造、安防监控、停车位施划",
    "楼道粉刷、加装扶手、充电设施",
    "加装电梯、适老化改造",
)
OTHER_PROJECTS = ("背街小巷整治", "雨污分流改造", "农贸市场提升改造", "公共停车场建设")


@dataclass(frozen=True, slots=True)
class Compound:
    name: str
    area_m2: int
    households: int
    investment_wan: Decimal
    content: str
    status: str
    start: dt.date
    finish: dt.date


@dataclass(frozen=True, slots=True)
class Project:
    code: str
    name: str
    kind: str
    unit: str
    place: str
    year: int
    planned_wan: Decimal
    compounds: tuple[Compound, ...]


def cents(value: int) -> Decimal:
    """Return an amount in 万元 from a whole number of hundredths."""
    return Decimal(value).scaleb(-2)


def split(rng: random.Random, total: int, parts: int, floor: int = 1) -> list[int]:
    """Split a whole number into `parts` random whole shares of at least `floor` that add up exactly."""
    weights = [rng.random() + 0.2 for _ in range(parts)]
    spare = total - floor * parts
    shares = [floor + int(spare * w / sum(weights)) for w in weights]
    shares[rng.randrange(parts)] += total - sum(shares)
    return shares


def unit_names() -> list[tuple[str, str]]:
    """Return (place, 街道办事处 name) for every office, in a fixed order."""
    return [(f"{p}{q}", f"{p}{q}街道办事处") for q in QUARTERS for p in PLACES]


def draw_compounds(rng: random.Random, year: int) -> tuple[Compound, ...]:
    names = rng.sample([p + s for p in COMPOUND_PREFIXES for s in COMPOUND_SUFFIXES], rng.randint(40, 65))
    compounds = []
    for name in names:
        households = rng.randint(40, 420)
        start = dt.date(year, rng.randint(2, 6), rng.randint(1, 28))
        compounds.append(
            Compound(
                name=name,
                area_m2=households * rng.randint(70, 95),
                households=households,
                # 2.5–4 万元 a household, as real renovations cost (the same draw as before, so the rest of the
                # inbox is unchanged: it was 250–400 万元, and every register drew `amount_implausible`).
                investment_wan=cents(households * rng.randint(25_000, 40_000) // 100),
                content=rng.choice(RENOVATION_CONTENTS),
                status=rng.choice(("已完工", "已完工", "在建", "未开工")),
                start=start,
                finish=start + dt.timedelta(days=rng.randint(120, 240)),
            )
        )
    return tuple(compounds)


def draw_projects(
    rng: random.Random, place: str, unit: str, year: int, serial: Iterator[int]
) -> list[Project]:
    """Draw an office's projects of a year: one 老旧小区改造 project, sometimes a 棚户区改造 or other one."""
    compounds = draw_compounds(rng, year)
    projects = [
        Project(
            f"LJ-{year}-{next(serial):04d}",
            f"{place}{year}年老旧小区改造项目",
            "老旧小区改造",
            unit,
            place,
            year,
            sum((c.investment_wan for c in compounds), Decimal(0)),
            compounds,
        )
    ]
    if rng.random() < 0.25:
        planned = cents(rng.randint(2_000_000, 12_000_000))
        projects.append(
            Project(
                f"PG-{year}-{next(serial):04d}",
                f"{place}{year}年棚户区改造项目",
                "棚户区改造",
                unit,
                place,
                year,
                planned,
                (),
            )
        )
    if rng.random() < 0.15:
        planned = cents(rng.randint(30_000, 800_000))
        what = rng.choice(OTHER_PROJECTS)
        projects.append(
            Project(
                f"QT-{year}-{next(serial):04d}",
                f"{place}{year}年{what}项目",
                "其他",
                unit,
                place,
                year,
                planned,
                (),
            )
        )
    return projects
