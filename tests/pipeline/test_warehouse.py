"""The published warehouse: read-only versions behind a pointer, which analysts can hold open all night."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import textwrap

import duckdb
import pytest

from pipeline.cli import main
from pipeline.intake import ingest
from pipeline.warehouse import (
    PublishedVersionAltered,
    altered,
    current_version,
    publish,
    published_reader,
    versions,
    working_copy,
    writer,
)
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, drop, query

# A second process that opens the published warehouse read-only, as docs/querying.md says, answers, waits for a
# line on stdin while the night runs, and answers again on the same connection. Read-write sessions are
# tests/hardening/test_analyst.py's.
ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
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


@pytest.mark.slow  # 5 s or more on two cores
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
    before, version = loaded.warehouse.read_bytes(), current_version(loaded.warehouse)

    with pytest.raises(RuntimeError), writer(loaded.warehouse) as con:
        con.execute("delete from raw.compound_list")
        raise RuntimeError("disk full")

    assert loaded.warehouse.read_bytes() == before
    assert current_version(loaded.warehouse) == version
    assert query(loaded, "select count(*) from raw.compound_list") == [(2,)]


def test_a_publication_the_disk_cannot_hold_leaves_no_part_of_its_version(tmp_path, monkeypatch):
    published = tmp_path / "warehouse.duckdb"
    before = publish_value(published, 1)

    def disk_full(source, target):
        with open(source, "rb") as whole, open(target, "wb") as part:
            part.write(whole.read(4096))
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    with pytest.raises(OSError, match="No space left"):
        publish_value(published, 2)

    # The part written is gone with its space; readers keep the version before.
    assert list(versions(published).iterdir()) == [before]
    assert current_version(published) == before and value_in(published) == 1


def test_the_writers_folder_is_closed_to_others(tmp_path):
    # Open to all (0755, from an older data root too), any session on the writer's copy, read-only as well, held a
    # lock the writer could not take: the night failed while it stayed open.
    published = tmp_path / "warehouse.duckdb"
    working_copy(published).parent.mkdir(mode=0o755)
    os.chmod(working_copy(published).parent, 0o775)

    publish_value(published, 1)

    assert stat.S_IMODE(working_copy(published).parent.stat().st_mode) == 0o770
    assert stat.S_IMODE(versions(published).stat().st_mode) & 0o005 == 0o005  # the versions stay for everyone


def publish_value(published, value: int):
    """Publish, through the writer as the pipeline does, a warehouse whose one table holds `value`."""
    with writer(published) as con:
        con.execute("create or replace table t as select ? as x", [value])
    return current_version(published)


def value_in(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select x from t").fetchone()[0]


def test_each_publication_is_a_read_only_version_behind_a_relative_symlink(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    assert current_version(published) is None

    version = publish_value(published, 1)

    assert published.is_symlink()
    assert os.readlink(published) == f"versions/{version.name}"  # the data root can move as a whole
    assert version.parent == versions(published).resolve() and version.name.startswith("warehouse-")
    assert stat.S_IMODE(version.stat().st_mode) == 0o444  # only root can open it read-write
    assert version.read_bytes() == working_copy(published).read_bytes()
    assert value_in(published) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_older_versions_are_deleted_but_the_previous_one_and_open_readers_keep_theirs(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    first = publish_value(published, 1)
    before, held = first.read_bytes(), first.open("rb")  # a reader still on the first version
    first.with_name(f"{first.name}.wal").write_bytes(b"left by a killed read-write session")
    second = publish_value(published, 2)
    (versions(published) / "notes.txt").write_text("not the pipeline's")

    third = publish_value(published, 3)

    assert sorted(p.name for p in versions(published).iterdir()) == sorted(
        [second.name, third.name, "notes.txt"]
    )
    with held:
        assert held.read() == before  # deleted, and still whole for whoever holds it
    assert value_in(published) == 3


def test_a_pointer_and_a_version_left_by_a_killed_publication_are_cleared(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    publish_value(published, 1)
    tmp_path.joinpath(".warehouse.duckdb.publishing").symlink_to("versions/nowhere.duckdb")
    versions(published).joinpath("warehouse-1.duckdb").write_bytes(b"cut short")

    version = publish(working_copy(published), published)

    assert current_version(published) == version.resolve()
    assert not tmp_path.joinpath(".warehouse.duckdb.publishing").is_symlink()
    assert not versions(published).joinpath("warehouse-1.duckdb").exists()


def test_an_older_data_roots_plain_file_and_its_wal_give_way_to_the_pointer(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    work = working_copy(published)
    work.parent.mkdir()
    with duckdb.connect(str(work)) as con:
        con.execute("create table t as select 1 as x")
    shutil.copyfile(work, published)  # as the former publish() left it
    before, held = published.read_bytes(), published.open("rb")
    published.with_name("warehouse.duckdb.wal").write_bytes(b"left by a killed read-write session")

    publish_value(published, 2)

    assert published.is_symlink() and value_in(published) == 2
    assert not published.with_name("warehouse.duckdb.wal").exists()
    with held:
        assert held.read() == before


def test_a_missing_working_copy_is_seeded_from_the_current_version_and_stays_writable(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    publish_value(published, 1)
    shutil.rmtree(working_copy(published).parent)  # as on a new server

    with writer(published) as con:
        assert con.execute("select x from t").fetchall() == [(1,)]
        con.execute("update t set x = 2")

    assert stat.S_IMODE(working_copy(published).stat().st_mode) & 0o200
    assert value_in(published) == 2


def test_a_version_written_into_after_publication_is_told_apart_and_never_built_on(tmp_path, caplog):
    published = tmp_path / "warehouse.duckdb"
    version = publish_value(published, 1)
    assert not altered(version)
    # What a root session does despite the mode: it writes the version, which takes the time of the write.
    version.chmod(0o644)
    with duckdb.connect(str(version)) as con:
        con.execute("update t set x = 666")
    later = version.stat().st_mtime_ns + 120 * 10**9  # as when the session wrote two minutes after the night
    os.utime(version, ns=(later, later))

    with published_reader(published) as con:
        assert con.execute("select x from t").fetchall() == [(666,)]
    shutil.rmtree(working_copy(published).parent)  # and the writer's own copy is gone
    with pytest.raises(PublishedVersionAltered, match="发布后被写入过"), writer(published):
        pass

    assert altered(version)
    assert "发布后被写入过" in caplog.text


def test_a_night_refusing_an_altered_version_says_why_without_a_traceback(settings, registry, capsys):
    published = settings.warehouse
    version = publish_value(published, 1)
    version.chmod(0o644)
    later = version.stat().st_mtime_ns + 120 * 10**9  # a root session wrote it two minutes after the night
    os.utime(version, ns=(later, later))
    shutil.rmtree(working_copy(published).parent)
    for folder in ("inbox", "archive", "receipts"):
        (settings.home / folder).mkdir(exist_ok=True)

    assert main(["ingest"]) == 1

    said = capsys.readouterr().err
    assert "发布后被写入过" in said and "Traceback" not in said
    assert not working_copy(published).exists()


def test_a_published_reader_stays_on_its_version_through_a_publication(tmp_path):
    published = tmp_path / "warehouse.duckdb"
    publish_value(published, 1)

    with published_reader(published) as con:
        publish_value(published, 2)
        assert con.execute("select x from t").fetchall() == [(1,)]
        assert con.execute("select current_setting('TimeZone')").fetchone() == ("Asia/Shanghai",)
    with published_reader(published) as con:
        assert con.execute("select x from t").fetchall() == [(2,)]


def test_nothing_published_is_said_plainly(tmp_path):
    with pytest.raises(FileNotFoundError, match="尚未发布数据仓库"), published_reader(tmp_path / "w.duckdb"):
        pass


def test_a_new_connection_in_the_same_process_sees_a_new_publication(tmp_path):
    # What docs/querying.md says of DuckDB's instance cache: it is keyed by the file the pointer resolves to, so
    # a connection opened after a publication reads the new version even while an older one is still open.
    published = tmp_path / "warehouse.duckdb"
    publish_value(published, 1)
    old = duckdb.connect(str(published), read_only=True)

    version = publish_value(published, 2)
    new = duckdb.connect(str(published), read_only=True)

    assert new.execute("select x from t").fetchone() == (2,)
    assert new.execute("select current_database()").fetchone() == (version.stem,)  # named after its version
    assert old.execute("select x from t").fetchone() == (1,)  # an open connection keeps its version
    again = duckdb.connect(str(published), read_only=True)
    assert again.execute("select x from t").fetchone() == (2,)  # and shares the instance of the new one
    for con in (old, new, again):
        con.close()


def test_the_dags_load_is_published_once_with_the_marts_rebuilt_from_it_or_alone_if_they_fail(
    loaded, registry, monkeypatch
):
    # The DAG's load published a version of its own: until annual_indicators rebuilt them, and for good if that
    # failed, its marts were the night before's, citing the files the load had superseded.
    from pipeline import indicators
    from pipeline.intake import find_new_shards, load_parsed, parse_shard

    indicators.build_indicators(loaded, registry)
    drop(loaded, "枣林街道办事处/清单（更正）.csv", COMPOUNDS_V2, mtime=2 * 10**18)
    # The nightly DAG's tasks, as they call the pipeline: its load leaves the version as it was, marts and all.
    before = current_version(loaded.warehouse)
    [shard] = find_new_shards(loaded)
    parsed = parse_shard(loaded, registry, shard, run_key="scheduled__night")
    load_parsed(loaded, registry, parsed["work_files"], publish_it=False)
    assert current_version(loaded.warehouse) == before
    assert query(loaded, "select sum(households) from staging.compound_list") == [(619,)]

    # annual_indicators' first task: marts that cannot be rebuilt leave the load to go out alone, said as failed.
    def out_of_memory(*_):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    with monkeypatch.context() as patch, pytest.raises(duckdb.OutOfMemoryException):
        patch.setattr(indicators, "rebuild_within_memory", out_of_memory)
        indicators.build_indicators(loaded, registry)
    assert query(loaded, "select sum(households) from staging.compound_list") == [(931,)]
    assert query(loaded, "select households from mart.renovated_compounds") == [(619,)]

    indicators.build_indicators(loaded, registry)
    assert query(loaded, "select households from mart.renovated_compounds") == [(931,)]
