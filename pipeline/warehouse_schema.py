"""Keep the warehouse's schema in step with the registry and `sql/`: ops, raw tables and staging views, once per stamp."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from pipeline.raw_tables import raw_columns
from pipeline.registry import Registry, RegistryError
from pipeline.registry_templates import Template
from pipeline.relations import has_relation
from pipeline.text import first_said
from pipeline.unread_recode import recode_unread

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# The warehouse's schemas, as its models name them (schema.table, whatever database the warehouse is opened as).
SCHEMAS = ("ops", "raw", "staging", "intermediate", "mart", "config")


def sql_literal(text: str) -> str:
    """Quote text as a SQL string literal, for statements that take no parameters (ATTACH, COMMENT ON, SET)."""
    return "'" + text.replace("'", "''") + "'"


def ensure_raw_table(con: duckdb.DuckDBPyConnection, template: Template) -> None:
    """Create the template's raw table, or add the columns a registry change introduced."""
    table = f"raw.{template.id}"
    columns = raw_columns(template)
    definition = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in columns)
    con.execute(f"create table if not exists {table} ({definition})")
    for name, sql_type, _ in columns:
        con.execute(f"alter table {table} add column if not exists {name} {sql_type}")
    _retype_columns(con, template, columns)
    con.execute(
        f"comment on table {table} is {sql_literal(f'原始层：{template.name_zh}，每个已接收数据行一行')}"
    )
    for name, _, note in columns:
        con.execute(f"comment on column {table}.{name} is {sql_literal(note)}")


def _retype_columns(
    con: duckdb.DuckDBPyConnection, template: Template, columns: list[tuple[str, str, str]]
) -> None:
    """Give each raw column the SQL type its registry column now has, refusing a change stored values cannot take."""
    # A column kept its first type: 培训人次 changed from count to decimal stayed BIGINT, and 12.5 was stored as 13.
    table = f"raw.{template.id}"
    stored = dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = 'raw' and table_name = ?",
            [template.id],
        ).fetchall()
    )
    for name, sql_type, _ in columns:
        (wanted,) = con.execute(f"select typeof(cast(null as {sql_type}))").fetchone()
        old = stored[name]
        if old == wanted:
            continue
        # Every stored value must come back unchanged from the new type: 35 as decimal, not 12.5 as bigint.
        (lost,) = con.execute(
            f"select count(*) from {table} where {name} is not null "
            f"and try_cast(try_cast({name} as {wanted}) as {old}) is distinct from {name}"
        ).fetchone()
        if lost:
            raise RegistryError(
                f"registry/sources/{template.id}.yaml",
                f"column {name!r} is now {wanted}, but {lost} value(s) stored in "
                f"{table}.{name} as {old} cannot be held as {wanted}; keep its type, or give the column a new name",
            )
        con.execute(f"alter table {table} alter column {name} set data type {wanted}")


def lags_registry(con: duckdb.DuckDBPyConnection, registry: Registry) -> bool:
    """Say whether the registry has raw tables or columns this warehouse was not yet given."""
    held = set(
        con.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'raw'"
        ).fetchall()
    )
    return any((t.id, name) not in held for t in registry.templates.values() for name, _, _ in raw_columns(t))


def settle_slice_layouts(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Record each template's slice fields, refusing a change while files keyed the old way are in force."""
    # A changed slice does not re-key stored files: a yearly list made monthly kept its yearly slice in force
    # beside the new monthly ones, and the marts added both. Re-keying is no cure either: monthly slices made
    # yearly would leave one month's file in force for the year and drop the rest without a word.
    stored = dict(con.execute("select template, slice_fields from ops.template_slices").fetchall())
    for template in registry.templates.values():
        wanted = ",".join(template.slice)
        if stored.get(template.id) == wanted:
            continue
        in_force = con.execute(
            "select s.submission_id, len(string_split(s.slice_key, '|')) - 1 from ops.current_slices as c "
            "join ops.slices as s using (submission_id, slice_key) where s.template = ? order by 1",
            [template.id],
        ).fetchall()
        # A warehouse made before the fields were recorded: a key of another length shows the slice changed.
        lengths = sorted({n for _, n in in_force if n != len(template.slice)})
        old = stored.get(template.id) or (f"{lengths[0]} field(s)" if lengths else None)
        files = sorted({number for number, _ in in_force})
        if old is not None and files:
            shown = ", ".join(map(str, files[:10])) + (" …" if len(files) > 10 else "")
            raise RegistryError(
                f"registry/sources/{template.id}.yaml",
                f"slice is now [{', '.join(template.slice)}] but was "
                f"[{old.replace(',', ', ')}], and {len(files)} file(s) keyed the old way are in force "
                f"(ops.submissions {shown}); the next files would be counted beside them. Put the slice back, "
                f"withdraw those files (pipeline withdraw ID --reason …) and then change it and have them sent again",
            )
        con.execute("insert or replace into ops.template_slices values (?, ?)", [template.id, wanted])


def staging_models() -> list[Path]:
    """Return the staging models, one per file, in name order."""
    return sorted((SQL_DIR / "staging").glob("stg_*.sql"))


def _set_aside_for_new_checks(con: duckdb.DuckDBPyConnection) -> str | None:
    """Move aside an older data root's ops.submissions whose status check lacks a newer status; return where.

    DuckDB cannot alter a CHECK constraint, so the table is rebuilt by schema.sql and its rows copied back.
    """
    checks = con.execute(
        "select constraint_text from duckdb_constraints() where schema_name = 'ops' "
        "and table_name = 'submissions' and constraint_type = 'CHECK'"
    ).fetchall()
    if not checks or any("withdrawn" in text for (text,) in checks):
        return None
    con.execute("create table ops.submissions_before_withdrawn as select * from ops.submissions")
    con.execute("drop table ops.submissions")
    return "ops.submissions_before_withdrawn"


def _schema_stamp(registry: Registry, schema: str, models: list[tuple[str, str]]) -> str:
    """Fingerprint what `ensure_schema` creates: the DDL it runs, the code that runs it, and DuckDB's version."""
    made_of = hashlib.sha256()
    for part in (
        duckdb.__version__,
        Path(__file__).read_text(encoding="utf-8"),  # how the DDL is run, the raw tables' comments too
        schema,
        repr([(t.id, t.name_zh, raw_columns(t)) for t in registry.templates.values()]),
        repr(models),
    ):
        made_of.update(part.encode("utf-8"))
        made_of.update(b"\0")
    return made_of.hexdigest()


def _stamped(con: duckdb.DuckDBPyConnection, stamp: str) -> bool:
    """Say whether this warehouse's objects were last ensured from the same DDL, code and DuckDB."""
    return (
        has_relation(con, "ops", "schema_stamp")
        and con.execute("select count(*) from ops.schema_stamp where stamp = ?", [stamp]).fetchone()[0] == 1
    )


def _stamp(con: duckdb.DuckDBPyConnection, stamp: str) -> None:
    # The stamp alone, no time: two runs storing the same files leave the same warehouse (tests compare them whole).
    con.execute("create or replace table ops.schema_stamp (stamp varchar not null)")
    con.execute("insert into ops.schema_stamp values (?)", [stamp])
    con.execute(
        "comment on table ops.schema_stamp is '仓库结构的指纹：建立 ops、raw、staging 对象的语句、执行它们的代码和 "
        "DuckDB 版本未变时，启动时不再重复执行（一行）'"
    )
    con.execute("comment on column ops.schema_stamp.stamp is '上述内容的 SHA-256'")


def _build_view(con: duckdb.DuckDBPyConnection, name: str, text: str) -> None:
    """Run one staging model; refuse one that does not build, naming its file, as a broken registry is refused."""
    try:
        con.execute(text)
    except (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException) as exc:
        # A view edited by hand (docs/adding-a-source.md) that did not build stopped the night telling the operator
        # to check the disk and restore a backup, naming no file.
        template_id = name.removeprefix("stg_").removesuffix(".sql")
        raise RegistryError(
            SQL_DIR / "staging" / name,
            f"the staging view does not build ({first_said(exc)}); correct it, or "
            f"delete it and run `pipeline new-source {template_id} --regenerate` to write it again",
        ) from exc


def ensure_schema(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Create ops, raw and staging objects; safe to run on every start."""
    schema = (SQL_DIR / "ops" / "schema.sql").read_text(encoding="utf-8")
    models = [
        (model.name, model.read_text(encoding="utf-8"))
        for model in staging_models()
        if model.stem.removeprefix("stg_") in registry.templates
    ]
    stamp = _schema_stamp(registry, schema, models)
    con.execute("begin")
    try:
        # Its eighty-odd statements took a tenth to a third of a second on every start; the writer's own copy
        # changes only through this function, so a matching stamp means every object is there as it would make it.
        if not _stamped(con, stamp):
            moved = _set_aside_for_new_checks(con)
            con.execute(schema)
            if moved:
                con.execute(f"insert into ops.submissions by name select * from {moved}")
                con.execute(f"drop table {moved}")
            for template in registry.templates.values():
                ensure_raw_table(con, template)
            for name, text in models:
                _build_view(con, name, text)
            # Stamped since: a data root from before the split recodes its warnings once, with this code's stamp.
            recode_unread(con)
            _stamp(con, stamp)
        from pipeline.code_backfill import backfill_codes  # imported here: it stores as the intake does

        backfill_codes(con, registry)  # rows stored before projects had codes get theirs
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
