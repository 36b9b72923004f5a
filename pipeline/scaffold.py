"""Scaffold a new kind of submission, and regenerate what is derived from its registry entry.

A source is four files: its registry entry (`registry/sources/<id>.yaml`, the one an engineer edits), its
expectation suite (`expectations/<id>.json`), its staging view (`sql/staging/stg_<id>.sql`) and its test
(`tests/sources/test_<id>.py`). The suite and the view are generated from the registry entry, by
pipeline/generated_suite.py and pipeline/staging_view.py only; regenerating keeps what was written by hand
(rules the registry cannot express, reworded messages, a view edited by hand), so the checked-in suites are
exactly what `suite_for` makes of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.generated_suite import suite_for, suite_text
from pipeline.registry import load_registry
from pipeline.registry_checks import headers_read, name_key
from pipeline.registry_refusals import _IDENTIFIER, sql_keywords
from pipeline.registry_templates import Template
from pipeline.staging_view import GENERATED_SQL_MARK, staging_sql
from pipeline.suites import SuiteError, read_suite

ROOT = Path(__file__).resolve().parent.parent


class ScaffoldError(ValueError):
    """A source cannot be scaffolded or regenerated; the message says why and what to do."""


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
# every key is defined in pipeline/registry_templates.py (Template) and pipeline/registry_columns.py (Column);
# the other files here are examples.
id: {source_id}
name_zh: {_yaml_scalar(title)}
# Who sends it, and how often.
description: 由谁报送、多久报送一次。
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
from pipeline.source_sample import Sample
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


def check_name(source_id: str, root: Path = ROOT) -> None:
    """Refuse a source id that is not a fresh, lower-case SQL identifier."""
    if not _IDENTIFIER.match(source_id):
        raise ScaffoldError(
            f"数据源名称“{source_id}”无效：应为小写英文字母开头，只含小写字母、数字和下划线（如 building_breakdown），"
            "它将用作表名 raw.<名称>、staging.<名称> 和文件名"
        )
    if source_id in sql_keywords("reserved"):
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
    _refuse_twin(template, root)
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


def _refuse_twin(template: Template, root: Path) -> None:
    """Refuse, before writing anything, a new source whose example columns another source still has unedited, or
    whose name another source has."""
    headers = headers_read(template)
    templates = load_registry(root / "registry").templates.values()
    named = next((t for t in templates if name_key(t.name_zh) == name_key(template.name_zh)), None)
    if named is not None:  # load_registry would refuse the two (registry_checks.refuse_same_names)
        raise ScaffoldError(
            f"数据源“{named.id}”已名为“{named.name_zh}”：回执和门户以名称称呼报表，两个同名无法区分。"
            f"请用 --title 给“{template.id}”另起一个名称"
        )
    twin = next((t.id for t in templates if headers_read(t) == headers), None)
    if twin is not None:  # load_registry would refuse the two (registry_checks.refuse_same_headers)
        raise ScaffoldError(
            f"数据源“{twin}”的列还是新建时的示例列，与新数据源的示例列相同：报表会被当作其中之一读取。"
            f"请先按 docs/adding-a-source.md 把 registry/sources/{twin}.yaml 的列改成它自己的，再新建“{template.id}”"
        )


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


def _generated_view(template: Template, text: str) -> bool:
    """Say whether a staging view's text is still the generated one (its `-- Generated from` lines kept)."""
    return GENERATED_SQL_MARK.format(id=template.id) in text


def out_of_date(template: Template, suite: Path, staging: Path) -> list[Path]:
    """Return the files generated from a template's entry that differ from what `--regenerate` would write."""
    stale = []
    existing = read_suite(suite)
    # The checks, not the text: a suite reformatted by an editor checks the same, and its meta is not read by GX.
    if suite_for(template, existing)["expectations"] != existing.get("expectations"):
        stale.append(suite)
    view = staging.read_text(encoding="utf-8")
    if _generated_view(template, view) and view != staging_sql(template):
        stale.append(staging)
    return stale


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
    try:
        existing = read_suite(files.suite) if files.suite.exists() else None
    except SuiteError as exc:  # a hand edit that broke the JSON was a traceback here
        raise ScaffoldError(
            f"{exc}。请修正该文件；或删除它，按登记重新生成（手工添加的规则和改写的文字将丢失）"
        ) from exc
    done = Regenerated()
    _write_if_changed(files.suite, suite_text(suite_for(template, existing)), done, root)
    if files.staging.exists() and not _generated_view(template, files.staging.read_text(encoding="utf-8")):
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
