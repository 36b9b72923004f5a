"""The guides' examples run as written: docs/querying.md's SQL and Python on the demo warehouse, docs/deploying.md's backup."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.indicators import build_indicators
from pipeline.intake import ingest
from pipeline.warehouse import current_version, published_reader

QUERYING = Path(__file__).resolve().parent.parent / "docs" / "querying.md"
TEXT = QUERYING.read_text(encoding="utf-8")
QUERIES = re.findall(r"```sql\n(.*?)```", TEXT, flags=re.S)
# The Python blocks that read a local data root (`var/…`, as `make demo` leaves it); the s3fs one needs a bucket.
SCRIPTS = [s for s in re.findall(r"```python\n(.*?)```", TEXT, flags=re.S) if "import s3fs" not in s]
# A section may say why its query is rightly empty on the demo data; every other query must return rows there.
SECTIONS = {
    query: section for section in re.split(r"^## ", TEXT, flags=re.M) for query in QUERIES if query in section
}
EMPTY_SAID = "Empty on the demo data, and rightly so"


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory, registry, demo):
    """The data root `make demo` leaves: the demo inbox taken in, its draft sent back, the indicators built."""
    from pipeline.settings import Settings

    settings = Settings.from_env(tmp_path_factory.mktemp("docs"))
    demo.write_inbox(settings.inbox)
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)
    return settings


@pytest.fixture(scope="module")
def demo_warehouse(demo_root):
    """The published warehouse of the demo data root, read-only."""
    with duckdb.connect(str(demo_root.warehouse), read_only=True) as con:
        yield con


def test_the_guide_has_the_five_typical_questions_and_more():
    assert len(QUERIES) >= 5


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("number", range(len(QUERIES)), ids=lambda n: f"query{n + 1}")
def test_each_query_returns_rows_on_the_demo_warehouse_or_the_guide_says_why_not(demo_warehouse, number):
    query = QUERIES[number]

    rows = demo_warehouse.execute(query).fetchall()

    if EMPTY_SAID in SECTIONS[query]:
        assert rows == [], "the guide says this query is empty on the demo data"
    else:
        assert rows, "the guide neither gets rows here nor says why an empty answer is right"


@pytest.mark.parametrize("number", range(len(QUERIES)), ids=lambda n: f"query{n + 1}")
def test_each_query_answers_what_it_says(demo_warehouse, demo, number):
    rows = demo_warehouse.execute(QUERIES[number]).fetchall()

    answers = {
        0: lambda: [r[1] for r in rows] == [demo.DRAFT_FILE] and "约200" in rows[0][4][0],
        1: lambda: (
            {(r[2], r[5]) for r in rows}
            == {("中央补助资金", Decimal("409.42")), ("中央预算内投资", Decimal("1054.32"))}
        ),
        2: lambda: rows == [],  # the demo projects kept to schedule
        3: lambda: len(rows) == 9 and rows[0][2] == "预算执行率",
        4: lambda: rows[0][0] == "1,250.1万元" and rows[0][1] == "枣林街道2022年资金台账.xls",
        5: lambda: [r[0] for r in rows] == ["type"] and "约200" in rows[0][4],
    }
    assert answers[number](), rows


def test_the_guide_shows_a_personal_session_from_python_as_it_is_opened():
    # open_personal is a context manager: the guide said only that it "opens" the file, and
    # `con = open_personal(settings)` gave no connection.
    assert any("with open_personal(" in script for script in SCRIPTS)


@pytest.mark.slow  # 5 s or more on two cores: each script imports DuckDB, pandas or the pipeline afresh
@pytest.mark.parametrize("number", range(len(SCRIPTS)), ids=lambda n: f"script{n + 1}")
def test_each_local_python_example_runs_as_written_on_the_demo_data_root(demo_root, tmp_path, number):
    # Run from a folder whose `var` is the demo data root, as after `make demo`.
    (tmp_path / "var").symlink_to(demo_root.home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}

    run = subprocess.run(
        [sys.executable, "-c", SCRIPTS[number]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "枣林街道办事处改造老旧小区" in run.stdout, run.stdout


DEPLOYING = (Path(__file__).resolve().parent.parent / "docs" / "deploying.md").read_text(encoding="utf-8")
BACKUP, RESTORE = re.findall(
    r"```bash\n(.*?)```", DEPLOYING.split("## Backup and restore", 1)[1].split("\n## ", 1)[0], flags=re.S
)

# A project of its own, so the file is accepted beside the demo's register.
LATE_REGISTER = """2022年项目基本信息表
序号,项目编码,项目名称,项目类型,实施单位,计划总投资（万元）
1,QL-2022-001,七里园街道办事处改造老旧小区,老旧小区改造,七里园街道办事处,500
"""


@pytest.mark.slow  # 5 s or more on two cores: three ingests
def test_the_guides_backup_and_restore_commands_give_back_a_warehouse_the_pipeline_reads_and_writes_on(
    settings, registry, demo_inbox, tmp_path
):
    # docs/deploying.md's two bash blocks, as written but for the folder /backup; the restore under the run lock,
    # as the guide says to take it.
    backups = tmp_path / "backup"
    backups.mkdir()
    env = os.environ | {"PIPELINE_HOME": str(settings.home)}
    ingest(settings, registry, progress=False)
    subprocess.run(["bash", "-c", BACKUP.replace("/backup/", f"{backups}/")], env=env, check=True)
    [backup] = backups.iterdir()
    late = settings.inbox / "区财政局" / "2022年项目基本信息表（补报）.csv"
    late.write_text(LATE_REGISTER, encoding="utf-8")
    ingest(settings, registry, progress=False)
    with published_reader(settings.warehouse) as con:
        assert con.execute(
            "select status from ops.submissions where original_name = ?", [late.name]
        ).fetchall() == [("accepted",)]

    restore = RESTORE.replace("/backup/warehouse-2026-11-01.duckdb", str(backup))
    lock = str(settings.home / "run.lock")
    subprocess.run(["flock", lock, "bash", "-c", restore], env=env, check=True)

    # Stamped and read-only as a version the pipeline publishes, so no reader takes it for one written since.
    version = current_version(settings.warehouse)
    stamp = int(re.search(r"-(\d+)\.duckdb$", version.name).group(1))
    assert version.stat().st_mtime_ns == stamp and version.stat().st_mode & 0o777 == 0o444
    with published_reader(settings.warehouse) as con:
        names = [n for (n,) in con.execute("select original_name from ops.submissions").fetchall()]
    assert late.name not in names and len(names) == len(demo_inbox)
    # The file taken in after the backup is unknown to the restored warehouse: the next night takes it in anew.
    ingest(settings, registry, progress=False)
    with published_reader(settings.warehouse) as con:
        assert con.execute(
            "select status from ops.submissions where original_name = ?", [late.name]
        ).fetchall() == [("accepted",)]


def test_the_guides_settings_table_names_every_setting_the_pipeline_reads():
    # PIPELINE_REPORT_TEMPLATES was read by settings.py but missing from the table an operator sets a cluster up by.
    source = (Path(__file__).resolve().parent.parent / "pipeline" / "settings.py").read_text(encoding="utf-8")
    table = DEPLOYING.split("### The pipeline's", 1)[1].split("\n### ", 1)[0]

    read = set(re.findall(r'"(PIPELINE_[A-Z_]+)"', source))

    assert read and {name for name in read if f"`{name}`" not in table} == set()


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readmes_data_root_names_everything_a_night_leaves_in_it(demo_root):
    # work/ (the parse spool's folder) was left out of the tree an operator backs the data root up by.
    tree = README.split("$PIPELINE_HOME/\n", 1)[1].split("```", 1)[0]
    named = {line.split()[0].split("/")[0] for line in tree.splitlines() if line.strip()}

    left = {re.sub(r"\.[0-9a-f]{16}$", ".<hash>", entry.name) for entry in demo_root.home.iterdir()}

    assert left - named == set()


def test_the_readme_lists_every_mart(demo_warehouse):
    # mart.monitoring_findings, a stable table of warehouse.md, was left out of the README's list of the marts.
    listed = README.split("- `mart.*` (`sql/mart/*.sql`)", 1)[1].split("\n- ", 1)[0]

    marts = [
        name
        for (name,) in demo_warehouse.execute(
            "select table_name from duckdb_tables() where schema_name = 'mart'"
        ).fetchall()
    ]

    assert marts and [name for name in marts if f"`{name}`" not in listed] == []


def test_the_readme_names_every_location_setting_and_which_may_be_on_object_storage():
    # PIPELINE_DATA_DOCS, read by settings.py and refused as s3://, was missing from the README's list of them.
    source = (Path(__file__).resolve().parent.parent / "pipeline" / "settings.py").read_text(encoding="utf-8")
    sentence = README.split("Each path can be moved with", 1)[1].split(" may be `s3://", 1)[0]

    local_only = re.findall(r'\bpath\("([a-z_]+)"', source)
    movable = local_only + re.findall(r'\blocation\("([a-z_]+)"', source)

    assert [name for name in movable if f"`PIPELINE_{name.upper()}`" not in sentence] == []
    assert "all but the warehouse and Data Docs" in sentence and local_only == ["warehouse", "data_docs"]


def test_the_guides_say_a_load_published_by_ingest_alone_is_not_exported(settings, register):
    # Both guides said each publish writes the Parquet export; `pipeline ingest` alone publishes its load without one.
    assert current_version(settings.warehouse) is not None
    assert not (settings.export / "LATEST.json").exists()

    assert "`pipeline ingest` on its own publishes its load without an export" in TEXT
    assert "Each publish also writes" not in TEXT + README
