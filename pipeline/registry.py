"""Load the source registry (`registry/`): the layouts offices send, as typed, checked objects."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from pipeline.offices import Offices
from pipeline.registry_checks import (
    refuse_fields_given,
    refuse_same_headers,
    refuse_same_names,
    refuse_stated_codes,
    refuse_unknown_project_types,
    refuse_unknown_units,
)
from pipeline.registry_columns import _Strict
from pipeline.registry_errors import RegistryError, at_line, explain
from pipeline.registry_templates import Template
from pipeline.registry_units import Units, load_units
from pipeline.registry_yaml import REGISTRY_DIR, read_yaml


class Registry(_Strict):
    templates: dict[str, Template]
    units: Units
    directory: Path
    offices: Offices = Offices()

    def template(self, template_id: str) -> Template:
        return self.templates[template_id]


def load_registry(directory: Path | None = None) -> Registry:
    """Load and check every template in `directory/sources/*.yaml`, the units in `units.yaml` and the offices."""
    directory = Path(directory or REGISTRY_DIR)
    units = load_units(directory)
    templates: dict[str, Template] = {}
    # `training.yml` was passed over without a word, and every file of its layout returned as 无法识别的报表模板.
    for path in sorted((directory / "sources").glob("*")):
        if path.suffix.lower() in (".yml", ".yaml") and path.suffix != ".yaml":
            raise RegistryError(
                path,
                f"只读取扩展名为 .yaml 的文件，这个文件不会被读取（not read, as only *.yaml files are），"
                f"请改名为 {path.stem}.yaml",
            )
    for path in sorted((directory / "sources").glob("*.yaml")):
        data = read_yaml(path)
        try:
            template = Template.model_validate(data)
        except ValidationError as exc:
            raise explain(path, exc, Template, data) from exc
        if template.id != path.stem:
            # A copy saved beside the entry (fund_ledger.bak.yaml, 资金台账.yaml) is read as a template too.
            own = path.with_name(f"{template.id}.yaml")
            raise RegistryError(
                path,
                f"id {template.id!r} 与文件名 {path.stem!r} 不一致（id must equal the file name），"
                + (
                    f"{own.name} 也在 {path.parent.name}/ 中：请把这份副本移出 {path.parent.name}/"
                    if own.exists()
                    else f"请把文件改名为 {own.name}；若是留作备份的副本，请移出 {path.parent.name}/"
                )
                + at_line(path, ("id",)),
            )
        refuse_unknown_units(path, template, units)
        refuse_stated_codes(path, template)
        refuse_fields_given(path, template)
        templates[template.id] = template
    if not templates:
        raise RegistryError(
            directory / "sources",
            "没有任何模板（no templates found），"
            "请运行 `pipeline new-source <模板id> --title <报表名称>` 添加一个",
        )
    refuse_same_headers(directory, templates)
    refuse_same_names(directory, templates)
    refuse_unknown_project_types(directory, templates)
    return Registry(templates=templates, units=units, directory=directory, offices=load_offices(directory))


def load_offices(directory: Path) -> Offices:
    """Load and check `directory/offices.yaml`; without one, every folder is an office of its own name."""
    path = directory / "offices.yaml"
    if not path.is_file():
        return Offices()
    data = read_yaml(path)
    try:
        return Offices.model_validate(data)
    except ValidationError as exc:
        raise explain(path, exc, Offices, data) from exc
