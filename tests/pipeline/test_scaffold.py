from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.cli import main
from pipeline.parse import parse_file
from pipeline.registry import ColumnType, Template, load_registry
from pipeline.scaffold import (
    GENERATED_RULES,
    Sample,
    SourceFiles,
    generated_expectations,
    regenerate,
    run_new_source,
    skeleton_yaml,
    staging_sql,
    suite_for,
    suite_text,
)
from pipeline.validate import EXPECTATIONS_DIR, suite_documents
from pipeline.warehouse import SQL_DIR, ensure_raw_table, raw_columns
from tests.pipeline.workbooks import xlsx

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def kinds(suite: dict) -> list[tuple]:
    """Return what each expectation checks, without its wording."""
    return [(e["type"], e["kwargs"], e["meta"]["rule"]) for e in suite["expectations"]]


def checked_in_suite(template_id: str) -> str:
    return (EXPECTATIONS_DIR / f"{template_id}.json").read_text(encoding="utf-8")


def view_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project root holding a copy of the registry and empty suite, staging and test folders."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "registry", root / "registry")
    for folder in ("expectations", "sql/staging", "tests"):
        (root / folder).mkdir(parents=True)
    return root


# Names.


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Building", "数据源名称“Building”无效：应为小写英文字母开头"),
        ("2022_buildings", "数据源名称“2022_buildings”无效"),
        ("building-breakdown", "数据源名称“building-breakdown”无效"),
        ("select", "数据源名称“select”是 SQL 保留字"),
        ("compound_list", "数据源“compound_list”已存在（registry/sources/compound_list.yaml、"),
    ],
)
def test_new_source_refuses_an_invalid_or_taken_name_and_writes_nothing(name, says, capsys):
    files = SourceFiles.of(name)
    before = [p.stat().st_mtime_ns if p.exists() else None for p in files.all()]

    assert main(["new-source", name, "--title", "楼栋改造明细"]) == 2

    assert says in capsys.readouterr().err
    assert [p.stat().st_mtime_ns if p.exists() else None for p in files.all()] == before


def test_a_name_taken_by_a_leftover_file_is_refused_too(root):
    SourceFiles.of("building_breakdown", root).staging.write_text("-- left over\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"已存在（sql/staging/stg_building_breakdown\.sql）"):
        run_new_source("building_breakdown", None, False, root)


def test_regenerating_an_unknown_source_says_how_to_create_it(root):
    with pytest.raises(ValueError, match="登记中没有数据源“nowhere”.*pipeline new-source nowhere"):
        run_new_source("nowhere", None, True, root)


@pytest.mark.parametrize("title", ["楼栋改造明细", "楼栋: 明细 #2", '"引号"', "123", "yes"])
def test_any_title_is_the_name_zh_the_registry_reads_back(title):
    assert (
        Template.model_validate(yaml.safe_load(skeleton_yaml("building_breakdown", title))).name_zh == title
    )


# Suites: one generator for the scaffold, the regeneration and the checked-in suites.


def test_every_checked_in_suite_is_what_regenerating_it_writes(registry):
    for template_id, template in registry.templates.items():
        written = checked_in_suite(template_id)

        assert suite_text(suite_for(template, json.loads(written))) == written, template_id


def test_the_registry_alone_generates_every_registry_check_of_the_checked_in_suites(registry):
    for template_id, template in registry.templates.items():
        checked_in = json.loads(checked_in_suite(template_id))
        by_registry = [e for e in checked_in["expectations"] if e["meta"]["rule"] in GENERATED_RULES]
        fresh = generated_expectations(template)

        assert kinds({"expectations": fresh}) == kinds({"expectations": by_registry}), template_id
        if template_id in ("compound_list", "fund_ledger", "investment_progress", "satisfaction_survey"):
            assert fresh == by_registry, template_id  # word for word, where nobody reworded a message


def test_regenerating_follows_the_registry_and_keeps_what_was_written_by_hand(registry):
    compound_list = registry.template("compound_list")
    existing = json.loads(checked_in_suite("compound_list"))
    households_type = next(e for e in existing["expectations"] if e["kwargs"].get("column") == "households")
    households_type["meta"]["fix_zh"] = "请填写确切的户数（整数）"
    columns = []
    for column in compound_list.columns:
        if column.name == "area_m2":
            continue
        if column.name == "status":
            column = column.model_copy(update={"values": {**column.values, "暂缓": ()}})
        if column.name == "renovation_content":
            column = column.model_copy(update={"required": True})
        columns.append(column)
    edited = compound_list.model_copy(update={"columns": tuple(columns)})

    suite = suite_for(edited, existing)

    checks = [
        (e["kwargs"].get("column", e["kwargs"].get("column_list")), e["meta"]["rule"])
        for e in suite["expectations"]
    ]
    assert not [c for c in checks if c[0] == "area_m2"]
    assert checks[checks.index(("compound_name", "required")) + 1] == (
        ["_batch", "_sheet", "compound_name"],
        "unique_compound",
    )
    assert checks[checks.index(("renovation_content", "type")) + 1] == ("renovation_content", "required")
    [enum] = [e for e in suite["expectations"] if e["meta"]["rule"] == "enum"]
    assert enum["kwargs"]["value_set"] == ["未开工", "在建", "已完工", "暂缓"]
    assert enum["meta"]["expected_zh"] == "应为以下之一：未开工、在建、已完工、暂缓"
    assert households_type in suite["expectations"]
    assert suite["meta"] == existing["meta"]


# Staging views.


def test_generated_staging_views_have_the_columns_of_the_hand_written_ones(registry):
    with duckdb.connect() as con:
        con.execute((SQL_DIR / "ops" / "schema.sql").read_text(encoding="utf-8"))
        con.execute("create schema generated")
        for template_id, template in registry.templates.items():
            ensure_raw_table(con, template)
            con.execute((SQL_DIR / "staging" / f"stg_{template_id}.sql").read_text(encoding="utf-8"))
            con.execute(
                staging_sql(template).replace(f"view staging.{template_id}", f"view generated.{template_id}")
            )

            generated = view_columns(con, "generated", template_id)
            raw = [name for name, _, _ in raw_columns(template) if name != "slice_key"]
            assert sorted(generated) == sorted(raw), template_id
            # The hand-written views add computed columns (month of a date) but drop none.
            assert set(generated) <= set(view_columns(con, "staging", template_id)), template_id


# Samples: the generated tests' workbooks.


@pytest.mark.parametrize(
    "template_id", ["compound_list", "investment_progress", "scale_and_cost", "report_narrative"]
)
def test_the_sample_of_any_template_is_read_back_as_written(registry, template_id):
    sample = Sample.of(
        registry.template(template_id), registry, unit="枣林街道办事处", project="某项目", year=2022
    )

    parsed = parse_file(xlsx({"Sheet1": sample.sheet_rows()}), "枣林街道办事处/样例.xlsx", registry)

    assert parsed.all_problems == []
    assert [s.template.id for s in parsed.sheets] == [template_id]
    assert [tuple(r[c] for c in sample.columns) for r in parsed.sheets[0].records] == sample.expected_rows()
    assert len(set(sample.expected_rows())) == 2


# A scaffolded source, before anyone edits it.


def test_a_scaffolded_source_is_complete_and_parses_its_own_sample(root, registry):
    import great_expectations as gx

    written = run_new_source("building_breakdown", "楼栋改造明细", False, root)

    files = SourceFiles.of("building_breakdown", root)
    assert written.splitlines()[1:6] == [
        "  registry/sources/building_breakdown.yaml",
        "  expectations/building_breakdown.json",
        "  sql/staging/stg_building_breakdown.sql",
        "  tests/sources/test_building_breakdown.py",
        "  tests/sources/__init__.py",
    ]
    scaffolded = load_registry(root / "registry")
    template = scaffolded.template("building_breakdown")
    assert template.name_zh == "楼栋改造明细"
    assert set(scaffolded.templates) == {*registry.templates, "building_breakdown"}
    suite = json.loads(files.suite.read_text(encoding="utf-8"))
    assert gx.ExpectationSuite(**suite).to_json_dict() == suite
    assert suite_documents("building_breakdown", root / "expectations")["rows"]["expectations"]
    assert {e["kwargs"]["column"] for e in suite["expectations"] if e["meta"]["rule"] == "required"} == {
        c.name for c in template.columns if c.required
    }
    with duckdb.connect() as con:
        con.execute((SQL_DIR / "ops" / "schema.sql").read_text(encoding="utf-8"))
        ensure_raw_table(con, template)
        con.execute(files.staging.read_text(encoding="utf-8"))
        assert view_columns(con, "staging", "building_breakdown") == [
            *("submission_id", "sheet", "excel_row", "unit", "project_code", "project_name", "year"),
            *("example_name", "example_count", "example_amount_wan", "example_date", "example_status"),
        ]
    ruff = [str(BIN / "ruff"), "--config", str(REPO / "pyproject.toml")]
    for command in (["format", "--check"], ["check"]):
        result = subprocess.run([*ruff, *command, str(files.test)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    sample = Sample.of(template, scaffolded, unit="枣林街道办事处", project="某项目", year=2022)
    parsed = parse_file(xlsx({"Sheet1": sample.sheet_rows()}), "枣林街道办事处/样例.xlsx", scaffolded)

    assert parsed.all_problems == []
    [sheet] = parsed.sheets
    assert sheet.template.id == "building_breakdown"
    assert [tuple(r[c] for c in sample.columns) for r in sheet.records] == sample.expected_rows()
    assert [r["excel_row"] for r in sheet.records] == [sample.excel_row(0), sample.excel_row(1)]
    assert sample.expected_rows()[1][2:] == (
        "示例名称2",
        20,
        Decimal("200.25"),
        dt.date(2022, 6, 2),
        "在建",
    )


def test_regenerating_writes_only_what_changed_and_leaves_a_hand_edited_view_alone(root):
    run_new_source("building_breakdown", "楼栋改造明细", False, root)
    files = SourceFiles.of("building_breakdown", root)

    first = regenerate("building_breakdown", root)
    entry = files.registry.read_text(encoding="utf-8")
    files.registry.write_text(entry.replace("header: 示例数量", "header: 户数"), encoding="utf-8")
    hand_written = "create or replace view staging.building_breakdown as select 1 as one;\n"
    files.staging.write_text(hand_written, encoding="utf-8")
    second = regenerate("building_breakdown", root)

    assert first.written == [] and len(first.unchanged) == 2
    assert second.written == ["expectations/building_breakdown.json"]
    assert second.hand_written == ["sql/staging/stg_building_breakdown.sql"]
    assert files.staging.read_text(encoding="utf-8") == hand_written
    suite = files.suite.read_text(encoding="utf-8")
    assert "「户数」是必填列" in suite and "请填写确切的户数" in suite and "示例数量" not in suite


# The walkthrough, followed literally in a copy of the repository.

DOC = REPO / "docs" / "adding-a-source.md"
COPIED = (
    "pipeline",
    "registry",
    "expectations",
    "sql",
    "pyproject.toml",
    ".gitignore",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/pipeline/__init__.py",
    "tests/pipeline/workbooks.py",
)
# `uv run --frozen X` runs X from this interpreter's environment; anything else the page asks of uv fails.
UV_SHIM = """#!/bin/sh
if [ "$1" = run ] && [ "$2" = --frozen ]; then shift 2; exec "$@"; fi
echo "the walkthrough ran an unexpected uv command: uv $*" >&2
exit 97
"""


def doc_script(text: str) -> str:
    """Turn the page's bash blocks, and its yaml block written to the file its first line names, into one script."""
    steps = []
    for language, body in re.findall(r"^```(bash|yaml)\n(.*?)^```$", text, re.S | re.M):
        if language == "yaml":
            path = re.match(r"# (\S+)\n", body).group(1)
            steps.append(f"cat > {path} <<'END_OF_YAML'\n{body}END_OF_YAML")
        else:
            steps.append(body)
    return "set -euo pipefail\n" + "\n".join(steps) + 'echo "DATA_ROOT=$PIPELINE_HOME"\n'


def git(copy: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-C", str(copy), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_following_the_walkthrough_adds_building_breakdown_without_touching_python(tmp_path, registry, demo):
    copy = tmp_path / "repo"
    for name in COPIED:
        source, target = REPO / name, copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    git(copy, "init", "--quiet")
    git(copy, "add", ".")
    git(copy, "commit", "--quiet", "-m", "the repository before the walkthrough")
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "uv").write_text(UV_SHIM, encoding="utf-8")
    (shim / "uv").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")} | {
        "PATH": f"{shim}:{BIN}:{os.environ['PATH']}",
        "PYTHONPATH": str(copy),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_ADDOPTS": "-p no:cacheprovider",
        "TMPDIR": str(tmp_path),
    }

    run = subprocess.run(
        ["bash", "-c", doc_script(DOC.read_text(encoding="utf-8"))],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert git(copy, "diff", "--stat", "--", "pipeline/") == ""
    assert git(copy, "status", "--porcelain", "--untracked-files=all").splitlines() == [
        "?? expectations/building_breakdown.json",
        "?? registry/sources/building_breakdown.yaml",
        "?? sql/staging/stg_building_breakdown.sql",
        "?? tests/sources/__init__.py",
        "?? tests/sources/test_building_breakdown.py",
    ]
    assert "2 passed" in run.stdout
    # The suite is what the edited entry generates, and the view is still the generated one.
    added = load_registry(copy / "registry")
    template = added.template("building_breakdown")
    assert template.column("households").type is ColumnType.COUNT
    suite = (copy / "expectations" / "building_breakdown.json").read_text(encoding="utf-8")
    assert suite == suite_text(suite_for(template))
    assert (copy / "sql/staging/stg_building_breakdown.sql").read_text(encoding="utf-8") == staging_sql(
        template
    )

    data_root = Path(run.stdout.rsplit("DATA_ROOT=", 1)[1].strip())
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        statuses = con.execute("select original_name, status from ops.submissions order by 1").fetchall()
        rows = con.execute(
            "select unit, project_name, year, compound_name, building_no, entrances, households, "
            "renovation_content, planned_investment_wan, finish_date "
            "from staging.building_breakdown order by excel_row"
        ).fetchall()
    assert statuses == [("2022年楼栋改造明细.csv", "accepted"), ("2022年项目基本信息表.csv", "accepted")]
    where = ("枣林街道办事处", "枣林街道办事处改造老旧小区", 2022)
    assert rows == [
        (*where, "棉纺厂东院", "1号楼", 3, 36, "外墙保温、屋面防水", Decimal("128.5"), dt.date(2022, 10, 31)),
        (*where, "棉纺厂东院", "2号楼", 2, 24, "外墙保温", Decimal("86.2"), dt.date(2022, 11, 15)),
        (
            *where,
            "印染厂家属院",
            "5号楼",
            4,
            48,
            "管网改造、加装电梯",
            Decimal("203.75"),
            dt.date(2022, 12, 20),
        ),
    ]

    # The new template takes no sheet of the demo inbox from the template it belongs to.
    inbox = tmp_path / "demo_inbox"
    for path in demo.write_inbox(inbox):
        name = str(path.relative_to(inbox))
        before = parse_file(path.read_bytes(), name, registry)
        after = parse_file(path.read_bytes(), name, added)
        assert [s.template.id for s in after.sheets] == [s.template.id for s in before.sheets], name
