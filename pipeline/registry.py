"""Load the source registry (`registry/`): the layouts offices send, as typed, checked objects."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError, model_validator
from pydantic import Field as PydanticField

from pipeline.offices import Offices
from pipeline.raw_tables import raw_columns
from pipeline.registry_columns import MEASURE_OF_TYPE, Column, Misconfigured, _Strict
from pipeline.registry_errors import at_line, composed, line_at, named, said_zh, write_instead
from pipeline.registry_templates import Template
from pipeline.text import remembered_if_short, squash

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "registry"


class RegistryError(ValueError):
    """A registry file is malformed; the message names the file and the offending key."""


class UnitDef(_Strict):
    # A factor of 0 stored every amount written in that unit as 0; a negative one turned it into a `negative` error.
    factor: Decimal = PydanticField(gt=0)
    aliases: tuple[str, ...] = ()
    # False where the magnitude it starts with, written alone (`单位：千`, `改造面积（千）`), is not this unit: a finance
    # sheet's 千 is 千元, and read as 千平方米 it left the amounts beside it assumed in 万元, no longer refused.
    magnitude_alone: bool = True


class Measure(_Strict):
    base: str
    units: dict[str, UnitDef]
    # Units of the measure offices write that no exact factor converts (亩 is no whole number of 平方米), each with what
    # the clerk is told of it: a unit naming one, a header's, a `单位：` line's or a cell's, is refused, never passed over;
    # a row's own 单位 (建设规模 `36 | 亩`) is kept as written, and told so (sheet_units.kept_as_written).
    refused: dict[str, str] = {}

    @model_validator(mode="after")
    def _base_is_unit(self) -> Measure:
        if self.base not in self.units or self.units[self.base].factor != 1:
            raise Misconfigured(
                f"基本单位 {self.base!r} 须列在 units 下，且 factor 为 1",
                "base unit must be listed with factor 1",
                f"请在 units 下写 {self.base}: {{factor: 1}}",
                ("units", self.base, "factor") if self.base in self.units else ("base",),
            )
        return self

    def refused_note(self, written: str | None) -> str | None:
        """Return what the clerk is told of a written unit the measure refuses (`亩`: 1亩约合666.67平方米), else None."""
        key = unit_key(written) if written else None
        return next((note for unit, note in self.refused.items() if unit_key(unit) == key), None)


class Units(_Strict):
    measures: dict[str, Measure]
    counted_alike: tuple[tuple[str, ...], ...] = ()

    @model_validator(mode="after")
    def _alike_are_counts(self) -> Units:
        seen: set[str] = set()
        for n, group in enumerate(self.counted_alike):
            if len(group) < 2:
                raise Misconfigured(
                    f"组 {list(group)} 只有一个词",
                    "a group must name two words or more",
                    "请列出两个或更多同类的量词，如 [栋, 幢]",
                    ("counted_alike", n),
                )
            for word in group:
                if (found := self.find(word)) is None or found[0] != "count" or found[1] != 1:
                    raise Misconfigured(
                        f"{word!r} 不是计数（count）计量中 factor 为 1 的单位",
                        "no unit of the count measure at factor 1",
                        f"请先在 measures.count.units 下写 {word}: {{factor: 1}}，或从组中删去它",
                        ("counted_alike", n),
                    )
                if word in seen:
                    raise Misconfigured(
                        f"{word!r} 在两个组中", "in two groups", "请只留在一个组中", ("counted_alike", n)
                    )
                seen.add(word)
        return self

    @cached_property
    def alike(self) -> dict[str, str]:
        """Map each measure word of a `counted_alike` group to the group's first (幢 → 栋)."""
        return {word: group[0] for group in self.counted_alike for word in group[1:]}

    @cached_property
    def known_prefixes(self) -> dict[str, tuple[str, tuple[str, Decimal, str]] | None]:
        """Each written unit looked up so far and the longest known unit it starts with (written_units)."""
        return {}

    @cached_property
    def lookup(self) -> dict[str, tuple[str, Decimal, str]]:
        """Map a normalised unit spelling to (measure, factor to base, canonical unit)."""
        table: dict[str, tuple[str, Decimal, str]] = {}
        for measure_name, measure in self.measures.items():
            for unit, definition in measure.units.items():
                for spelling in (unit, *definition.aliases):
                    key = unit_key(spelling)
                    if not key:  # a blank spelling read a unit cell holding only spaces as this unit
                        raise Misconfigured(
                            '有空白的单位或别名 ""',
                            "a blank unit or alias",
                            "请删去它，或写办公室使用的写法",
                            ("measures", measure_name, "units", unit),
                        )
                    meaning = (measure_name, definition.factor, unit)
                    # ㎡, m² and m2 fold to one spelling; only a clash in meaning is an error.
                    if (earlier := table.get(key, meaning)) != meaning:
                        raise Misconfigured(
                            f"单位写法 {spelling!r} 指两个不同的单位，"
                            f"{earlier[2]}（{earlier[0]}）和 {unit}（{measure_name}）",
                            "unit spelling means two different units",
                            "请只把它留在办公室用它所指的那个单位下",
                            ("measures", measure_name, "units", unit),
                        )
                    table[key] = meaning
        return table

    def find(self, spelling: str | None) -> tuple[str, Decimal, str] | None:
        """Return (measure, factor, canonical unit) for a written unit, or None if unknown."""
        if not spelling:
            return None
        return self.lookup.get(unit_key(spelling))


# Units are looked up for every row of a quantity and every cell naming one: a short spelling is folded once per process.
@remembered_if_short(64, 1 << 12)
def unit_key(spelling: str) -> str:
    """Fold a unit's spelling the way the registry's units are looked up by."""
    return squash(spelling).lower()


class Registry(_Strict):
    templates: dict[str, Template]
    units: Units
    directory: Path
    offices: Offices = Offices()

    def template(self, template_id: str) -> Template:
        return self.templates[template_id]


# The C loader, where libyaml is present, reads the registry several times faster.
class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Load YAML safely, refusing a mapping that names one key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        # YAML keeps the last of two equal keys without a word: an enum value listed twice lost its first aliases,
        # a column's `type` written twice its first.
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` may be overridden on purpose
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"键 {key!r} 出现了两次，后一个会不声不响地取代前一个，请删去或合并其中一个"
                        "（found the key twice）",
                        key_node.start_mark,
                    )
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the constructor below says so
        return super().construct_mapping(node, deep=deep)


def _tab_at(text: str, exc: yaml.YAMLError) -> str:
    """Say so when a YAML error stands on a tab, which YAML never reads as indentation."""
    mark = getattr(exc, "problem_mark", None)
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines) or "\t" not in lines[mark.line][: mark.column + 1]:
        return ""
    return f"（第{mark.line + 1}行用 Tab 键缩进，YAML 只认空格缩进（indented with a tab），请改为空格）"


def _yaml_said(exc: yaml.YAMLError) -> str:
    """Say on one line where a YAML error stands (第…行第…列) and what YAML found wrong there."""
    mark, began = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    context = getattr(exc, "context", None)
    if context and began is not None and mark is not None and began.line != mark.line:
        # Found wanting lines after it began: the bracket left open stands there.
        context = f"{context}（第{began.line + 1}行第{began.column + 1}列起）"
    words = ": ".join(w for w in (context, getattr(exc, "problem", None)) if w)
    if mark is None or not words:
        return f"不是有效的YAML（not valid YAML）：{' '.join(str(exc).split())}"
    return (
        f"第{mark.line + 1}行第{mark.column + 1}列不是有效的YAML（not valid YAML）：{' '.join(words.split())}"
    )


def read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: {_yaml_said(exc)}{_tab_at(text, exc)}") from exc
    except UnicodeDecodeError as exc:
        # Most often saved as GBK by a Chinese editor (Notepad's ANSI): said, never a traceback.
        raise RegistryError(
            f"{path}: 不是UTF-8编码（第{exc.start + 1}个字节起无法读取），请用UTF-8编码另存后重试"
        ) from exc
    if not isinstance(data, dict):
        raise RegistryError(
            f"{path}: 文件顶层应为“键: 值”的映射（expected a mapping at the top level），"
            "请每行写一个“键: 值”，如 id: fund_ledger"
        )
    return data


def explain(
    path: Path,
    exc: ValidationError,
    model: type[BaseModel] | None = None,
    data: object = None,
    under: tuple = (),
) -> RegistryError:
    """Say in one message the file, each key path and its line, what is wrong there and, where it can, what to write
    instead; `under` is where in the file the model checked stands (`years.2024` of rules.yaml)."""

    def loc(err: dict) -> tuple:
        # A check of the registry's own says which key below the model it refuses (`Misconfigured.at`).
        return (*under, *err["loc"], *getattr((err.get("ctx") or {}).get("error"), "at", ()))

    def where(err: dict) -> str:
        # A check across keys has no location of its own: its message names the keys.
        if not loc(err):
            return ""
        return f"{'.'.join(str(p) for p in loc(err))}{named(loc(err), data, err['msg'])}: "

    def line(err: dict) -> str:
        found = line_at(root, loc(err))
        if found is None and loc(err)[:1] in (("date_column",), ("month_from",)):
            # Written `year: {from: …}` or `month: {from: …}`, read as these keys: the line is that key's.
            found = line_at(root, ("year",) if loc(err)[0] == "date_column" else ("month",))
        return f"（第{found}行）" if found is not None else ""

    root = composed(path)
    problems = "；".join(
        f"{where(err)}{said_zh(err)}{write_instead(err, model)}{line(err)}" for err in exc.errors()
    )
    return RegistryError(f"{path}: {problems}")


def missing_file(path: Path) -> RegistryError:
    """Refuse a registry file that is not there, saying where the shipped one is to be copied from."""
    return RegistryError(
        f"{path}: 文件不存在（missing），请从本仓库的 registry/{path.name} 复制一份到 {path.parent}/"
    )


def load_units(directory: Path | None = None) -> Units:
    """Load and check `directory/units.yaml`: every measure, its units and their spellings."""
    units_path = Path(directory or REGISTRY_DIR) / "units.yaml"
    if not units_path.is_file():
        raise missing_file(units_path)
    data = read_yaml(units_path)
    try:
        units = Units.model_validate(data)
        _ = units.lookup
    except ValidationError as exc:
        raise explain(units_path, exc, Units, data) from exc
    except Misconfigured as exc:
        raise RegistryError(
            f"{units_path}: {'.'.join(map(str, exc.at))}: {exc}{at_line(units_path, exc.at)}"
        ) from exc
    return units


def load_registry(directory: Path | None = None) -> Registry:
    """Load and check every template in `directory/sources/*.yaml`, the units in `units.yaml` and the offices."""
    directory = Path(directory or REGISTRY_DIR)
    units = load_units(directory)
    templates: dict[str, Template] = {}
    # `training.yml` was passed over without a word, and every file of its layout returned as 无法识别的报表模板.
    for path in sorted((directory / "sources").glob("*")):
        if path.suffix.lower() in (".yml", ".yaml") and path.suffix != ".yaml":
            raise RegistryError(
                f"{path}: 只读取扩展名为 .yaml 的文件，这个文件不会被读取（not read, as only *.yaml files are），"
                f"请改名为 {path.stem}.yaml"
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
                f"{path}: id {template.id!r} 与文件名 {path.stem!r} 不一致（id must equal the file name），"
                + (
                    f"{own.name} 也在 {path.parent.name}/ 中：请把这份副本移出 {path.parent.name}/"
                    if own.exists()
                    else f"请把文件改名为 {own.name}；若是留作备份的副本，请移出 {path.parent.name}/"
                )
                + at_line(path, ("id",))
            )
        refuse_unknown_units(path, template, units)
        refuse_stated_codes(path, template)
        refuse_fields_given(path, template)
        templates[template.id] = template
    if not templates:
        raise RegistryError(
            f"{directory / 'sources'}: 没有任何模板（no templates found），"
            "请运行 `pipeline new-source <模板id> --title <报表名称>` 添加一个"
        )
    refuse_same_headers(directory, templates)
    refuse_same_names(directory, templates)
    refuse_unknown_project_types(directory, templates)
    return Registry(templates=templates, units=units, directory=directory, offices=load_offices(directory))


def refuse_unknown_units(path: Path, template: Template, units: Units) -> None:
    """Refuse a column or field whose type or `counts` needs a unit `units.yaml` does not list."""
    for loc, column in _columns_at(template):
        if column.type in MEASURE_OF_TYPE and MEASURE_OF_TYPE[column.type] not in units.measures:
            raise RegistryError(
                f"{path}: {_key((*loc, 'type'), column)}: 类型 {column.type.value} 要用的计量 "
                f"{MEASURE_OF_TYPE[column.type]!r} 在 units.yaml 中没有（no such measure in units.yaml），"
                f"请在那里补上{at_line(path, (*loc, 'type'))}"
            )
        # A word no count unit spells (斤) made every cell written with a unit an error: `20人` was asked for in 斤.
        for key, word in [("counts", column.counts), *(("also_counts", w) for w in column.also_counts)]:
            if word and (units.find(word) or ("",))[0] != "count":
                raise RegistryError(
                    f"{path}: {_key((*loc, key), column)}: {word!r} 不是 units.yaml 中计数（count）的单位"
                    "（not a unit of the count measure），"
                    f"请写其中列出的一个（户、人、栋…），或在那里补上{at_line(path, (*loc, key))}"
                )


def _key(loc: tuple, column: Column) -> str:
    """Say a column's key path and name as `explain` does: `columns.3.type（列 'status'）`."""
    return f"{'.'.join(map(str, loc))}（列 {column.name!r}）"


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
                f"{path}: fields.{at}.name: {name!r} 是流水线给 raw.{template.id} 每一行都加上的列（{comment}）"
                f"（a column every row is given），请给这个字段另起名称{at_line(path, ('fields', at, 'name'))}"
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
                f"{path}: {'.'.join(map(str, at))}.name: {name!r}: 每一行的 project_code 都按项目名称取自项目基本信息表"
                f"（sources/{REGISTER_TEMPLATE}.yaml），只有该表的行自己填写编码。要保留表中填写的编码，请把这一列另起名称"
                f"（如 stated_project_code）{at_line(path, (*at, 'name'))}"
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
            f"{path}: project.register_project_type {wanted!r} 不是 sources/{REGISTER_TEMPLATE}.yaml 的项目类型"
            f"（{', '.join(column.values)}），"
            + (f"请写作 {canonical}，即项目基本信息表存储的值" if canonical else "请写其中之一")
            + at_line(path, ("project", "register_project_type"))
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
                f"{path}: columns 读取的表头与 sources/{other}.yaml 完全相同，一张表会同时符合两者，"
                "被不声不响地当作其中一个读取；请给它自己的列（表头 header 或别名 aliases）"
                f"{at_line(path, ('columns',))}"
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
                f"{path}: name_zh {template.name_zh!r} 也是 sources/{other}.yaml 的名称，回执和报送页面"
                f"按它称呼报表（报表名称重复，回执无法区分）；请给每个模板各自的 name_zh{at_line(path, ('name_zh',))}"
            )


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
