"""Give rows stored before projects had codes their code and their slices the keys it makes (a migration)."""

from __future__ import annotations

import logging

import duckdb

from pipeline.offices import Offices
from pipeline.projects import REGISTER_TEMPLATE, ProjectRegister, derived_code
from pipeline.registry import Registry
from pipeline.registry_templates import Template
from pipeline.slice_keys import slice_key
from pipeline.superseded import supersede

logger = logging.getLogger(__name__)


def backfill_codes(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Give rows stored before projects had codes their code, and key their slices by it; safe to repeat.

    Register rows get their 项目编码 or a derived code; other rows the code their name resolves to, as ingest
    would have. A row whose name matches several projects keeps no code (and stays out of staging).
    """
    templates = [t for t in registry.templates.values() if "project" in t.slice]
    templates.sort(key=lambda t: t.id != REGISTER_TEMPLATE)  # the register first: the others resolve by it
    register: ProjectRegister | None = None
    for template in templates:
        table = f"raw.{template.id}"
        is_register = template.id == REGISTER_TEMPLATE
        legacy = "project_code_derived is null" if is_register else "project_code is null"
        if not con.execute(f"select count(*) from {table} where {legacy}").fetchone()[0]:
            continue
        month = "month" if "month" in template.slice else "null"
        extra = ", project_code, implementing_unit" if is_register else ""
        rows = con.execute(
            f"select submission_id, sheet, excel_row, slice_key, unit, project_name, year, {month}{extra} "
            f"from {table} where {legacy} and project_name is not null"
        ).fetchall()
        if not is_register and register is None:
            register = ProjectRegister.from_warehouse(con)
        mapping, unresolved = [], set()
        for number, sheet, excel_row, old_key, unit, name, year, month_value, *given in rows:
            derived = None
            if is_register:
                code, implementer = given
                derived = not code
                code = code or derived_code(implementer, name)
            else:
                code = register.resolve(name, year, unit, registry.offices).code if year is not None else None
                if code is None:
                    unresolved.add((unit, name, year))
                    continue
            record = {"unit": unit, "project_code": code, "year": year, "month": month_value}
            new_key = slice_key(template.id, record, template.slice)
            mapping.append((number, sheet, excel_row, old_key, code, new_key, derived))
        for unit, name, year in sorted(unresolved, key=str):
            logger.warning(
                "%s：%s %s年度的“%s”无法对应到唯一的项目编码，这些行不计入指标", table, unit, year, name
            )
        if mapping:
            _rekey(con, template, mapping, is_register)


# Rows (of `t`) filed under a registered project that their year's register does not list: another year's project.
FILED_UNDER_OTHER_YEAR = (
    "project_name is not null and project_code in (select project_code from staging.project_register) "
    "and year in (select year from staging.project_register) and not exists ("
    "  select 1 from staging.project_register as r where r.project_code = t.project_code and r.year = t.year"
    ")"
)


def _code_of_its_year(
    register: ProjectRegister, name: str, year: int, unit: str | None, code: str, offices: Offices
) -> str | None:
    """Return the code the year's register gives the name, when it is another registered for that year."""
    new = register.resolve(name, year, unit, offices).code
    if new is None or new == code or all(r.year != year for r in register.rows_of(new) if r.current):
        return None
    return new


def rekey_provisional(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Move rows filed under another year's project to the project their year's register now lists by that name.

    A file of a year no register listed yet names its project by the nearest earlier year's register (January's
    月报 before the new year's register): once that year's register lists the name under another code (the bureau
    numbering its projects), the year's later files resolve to that code, and the earlier ones, left under the old
    one, would be a second project of the year, its months and money split between the two. A code registered for
    no year in force (its register withdrawn) is left as it is, as `pipeline withdraw` says.
    """
    register: ProjectRegister | None = None
    for template in registry.templates.values():
        if "project" not in template.slice or template.id == REGISTER_TEMPLATE:
            continue
        month = "month" if "month" in template.slice else "null"
        rows = con.execute(
            f"select submission_id, sheet, excel_row, slice_key, unit, project_name, year, {month}, project_code "
            f"from raw.{template.id} as t where year is not null and {FILED_UNDER_OTHER_YEAR}"
        ).fetchall()
        if not rows:
            continue
        register = register or ProjectRegister.from_warehouse(con)
        mapping = []
        for number, sheet, excel_row, old_key, unit, name, year, month_value, code in rows:
            new = _code_of_its_year(register, name, year, unit, code, registry.offices)
            if new is None:
                continue
            record = {"unit": unit, "project_code": new, "year": year, "month": month_value}
            mapping.append(
                (number, sheet, excel_row, old_key, new, slice_key(template.id, record, template.slice), None)
            )
        if mapping:
            _rekey(con, template, mapping, False)
    _rekey_returned(con, register, registry.offices)


def _rekey_returned(
    con: duckdb.DuckDBPyConnection, register: ProjectRegister | None, offices: Offices
) -> None:
    """Move returned files' slices filed under another year's project, as their stored rows would have been."""
    # Left under last year's code, the year's report said a form sent and returned had never been sent.
    rows = con.execute(
        f"select distinct unit, project_name, year, project_code from ops.returned_slices as t "
        f"where {FILED_UNDER_OTHER_YEAR}"
    ).fetchall()
    if not rows:
        return
    register = register or ProjectRegister.from_warehouse(con)
    for unit, name, year, code in rows:
        new = _code_of_its_year(register, name, year, unit, code, offices)
        if new is None:
            continue
        con.execute(
            "update ops.returned_slices set project_code = ? where unit is not distinct from ? "
            "and project_name = ? and year = ? and project_code = ?",
            [new, unit, name, year, code],
        )


def _rekey(con: duckdb.DuckDBPyConnection, template: Template, mapping: list, is_register: bool) -> None:
    """Store the codes and new slice keys of these rows, rebuild their slices, and supersede what they replace."""
    import pandas as pd

    frame = pd.DataFrame(
        mapping,
        columns=["submission_id", "sheet", "excel_row", "old_key", "project_code", "new_key", "derived"],
        dtype=object,
    )
    table = f"raw.{template.id}"
    month = "month" if "month" in template.slice else "null::integer"
    con.register("project_code_backfill", frame)
    try:
        derived = ", project_code_derived = m.derived::boolean" if is_register else ""
        con.execute(
            f"update {table} set project_code = m.project_code, slice_key = m.new_key{derived} "
            f"from project_code_backfill as m where {table}.submission_id = m.submission_id::integer "
            f"and {table}.sheet = m.sheet and {table}.excel_row = m.excel_row::integer "
            f"and {table}.slice_key = m.old_key"
        )
        con.execute(
            "delete from ops.slices using (select distinct submission_id::integer as submission_id, old_key "
            "from project_code_backfill) as m "
            "where ops.slices.submission_id = m.submission_id and ops.slices.slice_key = m.old_key"
        )
        con.execute(
            f"""
            insert into ops.slices (submission_id, template, slice_key, unit, project_name, year, month, row_count,
                project_code)
            select submission_id, ?, slice_key, any_value(unit), min(project_name), any_value(year),
                any_value({month}), count(*), any_value(project_code)
            from {table} as t
            where exists (
                select 1 from project_code_backfill as m
                where m.submission_id::integer = t.submission_id and m.new_key = t.slice_key
            )
            group by submission_id, slice_key
            """,
            [template.id],
        )
        # Slices that now share a key (a renamed project's old and new name) keep the newer file.
        supersede(
            con, {key for (key,) in con.execute("select new_key from project_code_backfill").fetchall()}
        )
    finally:
        con.unregister("project_code_backfill")
