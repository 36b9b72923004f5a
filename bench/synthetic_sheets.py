"""Build each template's sheet as an office fills it out: a project (or an office's projects) in, a sheet out.

Every figure adds up the way the validation rules require, so every file must be accepted. The sheet's layout
and its writers are the demo's (demo/make_inbox.py). The money sheets are bench/synthetic_money.py's.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.synthetic_style import (
    FULL_WIDTH,
    STATUS_WRITTEN,
    TYPE_WRITTEN,
    Style,
    meta_lines,
    with_blanks,
    written_date,
    written_number,
)
from bench.synthetic_world import BUREAU, Project, split

DEMO_SCRIPT = Path(__file__).resolve().parent.parent / "demo" / "make_inbox.py"
DEPARTMENTS = ("区住房和城乡建设局", "区城市管理局", "区发展和改革委员会", "示范区管委会")
INDICATORS = (
    ("产出指标", "质量指标", "工程验收合格率", "100%", "100%"),
    ("产出指标", "质量指标", "质量安全事故发生次数", "=0次", "0次"),
    ("产出指标", "时效指标", "年度计划投资完成率", "≥100%", "100%"),
    ("产出指标", "时效指标", "按期开工率", "≥95%", "100%"),
    ("产出指标", "时效指标", "按期完工率", "≥90%", "95%"),
    ("效益指标", "社会效益指标", "居民居住条件改善", "按期完成", "达成"),
    ("效益指标", "社会效益指标", "社区服务设施完善", "明显改善", "达成"),
    ("效益指标", "生态效益指标", "小区绿化覆盖率提升", "≥5%", "6%"),
    ("效益指标", "可持续影响指标", "长效管理机制建立", "建立", "已建立"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%"),
)


def demo_writers() -> Any:
    """Return demo/make_inbox.py as a module (its Sheet layout and .xlsx/.xls/.csv writers)."""
    module = sys.modules.get("make_inbox")
    if module is None:
        spec = importlib.util.spec_from_file_location("make_inbox", DEMO_SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses resolve annotations through sys.modules
        spec.loader.exec_module(module)
    return module


demo = demo_writers()
Sheet = demo.Sheet


def register_sheet(rng: random.Random, year: int, batch: int, projects: Sequence[Project]) -> Sheet:
    style = Style.draw(rng, year)
    money = rng.choice(("计划总投资（万元）", "总投资（万元）", "计划总投资(万元)"))
    rows = []
    for p in projects:
        start = dt.date(year, rng.randint(1, 6), 1)
        rows.append(
            (
                p.code,
                p.name,
                rng.choice(TYPE_WRITTEN[p.kind]),
                p.unit,
                rng.choice(DEPARTMENTS),
                f"{p.place}街道",
                written_date(style.date_form, start),
                written_date(style.date_form, dt.date(year, 12, 31)),
                written_number(rng, p.planned_wan, style.text_numbers),
            )
        )
    return Sheet(
        name="项目基本信息",
        title=f"{year}年度预算绩效项目基本信息表（第{batch}批）",
        meta=meta_lines(style, BUREAU),
        header=(
            (
                "项目编码",
                "项目名称",
                "项目类型",
                "实施单位",
                "主管部门",
                "建设地点",
                "计划开工日期",
                "计划完工日期",
                money,
            ),
        ),
        rows=with_blanks(rng, rows, style.blanks),
        footer=style.footer,
    )


def compound_sheet(rng: random.Random, p: Project) -> Sheet:
    style = Style.draw(rng, p.year)
    in_wan_m2 = rng.random() < 0.5
    area_unit = "万平方米" if in_wan_m2 else rng.choice(("平方米", "㎡"))
    money_unit = "元" if style.yuan else "万元"
    area_h = rng.choice((f"改造面积（{area_unit}）", f"改造面积\n（{area_unit}）", f"改造面积({area_unit})"))
    money_h = rng.choice(
        (f"计划投资（{money_unit}）", f"计划投资额（{money_unit}）", f"投资额({money_unit})")
    )
    households_h = rng.choice(("惠及户数（户）", "涉及户数", "惠及户数"))
    layout = 0 if style.two_row else rng.randrange(1, 3)
    rows = []
    totals = [Decimal(0), 0, Decimal(0)]
    for seq, c in enumerate(p.compounds, start=1):
        area = Decimal(c.area_m2).scaleb(-4) if in_wan_m2 else Decimal(c.area_m2)
        money = c.investment_wan * 10000 if style.yuan else c.investment_wan
        totals = [totals[0] + area, totals[1] + c.households, totals[2] + money]
        name = f"{c.name} " if rng.random() < 0.03 else c.name
        cells = [
            seq,
            name,
            written_number(rng, area, style.text_numbers),
            written_number(rng, c.households, style.text_numbers, "户"),
            written_number(rng, money, style.text_numbers),
            c.content,
        ]
        if layout == 1:
            cells += [written_date(style.date_form, c.start), written_date(style.date_form, c.finish)]
        rows.append((*cells, rng.choice(STATUS_WRITTEN[c.status])))
    if layout == 0:
        header = (
            ("序号", "小区名称", "改造规模", None, money_h, "改造内容", "改造状态"),
            (None, None, area_h, households_h, None, None, None),
        )
    elif layout == 1:
        header = (
            (
                "序号",
                "小区名称",
                area_h,
                households_h,
                money_h,
                "改造内容",
                "开工日期",
                "完工日期",
                "改造状态",
            ),
        )
    else:
        header = (
            (
                "序号",
                "小区名",
                area_h.replace("改造面积", "改造建筑面积"),
                "户数",
                money_h,
                "改造内容",
                "状态",
            ),
        )
    project_line = (f"项目名称：{p.name}",) if rng.random() < 0.7 else ()
    return Sheet(
        name=rng.choice(("项目清单", "Sheet1", "改造清单")),
        title=f"{p.unit}{p.year}年老旧小区改造项目清单" if style.title else "",
        meta=meta_lines(style, p.unit, *project_line),
        header=header,
        rows=with_blanks(rng, rows, style.blanks),
        total=(None, "合计", *totals) if style.total else None,
        footer=style.footer,
    )


def survey_sheet(rng: random.Random, p: Project) -> Sheet:
    style = Style.draw(rng, p.year)
    rows = []
    totals = [0, 0, 0, 0]
    numbered = not style.two_row and rng.random() < 0.4
    for seq, c in enumerate(p.compounds, start=1):
        valid = max(12, c.households // rng.randint(2, 5))
        dissatisfied = rng.randint(0, valid // 10)
        satisfied = rng.randint((valid - dissatisfied) * 6 // 10, valid - dissatisfied)
        basic = valid - satisfied - dissatisfied
        totals = [t + v for t, v in zip(totals, (valid, satisfied, basic, dissatisfied), strict=True)]
        counts = [
            written_number(rng, n, style.text_numbers, "份") for n in (valid, satisfied, basic, dissatisfied)
        ]
        if basic == 0 and rng.random() < 0.5:
            counts[2] = None  # 基本满意 left empty means none
        rows.append(((seq,) if numbered else ()) + (c.name, *counts))
    if style.two_row:
        header = (
            ("调查对象", "问卷情况（份）", None, None, None),
            (None, "有效问卷", "满意", "基本满意", "不满意"),
        )
    else:
        name_h = rng.choice(("小区名称", "调查对象"))
        header = (
            (
                *(("序号",) if numbered else ()),
                name_h,
                "有效问卷（份）",
                "满意（份）",
                "基本满意（份）",
                "不满意（份）",
            ),
        )
    project_line = (f"项目名称：{p.name}",) if rng.random() < 0.6 else ()
    return Sheet(
        name=rng.choice(("满意度调查", "Sheet1")),
        title=f"{p.name}群众满意度调查汇总表" if style.title else "",
        meta=meta_lines(style, p.unit, *project_line),
        header=header,
        rows=with_blanks(rng, rows, style.blanks),
        total=((None,) if numbered else ()) + ("合计", *totals) if style.total else None,
        footer=style.footer,
    )


def targets_sheet(rng: random.Random, p: Project) -> Sheet:
    style = Style.draw(rng, p.year)
    planned = f"{p.planned_wan.normalize():f}万元"
    rows = [
        (
            "产出指标",
            "数量指标",
            "改造小区数量" if p.compounds else "项目个数",
            f"={max(1, len(p.compounds))}个",
            f"{max(1, len(p.compounds))}个",
        ),
        ("产出指标", "成本指标", "计划投资", f"≤{planned}", planned),
        *rng.sample(INDICATORS, rng.randint(6, len(INDICATORS))),
    ]
    for c in p.compounds[: rng.randint(20, 35)]:
        rows.append(("产出指标", "数量指标", f"{c.name}惠及户数", f"≥{c.households}户", f"{c.households}户"))
    if not p.compounds:
        for number in range(1, rng.randint(20, 35)):
            rows.append(("产出指标", "数量指标", f"{number}号地块完成征收", "按期完成", "完成"))
    halves = rng.random() < 0.3
    weights = (
        [Decimal(w).scaleb(-1) * 5 for w in split(rng, 180, len(rows))]
        if halves
        else split(rng, 90, len(rows))
    )
    body = [
        (*row, written_number(rng, w, style.text_numbers), "") for row, w in zip(rows, weights, strict=True)
    ]
    if style.two_row:
        header = (
            ("绩效指标", None, None, "年度指标值", "实际完成值", "分值", "偏差原因分析及改进措施"),
            ("一级指标", "二级指标", "三级指标", None, None, None, None),
        )
    else:
        header = (
            (
                "一级指标",
                "二级指标",
                "三级指标",
                rng.choice(("年度指标值", "指标值")),
                rng.choice(("实际完成值", "完成值")),
                rng.choice(("分值", "权重")),
                rng.choice(("偏差原因分析及改进措施", "偏差原因")),
            ),
        )
    return Sheet(
        name=rng.choice(("绩效目标自评", "Sheet1")),
        title="项目绩效目标及自评表" if style.title else "",
        meta=meta_lines(
            style,
            p.unit,
            f"项目名称：{p.name}",
            f"年度：{str(p.year).translate(FULL_WIDTH) if rng.random() < 0.1 else p.year}",
        ),
        header=header,
        rows=with_blanks(rng, body, style.blanks),
        total=("合计", None, None, None, None, sum(weights), None) if style.total else None,
        footer=style.footer,
    )


NARRATIVE_SECTIONS = {
    "项目概况": ("项目概况", "概况", "基本情况"),
    "绩效目标": ("绩效目标", "项目绩效目标"),
    "主要做法": ("主要做法", "工作开展情况", "主要工作"),
    "完成情况": ("完成情况", "绩效目标完成情况"),
    "未完成情况及原因": ("未完成情况及原因", "未完成原因"),
    "存在问题": ("存在问题", "存在的问题"),
    "下一步工作": ("下一步工作", "改进措施"),
}


def narrative_sheet(rng: random.Random, p: Project) -> Sheet:
    """Build a 报告文字材料: paragraphs in the demo's words, under sections named the ways offices name them."""
    style = Style.draw(rng, p.year)
    pool: dict[str, list[str]] = {}
    for section, text in demo.NARRATIVE:
        pool.setdefault(section, []).append(text)
    pool["项目概况"] = [f"{p.name}计划总投资{p.planned_wan}万元，由{p.unit}组织实施。"]
    pool["绩效目标"] = [f"年度内完成{len(p.compounds) or 1}个改造任务，群众满意度不低于90%。"]
    pool["未完成情况及原因"] = [
        "部分工程受雨季影响，\n完工时间较计划推迟。",
        "个别子项因居民意见未统一，暂缓实施。",
    ]
    rows = []
    for section in rng.sample(sorted(pool), rng.randint(3, len(pool))):
        written = rng.choice(NARRATIVE_SECTIONS[section])
        rows += [(p.name, written, text) for text in pool[section][: rng.randint(1, 3)]]
    return Sheet(
        name=rng.choice(("报告文字材料", "Sheet1")),
        title=f"{p.name}绩效报告文字材料" if style.title else "",
        meta=meta_lines(style, p.unit, f"年度：{p.year}"),
        header=(("项目名称", rng.choice(("章节", "报告章节")), rng.choice(("内容", "文字内容"))),),
        rows=with_blanks(rng, rows, style.blanks),
        footer=style.footer,
    )
