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

from pipeline.config_tables import write_config
from pipeline.failures import note_under_marts_limit
from pipeline.indicator_values import read_indicator
from pipeline.receipts import write_receipts
from pipeline.registry import Registry
from pipeline.rules import Rules, load_rules
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.stated import settle_stated
from pipeline.text import first_said, item_key
from pipeline.warehouse import publish_pending, writer
from pipeline.warehouse_schema import SQL_DIR, ensure_schema

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
