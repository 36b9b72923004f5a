"""ensure_schema: the ops, raw and staging objects made once per DDL, registry, code and DuckDB version."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.registry import RegistryError
from pipeline.registry_columns import ColumnType
from pipeline.warehouse_schema import ensure_schema, settle_slice_layouts


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


def sliced(registry, template_id: str, fields: tuple[str, ...]):
    """Return the registry with one template's slice changed, as a data engineer's edit would."""
    templates = dict(registry.templates)
    templates[template_id] = templates[template_id].model_copy(update={"slice": fields})
    return registry.model_copy(update={"templates": templates})


def test_a_fresh_warehouse_records_every_templates_slice(con, registry):
    ensure_schema(con, registry)
    settle_slice_layouts(con, registry)
    assert dict(con.execute("select template, slice_fields from ops.template_slices").fetchall()) == {
        t.id: ",".join(t.slice) for t in registry.templates.values()
    }


@pytest.mark.slow  # 5 s or more on two cores
def test_a_slice_changed_while_files_keyed_the_old_way_are_in_force_is_refused(settings, registry):
    from pipeline.warehouse import publish_pending
    from pipeline.withdraw import withdraw
    from tests.pipeline.test_later_months import CORRECTED, FIRST, REGISTER
    from tests.pipeline.test_projects import marts, take_in

    take_in(settings, registry, REGISTER, FIRST)
    [(first,)] = marts(
        settings, "select submission_id from ops.submissions where original_name = '投资进度.csv'"
    )
    yearly = sliced(registry, "investment_progress", ("unit", "project", "year"))

    # Before, the correction was stored under the yearly key beside the first file's three monthly slices, and
    # staging held months 1 and 2 twice.
    with pytest.raises(
        RegistryError,
        match=rf"investment_progress\.yaml: slice is now \[unit, project, year\] but was "
        rf"\[unit, project, year, month\], and 1 file\(s\).*submissions {first}\)",
    ):
        take_in(settings, yearly, CORRECTED)
    assert marts(settings, "select month from staging.investment_progress order by month") == [
        (1,),
        (2,),
        (7,),
    ]
    assert marts(settings, "select count(*) from ops.submissions where original_name like '%更正%'") == [(0,)]

    # Once the file keyed the old way is withdrawn, the change is taken and the correction stands alone.
    withdraw(settings, yearly, first, "月报改为按年度报送")
    publish_pending(settings.warehouse)
    assert [o.status for o in take_in(settings, yearly).values()] == ["accepted"]
    assert marts(settings, "select month from staging.investment_progress order by month") == [
        (1,),
        (2,),
        (6,),
    ]
    assert marts(
        settings, "select slice_fields from ops.template_slices where template = 'investment_progress'"
    ) == [("unit,project,year",)]


def test_a_warehouse_made_before_slices_were_recorded_shows_a_change_by_its_keys(
    settings, registry, register
):
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("delete from ops.template_slices")  # as a warehouse made before the table was
        with pytest.raises(
            RegistryError, match=r"project_register\.yaml: slice is now \[year\] but was \[3 field"
        ):
            settle_slice_layouts(con, sliced(registry, "project_register", ("year",)))
        settle_slice_layouts(con, registry)  # the same slice as the keys: recorded, not refused
        assert con.execute(
            "select slice_fields from ops.template_slices where template = 'project_register'"
        ).fetchone() == (",".join(registry.templates["project_register"].slice),)


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (("        source.households,\n", "        source.household,\n"), "Binder Error"),
        (("select * from final;", "select * from final"), "Parser Error"),
    ],
)
def test_a_staging_view_edited_by_hand_that_does_not_build_is_refused_naming_its_file(
    con, registry, monkeypatch, tmp_path, edit, said
):
    import shutil

    import pipeline.warehouse_schema as schema_module

    # docs/adding-a-source.md invites editing a view by hand; one that did not build stopped the night telling the
    # operator to check the disk and restore a backup (数据仓库操作失败), naming no file.
    shutil.copytree(schema_module.SQL_DIR, tmp_path / "sql")
    model = tmp_path / "sql" / "staging" / "stg_compound_list.sql"
    text = model.read_text(encoding="utf-8")
    assert edit[0] in text
    model.write_text(text.replace(*edit), encoding="utf-8")
    monkeypatch.setattr(schema_module, "SQL_DIR", tmp_path / "sql")

    with pytest.raises(RegistryError) as raised:
        ensure_schema(con, registry)

    assert str(raised.value).startswith(f"{model}: the staging view does not build ({said}")
    assert not views(con)  # nothing made: rolled back whole
