"""Materialise each year's rules, and the registry's and intake's names the models join on, as config.* tables."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from pipeline.derived_frames import OVER_PLANNED
from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from pipeline.registry import Registry
from pipeline.report_quality import EXECUTION_TOLERANCE, INDICATOR_SCORE_TOLERANCE, SCORE_TOLERANCE
from pipeline.report_wording import load_report_notes
from pipeline.rules import MEASURE_COUNTS, MEASURE_UNITS, RATE_MEASURES, Rules
from pipeline.suites import EXPECTATIONS_DIR, read_suite
from pipeline.warehouse_schema import sql_literal

# The suites' checks of an amount's scale, by rule: the report re-applies them to the current data, so a warning a
# corrected register has answered is not printed, and one a later year's register would raise is not either.
SCALE_RULES = ("exceeds_planned_total", "amount_implausible")


def amount_checks() -> list[tuple[str, str, str, Decimal]]:
    """Return (template, amount column, rule, max_value) of each scale check in the expectation suites."""
    found = []
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        suite = read_suite(path)
        for expectation in suite.get("expectations", []):
            rule, kwargs = expectation["meta"].get("rule"), expectation["kwargs"]
            if rule in SCALE_RULES and "max_value" in kwargs:
                column = kwargs["column"].removesuffix(OVER_PLANNED)
                found.append((suite["name"], column, rule, Decimal(str(kwargs["max_value"]))))
    return found


_YEAR = ("year", "integer", "年度")
# Each config.* table: its comment and its columns (name, type, comment), all written as COMMENTs in the warehouse.
CONFIG_TABLES: dict[str, tuple[str, tuple[tuple[str, str, str], ...]]] = {
    "light_bands": (
        "预警灯阈值（registry/rules.yaml lights），每年度每盏灯一行：按顺序取第一个偏离度不超过up_to_points的灯",
        (
            _YEAR,
            ("light", "varchar", "预警灯：none、blue、yellow、red"),
            ("severity", "integer", "严重程度：灯在rules.yaml中的顺序，从0起，越大越严重"),
            (
                "up_to_points",
                "decimal(18, 6)",
                "偏离度（时间进度 − 投资进度，百分点）不超过此值时亮此灯（含）；最后一盏灯为空，不设上限",
            ),
        ),
    ),
    "scoring": (
        "自评分值（registry/rules.yaml scoring），每年度一行",
        (
            _YEAR,
            ("budget_execution_points", "decimal(18, 6)", "预算执行率的分值：分值 × min(执行率, 1)"),
            ("indicator_points", "decimal(18, 6)", "其余各指标共计的分值"),
        ),
    ),
    "qualitative": (
        "定性指标的得分比例（registry/rules.yaml qualitative），每年度每种完成情况一行",
        (
            _YEAR,
            ("outcome", "varchar", "完成情况：达成、基本达成、部分达成、未达成"),
            ("share", "decimal(18, 6)", "得分占分值的比例（1为满分）"),
        ),
    ),
    "qualitative_words": (
        "定性指标完成情况的其他写法（registry/rules.yaml qualitative_words），每年度每种写法一行",
        (
            _YEAR,
            ("word", "varchar", "单位填写的写法，如达成预期指标"),
            ("outcome", "varchar", "视同的完成情况，如达成"),
        ),
    ),
    "grades": (
        "评价等级（registry/rules.yaml grades），每年度每个等级一行：自评总分（取8位小数）不低于from_score的最高等级",
        (
            _YEAR,
            ("grade", "varchar", "评价等级，如优、良、中、差"),
            ("from_score", "decimal(18, 6)", "该等级的最低自评总分（含）"),
        ),
    ),
    "bindings": (
        "指标取数口径（registry/rules.yaml bindings），每年度每条一行：三级指标包含contains时实际完成值由数据计算",
        (
            _YEAR,
            ("position", "integer", "在rules.yaml中的顺序，从0起；一个三级指标匹配多条时取最小者"),
            ("contains", "varchar", "三级指标中包含的文字，如满意度"),
            ("measure", "varchar", "计算口径（intermediate.project_measures.measure），如satisfaction_rate"),
            ("rate", "boolean", "该口径是否为比率（按小数计算）：未写单位的年度指标值按百分数读取"),
            (
                "unit_measure",
                "varchar",
                "年度指标值写了单位时该单位须属的量（percent、money、area、count），否则不按该口径取数、用填报的实际完成值",
            ),
            (
                "counts",
                "varchar",
                "计数口径所计的对象（量词），如户数计“户”：年度指标值以其他量词计（如“人”“套”）时不按该口径取数；为空则不限",
            ),
        ),
    ),
    "negative_list": (
        "《财政补助资金使用负面清单》（registry/rules.yaml negative_list），每年度每种支出用途一行",
        (_YEAR, ("expense_purpose", "varchar", "属于负面清单的支出用途，如楼堂馆所建设")),
    ),
    "amount_checks": (
        "金额量级核对（expectations/中规则为exceeds_planned_total、amount_implausible的检查）：每个模板每个金额列一行",
        (
            ("template", "varchar", "模板编号"),
            ("column_name", "varchar", "金额列名（万元）"),
            (
                "rule",
                "varchar",
                "exceeds_planned_total：一行金额超过项目当年登记的计划总投资；amount_implausible：金额本身过大",
            ),
            ("max_value", "decimal(28, 10)", "允许的上限：超出计划总投资的部分，或金额本身（万元）"),
        ),
    ),
    "forms": (
        "报表模板的名称（registry/sources/*.yaml的name_zh），每个模板一行：数据仓库写的说明以此称呼报表",
        (
            ("template", "varchar", "模板编号，如fund_ledger"),
            ("name_zh", "varchar", "模板名称，如项目资金到位及支付台账"),
        ),
    ),
    "stated_tolerances": (
        "自评表填报的总分、预算执行率与按数据计算的相差超过多少时报告的数据质量提示指出（pipeline/report_quality.py），"
        "一行：报告印出这两个数字时多印几位小数，使印出的差额也超过此值",
        (
            ("score", "decimal(18, 6)", "自评总分（分）"),
            ("execution", "decimal(18, 6)", "预算执行率（比例：0.01为1个百分点）"),
            (
                "indicator_score",
                "decimal(18, 6)",
                "指标得分：相差不超过此值的从不提示（超过的，按填报得分的小数位数判断是否只是四舍五入）",
            ),
        ),
    ),
    "measure_forms": (
        "自评表中按报送数据计算的指标各取自哪张报表（registry/report_notes.yaml measure_forms），每个指标一行：该表已报送但被退回时，"
        "报告写明这一原因",
        (
            ("template", "varchar", "模板编号，如investment_progress"),
            (
                "measure",
                "varchar",
                "按数据计算的指标（pipeline/rules.py Measure），如investment_completion_rate",
            ),
        ),
    ),
    "figure_warnings": (
        "可能使报告数字有误的接收警告（pipeline/problems.py FIGURE_WARNINGS），每条规则一行：文件仍有效时报告的数据质量提示逐项目列出",
        (
            ("rule", "varchar", "规则编号（ops.validation_issues.rule）"),
            (
                "family",
                "varchar",
                "提示的类别：other_year 与另一年度相同、left_in_force 重报未列的项目仍计入、replaced 重报后原数据不再计入、"
                "area 面积单位疑似填错、reading 填写读法不明确",
            ),
            ("rule_zh", "varchar", "规则的中文名称（回执所用）"),
        ),
    ),
}


def write_config(con: duckdb.DuckDBPyConnection, rules: Rules, years: list[int], registry: Registry) -> None:
    """Materialise each year's rules, and the registry's names of its forms, as config.* tables the models join on,
    each table and column commented."""
    con.execute("create schema if not exists config")
    rows: dict[str, list[tuple]] = {table: [] for table in CONFIG_TABLES}
    rows["forms"].extend((t.id, t.name_zh) for t in registry.templates.values())
    rows["amount_checks"].extend(amount_checks())
    rows["stated_tolerances"].append((SCORE_TOLERANCE, EXECUTION_TOLERANCE, INDICATOR_SCORE_TOLERANCE))
    rows["measure_forms"].extend(load_report_notes().forms_of_measures(registry))
    rows["figure_warnings"].extend((rule, family, RULE_ZH[rule]) for rule, family in FIGURE_WARNINGS.items())
    for year in sorted(set(years) | set(rules.years)):
        rule = rules.for_year(year)
        rows["light_bands"].extend(
            (year, str(band.light), severity, band.up_to) for severity, band in enumerate(rule.lights)
        )
        rows["scoring"].append((year, rule.scoring.budget_execution_points, rule.scoring.indicator_points))
        rows["qualitative"].extend((year, outcome, share) for outcome, share in rule.qualitative.items())
        rows["qualitative_words"].extend(
            (year, word, outcome) for word, outcome in rule.qualitative_words.items()
        )
        rows["grades"].extend((year, grade.grade, grade.from_score) for grade in rule.grades)
        rows["bindings"].extend(
            (
                year,
                position,
                binding.contains,
                str(binding.measure),
                binding.measure in RATE_MEASURES,
                MEASURE_UNITS[binding.measure],
                MEASURE_COUNTS.get(binding.measure),
            )
            for position, binding in enumerate(rule.bindings)
        )
        rows["negative_list"].extend((year, purpose) for purpose in rule.negative_list)
    for table, (comment, columns) in CONFIG_TABLES.items():
        con.execute(
            f"create or replace table config.{table} ({', '.join(f'{name} {kind}' for name, kind, _ in columns)})"
        )
        if rows[table]:
            con.executemany(
                f"insert into config.{table} values ({', '.join('?' * len(columns))})", rows[table]
            )
        con.execute(f"comment on table config.{table} is {sql_literal(comment)}")
        for name, _, note in columns:
            con.execute(f"comment on column config.{table}.{name} is {sql_literal(note)}")
