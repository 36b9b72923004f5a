"""Build the indicator tables (`mart.*`) from staging with the year's rules, in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from decimal import Decimal
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from pipeline.registry import Registry
from pipeline.rules import Rules, load_rules
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.validate import EXPECTATIONS_DIR, OVER_PLANNED
from pipeline.values import read_indicator
from pipeline.warehouse import SQL_DIR, ensure_schema, writer

MODEL_DIRS = ("intermediate", "mart")
_REFERENCE = re.compile(r"\b(intermediate|mart)\.([a-z_]+)\b")
_NUMBER = duckdb.decimal_type(28, 10)
# pipeline.values.Indicator as the models see it.
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
    }
)


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
        suite = json.loads(path.read_text(encoding="utf-8"))
        for expectation in suite.get("expectations", []):
            rule, kwargs = expectation["meta"].get("rule"), expectation["kwargs"]
            if rule in SCALE_RULES and "max_value" in kwargs:
                column = kwargs["column"].removesuffix(OVER_PLANNED)
                found.append((suite["name"], column, rule, Decimal(str(kwargs["max_value"]))))
    return found


def write_config(con: duckdb.DuckDBPyConnection, rules: Rules, years: list[int]) -> None:
    """Materialise each year's rules as config.* tables the models join on."""
    con.execute("create schema if not exists config")
    tables = {
        "light_bands": ("year integer, light varchar, severity integer, up_to_points decimal(18, 6)", []),
        "scoring": (
            "year integer, budget_execution_points decimal(18, 6), indicator_points decimal(18, 6)",
            [],
        ),
        "qualitative": ("year integer, outcome varchar, share decimal(18, 6)", []),
        "qualitative_words": ("year integer, word varchar, outcome varchar", []),
        "grades": ("year integer, grade varchar, from_score decimal(18, 6)", []),
        "bindings": ("year integer, position integer, contains varchar, measure varchar", []),
        "negative_list": ("year integer, expense_purpose varchar", []),
        "amount_checks": (
            "template varchar, column_name varchar, rule varchar, max_value decimal(28, 10)",
            amount_checks(),
        ),
    }
    for year in sorted(set(years) | set(rules.years)):
        rule = rules.for_year(year)
        tables["light_bands"][1].extend(
            (year, str(band.light), severity, band.up_to) for severity, band in enumerate(rule.lights)
        )
        tables["scoring"][1].append(
            (year, rule.scoring.budget_execution_points, rule.scoring.indicator_points)
        )
        tables["qualitative"][1].extend((year, outcome, share) for outcome, share in rule.qualitative.items())
        tables["qualitative_words"][1].extend(
            (year, word, outcome) for word, outcome in rule.qualitative_words.items()
        )
        tables["grades"][1].extend((year, grade.grade, grade.from_score) for grade in rule.grades)
        tables["bindings"][1].extend(
            (year, position, binding.contains, str(binding.measure))
            for position, binding in enumerate(rule.bindings)
        )
        tables["negative_list"][1].extend((year, purpose) for purpose in rule.negative_list)
    for table, (columns, rows) in tables.items():
        con.execute(f"create or replace table config.{table} ({columns})")
        if rows:
            placeholders = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into config.{table} values ({placeholders})", rows)
    con.execute(
        "comment on table config.light_bands is '预警灯阈值（registry/rules.yaml），每年度每盏灯一行'"
    )
    con.execute(
        "comment on table config.amount_checks is "
        "'金额量级核对（expectations/中规则为exceeds_planned_total、amount_implausible的检查）：每个模板每个金额列一行'"
    )
    for column, note in (
        ("template", "模板编号"),
        ("column_name", "金额列名（万元）"),
        (
            "rule",
            "exceeds_planned_total：一行金额超过项目当年登记的计划总投资；amount_implausible：金额本身过大",
        ),
        ("max_value", "允许的上限：超出计划总投资的部分，或金额本身（万元）"),
    ):
        con.execute(f"comment on column config.amount_checks.{column} is '{note}'")
    con.execute(
        "comment on table config.qualitative_words is "
        "'定性指标完成情况的其他写法（registry/rules.yaml qualitative_words），每年度每种写法一行'"
    )
    for column, note in (
        ("year", "年度"),
        ("word", "单位填写的写法，如达成预期指标"),
        ("outcome", "视同的完成情况，如达成"),
    ):
        con.execute(f"comment on column config.qualitative_words.{column} is '{note}'")


def _reading(target_text: str | None, reported_text: str | None) -> dict:
    reading = read_indicator(target_text, reported_text)
    return {name: getattr(reading, name) for name, _ in _READING.children}


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Let the models read 年度指标值 and 实际完成值 with the parser's own `read_indicator`."""
    # One reading for both: the value a score uses is the one the clerk's receipt named.
    with contextlib.suppress(duckdb.InvalidInputException):
        con.remove_function("read_indicator")  # registered by an earlier rebuild on this connection
    con.create_function(
        "read_indicator",
        _reading,
        ["VARCHAR", "VARCHAR"],
        _READING,
        null_handling="special",
        side_effects=False,
    )


def rebuild(con: duckdb.DuckDBPyConnection, rules: Rules) -> None:
    """Rebuild the rules tables and every model in one transaction; on failure nothing changes."""
    con.execute("begin")
    try:
        con.execute("create schema if not exists intermediate")
        con.execute("create schema if not exists mart")
        con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
        register_functions(con)
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
        write_config(con, rules, data_years(con))
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


def build_indicators(settings: Settings, registry: Registry, year: int | None = None) -> int:
    """Rebuild the marts from the warehouse, under the run lock; return the reporting year (default: the latest
    year with a register that is not in the future)."""
    with run_lock(settings, purpose="indicators"), writer(settings.warehouse, settings.export) as con:
        con.execute("set memory_limit = ?", [settings.marts_memory_limit])  # see Settings.marts_memory_limit
        ensure_schema(con, registry)
        rebuild(con, load_rules())
        years = data_years(con)
        registered = {
            y for (y,) in con.execute("select distinct year from staging.project_register").fetchall()
        }
    if year is None:
        if not years:
            raise NoDataError("仓库中还没有任何已接收的数据，无法计算指标。")
        return default_year(years, registered)
    if year not in years:
        raise NoDataError(
            f"仓库中没有{year}年度的已接收数据（已有年度：{'、'.join(map(str, years)) or '无'}）。"
        )
    return year
