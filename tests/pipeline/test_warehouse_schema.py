"""ensure_schema: the ops, raw and staging objects made once per DDL, registry, code and DuckDB version."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.warehouse import ensure_schema


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
