from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.cli import main
from pipeline.generated_suite import GENERATED_RULES, generated_expectations, suite_for, suite_text
from pipeline.parse import parse_file
from pipeline.raw_tables import raw_columns
from pipeline.registry import RegistryError, load_registry
from pipeline.registry_templates import Template
from pipeline.scaffold import SourceFiles, out_of_date, regenerate, run_new_source, skeleton_yaml
from pipeline.source_sample import Sample
from pipeline.staging_view import staging_sql
from pipeline.suites import EXPECTATIONS_DIR, suite_documents
from pipeline.warehouse_schema import SQL_DIR, ensure_raw_table
from tests.pipeline.workbooks import xlsx

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The id these tests scaffold in a copy of the registry: one no source holds, whatever has been added since.
NEW = next(
    name
    for name in (f"scaffold_probe_{n}" for n in range(100))
    if not any(p.exists() for p in SourceFiles.of(name, REPO).all())
)


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
    SourceFiles.of(NEW, root).staging.write_text("-- left over\n", encoding="utf-8")

    with pytest.raises(ValueError, match=rf"已存在（sql/staging/stg_{NEW}\.sql）"):
        run_new_source(NEW, None, False, root)


def test_a_second_source_scaffolded_beside_an_unedited_one_is_refused_and_writes_nothing(root):
    # Both held the example columns: the second's sample workbook was read as the first, silently.
    run_new_source(NEW, None, False, root)
    second = f"{NEW}_b"
    before = sorted(str(p) for p in root.rglob("*"))

    with pytest.raises(ValueError, match=rf"数据源“{NEW}”的列还是新建时的示例列"):
        run_new_source(second, None, False, root)

    assert sorted(str(p) for p in root.rglob("*")) == before
    edited = SourceFiles.of(NEW, root).registry
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("header: 示例数量", "header: 户数"), encoding="utf-8"
    )
    run_new_source(second, None, False, root)
    assert SourceFiles.of(second, root).registry.exists()


def test_a_new_source_named_as_another_is_refused_and_writes_nothing(root):
    # Its receipts would name the form as the other's; written, the registry would no longer load.
    before = sorted(str(p) for p in root.rglob("*"))

    with pytest.raises(ValueError, match="数据源“fund_ledger”已名为“项目资金到位及支付台账”"):
        run_new_source(NEW, "项目资金到位及支付台账", False, root)

    assert sorted(str(p) for p in root.rglob("*")) == before


def test_the_registry_refuses_two_templates_reading_the_same_headers(root):
    source = root / "registry" / "sources"
    copy = (
        (source / "compound_list.yaml")
        .read_text(encoding="utf-8")
        .replace("id: compound_list", "id: compound_copy")
    )
    (source / "compound_copy.yaml").write_text(copy, encoding="utf-8")

    with pytest.raises(RegistryError, match="读取的表头与 sources/compound_copy.yaml 完全相同") as refused:
        load_registry(root / "registry")
    # Before: `sources/compound_list.yaml`, wherever the registry was, and no line.
    said = str(refused.value)
    assert said.startswith(f"{source / 'compound_list.yaml'}: columns ")
    lines = (source / "compound_list.yaml").read_text(encoding="utf-8").splitlines()
    assert said.endswith(f"（第{lines.index('columns:') + 1}行）")


def test_regenerating_an_unknown_source_says_how_to_create_it(root):
    with pytest.raises(ValueError, match="登记中没有数据源“nowhere”.*pipeline new-source nowhere"):
        run_new_source("nowhere", None, True, root)


@pytest.mark.parametrize("title", ["楼栋改造明细", "楼栋: 明细 #2", '"引号"', "123", "yes"])
def test_any_title_is_the_name_zh_the_registry_reads_back(title):
    assert Template.model_validate(yaml.safe_load(skeleton_yaml(NEW, title))).name_zh == title


# Suites: one generator for the scaffold, the regeneration and the checked-in suites.


def test_every_checked_in_suite_is_what_regenerating_it_writes(registry):
    for template_id, template in registry.templates.items():
        written = checked_in_suite(template_id)

        assert suite_text(suite_for(template, json.loads(written))) == written, template_id


def test_hand_written_checks_sharing_a_column_and_rule_stay_where_they_stood(registry):
    # Two checks of one column, rule and type between others were placed by that key: the second went after the
    # first, so the suite never matched what regenerating wrote, and every night refused to start.
    template = registry.template("compound_list")
    existing = json.loads(checked_in_suite("compound_list"))
    hand = [e for e in existing["expectations"] if e["meta"]["rule"] not in GENERATED_RULES]
    first, other = hand[0], hand[1]
    twin = json.loads(json.dumps(first))
    twin["kwargs"]["note"] = "twin"  # same type, column and rule, other arguments
    at = existing["expectations"].index(other) + 1
    existing["expectations"].insert(at, twin)

    suite = suite_for(template, existing)

    assert suite["expectations"] == existing["expectations"]


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

    written = run_new_source(NEW, "楼栋改造明细", False, root)

    files = SourceFiles.of(NEW, root)
    assert written.splitlines()[1:6] == [
        f"  registry/sources/{NEW}.yaml",
        f"  expectations/{NEW}.json",
        f"  sql/staging/stg_{NEW}.sql",
        f"  tests/sources/test_{NEW}.py",
        "  tests/sources/__init__.py",
    ]
    scaffolded = load_registry(root / "registry")
    template = scaffolded.template(NEW)
    assert template.name_zh == "楼栋改造明细"
    assert set(scaffolded.templates) == {*registry.templates, NEW}
    suite = json.loads(files.suite.read_text(encoding="utf-8"))
    assert gx.ExpectationSuite(**suite).to_json_dict() == suite
    assert suite_documents(NEW, root / "expectations")["rows"]["expectations"]
    assert {e["kwargs"]["column"] for e in suite["expectations"] if e["meta"]["rule"] == "required"} == {
        c.name for c in template.columns if c.required
    }
    with duckdb.connect() as con:
        con.execute((SQL_DIR / "ops" / "schema.sql").read_text(encoding="utf-8"))
        ensure_raw_table(con, template)
        con.execute(files.staging.read_text(encoding="utf-8"))
        assert view_columns(con, "staging", NEW) == [
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
    assert sheet.template.id == NEW
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
    run_new_source(NEW, "楼栋改造明细", False, root)
    files = SourceFiles.of(NEW, root)

    first = regenerate(NEW, root)
    entry = files.registry.read_text(encoding="utf-8")
    files.registry.write_text(entry.replace("header: 示例数量", "header: 户数"), encoding="utf-8")
    hand_written = f"create or replace view staging.{NEW} as select 1 as one;\n"
    files.staging.write_text(hand_written, encoding="utf-8")
    second = regenerate(NEW, root)

    assert first.written == [] and len(first.unchanged) == 2
    assert second.written == [f"expectations/{NEW}.json"]
    assert second.hand_written == [f"sql/staging/stg_{NEW}.sql"]
    assert files.staging.read_text(encoding="utf-8") == hand_written
    suite = files.suite.read_text(encoding="utf-8")
    assert "「户数」是必填列" in suite and "请填写确切的户数" in suite and "示例数量" not in suite


def test_an_entry_edited_without_regenerating_leaves_its_files_out_of_date_until_regenerated(root):
    run_new_source(NEW, "楼栋改造明细", False, root)
    files = SourceFiles.of(NEW, root)

    def template() -> Template:  # read again after each edit of the entry
        return load_registry(root / "registry").template(NEW)

    entry = files.registry.read_text(encoding="utf-8")
    fresh = out_of_date(template(), files.suite, files.staging)

    files.registry.write_text(
        entry.replace("已完工: [完工, 已竣工]", "已完工: [完工, 已竣工]\n      停工: []"), "utf-8"
    )
    a_value_added = out_of_date(template(), files.suite, files.staging)
    files.registry.write_text(
        entry.replace(
            "  - {name: example_date,",
            "  - {name: example_note, header: 示例备注, type: text}\n  - {name: example_date,",
        ),
        "utf-8",
    )
    a_column_added = out_of_date(template(), files.suite, files.staging)
    regenerate(NEW, root)

    assert fresh == []
    assert a_value_added == [files.suite]  # the view reads the column whatever its values
    assert a_column_added == [files.suite, files.staging]
    assert out_of_date(template(), files.suite, files.staging) == []


def test_a_suite_reformatted_or_reworded_by_hand_or_a_view_written_by_hand_is_not_out_of_date(root):
    run_new_source(NEW, "楼栋改造明细", False, root)
    files = SourceFiles.of(NEW, root)
    suite = json.loads(files.suite.read_text(encoding="utf-8"))
    suite["expectations"][0]["meta"]["fix_zh"] = "请按区财政局下发的模板填写"
    files.suite.write_text(json.dumps(suite, indent=4), encoding="utf-8")  # an editor's indent, \u escapes
    entry = files.registry.read_text(encoding="utf-8")
    files.registry.write_text(
        entry.replace(
            "  - {name: example_date,",
            "  - {name: example_note, header: 示例备注, type: text}\n  - {name: example_date,",
        ),
        "utf-8",
    )
    files.staging.write_text(f"create or replace view staging.{NEW} as select 1 as one;\n", encoding="utf-8")
    regenerate(NEW, root)
    files.suite.write_text(json.dumps(json.loads(files.suite.read_text("utf-8")), indent=4), encoding="utf-8")

    assert out_of_date(load_registry(root / "registry").template(NEW), files.suite, files.staging) == []
    assert (
        json.loads(files.suite.read_text("utf-8"))["expectations"][0]["meta"]["fix_zh"]
        == "请按区财政局下发的模板填写"
    )


def test_regenerating_reads_a_suite_saved_with_a_bom_and_refuses_a_broken_one_naming_it(root):
    # Both were a JSONDecodeError traceback; the night read neither.
    run_new_source(NEW, "楼栋改造明细", False, root)
    files = SourceFiles.of(NEW, root)
    suite = files.suite.read_text(encoding="utf-8")
    files.suite.write_text("\ufeff" + suite, encoding="utf-8")  # Notepad's UTF-8

    assert regenerate(NEW, root).written == [f"expectations/{NEW}.json"]
    assert files.suite.read_text(encoding="utf-8") == suite
    assert suite_documents(NEW, root / "expectations")["rows"]["expectations"]

    files.suite.write_text(suite.replace('"rule": "required",', '"rule": "required"', 1), encoding="utf-8")
    with pytest.raises(
        ValueError,
        match=rf"{NEW}\.json: 第\d+行第\d+列不是有效的JSON（not valid JSON: Expecting ',' delimiter），请改正",
    ):
        run_new_source(NEW, None, True, root)


# The walkthrough, followed literally in a copy of the repository.

DOC = REPO / "docs" / "adding-a-source.md"
DOC_TEXT = DOC.read_text(encoding="utf-8")
# The source the page adds, read from its `pipeline new-source` line: no test claims the name.
DOC_SOURCE = re.search(r"pipeline new-source (\w+) --title", DOC_TEXT).group(1)
COPIED = (
    "pipeline",
    "registry",
    "expectations",
    "sql",
    "bench",
    "demo",
    "docs",
    "templates",
    "tests",
    "pyproject.toml",
    ".gitignore",
)
# The tests that cover every registered source; with the page's source added they must still pass.
REGISTRY_DEPENDENT = (
    "tests/pipeline/test_registry.py",
    "tests/pipeline/test_scaffold.py",
    "tests/pipeline/test_validate.py",
    "tests/pipeline/test_templates.py",
    "tests/pipeline/test_catalog.py",
    "tests/bench/test_synthetic.py",
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


def doc_files(text: str) -> dict[str, str]:
    """Return the files the page's bash blocks write into the inbox, by name: their heredoc bodies."""
    return dict(re.findall(r'inbox/[^/"]+/([^"]+)" <<\'EOF\'\n(.*?)^EOF$', text, re.S | re.M))


def git(copy: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-C", str(copy), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _short_temp(request: pytest.FixtureRequest) -> Path:
    """Return a temporary folder near the root, removed after the test."""
    # Chromium, run by the copy's tests, puts its singleton socket under TMPDIR; below this test's own tmp_path
    # (/tmp/pytest-of-root/pytest-1040/test_following_…0/) the socket's path passes the 107 bytes a Unix socket's
    # name may take, and Chromium aborts.
    folder = Path(tempfile.mkdtemp(prefix="walk-"))
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


@pytest.mark.slow
def test_following_the_walkthrough_adds_its_monthly_source_and_the_suite_stays_green(
    tmp_path, registry, demo, request
):
    copy = tmp_path / "repo"
    for name in COPIED:
        source, target = REPO / name, copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            # Code only: never a benchmark's data (bench/out holds symlinks to /dev/zero), never followed links.
            shutil.copytree(
                source, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "out")
            )
        else:
            shutil.copy2(source, target)
    # The repository before the walkthrough: without the page's source, should it have been added already.
    for path in SourceFiles.of(DOC_SOURCE, copy).all():
        path.unlink(missing_ok=True)
    new_package = not (copy / "tests" / "sources" / "__init__.py").exists()
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
        "TMPDIR": str(_short_temp(request)),
    }

    run = subprocess.run(
        ["bash", "-c", doc_script(DOC_TEXT)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert git(copy, "diff", "--stat", "--", "pipeline/") == ""
    assert git(copy, "status", "--porcelain", "--untracked-files=all").splitlines() == sorted(
        [
            f"?? expectations/{DOC_SOURCE}.json",
            f"?? registry/sources/{DOC_SOURCE}.yaml",
            f"?? sql/staging/stg_{DOC_SOURCE}.sql",
            f"?? tests/sources/test_{DOC_SOURCE}.py",
            *(["?? tests/sources/__init__.py"] if new_package else []),
        ]
    )
    assert "2 passed" in run.stdout
    # The suite is what the edited entry generates, and the view is still the generated one.
    added = load_registry(copy / "registry")
    template = added.template(DOC_SOURCE)
    assert "month" in template.slice and template.month_from is not None  # the page's example is monthly
    suite = (copy / "expectations" / f"{DOC_SOURCE}.json").read_text(encoding="utf-8")
    assert suite == suite_text(suite_for(template))
    assert (copy / f"sql/staging/stg_{DOC_SOURCE}.sql").read_text(encoding="utf-8") == staging_sql(template)

    # Every file the page writes is accepted, and each month's file stays in force beside the other's.
    files = doc_files(DOC_TEXT)
    dated = {
        name: {int(m) for m in re.findall(r"^\d{4}-(\d{2})-\d{2},", text, re.M)}
        for name, text in files.items()
    }
    monthly = {name: months for name, months in dated.items() if months}
    assert len(monthly) >= 2 and len({frozenset(m) for m in monthly.values()}) == len(monthly)
    data_root = Path(run.stdout.rsplit("DATA_ROOT=", 1)[1].strip())
    with duckdb.connect(str(data_root / "warehouse.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("select original_name, status from ops.submissions").fetchall())
        in_force = dict(
            con.execute(
                f"select s.original_name, list(distinct v.month order by v.month) from staging.{DOC_SOURCE} as v "
                "join ops.submissions as s using (submission_id) group by all"
            ).fetchall()
        )
    assert statuses == dict.fromkeys(files, "accepted")
    assert {name: set(months) for name, months in in_force.items()} == monthly
    for name in monthly:
        receipt = next((data_root / "receipts").rglob(f"{name}.回执.json"))
        assert json.loads(receipt.read_text(encoding="utf-8"))["status"] == "accepted", name
        assert "已被更正版本替代" not in receipt.with_suffix(".html").read_text(encoding="utf-8"), name

    # The new template takes no sheet of the demo inbox from the template it belongs to.
    inbox = tmp_path / "demo_inbox"
    for path in demo.write_inbox(inbox):
        name = str(path.relative_to(inbox))
        before = parse_file(path.read_bytes(), name, registry)
        after = parse_file(path.read_bytes(), name, added)
        assert [s.template.id for s in after.sheets] == [s.template.id for s in before.sheets], name

    # The tests that cover every registered source pass in the copy, with the page's source registered.
    this = f"tests/pipeline/test_scaffold.py::{test_following_the_walkthrough_adds_its_monthly_source_and_the_suite_stays_green.__name__}"
    suite_run = subprocess.run(
        [str(BIN / "pytest"), "-q", "-x", *REGISTRY_DEPENDENT, "--deselect", this],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert suite_run.returncode == 0, suite_run.stdout[-5000:] + suite_run.stderr[-3000:]
