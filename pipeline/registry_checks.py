"""Refuse what no one template's own model can see: a template against units.yaml, the project register, the
columns every row is given, and the other templates."""

from __future__ import annotations

from pathlib import Path

from pipeline.raw_tables import raw_columns
from pipeline.registry_columns import MEASURE_OF_TYPE, Column
from pipeline.registry_errors import RegistryError, at_line, key_path
from pipeline.registry_templates import Template
from pipeline.registry_units import Units
from pipeline.text import squash


def refuse_unknown_units(path: Path, template: Template, units: Units) -> None:
    """Refuse a column or field whose type or `counts` needs a unit `units.yaml` does not list."""
    for loc, column in _columns_at(template):
        if column.type in MEASURE_OF_TYPE and MEASURE_OF_TYPE[column.type] not in units.measures:
            raise RegistryError(
                path,
                f"{_key((*loc, 'type'), column)}: 类型 {column.type.value} 要用的计量 "
                f"{MEASURE_OF_TYPE[column.type]!r} 在 units.yaml 中没有（no such measure in units.yaml），"
                f"请在那里补上{at_line(path, (*loc, 'type'))}",
            )
        # A word no count unit spells (斤) made every cell written with a unit an error: `20人` was asked for in 斤.
        for key, word in [("counts", column.counts), *(("also_counts", w) for w in column.also_counts)]:
            if word and (units.find(word) or ("",))[0] != "count":
                raise RegistryError(
                    path,
                    f"{_key((*loc, key), column)}: {word!r} 不是 units.yaml 中计数（count）的单位"
                    "（not a unit of the count measure），"
                    f"请写其中列出的一个（户、人、栋…），或在那里补上{at_line(path, (*loc, key))}",
                )


def _key(loc: tuple, column: Column) -> str:
    """Say a column's key path and name as `explain` does: `columns.3.type（列 'status'）`."""
    return f"{key_path(loc)}（列 {column.name!r}）"


def _columns_at(template: Template) -> list[tuple[tuple, Column]]:
    """Return each column and field of a template with where it stands in its file (`columns`, 3)."""
    return [(("columns", n), c) for n, c in enumerate(template.columns)] + [
        (("fields", n), f) for n, f in enumerate(template.fields)
    ]


def refuse_fields_given(path: Path, template: Template) -> None:
    """Refuse a field named as a column the pipeline gives every row (year, month, project_name…)."""
    # A form's `年度 | 2022` read as a field named year loaded; raw.<id> was then given the column twice, and the night
    # stopped telling the operator to check the disk (Catalog Error: Column with name "year" already exists).
    columns = raw_columns(template)
    names = [name for name, _, _ in columns]
    for name, _, comment in columns:  # the one the pipeline gives comes first
        if names.count(name) > 1 and any(f.name == name for f in template.fields):
            at = next(n for n, f in enumerate(template.fields) if f.name == name)
            raise RegistryError(
                path,
                f"fields.{at}.name: {name!r} 是流水线给 raw.{template.id} 每一行都加上的列（{comment}）"
                f"（a column every row is given），请给这个字段另起名称{at_line(path, ('fields', at, 'name'))}",
            )


def refuse_stated_codes(path: Path, template: Template) -> None:
    """Refuse a `project_code` column on a template other than the register: a row's code is the register's."""
    from pipeline.projects import REGISTER_TEMPLATE

    # A 项目编码 column on a contract ledger was taken as its rows' code, never checked against the register: a
    # corrected ledger writing another code stood beside the file it corrects, both counted, under a code no
    # register lists.
    if template.id == REGISTER_TEMPLATE:
        return
    for name in ("project_code", "project_code_derived"):
        if at := next((loc for loc, c in _columns_at(template) if c.name == name), None):
            raise RegistryError(
                path,
                f"{key_path((*at, 'name'))}: {name!r}: 每一行的 project_code 都按项目名称取自项目基本信息表"
                f"（sources/{REGISTER_TEMPLATE}.yaml），只有该表的行自己填写编码。要保留表中填写的编码，请把这一列另起名称"
                f"（如 stated_project_code）{at_line(path, (*at, 'name'))}",
            )


def refuse_unknown_project_types(directory: Path, templates: dict[str, Template]) -> None:
    """Refuse a `register_project_type` that is no 项目类型 value of the project register, as the register stores it."""
    from pipeline.projects import REGISTER_TEMPLATE

    # 老旧小区 for 老旧小区改造 loaded, and every file of the template without a 项目名称 line was returned to its
    # office as naming no registered project, the project being registered.
    register = templates.get(REGISTER_TEMPLATE)
    column = next((c for c in register.columns if c.name == "project_type"), None) if register else None
    if column is None or not column.values:
        return
    for template in templates.values():
        if (wanted := template.project.register_project_type) is None or wanted in column.values:
            continue
        canonical = next((v for v, aliases in column.values.items() if wanted in (aliases or ())), None)
        path = directory / "sources" / f"{template.id}.yaml"
        raise RegistryError(
            path,
            f"project.register_project_type {wanted!r} 不是 sources/{REGISTER_TEMPLATE}.yaml 的项目类型"
            f"（{', '.join(column.values)}），"
            + (f"请写作 {canonical}，即项目基本信息表存储的值" if canonical else "请写其中之一")
            + at_line(path, ("project", "register_project_type")),
        )


def headers_read(template: Template) -> frozenset[str]:
    """Return every header a template's columns are matched by: each column's header and aliases, units stripped."""
    return frozenset(label for column in template.columns for label in column.labels)


def refuse_same_headers(directory: Path, templates: dict[str, Template]) -> None:
    """Refuse two templates whose columns read the same headers: a sheet would match both, and one be taken silently."""
    # Two sources scaffolded by `pipeline new-source` and not yet edited share the example columns: the sample
    # workbook of the second was read as the first.
    seen: dict[frozenset[str], str] = {}
    for template in templates.values():
        if (other := seen.setdefault(headers_read(template), template.id)) != template.id:
            path = directory / "sources" / f"{template.id}.yaml"
            raise RegistryError(
                path,
                f"columns 读取的表头与 sources/{other}.yaml 完全相同，一张表会同时符合两者，"
                "被不声不响地当作其中一个读取；请给它自己的列（表头 header 或别名 aliases）"
                f"{at_line(path, ('columns',))}",
            )


def name_key(name_zh: str) -> str:
    """Fold a template's name_zh as a clerk reads it: width and spaces are not seen on a receipt."""
    return squash(name_zh)


def refuse_same_names(directory: Path, templates: dict[str, Template]) -> None:
    """Refuse two templates of one name_zh: a receipt or the portal naming the form could mean either."""
    seen: dict[str, str] = {}
    for template in templates.values():
        if (other := seen.setdefault(name_key(template.name_zh), template.id)) != template.id:
            path = directory / "sources" / f"{template.id}.yaml"
            raise RegistryError(
                path,
                f"name_zh {template.name_zh!r} 也是 sources/{other}.yaml 的名称，回执和报送页面"
                f"按它称呼报表（报表名称重复，回执无法区分）；请给每个模板各自的 name_zh{at_line(path, ('name_zh',))}",
            )
