"""The published warehouse: analysts holding it open never block or break the nightly writer."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from pipeline.cli import main
from pipeline.intake import ingest
from pipeline.warehouse import publish, working_copy, writer
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query

# A second process that opens the published file read-write (as `duckdb warehouse.duckdb` does), answers, waits
# for a line on stdin while the night runs, and answers again on the same connection.
ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    def households():
        return con.execute("select coalesce(sum(households), 0) from staging.compound_list").fetchone()[0]
    print(households(), flush=True)
    sys.stdin.readline()
    print(households(), flush=True)
    """
)


@pytest.fixture
def analyst(settings):
    """Start the analyst's session on the published warehouse; yield a function asking it again."""
    process = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(settings.warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = int(process.stdout.readline() or -1)

    def ask_again() -> int:
        process.stdin.write("\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        assert answer, process.stderr.read()
        return int(answer)

    yield first, ask_again
    process.kill()
    process.wait()


@pytest.fixture
def loaded(settings, registry, register):
    """A warehouse with 枣林's first list (619 households) published."""
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1, mtime=10**18)
    ingest(settings, registry, progress=False)
    return settings


def test_a_night_runs_while_an_analyst_holds_the_warehouse_open(loaded, analyst):
    first, ask_again = analyst
    drop(loaded, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)

    assert main(["--quiet", "run"]) == 0  # ingest, indicators and report

    assert first == 619
    assert query(loaded, "select status from ops.submissions order by submission_id")[-1] == ("accepted",)
    assert query(loaded, "select households from mart.renovated_compounds") == [(931,)]
    assert ask_again() == 619  # the open session keeps the state it started with, whole
    assert query(loaded, "select sum(households) from staging.compound_list") == [
        (931,)
    ]  # a new one sees the night


def test_a_failed_step_publishes_nothing(loaded):
    before = loaded.warehouse.read_bytes()

    with pytest.raises(RuntimeError), writer(loaded.warehouse) as con:
        con.execute("delete from raw.compound_list")
        raise RuntimeError("disk full")

    assert loaded.warehouse.read_bytes() == before
    assert query(loaded, "select count(*) from raw.compound_list") == [(2,)]


def test_publishing_replaces_the_file_in_one_rename(tmp_path):
    work, published = tmp_path / "writer" / "w.duckdb", tmp_path / "w.duckdb"
    work.parent.mkdir()
    with duckdb.connect(str(work)) as con:
        con.execute("create table t as select 1 as x")
    published.write_bytes(b"old")
    reader = published.open("rb")

    publish(work, published)

    assert reader.read() == b"old"  # a reader of the old file is unaffected
    assert published.read_bytes() == work.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert working_copy(published) == work
