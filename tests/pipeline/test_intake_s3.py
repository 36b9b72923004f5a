"""A night on object storage, against a real S3 API (moto's server on 127.0.0.1): shards parsed on two hosts,
each with a data root of its own, loaded by a third that holds the warehouse; receipts, report and export
written to the bucket. What the cluster test proves with Airflow, here in seconds and without it."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import forked, intake, pools
from pipeline.check import waiting_files
from pipeline.indicators import build_indicators
from pipeline.intake import load
from pipeline.intake.scan import shards_of
from pipeline.intake.work import MissingWorkFile
from pipeline.locations import OBJECT_STORE_THREADS
from pipeline.object_fs import object_filesystem
from pipeline.published_objects import published, read_published
from pipeline.report import write_report_files
from pipeline.settings import Settings
from pipeline.warehouse import reader
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2, RecordedPools
from tests.pipeline.test_objectstore import bucket, s3, s3_endpoint  # noqa: F401 - fixtures

REGISTER = "枣林街道办事处/项目基本信息.csv"
COMPOUNDS = "枣林街道办事处/清单.csv"


def host(tmp_path: Path, name: str, bucket: str) -> Settings:  # noqa: F811 - the fixture's value
    """A host's settings: its own data root, and every shared location in the bucket."""
    home = tmp_path / name
    home.mkdir()
    places = {n: f"s3://{bucket}/{n}" for n in ("inbox", "archive", "receipts", "reports", "export", "work")}
    return Settings(
        home=home,
        warehouse=home / "warehouse.duckdb",
        data_docs=home / "data_docs",
        settle_seconds=0.0,
        **places,
    )


def put(s3, bucket: str, key: str, text: str) -> str:  # noqa: F811
    return s3.put_object(Bucket=bucket, Key=f"inbox/{key}", Body=text.encode("utf-8"))["ETag"].strip('"')


def night(writer: Settings, parsers: list[Settings], registry, run_key: str) -> intake.IngestReport:
    """List on the writer, parse a shard on each parser host, load on the writer: the nightly DAG's stages."""
    shards = shards_of(intake.find_new_files(writer), 1, len(parsers))
    keys = []
    for shard, parser in zip(shards, parsers, strict=False):
        keys += intake.parse_shard(parser, registry, shard, run_key=run_key)["work_files"]
    return intake.load_parsed(writer, registry, keys)


@pytest.mark.slow
def test_a_night_on_object_storage_parses_anywhere_and_loads_on_the_writer(tmp_path, bucket, s3, registry):  # noqa: F811
    writer, one, two = (host(tmp_path, name, bucket) for name in ("writer", "one", "two"))
    tags = {
        REGISTER: put(s3, bucket, REGISTER, REGISTER_CSV),
        COMPOUNDS: put(s3, bucket, COMPOUNDS, COMPOUNDS_V1),
    }

    shards = shards_of(intake.find_new_files(writer), 1, 2)
    summaries = [
        intake.parse_shard(h, registry, s, run_key="scheduled__1")
        for s, h in zip(shards, (one, two), strict=True)
    ]
    keys = [k for summary in summaries for k in summary["work_files"]]
    # Keys relative to the work location, never a host's path; nothing left on the parsing hosts' disks.
    assert all(k.startswith("scheduled__1/") and ".spool#" in k for k in keys), keys
    assert not any(p.is_file() for h in (one, two) for p in h.home.rglob("*"))
    recorded = RecordedPools()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(load, "ThreadPoolExecutor", recorded)
        patch.setattr(pools, "ThreadPoolExecutor", recorded)
        patch.setattr(forked, "usable", lambda: True)
        # Processes asked for, as the CLI does for many files: object storage's client lives in this process.
        report = intake.load_parsed(writer, registry, keys, writer_processes=True)

    # Each PUT waits a round trip: on object storage the archive and receipts are written by many threads.
    assert recorded.sizes == {"archive": OBJECT_STORE_THREADS, "receipts": OBJECT_STORE_THREADS}
    assert sorted((o.inbox_path, o.status) for o in report.outcomes) == [
        (COMPOUNDS, "accepted"),
        (REGISTER, "accepted"),
    ]
    with duckdb.connect(str(writer.warehouse), read_only=True) as con:
        markers = dict(con.execute("select inbox_path, marker from ops.inbox_files").fetchall())
        archived, receipts = zip(
            *con.execute("select archive_path, receipt_path from ops.submissions").fetchall(), strict=True
        )
    assert markers == tags  # each object's ETag, the change marker
    fs = object_filesystem()
    assert all(fs.exists(f"{bucket}/archive/{path}") for path in archived)
    assert all(r.startswith(f"s3://{bucket}/receipts/枣林街道办事处/") and fs.exists(r) for r in receipts)
    assert json.loads(fs.cat_file(receipts[0].replace(".html", ".json")))["status"] == "accepted"
    assert fs.find(f"{bucket}/work") == []  # loaded work objects are removed

    # Unchanged objects are not new, whichever host lists them; an object replaced by bytes of the same size
    # (same size, the same second) is told by its new ETag.
    assert intake.find_new_files(writer) == []
    time.sleep(0.01)
    tags[COMPOUNDS] = put(s3, bucket, COMPOUNDS, COMPOUNDS_V1.replace("370", "371"))
    assert intake.find_new_files(writer) == [COMPOUNDS]
    again = night(writer, [one, two], registry, "scheduled__2")
    assert [(o.inbox_path, o.status) for o in again.outcomes] == [(COMPOUNDS, "accepted")]
    with duckdb.connect(str(writer.warehouse), read_only=True) as con:
        assert (
            con.execute("select marker from ops.inbox_files where inbox_path = ?", [COMPOUNDS]).fetchone()[0]
            == tags[COMPOUNDS]
        )
        [(receipt,)] = con.execute(
            "select receipt_path from ops.submissions where inbox_path = ?", [REGISTER]
        ).fetchall()

    # A receipt deleted from the bucket by hand is written again by the next run, though nothing is new.
    fs.rm(receipt.removeprefix("s3://"))
    assert intake.load_parsed(writer, registry, []).outcomes == []
    assert json.loads(fs.cat_file(receipt.replace(".html", ".json")))["status"] == "accepted" and fs.exists(
        receipt
    )


@pytest.mark.slow  # 5 s or more on two cores
def test_marts_report_and_export_are_published_to_the_bucket_and_read_back(tmp_path, bucket, s3, registry):  # noqa: F811
    writer, one = host(tmp_path, "writer", bucket), host(tmp_path, "one", bucket)
    put(s3, bucket, REGISTER, REGISTER_CSV)
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V2)
    night(writer, [one], registry, "scheduled__1")

    year = build_indicators(writer, registry)
    files = write_report_files(writer, year, registry)

    # The report: a version prefix per publish, LATEST.json written last naming it.
    pointer = published(f"s3://{bucket}/reports/{year}")
    assert str(files.html).startswith(f"s3://{bucket}/reports/{year}/{pointer['path']}/")
    assert sorted(Path(f).suffix for f in pointer["files"]) == [".docx", ".html", ".xlsx"]
    html = next(f for f in pointer["files"] if f.endswith(".html"))
    assert "<html" in read_published(f"s3://{bucket}/reports/{year}", html).decode("utf-8")
    # The export, read back from the bucket by DuckDB through fsspec (httpfs cannot be installed here).
    latest = published(f"s3://{bucket}/export")
    assert latest["warehouse_version"] == writer.warehouse.resolve().name
    entry = latest["tables"]["mart.renovated_compounds"]
    con = duckdb.connect()
    con.register_filesystem(object_filesystem())
    relation = con.sql(
        f"select * from read_parquet('s3://{bucket}/export/{latest['path']}/{entry['path']}', hive_partitioning = true)"
    )
    assert relation.aggregate("count(*)").fetchall() == [(entry["rows"],)]
    types = dict(zip(relation.columns, map(str, relation.types), strict=True))
    assert types["households"] == "BIGINT" and types["planned_investment_wan"].startswith("DECIMAL")


def test_a_correction_taken_in_meanwhile_stores_no_old_version(tmp_path, bucket, s3, registry):  # noqa: F811
    # As on a local inbox: the object as it is now (its ETag) is what `pipeline ingest` took in meanwhile.
    writer, one = (host(tmp_path, name, bucket) for name in ("writer", "one"))
    put(s3, bucket, REGISTER, REGISTER_CSV)
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V1)
    keys = intake.parse_shard(one, registry, intake.find_new_files(writer), run_key="scheduled__5")[
        "work_files"
    ]
    corrected = put(s3, bucket, COMPOUNDS, COMPOUNDS_V2)
    intake.ingest(writer, registry, progress=False)

    assert intake.load_parsed(writer, registry, keys).outcomes == []
    with duckdb.connect(str(writer.warehouse), read_only=True) as con:
        assert con.execute(
            "select s.status from ops.submissions as s join ops.inbox_files as f using (inbox_path) "
            "where inbox_path = ? and f.marker = ? order by s.submission_id",
            [COMPOUNDS, corrected],
        ).fetchall() == [("accepted",)]


def test_a_returned_object_put_again_unchanged_is_sent_again(tmp_path, bucket, s3, registry):  # noqa: F811
    # The same bytes put again keep their ETag: only LastModified says the office sent the list again.
    writer = host(tmp_path, "writer", bucket)
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V1)
    [returned] = intake.ingest(writer, registry, progress=False).outcomes
    put(s3, bucket, REGISTER, REGISTER_CSV)
    intake.ingest(writer, registry, progress=False)
    time.sleep(1.1)  # LastModified is told to the second
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V1)

    [again] = intake.ingest(writer, registry, progress=False).outcomes

    assert (returned.status, again.inbox_path, again.status) == ("rejected", COMPOUNDS, "accepted")
    assert intake.ingest(writer, registry, progress=False).outcomes == []


def test_a_returned_object_put_again_unchanged_waits_for_the_night_beside_a_checked_file(
    tmp_path,
    bucket,  # noqa: F811
    s3,  # noqa: F811
    registry,
):
    # `pipeline check` reads a file beside what the night will take in with it; the resent list is among those.
    writer = host(tmp_path, "writer", bucket)
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V1)
    intake.ingest(writer, registry, progress=False)
    put(s3, bucket, REGISTER, REGISTER_CSV)
    intake.ingest(writer, registry, progress=False)
    with reader(writer.warehouse) as con:
        assert waiting_files(con, writer) == []
    time.sleep(1.1)  # LastModified is told to the second
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V1)

    with reader(writer.warehouse) as con:
        assert [path for path, _, _ in waiting_files(con, writer)] == [COMPOUNDS]


def test_a_parse_result_the_loader_cannot_see_fails_at_once_naming_the_key(tmp_path, bucket, s3, registry):  # noqa: F811
    writer = host(tmp_path, "writer", bucket)
    # A worker whose work location is its own disk: the writer, reading the bucket, cannot see its results.
    alone = dataclasses.replace(host(tmp_path, "alone", bucket), work=tmp_path / "alone" / "work")
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V1)
    keys = intake.parse_shard(alone, registry, intake.find_new_files(writer), run_key="scheduled__1")[
        "work_files"
    ]

    with pytest.raises(MissingWorkFile, match="PIPELINE_WORK") as caught:
        intake.load_parsed(writer, registry, keys)
    assert keys[0] in str(caught.value) and caught.value.permanent
    assert not writer.warehouse.exists()  # failed before anything was stored


@pytest.mark.slow  # 5 s or more on two cores
def test_the_command_line_runs_on_object_storage_and_leaves_nothing_but_the_warehouse_local(
    tmp_path,
    bucket,  # noqa: F811
    s3,  # noqa: F811
    monkeypatch,
    capsys,
):
    from pipeline.cli import main

    home = tmp_path / "home"
    monkeypatch.setenv("PIPELINE_HOME", str(home))
    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    for name in ("inbox", "archive", "receipts", "reports", "export", "work"):
        monkeypatch.setenv(f"PIPELINE_{name.upper()}", f"s3://{bucket}/{name}/")
    put(s3, bucket, REGISTER, REGISTER_CSV)
    put(s3, bucket, COMPOUNDS, COMPOUNDS_V2)

    assert main(["init"]) == 0
    assert main(["run"]) == 0
    said = capsys.readouterr().out
    assert f"回执：s3://{bucket}/receipts" in said and f"s3://{bucket}/reports" in said
    local = {p.relative_to(home).parts[0] for p in home.rglob("*") if p.is_file()}
    assert not local & {"inbox", "archive", "receipts", "reports", "export", "work"}, local
    assert published(f"s3://{bucket}/reports/2022") and published(f"s3://{bucket}/export")
    assert main(["status"]) == 0
    assert f"s3://{bucket}/receipts" in capsys.readouterr().out
    # A second run finds both objects as taken in, by their ETags.
    assert main(["--quiet", "ingest"]) == 0
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "select unchanged, new_files from ops.runs order by finished_at desc limit 1"
        ).fetchone() == (2, 0)
