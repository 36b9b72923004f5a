"""Generate a template's staging view: the rows of the latest accepted submission of each slice."""

from __future__ import annotations

from pipeline.raw_tables import LINEAGE_COLUMNS, raw_columns
from pipeline.registry_templates import Template
from pipeline.warehouse_schema import sql_literal

# Columns every staging view leads with, before the template's own: lineage, then the slice fields.
LEADING_COLUMNS = tuple(name for name, _, _ in LINEAGE_COLUMNS if name != "slice_key")


GENERATED_SQL_MARK = (
    "-- Generated from registry/sources/{id}.yaml by `pipeline new-source {id} --regenerate`,"
)


def _slice_words(template: Template) -> str:
    words = {"unit": "submitting unit", "project": "project", "year": "year", "month": "month"}
    names = [words[key] for key in template.slice]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _view_comments(template: Template, columns: tuple[str, ...]) -> str:
    """Return the COMMENT statements of a generated staging view: the view's grain, each column as in raw."""
    words = {"unit": "报送单位", "project": "项目", "year": "年度", "month": "月份"}
    grain = "、".join(words[key] for key in template.slice)
    notes = {name: note for name, _, note in raw_columns(template)}
    view = f"{template.name_zh}：每个{grain}的每个数据行一行，仅当前有效的提交"
    lines = [f"comment on view staging.{template.id} is {sql_literal(view)};"]
    lines += [f"comment on column staging.{template.id}.{n} is {sql_literal(notes[n])};" for n in columns]
    return "\n".join(lines)


def staging_sql(template: Template) -> str:
    """Return the template's staging view: the rows of the latest accepted submission of each slice."""
    names = [c.name for c in template.columns if c.name not in ("project_code", "project_name", "year")]
    if template.month_from is not None or template.month_from_headers:
        names.insert(0, "month")
    names += [f.name for f in template.fields]
    if template.part_of_previous:
        names.append("parent_item")
    if any(c.name == "project_code" for c in template.columns):
        names.append("project_code_derived")
    leading = (*LEADING_COLUMNS, "project_code", "project_name", "year")
    columns = (*leading, *names)
    selected = ",\n".join(f"        source.{n}" for n in columns)
    return f"""\
-- staging.{template.id}: {template.name_zh}, one row per data row, per {_slice_words(template)}.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.{template.id}.
{GENERATED_SQL_MARK.format(id=template.id)}
-- which rewrites this file while these two lines are here; delete them before editing the view by hand.
create or replace view staging.{template.id} as
with source as (
    select * from raw.{template.id}
),

current_slices as (
    select submission_id, slice_key from ops.current_slices
),

final as (
    select
{selected}
    from source
    inner join current_slices using (submission_id, slice_key)
)

select * from final;

{_view_comments(template, columns)}
"""
