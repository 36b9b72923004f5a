"""Write a demo inbox: the 2022 submissions behind the district's budget-performance report.

Usage: python demo/make_inbox.py [--home DIR]   (DIR defaults to $PIPELINE_HOME, else ./var)

The figures of the published 2022 report hold exactly; per-compound splits, tranches and monthly
figures are invented but add up to them. The sheets are filled the way offices fill them: title rows,
metadata lines, a merged two-row header, blank rows, numbers written as text, a 合计 row, footers.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring

FIXED_TIME = dt.datetime(2023, 1, 5, 9, 0, 0)
ZIP_TIME = (2023, 1, 5, 9, 0, 0)
COLUMN_WIDTH = 16
YEAR = 2022

BUREAU = "区财政局"
ZAOLIN_UNIT = "枣林街道办事处"
SHUANGPU_UNIT = "南阳市城乡一体化示范区建设实业有限公司"
ZAOLIN_PROJECT = "枣林街道办事处改造老旧小区"
SHUANGPU_PROJECT = "示范区双铺棚户区改造项目"

# Facts of the 2022 report.
ZAOLIN_AREA_WAN_M2 = Decimal("24.4")
ZAOLIN_HOUSEHOLDS = 3148
ZAOLIN_PLANNED_INVESTMENT = Decimal("9163.60")
SHUANGPU_PLANNED_INVESTMENT = Decimal("112774.31")
ZAOLIN_ANNUAL_PLAN = Decimal("1570.00")
SHUANGPU_ANNUAL_PLAN = Decimal("18000.00")

FOOTER = "填表人：张三    联系电话：0377-12345678    审核人：李四"

# 小区名称, 改造面积（万平方米）, 惠及户数, 计划投资（万元）.
COMPOUNDS = (
    ("棉纺厂东院", "2.8650", 370, "1075.97"),
    ("市委小区", "1.9320", 249, "725.58"),
    ("石化小区", "2.4150", 312, "906.97"),
    ("育源小区", "1.2680", 164, "476.21"),
    ("六院家属院", "0.9875", 127, "370.86"),
    ("鸭河口水库小区", "1.5430", 200, "579.49"),
    ("宏兴小区", "1.7260", 223, "648.21"),
    ("白河湿地公园小区", "2.1040", 271, "790.17"),
    ("药厂家属院", "0.8560", 110, "321.48"),
    ("农办家属院", "0.6425", 83, "241.30"),
    ("统计局家属院", "0.5380", 69, "202.05"),
    ("车站支行家属院", "0.4915", 63, "184.59"),
    ("育阳小区", "1.8870", 243, "708.68"),
    ("国土局家属院", "0.7245", 93, "272.09"),
    ("教工一村", "2.3560", 304, "884.81"),
    ("翔辉小区", "2.0640", 267, "775.14"),
)
RENOVATION_CONTENTS = (
    "屋面防水、外墙保温、雨污分流",
    "道路硬化、绿化提升、路灯照明",
    "管网改造、安防监控、停车位施划",
    "楼道粉刷、加装扶手、充电设施",
)
# Quirks of the hand-filled compound list.
NAME_WITH_TRAILING_SPACE = "棉纺厂东院"
INVESTMENT_WITH_SEPARATOR = "棉纺厂东院"
HOUSEHOLDS_WITH_UNIT = "鸭河口水库小区"
STATUS_ALIAS = ("药厂家属院", "完工")
BLANK_ROW_AFTER = 8
# The one file an office gets back: the clerk's first draft of the compound list, with one compound's
# households estimated as 约200 (Excel row 9). It is rejected, so it replaces nothing: the final list stands.
DRAFT_FILE = "枣林街道2022年老旧小区改造项目清单（初稿）.xlsx"
DRAFT_COMPOUNDS = ("棉纺厂东院", "市委小区", "石化小区", "鸭河口水库小区", "宏兴小区")
DRAFT_ESTIMATE = ("鸭河口水库小区", "约200")
RETURNED = frozenset({f"{ZAOLIN_UNIT}/{DRAFT_FILE}"})

# 小区名称: 有效问卷, 满意, 不满意 (基本满意 is the rest).
SURVEY = {
    "棉纺厂东院": (111, 84, 8),
    "市委小区": (75, 58, 5),
    "石化小区": (94, 71, 7),
    "育源小区": (49, 37, 3),
    "六院家属院": (38, 29, 2),
    "鸭河口水库小区": (60, 45, 4),
    "宏兴小区": (67, 51, 5),
    "白河湿地公园小区": (81, 62, 6),
    "药厂家属院": (33, 25, 2),
    "农办家属院": (25, 19, 2),
    "统计局家属院": (21, 16, 1),
    "车站支行家属院": (19, 14, 1),
    "育阳小区": (73, 55, 5),
    "国土局家属院": (28, 21, 2),
    "教工一村": (91, 69, 6),
    "翔辉小区": (80, 61, 6),
}

# 日期, 资金来源, 类型, 金额（元）, 文号/凭证号, 支出用途, 摘要.
ZAOLIN_LEDGER = (
    (dt.date(2022, 3, 10), "中央补助资金", "到位", "5000000.00", "宛财建〔2022〕8号", "", "第一批"),
    (dt.date(2022, 3, 25), "发改资金", "到位", "10000000.00", "宛发改投资〔2022〕21号", "", "第一批"),
    (dt.date(2022, 4, 12), "中央补助资金", "支付", "356800.00", "记-2022-04-011", "设计费", "改造方案设计"),
    (dt.date(2022, 5, 20), "中央补助资金", "支付", "4200000.00", "记-2022-05-016", "工程款", "一期进度款"),
    (dt.date(2022, 6, 15), "中央补助资金", "到位", "4500000.00", "宛财建〔2022〕35号", "", "第二批"),
    (dt.date(2022, 7, 8), "发改资金", "支付", "386400.00", "记-2022-07-009", "监理费", "工程监理"),
    (dt.date(2022, 8, 10), "发改资金", "到位", "7860000.00", "宛发改投资〔2022〕57号", "", "第二批"),
    (dt.date(2022, 8, 26), "发改资金", "支付", "6930400.00", "记-2022-08-021", "工程款", "二期进度款"),
    (dt.date(2022, 9, 15), "中央补助资金", "支付", "3850000.00", "记-2022-09-014", "工程款", "三期进度款"),
    (dt.date(2022, 10, 20), "中央补助资金", "到位", "3001000.00", "宛财建〔2022〕62号", "", "第三批"),
)
ZAOLIN_RECEIVED_YUAN = {"中央补助资金": Decimal("12501000.00"), "发改资金": Decimal("17860000.00")}

# 日期 (as text), 资金来源, 类型, 金额（万元）, 文号/凭证号, 支出用途, 摘要.
SHUANGPU_LEDGER = (
    ("2022-01-18", "专项债券", "到位", "10000.00", "宛财债〔2022〕3号", "", "专项债券资金第一批"),
    ("2022-02-15", "专项债券", "支付", "5000.00", "记-2022-02-007", "工程款", "支付安置房工程进度款"),
    ("2022/3/1", "专项债券资金", "到位", "8000.00", "宛财债〔2022〕11号", "", "专项债券资金第二批"),
    ("2022-03-15", "专项债券资金", "支付", "4200.00", "记-2022-03-012", "征收补偿款", "支付房屋征收补偿款"),
    ("2022/4/1", "专项债券资金", "支付", "5300.00", "记-2022-04-002", "工程款", "支付安置房工程进度款"),
    ("2022年5月10日", "专项债券", "支付", "3180.00", "记-2022-05-009", "工程款", "支付安置房工程结算款"),
    ("2022年5月31日", "专项债券", "支付", "320.00", "记-2022-05-027", "监理费", "工程监理"),
)
SHUANGPU_RECEIVED = Decimal("18000.00")

# 本月完成投资（万元）, January to December.
ZAOLIN_MONTHLY = (
    "135.20",
    "133.25",
    "133.65",
    "138.26",
    "139.64",
    "135.72",
    "134.46",
    "135.22",
    "135.25",
    "132.25",
    "107.40",
    "112.06",
)
# 双铺 was finished in May 2022: nothing is invested after that.
SHUANGPU_MONTHLY = ("2600.00", "3150.00", "4280.50", "4369.50", "3600.00", *("0.00",) * 7)

# 内容, 数量, 单位.
SCALE = (
    ("征收户数", 1280, "户"),
    ("安置区总建筑面积", 408923, "平方米"),
    ("其中：新建安置住房", 307200, "平方米"),
    ("其中：配套商业", 26880, "平方米"),
    ("其中：配套公建", 11083, "平方米"),
    ("其中：地下建筑面积", 63760, "平方米"),
    ("新建安置住房套数", 2560, "套"),
)
COST = (
    ("工程费用", Decimal("76313.93"), "万元"),
    ("工程建设其他费用", Decimal("27890.17"), "万元"),
    ("其中：征地费用", Decimal("3115.39"), "万元"),
    ("其中：拆迁补偿费用", Decimal("13794.45"), "万元"),
    ("基本预备费", Decimal("5210.21"), "万元"),
    ("其他费用", Decimal("3360.00"), "万元"),
)
COST_WITH_SEPARATOR = "其他费用"

AREA_TEXT = f"{ZAOLIN_AREA_WAN_M2}万平方米"
INVESTMENT_TEXT = f"{ZAOLIN_PLANNED_INVESTMENT.normalize()}万元"
TARGETS = (
    ("产出指标", "数量指标", "改造小区数量", f"={len(COMPOUNDS)}个", f"{len(COMPOUNDS)}个", 15),
    ("产出指标", "数量指标", "改造面积", f"≥{AREA_TEXT}", AREA_TEXT, 15),
    ("产出指标", "数量指标", "惠及户数", f"≥{ZAOLIN_HOUSEHOLDS}户", f"{ZAOLIN_HOUSEHOLDS}户", 10),
    ("产出指标", "质量指标", "工程验收合格率", "100%", "100%", 10),
    ("产出指标", "时效指标", "年度计划投资完成率", "≥100%", "100%", 10),
    ("产出指标", "成本指标", "计划投资", f"≤{INVESTMENT_TEXT}", INVESTMENT_TEXT, 10),
    ("效益指标", "社会效益指标", "居民居住条件改善", "按期完成", "达成", 10),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", 10),
)
TARGET_WEIGHT_TOTAL = 90

LEDGER_HEADER = ("日期", "项目名称", "资金来源", "类型", "{amount}", "文号/凭证号", "支出用途", "摘要")
PROGRESS_HEADER = (
    "项目名称",
    "年度",
    "月份",
    "年度计划投资（万元）",
    "本月完成投资（万元）",
    "累计完成投资（万元）",
)


@dataclass(frozen=True)
class Sheet:
    """One sheet as an office fills it: title, metadata lines, header, rows, total and footer."""

    name: str
    title: str
    meta: tuple[str, ...]
    header: tuple[tuple[str | None, ...], ...]
    rows: list[tuple]
    total: tuple | None = None
    footer: tuple[str, ...] = ()


def header_merges(header: Sequence[Sequence[str | None]], top: int) -> list[tuple[int, int, int, int]]:
    """Merge a header cell right over the empty cells after it, or down over an empty cell below it."""
    first = header[0]
    merges = []
    for col, text in enumerate(first):
        if text is None:
            continue
        end = col
        while end + 1 < len(first) and first[end + 1] is None:
            end += 1
        tall = end == col and len(header) > 1 and header[1][col] is None
        if end > col or tall:
            merges.append((top, col, top + len(header) - 1 if tall else top, end))
    return merges


def sheet_grid(sheet: Sheet) -> tuple[list[tuple], list[tuple[int, int, int, int]]]:
    """Lay a sheet out as rows of cells and 0-based merged ranges (row, col, last row, last col)."""
    width = len(sheet.header[0])
    rows: list[tuple] = [(sheet.title,), *((line,) for line in sheet.meta)]
    merges = [(0, 0, 0, width - 1), *header_merges(sheet.header, len(rows))]
    rows += [*sheet.header, *sheet.rows]
    if sheet.total is not None:
        rows.append(sheet.total)
    rows += [(line,) for line in sheet.footer]
    return rows, merges


def number_format(value: object) -> str | None:
    """Return the Excel number format for a Decimal (its own places) or a date, else None."""
    if isinstance(value, Decimal):
        places = -value.as_tuple().exponent
        return "0." + "0" * places if places > 0 else "0"
    if isinstance(value, dt.date):
        return "yyyy-mm-dd"
    return None


def cell_value(value: object) -> object:
    """Convert a Decimal to float at the moment it is written into a numeric cell."""
    return float(value) if isinstance(value, Decimal) else value


def is_blank(value: object) -> bool:
    """Tell whether a cell is left empty."""
    return value is None or value == ""


def save_xlsx(workbook: openpyxl.Workbook, path: Path) -> None:
    """Save a workbook with fixed timestamps in its properties and its zip entries."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.properties.modified = FIXED_TIME  # save() stamps the current time into the properties
    core = tostring(workbook.properties.to_tree())
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = core if item.filename == ARC_CORE else source.read(item)
            target.writestr(zipfile.ZipInfo(item.filename, ZIP_TIME), data, zipfile.ZIP_DEFLATED)


def write_xlsx(path: Path, sheet: Sheet) -> None:
    """Write a sheet into a one-sheet .xlsx workbook."""
    workbook = openpyxl.Workbook()
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    worksheet = workbook.active
    worksheet.title = sheet.name
    rows, merges = sheet_grid(sheet)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if is_blank(value):
                continue
            cell = worksheet.cell(r, c, cell_value(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a target such as `=16个` is text, not a formula
            if fmt := number_format(value):
                cell.number_format = fmt
    for first_row, first_col, last_row, last_col in merges:
        worksheet.merge_cells(
            start_row=first_row + 1, start_column=first_col + 1, end_row=last_row + 1, end_column=last_col + 1
        )
    for col in range(1, len(sheet.header[0]) + 1):
        worksheet.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTH
    save_xlsx(workbook, path)


def write_xls(path: Path, sheet: Sheet) -> None:
    """Write a sheet into a one-sheet Excel 97–2003 .xls workbook."""
    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet(sheet.name)
    styles: dict[str, xlwt.XFStyle] = {}
    rows, merges = sheet_grid(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if is_blank(value):
                continue
            fmt = number_format(value)
            if fmt is None:
                worksheet.write(r, c, value)
            else:
                style = styles.setdefault(fmt, xlwt.easyxf(num_format_str=fmt))
                worksheet.write(r, c, cell_value(value), style)
    for first_row, first_col, last_row, last_col in merges:
        worksheet.merge(first_row, last_row, first_col, last_col)
    for col in range(len(sheet.header[0])):
        worksheet.col(col).width = 256 * COLUMN_WIDTH
    workbook.save(str(path))


def write_csv(path: Path, sheet: Sheet, encoding: str) -> None:
    """Write a sheet as CSV lines in the given encoding (merges are lost, as in Excel)."""
    rows, _ = sheet_grid(sheet)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow("" if value is None else str(value) for value in row)


def project_register() -> Sheet:
    """Build the finance bureau's 项目基本信息表 for both projects."""
    return Sheet(
        name="项目基本信息",
        title=f"{YEAR}年度预算绩效项目基本信息表",
        meta=(f"填报单位：{BUREAU}   填报日期：2022年12月30日",),
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
                "计划总投资（万元）",
            ),
        ),
        rows=[
            (
                "ZL-2022-001",
                ZAOLIN_PROJECT,
                "老旧小区改造",
                ZAOLIN_UNIT,
                "区住房和城乡建设局",
                "枣林街道",
                dt.date(2022, 3, 1),
                dt.date(2022, 12, 31),
                ZAOLIN_PLANNED_INVESTMENT,
            ),
            (
                "SF-2019-001",
                SHUANGPU_PROJECT,
                "棚户区改造",
                SHUANGPU_UNIT,
                "示范区管委会",
                "双铺",
                "2019.3",
                "2022年5月",
                SHUANGPU_PLANNED_INVESTMENT,
            ),
        ],
    )


def compound_row(seq: int, name: str, area: str, households: int, investment: str) -> tuple:
    """Write one compound the way the clerk did, quirks included."""
    status = STATUS_ALIAS[1] if name == STATUS_ALIAS[0] else "已完工"
    return (
        seq,
        f"{name} " if name == NAME_WITH_TRAILING_SPACE else name,
        Decimal(area),
        f"{households}户" if name == HOUSEHOLDS_WITH_UNIT else households,
        f"{Decimal(investment):,}" if name == INVESTMENT_WITH_SEPARATOR else Decimal(investment),
        RENOVATION_CONTENTS[(seq - 1) % len(RENOVATION_CONTENTS)],
        status,
    )


def compound_list() -> Sheet:
    """Build 枣林's 老旧小区改造项目清单 with a two-row header, a blank row and a 合计 row."""
    rows = [compound_row(seq, *compound) for seq, compound in enumerate(COMPOUNDS, start=1)]
    rows.insert(BLANK_ROW_AFTER, ())
    return Sheet(
        name="项目清单",
        title=f"{ZAOLIN_UNIT}{YEAR}年老旧小区改造项目清单",
        meta=(
            f"填报单位：{ZAOLIN_UNIT}（盖章）   填报日期：2023年1月5日   单位：万元",
            f"项目名称：{ZAOLIN_PROJECT}",
        ),
        header=(
            ("序号", "小区名称", "改造规模", None, "计划投资（万元）", "改造内容", "改造状态"),
            (None, None, "改造面积（万平方米）", "惠及户数（户）", None, None, None),
        ),
        rows=rows,
        total=(
            None,
            "合计",
            sum(Decimal(area) for _, area, _, _ in COMPOUNDS),
            sum(households for _, _, households, _ in COMPOUNDS),
            sum(Decimal(investment) for _, _, _, investment in COMPOUNDS),
        ),
        footer=(FOOTER,),
    )


def draft_compound_list() -> Sheet:
    """Build the compound list's first draft: five compounds, one's households an estimate, no 合计 row."""
    by_name = {compound[0]: compound for compound in COMPOUNDS}
    rows = []
    for seq, name in enumerate(DRAFT_COMPOUNDS, start=1):
        _, area, households, investment = by_name[name]
        written = DRAFT_ESTIMATE[1] if name == DRAFT_ESTIMATE[0] else households
        content = RENOVATION_CONTENTS[(seq - 1) % len(RENOVATION_CONTENTS)]
        rows.append((seq, name, Decimal(area), written, Decimal(investment), content, "在建"))
    return replace(compound_list(), rows=rows, total=None)


def is_returned(path: Path) -> bool:
    """Tell whether a demo file is one its office gets back (rejected), not taken in."""
    return f"{path.parent.name}/{path.name}" in RETURNED


def ledger(title: str, meta: str, amount_header: str, project: str, entries: Sequence[tuple]) -> Sheet:
    """Build a 资金到位及支付台账 from (日期, 来源, 类型, 金额, 文号, 用途, 摘要) entries."""
    rows = [
        (date, project, source, kind, Decimal(amount), *rest) for date, source, kind, amount, *rest in entries
    ]
    header = tuple(text.format(amount=amount_header) for text in LEDGER_HEADER)
    return Sheet(name="资金台账", title=title, meta=(meta,), header=(header,), rows=rows)


def progress(title: str, unit: str, project: str, plan: Decimal, monthly: Sequence[str]) -> Sheet:
    """Build a 投资完成情况月报 whose 累计 is the running sum of 本月."""
    rows = []
    cumulative = Decimal("0.00")
    for month, amount in enumerate(monthly, start=1):
        cumulative += Decimal(amount)
        rows.append((project, YEAR, month, plan, Decimal(amount), cumulative))
    return Sheet(
        name="投资完成情况", title=title, meta=(f"填报单位：{unit}",), header=(PROGRESS_HEADER,), rows=rows
    )


def satisfaction_survey() -> Sheet:
    """Build 枣林's 群众满意度调查汇总表, one row per compound."""
    rows = [
        (name, valid, satisfied, valid - satisfied - dissatisfied, dissatisfied)
        for name, (valid, satisfied, dissatisfied) in SURVEY.items()
    ]
    return Sheet(
        name="满意度调查",
        title=f"{ZAOLIN_PROJECT}{YEAR}年群众满意度调查汇总表",
        meta=(f"填报单位：{ZAOLIN_UNIT}",),
        header=(("小区名称", "有效问卷（份）", "满意（份）", "基本满意（份）", "不满意（份）"),),
        rows=rows,
    )


def performance_targets() -> Sheet:
    """Build 枣林's 项目绩效目标及自评表."""
    return Sheet(
        name="绩效目标自评",
        title="项目绩效目标及自评表",
        meta=(f"项目名称：{ZAOLIN_PROJECT}", f"年度：{YEAR}", f"填报单位：{ZAOLIN_UNIT}"),
        header=(
            (
                "一级指标",
                "二级指标",
                "三级指标",
                "年度指标值",
                "实际完成值",
                "分值",
                "偏差原因分析及改进措施",
            ),
        ),
        rows=list(TARGETS),
    )


def scale_and_cost() -> Sheet:
    """Build 双铺's 建设规模及投资构成表."""
    rows = [(SHUANGPU_PROJECT, "建设规模", *item) for item in SCALE]
    rows += [
        (SHUANGPU_PROJECT, "投资构成", item, f"{amount:,}" if item == COST_WITH_SEPARATOR else amount, unit)
        for item, amount, unit in COST
    ]
    return Sheet(
        name="建设规模及投资构成",
        title=f"{SHUANGPU_PROJECT}建设规模及投资构成表",
        meta=(f"填报单位：{SHUANGPU_UNIT}   年度：{YEAR}",),
        header=(("项目名称", "类别", "内容", "数量", "单位"),),
        rows=rows,
    )


# 枣林's 报告文字材料 (章节, 内容): the report's narrative paragraphs. 绩效目标 and 未完成情况及原因 are left
# out on purpose, and 双铺 sends none, so the demo report shows both supplied and missing text.
NARRATIVE = (
    (
        "项目概况",
        "项目由枣林街道办事处组织实施，对辖区内建成年代较早、基础设施老化的老旧小区进行综合改造，"
        "改造内容包括屋面防水、外墙保温、雨污分流、道路硬化、绿化提升、管网改造和安防监控等。",
    ),
    ("主要做法", "一是成立由街道主要负责同志任组长的改造工作专班，实行挂图作战、周调度、月通报。"),
    ("主要做法", "二是坚持“居民点单、政府派单”，改造方案经居民议事会讨论并公示，施工全过程接受居民监督。"),
    ("主要做法", "三是严格执行资金拨付审核程序，专款专用，按工程进度拨付资金。"),
    ("完成情况", "年度改造任务已全部完成，完工小区均通过竣工验收，居民居住条件明显改善。"),
    ("存在问题", "部分小区地下管网资料缺失，增加了施工难度；个别居民对施工期间出行不便有意见。"),
    ("下一步工作", "加强改造后小区的长效管理，推动成立业主委员会或引入物业服务，巩固改造成果。"),
)


def report_narrative() -> Sheet:
    """Build 枣林's 报告文字材料: one paragraph per row, in the order the report prints them."""
    return Sheet(
        name="报告文字材料",
        title=f"{ZAOLIN_PROJECT}{YEAR}年度绩效报告文字材料",
        meta=(f"填报单位：{ZAOLIN_UNIT}", f"年度：{YEAR}"),
        header=(("项目名称", "章节", "内容"),),
        rows=[(ZAOLIN_PROJECT, section, text) for section, text in NARRATIVE],
    )


def check_facts() -> None:
    """Refuse to write an inbox whose invented splits do not add up to the report's figures."""
    fund_totals: dict[str, Decimal] = {}
    for _, source, kind, amount, *_ in ZAOLIN_LEDGER:
        fund_totals[f"{source}{kind}"] = fund_totals.get(f"{source}{kind}", Decimal(0)) + Decimal(amount)
    shuangpu = {
        kind: sum(Decimal(row[3]) for row in SHUANGPU_LEDGER if row[2] == kind) for kind in ("到位", "支付")
    }
    top_cost = sum(amount for item, amount, _ in COST if not item.startswith("其中"))
    checks = {
        "改造面积": sum(Decimal(c[1]) for c in COMPOUNDS) == ZAOLIN_AREA_WAN_M2,
        "惠及户数": sum(c[2] for c in COMPOUNDS) == ZAOLIN_HOUSEHOLDS,
        "计划投资": sum(Decimal(c[3]) for c in COMPOUNDS) == ZAOLIN_PLANNED_INVESTMENT,
        "满意度调查": list(SURVEY) == [c[0] for c in COMPOUNDS],
        "分值": sum(target[-1] for target in TARGETS) == TARGET_WEIGHT_TOTAL,
        "枣林到位": all(fund_totals[f"{s}到位"] == total for s, total in ZAOLIN_RECEIVED_YUAN.items()),
        "枣林支付": all(fund_totals[f"{s}支付"] <= total for s, total in ZAOLIN_RECEIVED_YUAN.items()),
        "双铺台账": shuangpu["到位"] == shuangpu["支付"] == SHUANGPU_RECEIVED,
        "投资构成": top_cost == SHUANGPU_PLANNED_INVESTMENT,
        "枣林进度": on_schedule(ZAOLIN_MONTHLY, ZAOLIN_ANNUAL_PLAN),
        "双铺进度": on_schedule(SHUANGPU_MONTHLY, SHUANGPU_ANNUAL_PLAN)
        and sum(map(Decimal, SHUANGPU_MONTHLY)) == SHUANGPU_ANNUAL_PLAN,
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise SystemExit(f"demo figures do not add up: {', '.join(failed)}")


def on_schedule(monthly: Sequence[str], plan: Decimal) -> bool:
    """Tell whether the cumulative never falls behind the time schedule (no monitoring light)."""
    cumulative = Decimal(0)
    for month, amount in enumerate(monthly, start=1):
        cumulative += Decimal(amount)
        if cumulative * 12 < plan * month:
            return False
    return True


def write_inbox(inbox: Path) -> list[Path]:
    """Write every demo submission under the inbox and return the paths written."""
    zaolin_ledger = ledger(
        f"{ZAOLIN_PROJECT}{YEAR}年资金到位及支付台账",
        f"填报单位：{ZAOLIN_UNIT}   单位：元",
        "金额",
        ZAOLIN_PROJECT,
        ZAOLIN_LEDGER,
    )
    shuangpu_ledger = ledger(
        f"{SHUANGPU_PROJECT}{YEAR}年资金到位及支付台账",
        f"填报单位：{SHUANGPU_UNIT}",
        "金额（万元）",
        SHUANGPU_PROJECT,
        SHUANGPU_LEDGER,
    )
    zaolin_progress = progress(
        f"{ZAOLIN_PROJECT}{YEAR}年投资完成情况月报",
        ZAOLIN_UNIT,
        ZAOLIN_PROJECT,
        ZAOLIN_ANNUAL_PLAN,
        ZAOLIN_MONTHLY,
    )
    shuangpu_progress = progress(
        f"{SHUANGPU_PROJECT}{YEAR}年投资完成情况",
        SHUANGPU_UNIT,
        SHUANGPU_PROJECT,
        SHUANGPU_ANNUAL_PLAN,
        SHUANGPU_MONTHLY,
    )
    files = (
        (BUREAU, "2022年项目基本信息表.xlsx", project_register(), write_xlsx),
        (ZAOLIN_UNIT, "枣林街道2022年老旧小区改造项目清单.xlsx", compound_list(), write_xlsx),
        (ZAOLIN_UNIT, DRAFT_FILE, draft_compound_list(), write_xlsx),
        (ZAOLIN_UNIT, "枣林街道2022年资金台账.xls", zaolin_ledger, write_xls),
        (ZAOLIN_UNIT, "投资完成情况月报2022.csv", zaolin_progress, partial(write_csv, encoding="gb18030")),
        (ZAOLIN_UNIT, "满意度调查汇总.csv", satisfaction_survey(), partial(write_csv, encoding="utf-8-sig")),
        (ZAOLIN_UNIT, "绩效目标自评表2022.xlsx", performance_targets(), write_xlsx),
        (ZAOLIN_UNIT, "绩效报告文字材料2022.xlsx", report_narrative(), write_xlsx),
        (SHUANGPU_UNIT, "双铺棚户区改造项目建设规模及投资构成.xlsx", scale_and_cost(), write_xlsx),
        (SHUANGPU_UNIT, "双铺2022年资金台账.xlsx", shuangpu_ledger, write_xlsx),
        (SHUANGPU_UNIT, "双铺2022年投资完成情况.xlsx", shuangpu_progress, write_xlsx),
    )
    written = []
    for unit, file_name, sheet, write in files:
        path = inbox / unit / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path, sheet)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, check the figures and write the demo inbox."""
    parser = argparse.ArgumentParser(description="Write a demo inbox of the offices' 2022 submissions.")
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("PIPELINE_HOME", "./var")))
    args = parser.parse_args(argv)
    check_facts()
    # Dated an hour back, past the settle window (PIPELINE_SETTLE_SECONDS) in which a file modified just now
    # may still be being copied in and is left for the next run: `pipeline run` takes them at once.
    an_hour_ago = time.time() - 3600
    for path in write_inbox(args.home / "inbox"):
        os.utime(path, (an_hour_ago, an_hour_ago))
        print(path)


if __name__ == "__main__":
    main()
