"""ensure_schema: the ops, raw and staging objects made once per DDL, registry, code and DuckDB version."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.registry import RegistryError
from pipeline.registry_columns import ColumnType
from pipeline.warehouse_schema import ensure_schema


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        yield con


def views(con) -> set[str]:
    query = "select view_name from duckdb_views() where schema_name = 'staging'"
    return {name for (name,) in con.execute(query).fetchall()}


def stamps(con) -> list[str]:
    return [stamp for (stamp,) in con.execute("select stamp from ops.schema_stamp").fetchall()]


def test_a_warehouse_ensured_from_the_same_ddl_is_not_ensured_again(con, registry):
    ensure_schema(con, registry)
    made = views(con)
    assert "compound_list" in made and len(stamps(con)) == 1

    # Nothing but ensure_schema changes the writer's copy; a view gone behind its back shows it was not run again.
    con.execute("drop view staging.compound_list")
    ensure_schema(con, registry)
    assert views(con) == made - {"compound_list"}

    # A stamp from other DDL, other code or another DuckDB: every object is made again, and stamped anew.
    stamp = stamps(con)
    con.execute("update ops.schema_stamp set stamp = 'made by an older pipeline'")
    ensure_schema(con, registry)
    assert views(con) == made
    assert stamps(con) == stamp


def test_a_registry_change_is_made_in_a_stamped_warehouse(con, registry):
    fewer = registry.model_copy(
        update={"templates": {k: t for k, t in registry.templates.items() if k != "compound_list"}}
    )
    ensure_schema(con, fewer)
    assert "compound_list" not in views(con)
    first = stamps(con)

    ensure_schema(con, registry)  # a source added since (pipeline new-source)

    assert "compound_list" in views(con)
    assert con.execute("select count(*) from raw.compound_list").fetchone() == (0,)
    assert stamps(con) != first


def test_a_warehouse_made_before_stamps_is_ensured_and_stamped(con, registry):
    ensure_schema(con, registry)
    stamp = stamps(con)
    con.execute("drop table ops.schema_stamp")
    con.execute("drop view staging.compound_list")

    ensure_schema(con, registry)

    assert "compound_list" in views(con)
    assert stamps(con) == stamp


def retyped(registry, template_id: str, column: str, new_type: ColumnType):
    """Return the registry with one column's type changed, as an engineer's edit of its YAML leaves it."""
    template = registry.template(template_id)
    columns = tuple(
        c.model_copy(update={"type": new_type}) if c.name == column else c for c in template.columns
    )
    changed = template.model_copy(update={"columns": columns})
    return registry.model_copy(update={"templates": registry.templates | {template_id: changed}})


def column_type(con, table: str, column: str) -> str:
    query = "select data_type from duckdb_columns() where schema_name = 'raw' and table_name = ? and column_name = ?"
    return con.execute(query, [table, column]).fetchone()[0]


def test_a_column_whose_type_changes_in_the_registry_changes_type_in_raw(con, registry):
    # It kept its first type: 户数 made a decimal stayed BIGINT, and 12.5 was stored as 13.
    ensure_schema(con, registry)
    con.execute("insert into raw.compound_list (submission_id, households) values (1, 35)")

    ensure_schema(con, retyped(registry, "compound_list", "households", ColumnType.DECIMAL))

    assert column_type(con, "compound_list", "households") == "DECIMAL(18,6)"
    con.execute("insert into raw.compound_list (submission_id, households) values (2, 12.5)")
    assert con.execute("select households from raw.compound_list order by submission_id").fetchall() == [
        (Decimal(35),),
        (Decimal("12.5"),),
    ]


def test_a_type_change_stored_values_cannot_take_is_refused_naming_the_column(con, registry):
    ensure_schema(con, registry)
    con.execute("insert into raw.compound_list (submission_id, area_m2) values (1, 12.5)")

    with pytest.raises(
        RegistryError, match=r"compound_list\.yaml: column 'area_m2' is now BIGINT, but 1 value"
    ):
        ensure_schema(con, retyped(registry, "compound_list", "area_m2", ColumnType.COUNT))

    assert column_type(con, "compound_list", "area_m2") == "DECIMAL(18,4)"
