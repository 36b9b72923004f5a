"""Build the indicator tables (`mart.*`) from staging with the year's rules, in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from decimal import Decimal
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.derived_frames import OVER_PLANNED
from pipeline.failures import note_under_marts_limit
from pipeline.indicator_values import read_indicator
from pipeline.problems import FIGURE_WARNINGS, RULE_ZH
from pipeline.receipts import write_receipts
from pipeline.registry import Registry
from pipeline.rules import MEASURE_COUNTS, MEASURE_UNITS, RATE_MEASURES, Rules, load_rules
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.stated import settle_stated
from pipeline.suites import EXPECTATIONS_DIR, read_suite
from pipeline.text import first_said, item_key
from pipeline.warehouse import publish_pending, writer
from pipeline.warehouse_schema import SQL_DIR, ensure_schema, sql_literal

if TYPE_CHECKING:
    from pipeline.export import Beside

logger = logging.getLogger(__name__)

MODEL_DIRS = ("intermediate", "mart")
_REFERENCE = re.compile(r"\b(intermediate|mart)\.([a-z_]+)\b")
_NUMBER = duckdb.decimal_type(28, 10)
# pipeline.indicator_values.Indicator as the models see it.
_READING = duckdb.struct_type(
    {
        "operator": "VARCHAR",
        "target_number": _NUMBER,
        "target_unit": "VARCHAR",
        "reported_number": _NUMBER,
        "reported_unit": "VARCHAR",
        # registry/units.yaml's factors to each measure's base unit: the models convert with these alone.
        "target_factor": _NUMBER,
        "reported_factor": _NUMBER,
        # What the target's unit measures (Indicator.target_measure): a binding holds only where it is the measure's.
        "target_measure": "VARCHAR",
        # What a count target counts (Indicator.target_counts): 户数 binds a target in 户, never one in 人.
        "target_counts": "VARCHAR",
    }
)
# What the Python function hands DuckDB: the same fields, numbers as text. DuckDB converts a returned Decimal about ten
# times slower than text, and casts text to DECIMAL as it converts a Decimal (rounded to 10 places alike).
_READING_TEXT = duckdb.struct_type({name: "VARCHAR" for name, _ in _READING.children})
_READING_FIELDS = tuple(name for name, _ in _READING.children)


class NoDataError(LookupError):
    """The warehouse holds no accepted data for the year asked for."""


def model_name(path: Path) -> str:
    """Name the object a model file creates: sql/intermediate/int_x.sql → intermediate.x."""
    return f"{path.parent.name}.{path.stem.removeprefix('int_')}"


def models() -> list[Path]:
    """Return every intermediate and mart model, each after the models it reads."""
    paths = {model_name(p): p for d in MODEL_DIRS for p in sorted((SQL_DIR / d).glob("*.sql"))}
    graph = {
        name: {f"{schema}.{table}" for schema, table in _REFERENCE.findall(path.read_text(encoding="utf-8"))}
        & (paths.keys() - {name})
        for name, path in paths.items()
    }
    return [paths[name] for name in TopologicalSorter(graph).static_order()]


def data_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Return the years any accepted submission reports on."""
    return [
        year
        for (year,) in con.execute(
            "select distinct year from intermediate.project_years order by 1"
        ).fetchall()
    ]


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


def _reading(
    target_text: str | None,
    reported_text: str | None,
    target_unit: str | None,
    reported_unit: str | None,
    rate: bool | None,
    level3: str | None,
) -> tuple[str | None, ...]:
    reading = read_indicator(target_text, reported_text, target_unit, reported_unit, bool(rate), level3)
    return tuple(
        format(value, "f") if isinstance(value, Decimal) else value
        for value in (getattr(reading, name) for name in _READING_FIELDS)
    )


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Give the models the parser's own readings: `read_indicator` for 年度指标值 and 实际完成值, `item_key` for lists."""
    # One reading for both: the value a score uses is the one the clerk's receipt named.
    with contextlib.suppress(duckdb.InvalidInputException):
        con.remove_function("read_indicator_text")  # registered by an earlier rebuild on this connection
    con.create_function(
        "read_indicator_text",
        _reading,
        ["VARCHAR"] * 4 + ["BOOLEAN", "VARCHAR"],
        _READING_TEXT,
        null_handling="special",
        side_effects=False,
    )
    # The marts hold a text against a list (`checked_as_item`: 支出用途 against the negative list) as the suites do.
    with contextlib.suppress(duckdb.InvalidInputException):
        con.remove_function("item_key")
    con.create_function("item_key", item_key, ["VARCHAR"], "VARCHAR", side_effects=False)
    con.execute(
        "create or replace temp macro read_indicator(target_text, reported_text, target_unit, reported_unit, rate, "
        f"level3) as cast(read_indicator_text(target_text, reported_text, target_unit, reported_unit, rate, level3) "
        f"as {_READING})"
    )


# What a warned row needs to be placed on its project and year (mart.open_warnings).
ROW_PLACE = ("submission_id", "sheet", "excel_row", "project_code", "project_name", "year")


def register_rows_in_force(con: duckdb.DuckDBPyConnection) -> None:
    """Define the table macro `intermediate.rows_in_force()`: every staging view's rows, each with its place."""
    # From the catalog, not a list written in a model: a template added to the registry (`pipeline new-source`)
    # has its rows placed without anyone editing SQL. An explicit union reads only these columns.
    views = [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.columns where table_schema = 'staging' "
            "and column_name in (select unnest(?)) group by table_name having count(*) = ? order by table_name",
            [list(ROW_PLACE), len(ROW_PLACE)],
        ).fetchall()
    ]
    if not views:
        raise RuntimeError("staging 中没有带项目和年度的视图：仓库未按登记簿建立")
    columns = ", ".join(ROW_PLACE)
    union = " union all ".join(f'select {columns} from staging."{view}"' for view in views)
    con.execute(f"create or replace macro intermediate.rows_in_force() as table {union}")
    con.execute(
        "comment on macro table intermediate.rows_in_force is '每个已接收报表的现行数据行及其项目和年度"
        "（各 staging 视图之和；提交编号、工作表、Excel行号、项目编码、项目名称、年度），供 mart.open_warnings 定位警告'"
    )


def rebuild(con: duckdb.DuckDBPyConnection, rules: Rules, registry: Registry) -> None:
    """Rebuild the rules tables and every model in one transaction; on failure nothing changes."""
    # Outside the transaction: a function registered inside one that is rolled back leaves the connection unable to
    # register it again (DuckDB 2.0 drops the catalog's entry and keeps its own), and a rebuild may be tried twice.
    register_functions(con)
    con.execute("begin")
    try:
        con.execute("create schema if not exists intermediate")
        con.execute("create schema if not exists mart")
        con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
        register_rows_in_force(con)
        # project_years is what tells the years, so it is created before the config it does not need; and, as
        # it reads no other model, not again.
        ordered = models()
        done = set()
        for path in ordered:
            if model_name(path) == "intermediate.project_years":
                text = path.read_text(encoding="utf-8")
                con.execute(text)
                if {".".join(ref) for ref in _REFERENCE.findall(text)} <= {model_name(path)}:
                    done.add(path)
        write_config(con, rules, data_years(con), registry)
        for path in ordered:
            if path not in done:
                con.execute(path.read_text(encoding="utf-8"))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def default_year(years: list[int], registered: set[int]) -> int:
    """Return the latest year with data that has a project register and is not in the future."""
    # A file for next year (planned ahead, or sent by mistake) must not move the published report to it.
    this_year = dt.datetime.now(TIMEZONE).year
    candidates = [y for y in years if y in registered and y <= this_year]
    if not candidates:
        raise NoDataError(
            f"仓库中有{'、'.join(map(str, years))}年度的数据，但没有哪一年既已报送项目基本信息表、又不晚于"
            f"{this_year}年，无法确定报告年度。请用 --year 指定，或先报送该年度的项目基本信息表。"
        )
    return max(candidates)


def rebuild_within_memory(
    con: duckdb.DuckDBPyConnection, rules: Rules, registry: Registry, limit: str
) -> None:
    """Rebuild the marts; if DuckDB runs out of memory, rebuild once more on one thread."""
    try:
        rebuild(con, rules, registry)
    except duckdb.OutOfMemoryException as exc:
        # Each of DuckDB's threads keeps its own hash tables, and not all of them can spill: near the limit one
        # thread fits where two do not (the demo's rebuild at 64MB failed 4 times in 30 on two threads, never on
        # one). The failed attempt was rolled back, so the second starts from the same warehouse.
        logger.warning(
            "指标重建超出内存上限 %s（%s），改用单线程重新计算",
            limit,
            first_said(exc),
        )
        threads = con.execute("select current_setting('threads')").fetchone()[0]
        con.execute("set threads = 1")
        try:
            rebuild(con, rules, registry)
        finally:
            con.execute(f"set threads = {int(threads)}")


def build_indicators(
    settings: Settings, registry: Registry, year: int | None = None, beside: Beside | None = None
) -> int:
    """Rebuild the marts from the warehouse, under the run lock; return the reporting year (default: the latest
    year with a register that is not in the future). With `beside`, the marts' export runs while the caller goes
    on (pipeline.export.beside).

    A load or withdrawal the writer left unpublished (`publish_it=False`: `pipeline run`, the DAG's `load_files`)
    goes out in the same version as the marts; if they cannot be rebuilt, it goes out alone and the failure is raised.
    """
    with run_lock(settings, purpose="indicators"):
        try:
            with writer(settings.warehouse, settings.export, beside=beside) as con:
                # See Settings.marts_memory_limit.
                con.execute("set memory_limit = ?", [settings.marts_memory_limit])
                ensure_schema(con, registry)
                rebuild_within_memory(con, load_rules(), registry, settings.marts_memory_limit)
                # A 自评表's stated figures are judged against the rebuilt marts; a changed judgement re-issues its
                # receipt.
                if settle_stated(con):
                    write_receipts(con, settings)
                years = data_years(con)
                registered = {
                    y for (y,) in con.execute("select distinct year from staging.project_register").fetchall()
                }
        except BaseException as exc:
            note_under_marts_limit(exc)
            # Readers get the night's files, with the marts before them, rather than nothing of it until a rebuild
            # that may fail again every night; the receipts already told the offices their files were taken in.
            publish_pending(settings.warehouse)
            raise
    if year is None:
        if not years:
            raise NoDataError("仓库中还没有任何已接收的数据，无法计算指标。")
        return default_year(years, registered)
    if year not in years:
        raise NoDataError(
            f"仓库中没有{year}年度的已接收数据（已有年度：{'、'.join(map(str, years)) or '无'}）。"
        )
    return year
