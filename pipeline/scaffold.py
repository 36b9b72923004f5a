"""Scaffold a new kind of submission, and regenerate what is derived from its registry entry.

A source is four files: its registry entry (`registry/sources/<id>.yaml`, the one an engineer edits), its
expectation suite (`expectations/<id>.json`), its staging view (`sql/staging/stg_<id>.sql`) and its test
(`tests/sources/test_<id>.py`). The suite and the view are generated from the registry entry, here and only
here; regenerating keeps what was written by hand (rules the registry cannot express, reworded messages, a
view edited by hand), so the checked-in suites are exactly what `suite_for` makes of them.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import yaml

from pipeline.enum_values import allowed_zh
from pipeline.raw_tables import LINEAGE_COLUMNS, raw_columns
from pipeline.registry import Registry, load_registry
from pipeline.registry_columns import _IDENTIFIER, MEASURE_OF_TYPE, Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.values import count_fix
from pipeline.warehouse import sql_literal

ROOT = Path(__file__).resolve().parent.parent
# The register defines the projects; every other source's rows must belong to one of them.
REGISTER_TEMPLATE = "project_register"
# Rules generated from the registry; an expectation with any other rule was written by hand and is kept.
GENERATED_RULES = frozenset({"type", "required", "negative", "month_range", "enum", "unknown_project"})
# Columns every staging view leads with, before the template's own: lineage, then the slice fields.
LEADING_COLUMNS = tuple(name for name, _, _ in LINEAGE_COLUMNS if name != "slice_key")
FRAME_ZH = "每个数据行一行（模板的全部列，加 _batch、_sheet、_excel_row 追溯列）；同一模板的所有工作表拼接后一次校验。"
KNOWN_PROJECTS_ZH = "项目基本信息表中已登记的项目名称，校验时由调用方传入"
GENERATED_SQL_MARK = (
    "-- Generated from registry/sources/{id}.yaml by `pipeline new-source {id} --regenerate`,"
)
NOT_A_NUMBER_FIX = "不要带“约”“左右”等文字"
# The months a sample of a form with `1-N月…` headers covers.
SAMPLE_MONTHS = 6


class ScaffoldError(ValueError):
    """A source cannot be scaffolded or regenerated; the message says why and what to do."""


# How each column type is checked and worded: GX type names, what the cell may be, the clerk's two phrases.
@dataclass(frozen=True, slots=True)
class _Wording:
    gx_types: tuple[str, ...]
    may_be: str
    expected: str
    fix: str


_WORDING = {
    ColumnType.TEXT: _Wording(("str",), "文字", "应为文字", "请填写文字内容"),
    ColumnType.PROSE: _Wording(("str",), "文字", "应为文字", "请填写文字内容"),
    ColumnType.NAME: _Wording(("str",), "名称", "应为文字", "请填写名称"),
    ColumnType.ENUM: _Wording(("str",), "文字", "应为文字", "请从下拉列表中选择"),
    ColumnType.INTEGER: _Wording(("int",), "整数", "应为整数", "请填写整数"),
    ColumnType.COUNT: _Wording(("int",), "不小于0的整数", "应为不小于0的整数", "{count_fix}"),
    ColumnType.DECIMAL: _Wording(("float",), "数字", "应为数字", f"请填写确切的数字，{NOT_A_NUMBER_FIX}"),
    ColumnType.MONEY: _Wording(
        ("float",), "金额（万元）", "应为数字", f"请填写确切的金额，{NOT_A_NUMBER_FIX}"
    ),
    ColumnType.AREA: _Wording(
        ("float",), "面积（平方米）", "应为数字", f"请填写确切的面积，{NOT_A_NUMBER_FIX}"
    ),
    ColumnType.PERCENT: _Wording(("float",), "百分比", "应为百分比，如95%", "请填写百分比数字"),
    ColumnType.DATE: _Wording(
        ("Timestamp",), "日期", "应为日期，如2022-03-01或2022年3月1日", "请按“年-月-日”填写日期"
    ),
    ColumnType.YEAR: _Wording(("int",), "四位年份", "应为四位年份，如2022", "请填写年度"),
    ColumnType.MONTH: _Wording(("int",), "月份", "应为1至12之间的月份", "请填写1至12的整数"),
}
_NEGATIVE_FIX = {ColumnType.MONEY: "请填写正确的金额", ColumnType.AREA: "请填写正确的面积"}
NON_NEGATIVE_TYPES = (ColumnType.COUNT, ColumnType.MONEY, ColumnType.AREA, ColumnType.DECIMAL)


def _expectation(kind: str, kwargs: dict, rule: str, reason: str, expected: str, fix: str) -> dict:
    """Return one error-severity expectation on the rows frame, as GX's to_json_dict writes it."""
    meta = {"severity": "error", "rule": rule, "reason": reason, "expected_zh": expected, "fix_zh": fix}
    return {"type": f"expect_{kind}", "kwargs": kwargs, "meta": meta, "severity": "critical"}


def generated_expectations(template: Template) -> list[dict]:
    """Return the checks a template's registry entry implies, column by column, in the suites' order."""
    expectations = []
    for column in template.columns:
        name, header = column.name, column.header
        wording = _WORDING[column.type]
        expectations.append(
            _expectation(
                "column_values_to_be_in_type_list",
                {"column": name, "type_list": list(wording.gx_types)},
                "type",
                f"「{header}」只能是{wording.may_be}：无法识别的单元格不能入库",
                wording.expected,
                wording.fix.format(header=header, count_fix=count_fix(header)),
            )
        )
        if column.required:
            expectations.append(
                _expectation(
                    "column_values_to_not_be_null",
                    {"column": name},
                    "required",
                    f"「{header}」是必填列，空值会使该行无法入库和汇总",
                    "此项为必填项",
                    "请补充填写",
                )
            )
        if column.type in NON_NEGATIVE_TYPES:
            counting = column.type is ColumnType.COUNT
            expectations.append(
                _expectation(
                    "column_values_to_be_between",
                    {"column": name, "min_value": 0.0},
                    "negative",
                    f"「{header}」是数量或金额，不能为负数",
                    "应为不小于0的整数" if counting else "应为不小于0的数",
                    wording.fix.format(header=header, count_fix=count_fix(header))
                    if counting
                    else _NEGATIVE_FIX.get(column.type, f"请填写正确的{header}"),
                )
            )
        if column.type is ColumnType.MONTH:
            expectations.append(
                _expectation(
                    "column_values_to_be_between",
                    {"column": name, "min_value": 1.0, "max_value": 12.0},
                    "month_range",
                    "月份只能是1至12",
                    wording.expected,
                    wording.fix,
                )
            )
        if column.type is ColumnType.ENUM:
            expectations.append(_enum_expectation(column, template))
    if template.id != REGISTER_TEMPLATE and any(c.name == "project_name" for c in template.columns):
        expectations.append(
            _expectation(
                "column_values_to_be_in_set",
                {"column": "project_name", "value_set": {"$PARAMETER": "known_projects"}},
                "unknown_project",
                "数据只能归属于项目基本信息表中已登记的项目",
                "应为项目基本信息表中已登记的项目名称",
                "请核对项目名称，或先报送该项目的项目基本信息表",
            )
        )
    return expectations


def _enum_expectation(column: Column, template: Template) -> dict:
    """Return an enum column's check: one of its values, or for a `multiple` one some of them joined by `、`."""
    values = list(column.values or {})
    where = f"registry/sources/{template.id}.yaml"
    if not column.multiple:
        return _expectation(
            "column_values_to_be_in_set",
            {"column": column.name, "value_set": values},
            "enum",
            f"「{column.header}」只能取模板规定的值（见 {where}）",
            allowed_zh(column),
            "请从下拉列表中选择",
        )
    one = f"(?:{'|'.join(map(re.escape, values))})"
    return _expectation(
        "column_values_to_match_regex",
        {"column": column.name, "regex": f"^{one}(?:、{one})*$"},
        "enum",
        f"「{column.header}」只能取模板规定的值，可有多项，以“、”连接（见 {where}）",
        allowed_zh(column),
        "请从下拉列表中选择，多项用“、”分隔",
    )


def _key(expectation: dict) -> tuple:
    """Identify an expectation across regenerations: its kind, the column(s) it checks and its rule."""
    kwargs = expectation["kwargs"]
    columns = kwargs.get("column", tuple(kwargs.get("column_list", ())))
    return expectation["type"], columns, expectation["meta"].get("rule")


def _reworded_by_hand(expectation: dict, template: Template) -> bool:
    """Say whether a generated check's wording was edited, rather than generated for the header it had then."""
    column = expectation["kwargs"].get("column")
    written_for = re.match(r"「(.+?)」", expectation["meta"].get("reason", ""))
    if written_for and column in {c.name for c in template.columns}:
        columns = tuple(
            c.model_copy(update={"header": written_for.group(1)}) if c.name == column else c
            for c in template.columns
        )
        template = template.model_copy(update={"columns": columns})
    return expectation not in generated_expectations(template)


def suite_for(template: Template, existing: dict | None = None) -> dict:
    """Return the template's suite: the registry's checks plus whatever `existing` holds that was written by hand.

    A generated check keeps wording and severity edited by hand while its arguments are unchanged, and is
    otherwise worded afresh (a renamed header is renamed in its messages); a check of a rule the registry cannot
    express (cross-row, derived frames, the negative list) is kept as it is, in its place.
    """
    existing = existing or {}
    old = existing.get("expectations", [])
    by_key = {_key(e): e for e in old}
    expectations = []
    for fresh in generated_expectations(template):
        kept = by_key.get(_key(fresh))
        edited = kept is not None and kept["kwargs"] == fresh["kwargs"] and _reworded_by_hand(kept, template)
        expectations.append(kept if edited else fresh)
    generated = {_key(e) for e in expectations}
    for position, written in enumerate(old):
        if _key(written) in generated or written["meta"].get("rule") in GENERATED_RULES:
            continue
        # Keep a hand-written check where it stood: after the check that preceded it, if that one is still here.
        placed = [_key(e) for e in expectations]
        before = next((_key(e) for e in reversed(old[:position]) if _key(e) in placed), None)
        expectations.insert(0 if before is None else placed.index(before) + 1, written)

    meta = {
        "suite_version": 1,
        "template": template.id,
        "name_zh": template.name_zh,
        "frame": FRAME_ZH,
        "derived_frames": {},
    }
    if any(e["meta"]["rule"] == "unknown_project" for e in expectations):
        meta["parameters"] = {"known_projects": KNOWN_PROJECTS_ZH}
    meta["great_expectations_version"] = importlib.metadata.version("great_expectations")
    old_meta = existing.get("meta", {})
    parameters = meta.get("parameters", {}) | old_meta.get("parameters", {})
    meta = meta | old_meta | {"template": template.id, "name_zh": template.name_zh}
    if parameters:
        meta["parameters"] = parameters
    return {
        "name": template.id,
        "id": existing.get("id"),
        "expectations": expectations,
        "meta": meta,
        "notes": existing.get("notes"),
    }


def suite_text(suite: dict) -> str:
    """Serialise a suite the way the checked-in suites are written."""
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


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


def _yaml_scalar(text: str) -> str:
    """Write a text as YAML reads it back: bare when it can be, quoted when it holds `: `, `#` or the like."""
    try:
        if yaml.safe_load(f"key: {text}") == {"key": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def skeleton_yaml(source_id: str, title: str) -> str:
    """Return a commented registry entry with example columns, for the engineer to edit."""
    title = " ".join(title.split())  # one line: it is also the comment above
    return f"""\
# {title} ({source_id}), scaffolded by `pipeline new-source`. Edit it to match the office's sheet, then run
#   uv run --frozen pipeline new-source {source_id} --regenerate
# to rewrite the expectation suite and staging view derived from it. Walkthrough: docs/adding-a-source.md;
# every key is defined in pipeline/registry.py (Template, Column); the other files here are examples.
id: {source_id}
name_zh: {_yaml_scalar(title)}
# Who sends it, and how often.
description: 由谁报送、多久报送一次.
# A later accepted file replaces the rows of the same slice. For a monthly report add `month`, with a required
# `month` column (type month), or, when the sheet has dates but no 月份 column, `month: {{from: 检查日期}}` (its
# header or name; each row's month is its date's): without one, each month's file would replace the month before.
slice: [unit, project, year]
# The project: the 项目名称 column, else a `项目名称：…` line above the table. Add
# `register_project_type: 老旧小区改造` to fall back on the unit's single project of that type.
project: {{column: project_name, line: true}}
# Where the year comes from, the first that has one winning: the 年度 column, a `年度：2022` line, the title,
# the file name. Or, instead of year_from, `year: {{from: 检查日期}}`: the year of the dates in that column.
year_from: [column, line, title, filename]
columns:
  # name: the column in raw.{source_id} and staging.{source_id} (a lower-case SQL identifier);
  # header: as printed, without its unit; aliases: other headers offices write for it;
  # type: text | prose | name | enum | integer | count | decimal | money (万元) | area (平方米) | percent |
  #       date | year | month — money and area are converted from the unit in the header;
  # required: true — a sheet without it, or a row with it empty, is rejected. At least one must be.
  # The 示例 columns are placeholders: replace them with the sheet's own.
  - {{name: project_name, header: 项目名称, type: name}}
  - {{name: year, header: 年度, type: year}}
  - {{name: example_name, header: 示例名称, type: name, required: true}}
  - {{name: example_count, header: 示例数量, type: count, required: true}}
  - {{name: example_amount_wan, header: 示例金额, type: money}}
  - {{name: example_date, header: 示例日期, type: date}}
  - name: example_status
    header: 示例状态
    type: enum
    values:  # each allowed value, with the other spellings that mean it
      未开工: []
      在建: [施工中]
      已完工: [完工, 已竣工]
"""


def source_test_module(template: Template) -> str:
    """Return the source's test: a sample workbook built from its registry entry reaches staging."""
    return f'''\
"""{template.name_zh} ({template.id}): a sample workbook reaches staging.{template.id}, a bad one is rejected.

Scaffolded by `pipeline new-source`. The sample follows registry/sources/{template.id}.yaml, so it keeps up
as the columns change; add cases for this source's own rules below.
"""

from __future__ import annotations

import pytest

from pipeline.intake import ingest
from pipeline.scaffold import Sample
from pipeline.warehouse import connect
from tests.pipeline.workbooks import xlsx

TEMPLATE = "{template.id}"
# The project the `register` fixture (tests/conftest.py) registers for its unit and year.
UNIT, PROJECT, YEAR = "枣林街道办事处", "枣林街道办事处改造老旧小区", 2022


def drop(settings, sample: Sample) -> None:
    path = settings.inbox / UNIT / f"{{YEAR}}年{{sample.template.name_zh}}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(xlsx({{"Sheet1": sample.sheet_rows()}}))


@pytest.fixture
def sample(registry) -> Sample:
    return Sample.of(registry.template(TEMPLATE), registry, unit=UNIT, project=PROJECT, year=YEAR)


def test_a_sample_workbook_reaches_staging(settings, registry, register, sample):
    drop(settings, sample)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "accepted", [p.message_zh for p in outcome.problems]
    with connect(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            f"select {{', '.join(sample.columns)}} from staging.{{TEMPLATE}} order by excel_row"
        ).fetchall()
    assert rows == sample.expected_rows()


def test_an_empty_required_cell_is_rejected_naming_row_and_header(settings, registry, register, sample):
    column = sample.blank_required(1)
    drop(settings, sample)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    assert [(p.rule, p.excel_row, p.column_header) for p in outcome.errors] == [
        ("required", sample.excel_row(1), sample.header(column))
    ]
'''


# A sample of any source, built from its registry entry: the generated tests' workbook and expected rows.


@dataclass(slots=True)
class Sample:
    """Sample rows of a template, typed as staging should hold them, and the sheet that carries them."""

    template: Template
    registry: Registry
    unit: str
    project: str
    year: int
    records: list[dict[str, object]] = field(default_factory=list)

    @classmethod
    def of(
        cls, template: Template, registry: Registry, *, unit: str, project: str, year: int, rows: int = 2
    ) -> Sample:
        """Build `rows` distinct sample rows, every column filled, for this unit, project and year."""
        sample = cls(template, registry, unit, project, year)
        sample.records = [{c.name: sample._value(c, i) for c in template.columns} for i in range(1, rows + 1)]
        return sample

    def _value(self, column: Column, i: int) -> object:
        """Return the i-th sample value of a column: distinct per row, within the year, exact in binary."""
        template = self.template
        if column.name == "project_name" or column.name == template.project.column:
            return self.project
        if template.row_unit and column.name == template.row_unit.unit:
            return self.registry.units.measures["money"].base
        kind = column.type
        if kind is ColumnType.ENUM:
            values = list(column.values or {})
            return values[(i - 1) % len(values)]
        samples = {
            ColumnType.TEXT: f"{column.header}{i}",
            ColumnType.NAME: f"{column.header}{i}",
            ColumnType.PROSE: f"{column.header}第{i}段。",
            ColumnType.INTEGER: i,
            ColumnType.COUNT: 10 * i,
            ColumnType.DECIMAL: Decimal(f"{i}.5"),
            ColumnType.MONEY: Decimal(f"{100 * i}.25"),
            ColumnType.AREA: Decimal(f"{1000 * i}.5"),
            ColumnType.PERCENT: Decimal("0.75"),
            ColumnType.DATE: dt.date(self.year, 6, i),
            ColumnType.YEAR: self.year,
            ColumnType.MONTH: i,
        }
        return samples[kind]

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.template.columns]

    def header(self, name: str) -> str:
        """Return a column's header as the sample sheet writes it: with the base unit for money and area."""
        column = self.template.column(name)
        measure = MEASURE_OF_TYPE.get(column.type)
        # A `1-N月…` header is written for the months the sample covers, as a filled form states them.
        header = column.header.replace("1-N月", f"1-{SAMPLE_MONTHS}月")
        return f"{header}（{self.registry.units.measures[measure].base}）" if measure else header

    def lines(self) -> list[str]:
        """Return the title and metadata lines above the table."""
        lines = [f"{self.year}年{self.unit}{self.template.name_zh}", f"填报单位：{self.unit}"]
        if self.template.project.line:
            lines.append(f"项目名称：{self.project}")
        if "line" in self.template.year_from:
            lines.append(f"年度：{self.year}")
        return lines

    def sheet_rows(self) -> list[list[object]]:
        """Return the sheet, row by row from Excel row 1: lines, header, data rows."""
        return [
            *([line] for line in self.lines()),
            [self.header(name) for name in self.columns],
            *([record[name] for name in self.columns] for record in self.records),
        ]

    def excel_row(self, index: int) -> int:
        """Return the Excel row number of the record at `index` (0-based)."""
        return len(self.lines()) + 2 + index

    def expected_rows(self) -> list[tuple]:
        """Return the records as `select <columns> … order by excel_row` should find them in staging."""
        return [tuple(record[name] for name in self.columns) for record in self.records]

    def blank_required(self, index: int) -> str:
        """Empty a required cell of the record at `index` that no line above the table can fill; return its column."""
        filled_by_lines = {self.template.project.column, "project_name", "year", "month"}
        name = next((c.name for c in self.template.required if c.name not in filled_by_lines), None)
        if name is None:
            raise ScaffoldError(f"{self.template.id}：没有可留空检验的必填列（项目名称、年度、月份以外）")
        self.records[index][name] = None
        return name


# Files of a source, and the commands that write them.


@dataclass(frozen=True, slots=True)
class SourceFiles:
    registry: Path
    suite: Path
    staging: Path
    test: Path

    @classmethod
    def of(cls, source_id: str, root: Path = ROOT) -> SourceFiles:
        return cls(
            registry=root / "registry" / "sources" / f"{source_id}.yaml",
            suite=root / "expectations" / f"{source_id}.json",
            staging=root / "sql" / "staging" / f"stg_{source_id}.sql",
            test=root / "tests" / "sources" / f"test_{source_id}.py",
        )

    def all(self) -> tuple[Path, ...]:
        return (self.registry, self.suite, self.staging, self.test)


def _sql_reserved() -> frozenset[str]:
    with duckdb.connect() as con:
        rows = con.execute("select keyword_name from duckdb_keywords() where keyword_category = 'reserved'")
        return frozenset(name for (name,) in rows.fetchall())


def check_name(source_id: str, root: Path = ROOT) -> None:
    """Refuse a source id that is not a fresh, lower-case SQL identifier."""
    if not _IDENTIFIER.match(source_id):
        raise ScaffoldError(
            f"数据源名称“{source_id}”无效：应为小写英文字母开头，只含小写字母、数字和下划线（如 building_breakdown），"
            "它将用作表名 raw.<名称>、staging.<名称> 和文件名"
        )
    if source_id in _sql_reserved():
        raise ScaffoldError(f"数据源名称“{source_id}”是 SQL 保留字，不能用作表名，请换一个名称")
    taken = [p for p in SourceFiles.of(source_id, root).all() if p.exists()]
    if taken:
        where = "、".join(str(p.relative_to(root)) for p in taken)
        raise ScaffoldError(
            f"数据源“{source_id}”已存在（{where}）。修改它请编辑登记文件后运行 "
            f"`pipeline new-source {source_id} --regenerate`；新建请换一个名称"
        )


def _relative(paths: list[Path], root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in paths]


def new_source(source_id: str, title: str | None = None, root: Path = ROOT) -> list[str]:
    """Write a new source's registry entry, suite, staging view and test; return the files written."""
    check_name(source_id, root)
    files = SourceFiles.of(source_id, root)
    entry = skeleton_yaml(source_id, title or source_id)
    template = Template.model_validate(yaml.safe_load(entry))
    written = [files.registry, files.suite, files.staging, files.test]
    contents = [entry, suite_text(suite_for(template)), staging_sql(template), source_test_module(template)]
    package = files.test.parent / "__init__.py"
    if not package.exists():
        written.append(package)
        contents.append("")
    for path, text in zip(written, contents, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    load_registry(root / "registry")  # the new entry must leave the whole registry loadable
    return _relative(written, root)


@dataclass(slots=True)
class Regenerated:
    """What regeneration did: files rewritten, files already up to date, a staging view left to its author."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    hand_written: list[str] = field(default_factory=list)


def _write_if_changed(path: Path, text: str, done: Regenerated, root: Path) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        done.unchanged.append(str(path.relative_to(root)))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    done.written.append(str(path.relative_to(root)))


def regenerate(source_id: str, root: Path = ROOT) -> Regenerated:
    """Rewrite a source's suite, and its staging view while still generated, from its registry entry."""
    registry = load_registry(root / "registry")
    if source_id not in registry.templates:
        raise ScaffoldError(
            f"登记中没有数据源“{source_id}”（{SourceFiles.of(source_id, root).registry.relative_to(root)}）："
            f"新建请运行 `pipeline new-source {source_id}`"
        )
    template = registry.template(source_id)
    files = SourceFiles.of(source_id, root)
    existing = json.loads(files.suite.read_text(encoding="utf-8")) if files.suite.exists() else None
    done = Regenerated()
    _write_if_changed(files.suite, suite_text(suite_for(template, existing)), done, root)
    mark = GENERATED_SQL_MARK.format(id=source_id)
    if files.staging.exists() and mark not in files.staging.read_text(encoding="utf-8"):
        done.hand_written.append(str(files.staging.relative_to(root)))
    else:
        _write_if_changed(files.staging, staging_sql(template), done, root)
    return done


def run_new_source(source_id: str, title: str | None, regenerate_only: bool, root: Path = ROOT) -> str:
    """Do what `pipeline new-source` was asked to, and return what to tell the engineer."""
    if regenerate_only:
        if title is not None:
            raise ScaffoldError("--title 只用于新建；修改名称请编辑登记文件中的 name_zh，再运行 --regenerate")
        done = regenerate(source_id, root)
        lines = [f"已按登记重新生成数据源 {source_id}："]
        lines += [f"  已更新      {p}" for p in done.written]
        lines += [f"  无需更新    {p}" for p in done.unchanged]
        lines += [f"  手工维护，未改动 {p}（列有增减时请自行修改）" for p in done.hand_written]
        return "\n".join(lines)
    written = new_source(source_id, title, root)
    entry = SourceFiles.of(source_id, root).registry.relative_to(root)
    return "\n".join(
        [
            f"已新建数据源 {source_id}（{title or source_id}）：",
            *(f"  {p}" for p in written),
            f"下一步：按报表实际的列编辑 {entry}，然后运行",
            f"  uv run --frozen pipeline new-source {source_id} --regenerate",
            f"  uv run --frozen pytest tests/sources/test_{source_id}.py",
            "详见 docs/adding-a-source.md。",
        ]
    )
