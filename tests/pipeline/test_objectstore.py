"""Inbox, archive, receipts, published sets and work files on object storage, against a real S3 API (moto's
server on 127.0.0.1), configured only by the standard AWS environment variables."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import pickle
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from pipeline import locations, object_archive, object_inbox, runlock, store_claim
from pipeline.inbox_entries import InboxEntry, InboxUnusable, NotTakenIn, Unreadable
from pipeline.inbox_storage import same_object, storage_for
from pipeline.locations import is_url, join_location, writer_threads
from pipeline.object_fs import object_filesystem
from pipeline.object_inbox import ObjectEntry
from pipeline.object_io import list_objects, put_text
from pipeline.objectstore import ObjectStorage
from pipeline.published_objects import publish_objects, published, read_published, upload_folder
from pipeline.runlock import run_lock
from pipeline.settings import Settings
from pipeline.storage import LocalStorage
from pipeline.store_claim import CLAIM, ID_FILE, StoreClaimed
from pipeline.warehouse_lost import warehouse_lost
from pipeline.work_files import (
    read_work_object,
    reading,
    remove_work_objects,
    work_location,
    write_work_object,
    writing,
)


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh bucket; endpoint, keys and region only in the environment, as a deployment sets them."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "PIPELINE_WORK"):
        monkeypatch.delenv(name, raising=False)
    # No configuration from the machine running the tests.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    name = f"budget-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(bucket: str):
    return boto3.client("s3")


def _settings(tmp_path: Path, bucket: str, settle_seconds: float = 0.0) -> Settings:
    return Settings(
        home=tmp_path,
        inbox=f"s3://{bucket}/inbox",
        archive=f"s3://{bucket}/archive",
        receipts=f"s3://{bucket}/receipts",
        warehouse=tmp_path / "warehouse.duckdb",
        reports=f"s3://{bucket}/reports",
        data_docs=tmp_path / "data_docs",
        settle_seconds=settle_seconds,
    )


@pytest.fixture
def storage(tmp_path: Path, bucket: str) -> ObjectStorage:
    return ObjectStorage(_settings(tmp_path, bucket))


def _put(s3, bucket: str, key: str, body: bytes) -> str:
    return s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')


# --- locations and the factory -----------------------------------------------------------------------------------
def test_is_url_tells_urls_from_paths():
    assert is_url("s3://budget/inbox")
    assert is_url("S3://budget")
    assert not is_url("/srv/budget/inbox")
    assert not is_url("inbox")
    assert not is_url(Path("/srv/inbox"))
    # A URL that went through Path has lost its `//`: it is no URL, and settings must keep URLs as str.
    assert not is_url(Path("s3://budget/inbox"))
    assert join_location("s3://budget/reports/", "2022") == "s3://budget/reports/2022"
    assert join_location(Path("/srv/reports"), "2022") == Path("/srv/reports/2022")


def test_writer_threads_are_few_on_a_disk_and_many_on_object_storage():
    assert writer_threads("/srv/budget/archive", 2) == 2
    assert writer_threads(Path("/srv/budget/receipts"), 1) == 1
    assert writer_threads("s3://budget/receipts", 1) == locations.OBJECT_STORE_THREADS > 1


def test_storage_for_picks_the_backend_by_the_inbox_scheme(tmp_path: Path, bucket: str):
    local = dataclasses.replace(_settings(tmp_path, bucket), inbox=tmp_path / "inbox", archive=tmp_path / "a")
    assert type(storage_for(local)) is LocalStorage
    assert type(storage_for(_settings(tmp_path, bucket))) is ObjectStorage
    with pytest.raises(ValueError, match="both"):
        storage_for(dataclasses.replace(local, inbox=f"s3://{bucket}/inbox"))
    with pytest.raises(ValueError, match="went through Path"):
        storage_for(dataclasses.replace(local, inbox=Path(f"s3://{bucket}/inbox")))
    with pytest.raises(ValueError, match="inside the inbox"):
        storage_for(dataclasses.replace(local, inbox=f"s3://{bucket}", archive=f"s3://{bucket}/archive"))
    with pytest.raises(ValueError, match="inside the inbox"):
        storage_for(
            dataclasses.replace(local, inbox=f"s3://{bucket}/in", archive=f"s3://{bucket}/in/archive")
        )
    beside = dataclasses.replace(local, inbox=f"s3://{bucket}/in", archive=f"s3://{bucket}/inx")
    assert type(storage_for(beside)) is ObjectStorage  # a prefix that merely starts alike is beside it
    with pytest.raises(ValueError, match="unsupported"):
        storage_for(dataclasses.replace(local, inbox="gs://b/inbox", archive="gs://b/archive"))


def test_object_storage_has_the_interface_of_local_storage():
    def public(cls) -> dict[str, list[str]]:
        # Inherited members too: ObjectStorage's come from ObjectInbox and ObjectArchive.
        return {
            name: list(inspect.signature(member).parameters)
            for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and callable(member)
        }

    local, remote = public(LocalStorage), public(ObjectStorage)
    assert {name: remote.get(name) for name in local} == local


def test_s3fs_takes_endpoint_and_keys_from_the_aws_environment(bucket: str, s3, monkeypatch):
    import s3fs

    _put(s3, bucket, "inbox/x.csv", b"1")
    # No endpoint, key or region given: botocore reads AWS_ENDPOINT_URL and the keys itself.
    assert s3fs.S3FileSystem(skip_instance_cache=True).ls(f"{bucket}/inbox") == [f"{bucket}/inbox/x.csv"]
    fs = object_filesystem()
    assert object_filesystem() is fs  # one per process and environment
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert object_filesystem() is not fs  # a new endpoint, a new file system


# --- the inbox ---------------------------------------------------------------------------------------------------
def test_scan_lists_objects_with_sizes_etags_and_chinese_names(storage: ObjectStorage, bucket: str, s3):
    written = {
        "枣林街道/2022年预算执行情况表.xlsx": b"xlsx bytes",
        "区财政局/代报/项目绩效自评表.csv": b"a,b\n1,2\n",
        "根目录文件.CSV": b"",
        "示范区住建局/报表.2022年12月最终版（修改后）": b"no extension",
    }
    etags = {path: _put(s3, bucket, f"inbox/{path}", body) for path, body in written.items()}
    for key, body in {
        "inbox/空文件夹/": b"",  # a "folder" made in a console
        "inbox/.sync/状态.csv": b"x",  # a sync client's hidden folder
        "inbox/枣林街道/.~lock.报表.xlsx#": b"x",
        "inbox/枣林街道/~$报表.xlsx": b"x",  # an Office lock file
        "inbox/枣林街道/.隐藏清单.xlsx": b"x",  # a survey hidden by mistake: logged, not taken in
        "inbox/枣林街道/.DS_Store": b"x",  # macOS's own: passed over silently
        "inbox/枣林街道/Thumbs.db": b"x",  # Windows' own: passed over silently
        "inbox/a//b.csv": b"x",  # an empty segment: no file a folder could hold
        "inbox2/其他.csv": b"x",  # beside the inbox, not in it
        "inboxes.csv": b"x",
        "archive/ab/x.csv": b"x",
    }.items():
        _put(s3, bucket, key, body)

    before = time.time_ns()
    listing = storage.scan()
    files = {entry.path: entry for entry in listing.files}
    assert set(files) == set(written)
    for path, entry in files.items():
        assert isinstance(entry, InboxEntry)
        assert entry.size == len(written[path])
        assert entry.marker == etags[path] == hashlib.md5(written[path]).hexdigest()
        assert entry.raw is None  # keys are Unicode: names arrive decoded
        assert abs(entry.mtime_ns - before) < 60e9 and entry.mtime_ns % 1_000_000_000 == 0
    assert files["根目录文件.CSV"].suffix == ".csv"
    assert files["示范区住建局/报表.2022年12月最终版（修改后）"].suffix == ""
    assert [(s.path, s.kind, s.retried) for s in listing.skipped] == [  # in the order a local walk gives
        ("a//b.csv", "other", False),
        ("枣林街道/.~lock.报表.xlsx#", "office_lock", False),
        ("枣林街道/.隐藏清单.xlsx", "hidden", False),
        ("枣林街道/~$报表.xlsx", "office_lock", False),
    ]
    assert [e.path for e in storage.list_inbox()] == [e.path for e in listing.files]
    assert storage.raw_path("枣林街道/2022年预算执行情况表.xlsx") is None


def test_keys_no_folder_could_hold_are_logged_never_passed_over(storage: ObjectStorage, bucket: str, s3):
    """An object with bytes under a `.`/`..` segment, or a "folder" key with bytes, is a skip with its reason."""
    for key in (
        "inbox/枣林街道/../清单.csv",
        "inbox/../清单.csv",
        "inbox/枣林街道/./清单.csv",
        "inbox/枣林街道/目录/",
    ):
        _put(s3, bucket, key, b"a,b\n1,2\n")
    # A console's empty "folder": no file, and nothing to tell.
    _put(s3, bucket, "inbox/枣林街道/空目录/", b"")
    listing = storage.scan()
    assert listing.files == []
    assert sorted((s.path, s.kind) for s in listing.skipped) == [
        ("../清单.csv", "other"),
        ("枣林街道/../清单.csv", "other"),
        ("枣林街道/./清单.csv", "other"),
        ("枣林街道/目录/", "other"),
    ]
    assert all("“..”" in s.reason_zh for s in listing.skipped)


def test_the_inbox_folder_marker_is_no_skip(storage: ObjectStorage, bucket: str, s3):
    """The `inbox/` object a console makes for the folder itself is not logged, nameless, every night."""
    _put(s3, bucket, "inbox/", b"")
    _put(s3, bucket, "inbox/枣林街道/清单.csv", b"a,b\n1,2\n")
    listing = storage.scan()
    assert [e.path for e in listing.files] == ["枣林街道/清单.csv"]
    assert listing.skipped == []


def test_an_inbox_bucket_that_cannot_be_listed_is_a_broken_data_root(tmp_path: Path, bucket: str):
    with pytest.raises(InboxUnusable) as broken:
        ObjectStorage(_settings(tmp_path, f"{bucket}-missing")).scan()
    assert f"{bucket}-missing" in str(broken.value) and "收件箱无法列出" in str(broken.value)


def test_the_settle_window_defers_a_just_written_object(tmp_path: Path, bucket: str, s3):
    path = "枣林街道/刚上传.xlsx"
    _put(s3, bucket, f"inbox/{path}", b"just uploaded")
    storage = ObjectStorage(_settings(tmp_path, bucket, settle_seconds=120))
    (entry,) = storage.scan().files  # listed, never read
    assert storage.settling(entry)
    for read in (storage.stat_inbox, storage.read_inbox, storage.inbox_sha256, storage.archive_inbox_file):
        with pytest.raises(NotTakenIn) as left:
            read(path)
        assert (left.value.skipped.kind, left.value.skipped.retried) == ("settling", True)
    assert not storage.readable(path)
    an_hour_ago = ObjectEntry(path, entry.size, time.time_ns() - 3600 * 10**9, marker=entry.marker)
    assert not storage.settling(an_hour_ago)
    # Once the window has passed (here: set to 0), the same object is read.
    settled = ObjectStorage(dataclasses.replace(storage.settings, settle_seconds=0))
    assert settled.read_inbox(path)[0] == b"just uploaded"


def test_read_returns_the_bytes_and_the_entry_of_the_version_read(storage: ObjectStorage, bucket: str, s3):
    path = "区财政局/2022年预算执行情况表.xlsx"
    body = "预算执行".encode() * 1000
    etag = _put(s3, bucket, f"inbox/{path}", body)
    content, entry = storage.read_inbox(path)
    assert content == body
    assert (entry.path, entry.size, entry.marker) == (path, len(body), etag)
    assert storage.stat_inbox(path) == entry == storage.lstat_entry(path) == storage.scan().files[0]
    assert storage.inbox_sha256(path) == hashlib.sha256(body).hexdigest()
    assert storage.readable(path)

    with pytest.raises(NotTakenIn) as gone:
        storage.read_inbox("区财政局/没有这个文件.xlsx")
    assert gone.value.skipped.kind == "vanished"
    assert storage.lstat_entry("区财政局/没有这个文件.xlsx") is None
    assert storage.lstat_entry("区财政局/2022年") is None  # a prefix of a key is no object
    assert not storage.readable("区财政局/没有这个文件.xlsx")


def test_an_object_over_the_size_given_is_not_read_only_described(storage: ObjectStorage, bucket: str, s3):
    path = "区财政局/大文件.xlsx"
    etag = _put(s3, bucket, f"inbox/{path}", b"x" * 100)
    gets = []
    real_get = storage._get
    storage._get = lambda *args, **kwargs: gets.append(args) or real_get(*args, **kwargs)

    content, entry = storage.read_inbox(path, max_bytes=99)

    assert content is None and (entry.size, entry.marker) == (100, etag) and gets == []
    assert storage.read_inbox(path, max_bytes=100)[0] == b"x" * 100 and len(gets) == 1


def test_an_empty_object_is_read(storage: ObjectStorage, bucket: str, s3):
    _put(s3, bucket, "inbox/枣林街道/空.csv", b"")
    assert storage.readable("枣林街道/空.csv")
    assert storage.read_inbox("枣林街道/空.csv")[0] == b""
    assert storage.inbox_sha256("枣林街道/空.csv") == hashlib.sha256(b"").hexdigest()


def test_a_changed_object_is_told_by_its_new_etag(storage: ObjectStorage, bucket: str, s3):
    path = "枣林街道/2022年报表.csv"
    _put(s3, bucket, f"inbox/{path}", b"version 1")
    (first,) = storage.scan().files
    _put(s3, bucket, f"inbox/{path}", b"version 2")  # same size, and maybe the same second
    (second,) = storage.scan().files
    assert second.size == first.size and second.marker != first.marker
    assert not same_object(second, first.size, first.mtime_ns, first.marker)
    # The same bytes uploaded again: a new upload time, the same ETag, nothing to read again.
    time.sleep(1.1)
    _put(s3, bucket, f"inbox/{path}", b"version 2")
    (third,) = storage.scan().files
    assert third.mtime_ns > second.mtime_ns and third.marker == second.marker
    assert same_object(third, second.size, second.mtime_ns, second.marker)
    # An entry made without a marker (a warehouse from before markers) is told by (size, mtime).
    local = InboxEntry(path, 9, 5)
    assert same_object(local, 9, 5) and not same_object(local, 9, 6)
    # Reading by a stale entry never returns the new bytes under the old entry.
    with pytest.raises(NotTakenIn) as stale:
        storage._read(first)
    assert stale.value.skipped.kind == "changed"


def test_an_object_replaced_while_it_is_read_is_left_for_the_next_run(storage, bucket, s3, monkeypatch):
    path = "枣林街道/正在覆盖.csv"
    _put(s3, bucket, f"inbox/{path}", b"old bytes")
    head = storage._head

    def replaced_after_head(p):
        entry = head(p)
        _put(s3, bucket, f"inbox/{p}", b"new bytes, longer")
        return entry

    monkeypatch.setattr(storage, "_head", replaced_after_head)
    with pytest.raises(NotTakenIn) as changed:
        storage.read_inbox(path)
    assert (changed.value.skipped.kind, changed.value.skipped.retried) == ("changed", True)


def test_an_object_replaced_between_ranged_reads_is_left_for_the_next_run(storage, bucket, s3, monkeypatch):
    path = "枣林街道/大文件.xlsx"
    _put(s3, bucket, f"inbox/{path}", b"a" * 100)
    monkeypatch.setattr(object_inbox, "CHUNK", 10)
    read = storage._read
    calls = []

    def replaced_after_first_range(entry, start=None, end=None):
        calls.append(start)
        if len(calls) == 2:
            _put(s3, bucket, f"inbox/{path}", b"b" * 100)
        return read(entry, start, end)

    monkeypatch.setattr(storage, "_read", replaced_after_first_range)
    with pytest.raises(NotTakenIn) as changed:
        storage.inbox_sha256(path)
    assert changed.value.skipped.kind == "changed" and calls == [0, 10]


def test_an_object_the_pipeline_may_not_read_is_unreadable(storage, bucket, s3, monkeypatch):
    _put(s3, bucket, "inbox/枣林街道/加密.xlsx", b"x")

    def denied(*args, **kwargs):
        raise PermissionError("Access Denied")

    monkeypatch.setattr(storage, "_get", denied)
    with pytest.raises(Unreadable):
        storage.read_inbox("枣林街道/加密.xlsx")
    assert not storage.readable("枣林街道/加密.xlsx")
    # From the listing: still there, for the receipt.
    assert storage.lstat_entry("枣林街道/加密.xlsx").size == 1


def test_refused_credentials_fail_the_run_instead_of_rejecting_files(storage, bucket, s3, monkeypatch):
    from botocore.exceptions import ClientError

    _put(s3, bucket, "inbox/枣林街道/报表.xlsx", b"x")

    def refused(*args, **kwargs):
        error = PermissionError("The AWS Access Key Id you provided does not exist in our records.")
        error.__cause__ = ClientError({"Error": {"Code": "InvalidAccessKeyId"}}, "GetObject")
        raise error

    monkeypatch.setattr(storage, "_get", refused)
    with pytest.raises(PermissionError):
        storage.read_inbox("枣林街道/报表.xlsx")

    # A bare 403 (a HEAD has no error body) is the object's own only while the inbox can still be listed.
    def forbidden(*args, **kwargs):
        raise PermissionError("Forbidden")

    monkeypatch.setattr(storage, "_get", forbidden)
    monkeypatch.setattr(storage, "_may_list", lambda path: False)
    with pytest.raises(PermissionError):
        storage.read_inbox("枣林街道/报表.xlsx")


# --- the archive -------------------------------------------------------------------------------------------------
def test_archive_writes_once_by_sha256_and_reads_back(storage: ObjectStorage, bucket: str, s3, monkeypatch):
    content = "２０２２年预算执行".encode()
    sha = hashlib.sha256(content).hexdigest()
    relative = storage.archive(content, ".xlsx")
    assert relative == f"{sha[:2]}/{sha}.xlsx" == storage.archive_path(sha, ".xlsx")
    head = s3.head_object(Bucket=bucket, Key=f"archive/{relative}")
    assert head["ContentLength"] == len(content)
    assert storage.read_archive(relative) == content

    puts = []
    call = storage.fs.call_s3
    monkeypatch.setattr(storage.fs, "call_s3", lambda method, **kw: puts.append(method) or call(method, **kw))
    assert storage.archive(content, ".xlsx") == relative
    assert "put_object" not in puts  # there already: never written again
    assert s3.head_object(Bucket=bucket, Key=f"archive/{relative}")["LastModified"] == head["LastModified"]
    # Put if absent: a writer that found nothing and then lost the race to another leaves the first copy.
    assert storage._put_once(relative, content, sha) is False


def test_a_large_inbox_object_is_fingerprinted_by_ranges_and_copied_on_the_server(
    storage, bucket, s3, monkeypatch
):
    monkeypatch.setattr(object_inbox, "CHUNK", 1000)
    body = bytes(range(256)) * 40
    path = "枣林街道/超大附件.xlsx"
    etag = _put(s3, bucket, f"inbox/{path}", body)
    sha = hashlib.sha256(body).hexdigest()
    relative, fingerprint, entry = storage.archive_inbox_file(path)
    assert (relative, fingerprint) == (f"{sha[:2]}/{sha}.xlsx", sha)
    assert (entry.size, entry.marker) == (len(body), etag)
    assert storage.read_archive(relative) == body
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="archive/")["Contents"]]
    assert keys == [f"archive/{relative}"]  # no partial object left
    assert storage.archive_inbox_file(path)[0] == relative  # once


def test_a_copy_above_the_single_copy_limit_goes_in_parts(storage, bucket, s3, monkeypatch):
    monkeypatch.setattr(object_archive, "COPY_LIMIT", 1024)
    monkeypatch.setattr(object_archive, "COPY_PART", 5 * 1024 * 1024)
    body = b"0123456789abcdef" * (6 * 1024 * 1024 // 16)  # two parts
    _put(s3, bucket, "inbox/区财政局/大.csv", body)
    relative, sha, _ = storage.archive_inbox_file("区财政局/大.csv")
    assert sha == hashlib.sha256(body).hexdigest()
    assert storage.read_archive(relative) == body
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_an_object_replaced_before_its_server_side_copy_is_not_archived(storage, bucket, s3, monkeypatch):
    path = "枣林街道/复制时被覆盖.xlsx"
    _put(s3, bucket, f"inbox/{path}", b"fingerprinted bytes")
    fingerprint = storage._fingerprint

    def replaced_after_fingerprint(entry):
        sha = fingerprint(entry)
        _put(s3, bucket, f"inbox/{path}", b"other bytes, uploaded")
        return sha

    monkeypatch.setattr(storage, "_fingerprint", replaced_after_fingerprint)
    with pytest.raises(NotTakenIn) as changed:
        storage.archive_inbox_file(path)
    assert changed.value.skipped.kind == "changed"
    assert s3.list_objects_v2(Bucket=bucket, Prefix="archive/").get("Contents", []) == []


def test_an_archive_batch_puts_each_file_once(storage: ObjectStorage):
    files = {b"first file": ".xlsx", "第二个文件".encode(): ".csv"}
    with ThreadPoolExecutor(4) as pool:
        batch = storage.archive_batch(pool)
        paths = [
            batch.add(content, hashlib.sha256(content).hexdigest(), suffix)
            for content, suffix in files.items()
        ]
        again = batch.add(b"first file", hashlib.sha256(b"first file").hexdigest(), ".xlsx")
        assert again == paths[0] and batch.paths == [*paths, again]
        assert batch.make_durable() == paths
        for content, relative in zip(files, paths, strict=True):
            assert storage.read_archive(relative) == content
        rerun = storage.archive_batch(pool)
        rerun.add(b"first file", hashlib.sha256(b"first file").hexdigest(), ".xlsx")
        assert rerun.make_durable() == []  # archived by the run before: nothing written twice


def test_remove_stale_partials_clears_what_a_killed_run_left(storage: ObjectStorage, bucket: str, s3):
    _put(s3, bucket, "archive/.partial-recent", b"x")
    _put(s3, bucket, "archive/ab/" + "ab" * 32 + ".xlsx", b"complete")
    s3.create_multipart_upload(Bucket=bucket, Key="archive/ab/unfinished")  # moto dates it long ago
    s3.create_multipart_upload(Bucket=bucket, Key="inbox/someone-elses-upload")
    assert storage.remove_stale_partials() == 1  # the old upload; the recent partial object stays
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [
        "inbox/someone-elses-upload"
    ]
    time.sleep(1.1)
    assert storage.remove_stale_partials(older_than_s=0) == 1
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="archive/")["Contents"]]
    assert keys == ["archive/ab/" + "ab" * 32 + ".xlsx"]


def test_a_warehouse_lost_beside_an_object_store_archive_that_holds_files_is_refused(
    tmp_path: Path, bucket: str, s3, monkeypatch, capsys
):
    """f95549d looked only at a local archive: with it in a bucket, a mistyped PIPELINE_WAREHOUSE or an unmounted
    volume still made a new empty warehouse, which took the whole inbox in again and rewrote every receipt."""
    from pipeline.cli import main

    for name in ("inbox", "archive", "receipts", "reports", "export"):
        monkeypatch.setenv(f"PIPELINE_{name.upper()}", f"s3://{bucket}/{name}")
    home = tmp_path / "home"
    assert main(["--home", str(home), "init"]) == 0
    unmounted = tmp_path / "mnt"
    unmounted.mkdir()
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(unmounted / "warehouse.duckdb"))
    settings = Settings.from_env(home)
    # A first night: this data root's claim and a killed copy's partial lie beside the fingerprint folders.
    store_claim.claim_stores(settings, "2026-12-05T00:00:00")
    _put(s3, bucket, "archive/.partial-0123", b"x")
    assert not storage_for(settings).archive_holds_files() and warehouse_lost(settings) is None
    _put(s3, bucket, "archive/ab/" + "ab" * 32 + ".csv", b"a,b\n1,2\n")
    assert storage_for(settings).archive_holds_files()
    _put(s3, bucket, "inbox/枣林街道/清单.csv", b"a,b\n1,2\n")
    capsys.readouterr()
    assert main(["--home", str(home), "--quiet", "run"]) == 1
    said = capsys.readouterr().err
    assert "数据仓库不存在" in said and "PIPELINE_WAREHOUSE" in said and "Traceback" not in said
    assert list(unmounted.iterdir()) == []
    written = s3.list_objects_v2(Bucket=bucket, Prefix="receipts/").get("Contents", [])
    assert [item["Key"] for item in written] == [f"receipts/{CLAIM}"]  # no receipt
    # An archive out of reach is said as the store's failure, the run not started, never a traceback.
    for name in ("inbox", "archive"):
        monkeypatch.setenv(f"PIPELINE_{name.upper()}", f"s3://{bucket}-gone/{name}")
    assert main(["--home", str(home), "--quiet", "run"]) == 1
    assert "Traceback" not in capsys.readouterr().err and list(unmounted.iterdir()) == []


# --- receipts, published sets and work files ---------------------------------------------------------------------
def test_a_receipt_is_written_whole_and_left_alone_when_unchanged(bucket: str, s3):
    url = f"s3://{bucket}/receipts/枣林街道/2022年预算执行情况表.xlsx.回执.html"
    assert put_text(url, "<p>已接收</p>")
    assert not put_text(url, "<p>已接收</p>")  # already says this
    assert put_text(url, "<p>已退回</p>")
    key = "receipts/枣林街道/2022年预算执行情况表.xlsx.回执.html"
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read().decode("utf-8") == "<p>已退回</p>"
    assert got["ContentType"] == "text/html; charset=utf-8"
    put_text(url.replace(".html", ".json"), json.dumps({"status_zh": "已退回"}, ensure_ascii=False))
    assert s3.head_object(Bucket=bucket, Key=key.replace(".html", ".json"))["ContentType"].startswith(
        "application/json"
    )


def test_a_set_is_published_under_a_version_and_its_pointer_written_last(bucket: str, s3, monkeypatch):
    root = f"s3://{bucket}/reports/2022"
    fs = object_filesystem()
    puts: list[str] = []
    call = fs.call_s3

    def recording(method, **kwargs):
        if method == "put_object":
            puts.append(kwargs["Key"])
        return call(method, **kwargs)

    monkeypatch.setattr(fs, "call_s3", recording)
    first = {"2022年度预算绩效报告.html": "<h1>报告</h1>".encode(), "指标表.xlsx": b"xlsx"}
    v1 = publish_objects(root, first)
    assert puts[-1] == "reports/2022/LATEST.json" and len(puts) == 3  # the files, then the pointer
    pointer = published(root)
    assert pointer["version"] == v1 and pointer["path"] == f"versions/{v1}"
    assert pointer["files"] == sorted(first)
    # In Shanghai time, as the export's manifest (whose pointer is written here too) says it, not +00:00.
    assert pointer["published_at"].endswith("+08:00")
    assert read_published(root, "2022年度预算绩效报告.html") == "<h1>报告</h1>".encode()
    head = s3.head_object(Bucket=bucket, Key=f"reports/2022/versions/{v1}/2022年度预算绩效报告.html")
    assert head["ContentType"] == "text/html; charset=utf-8"

    puts.clear()
    assert publish_objects(root, first) == v1 and puts == []  # already what readers see

    v2 = publish_objects(root, {**first, "指标表.xlsx": b"xlsx, corrected"})
    _put(s3, bucket, "reports/2022/versions/killed-midway/指标表.xlsx", b"half")  # a publisher killed
    v3 = publish_objects(root, {**first, "指标表.xlsx": b"xlsx, corrected twice"})
    assert len({v1, v2, v3}) == 3
    versions = s3.list_objects_v2(Bucket=bucket, Prefix="reports/2022/versions/", Delimiter="/")
    # The new version and the one before, for a reader still on it; older and half-written ones go.
    assert sorted(p["Prefix"] for p in versions["CommonPrefixes"]) == sorted(
        f"reports/2022/versions/{v}/" for v in (v2, v3)
    )
    assert read_published(root, "指标表.xlsx") == b"xlsx, corrected twice"


def test_an_export_publishes_a_local_folder_under_a_named_version(bucket: str, tmp_path: Path):
    staging = tmp_path / "staging"
    (staging / "mart.budget_execution" / "year=2022").mkdir(parents=True)
    (staging / "mart.budget_execution" / "year=2022" / "data_0.parquet").write_bytes(b"PAR1...PAR1")
    (staging / "manifest.json").write_text('{"tables": {}}', encoding="utf-8")
    root = f"s3://{bucket}/export"
    version = publish_objects(
        root, upload_folder(staging), version="warehouse-1767225600000000000", pointer={"tables": {}}
    )
    pointer = published(root)
    assert (version, pointer["path"], pointer["tables"]) == (
        "warehouse-1767225600000000000",
        "versions/warehouse-1767225600000000000",
        {},
    )
    assert read_published(root, "mart.budget_execution/year=2022/data_0.parquet") == b"PAR1...PAR1"
    with pytest.raises(ValueError):
        publish_objects(root, {"../escape": b"x"})
    with pytest.raises(ValueError):
        publish_objects(root, {"a": b"x"}, version="../up")


def test_work_files_round_trip_under_a_shared_work_location(tmp_path: Path, bucket: str):
    settings = dataclasses.replace(_settings(tmp_path, bucket), work=f"s3://{bucket}/work")
    folder = work_location(settings, "scheduled__2026-01-01T02:00:00+00:00")
    assert folder == f"s3://{bucket}/work/scheduled__2026-01-01T02_00_00_00_00"

    target = f"{folder}/{hashlib.sha256('枣林街道/报表.xlsx'.encode()).hexdigest()[:32]}.pickle"
    head = ("枣林街道/报表.xlsx", "ab" * 32, 1767225600 * 10**9, 3, False, "parsed")
    candidate = {"rows": [["枣林街道办事处", "2022", "9163.6"]] * 1000}
    with writing(target) as handle:  # streamed, as write_work_file pickles into its file
        pickle.dump(head, handle)
        pickle.dump(candidate, handle)
    with reading(target) as handle:  # the head alone, as read_head reads it
        assert pickle.load(handle) == head
        assert pickle.load(handle) == candidate

    # A parse worker's spool, uploaded whole once the shard is parsed; its entries read by offset.
    entries = [pickle.dumps(head) + pickle.dumps({"n": n}) for n in range(3)]
    spool = write_work_object(f"{folder}/worker.spool", b"".join(entries))
    offsets = [sum(len(e) for e in entries[:n]) for n in range(3)]
    with reading(spool, offsets[2]) as handle:
        assert (pickle.load(handle), pickle.load(handle)) == (head, {"n": 2})
    remove_work_objects([spool])

    other = write_work_object(f"{folder}/other.pickle", pickle.dumps(head))
    assert pickle.loads(read_work_object(other)) == head
    assert list_objects(folder) == sorted([target, other])

    with pytest.raises(RuntimeError), writing(f"{folder}/failed.pickle") as handle:
        handle.write(b"half a candidate")
        raise RuntimeError("killed while pickling")
    assert list_objects(folder) == sorted([target, other])  # nothing half-written appears

    remove_work_objects([target, other, f"{folder}/never-written.pickle"])
    assert list_objects(folder) == []


def test_work_files_on_a_local_disk_go_through_the_same_helpers(tmp_path: Path, bucket: str):
    settings = dataclasses.replace(_settings(tmp_path, bucket), home=tmp_path)
    folder = work_location(settings, "manual")
    assert folder == tmp_path / "work" / "manual"
    with writing(folder / "a.pickle") as handle:
        pickle.dump(("head",), handle)
    with reading(folder / "a.pickle") as handle:
        assert pickle.load(handle) == ("head",)
    with reading(folder / "a.pickle", len(pickle.dumps(("head",))) - 1) as handle:
        assert handle.read() == b"."  # the pickle's STOP
    assert [p.name for p in folder.iterdir()] == ["a.pickle"]  # no partial left


def test_an_object_entry_travels_in_a_work_file():
    entry = ObjectEntry(
        "枣林街道/报表.xlsx", 10, 1767225600 * 10**9, marker="5eb63bbbe01eeed093cb22bb8f5acdc3"
    )
    assert pickle.loads(pickle.dumps(entry)) == entry
    assert isinstance(entry, InboxEntry) and entry.suffix == ".xlsx" and entry.st_mtime_ns == entry.mtime_ns


# --- one writer per bucket -------------------------------------------------------------------------------------
def _machine(tmp_path: Path, bucket: str, name: str) -> Settings:
    """A machine's settings: its own data root, the bucket's shared locations."""
    home = tmp_path / name
    home.mkdir()
    return dataclasses.replace(
        _settings(home, bucket), export=f"s3://{bucket}/export", warehouse=home / "warehouse.duckdb"
    )


def test_a_second_machine_is_refused_the_buckets_writes(tmp_path: Path, bucket: str, s3, monkeypatch):
    """The first warehouse to take the run lock claims the shared locations; another machine's is refused."""
    first, second = _machine(tmp_path, bucket, "a"), _machine(tmp_path, bucket, "b")
    with run_lock(first, wait_seconds=0):
        pass
    claims = sorted(k["Key"] for k in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert claims == [f"{name}/{CLAIM}" for name in ("archive", "export", "receipts", "reports")]
    with pytest.raises(StoreClaimed) as refused, run_lock(second, wait_seconds=0):
        pytest.fail("the second machine got the lock")
    assert str(first.home) in str(refused.value) and ID_FILE in str(refused.value)
    with run_lock(first, wait_seconds=0):  # the first machine again, as after a kill -9 and a rerun
        pass

    # Two claiming at once: the one whose conditional PUT loses reads the winner's claim and is refused.
    third = _machine(tmp_path, bucket, "c")
    for key in claims:
        s3.delete_object(Bucket=bucket, Key=key)
    holder = store_claim._holder
    seen = []

    def racing(url: str, fs):
        if not seen:  # the other machine claims between this one's read and its PUT
            seen.append(url)
            with run_lock(second, wait_seconds=0):
                pass
            return None
        return holder(url, fs)

    monkeypatch.setattr(store_claim, "_holder", racing)
    with pytest.raises(StoreClaimed), run_lock(third, wait_seconds=0):
        pytest.fail("both claimed the bucket")

    # A claim object mangled by hand names nobody: refused, naming the object, never a traceback.
    monkeypatch.setattr(store_claim, "_holder", holder)
    s3.put_object(Bucket=bucket, Key=claims[0], Body=b"\xef\xbb\xbfnot json")
    with pytest.raises(StoreClaimed, match=claims[0]), run_lock(third, wait_seconds=0):
        pytest.fail("a mangled claim let a writer in")


def test_the_lock_names_its_holder_before_the_claim_is_checked(tmp_path: Path, bucket: str, monkeypatch):
    """A command refused while the claim waits on the store says whose the lock is, never 持有者未知."""
    settings = _machine(tmp_path, bucket, "a")
    named = []
    claim = runlock.claim_stores

    def claiming(settings, now):
        named.append(settings.lock_file.read_text(encoding="utf-8"))
        claim(settings, now)

    monkeypatch.setattr(runlock, "claim_stores", claiming)
    with run_lock(settings, wait_seconds=0, purpose="pipeline run"):
        pass
    assert named and named[0].startswith("进程 ") and "pipeline run" in named[0]
    assert settings.lock_file.read_text(encoding="utf-8") == ""  # cleared when released


def test_a_location_out_of_reach_is_left_to_fail_its_own_writes(tmp_path: Path, bucket: str, s3):
    """A receipts bucket that is not there fails each receipt (retried next run), never the whole night here."""
    settings = dataclasses.replace(
        _machine(tmp_path, bucket, "a"), receipts=f"s3://{bucket}-missing/receipts"
    )
    with run_lock(settings, wait_seconds=0):
        pass
    claims = sorted(k["Key"] for k in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert claims == [f"{name}/{CLAIM}" for name in ("archive", "export", "reports")]


def test_the_command_line_on_a_second_machine_exits_1_writing_nothing(
    tmp_path: Path, bucket: str, s3, monkeypatch, capsys
):
    from pipeline.cli import main

    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    for name in ("inbox", "archive", "receipts", "reports", "export"):
        monkeypatch.setenv(f"PIPELINE_{name.upper()}", f"s3://{bucket}/{name}")
    _put(s3, bucket, "inbox/枣林街道/清单.csv", b"a,b\n1,2\n")
    homes = [str(tmp_path / name) for name in ("a", "b")]
    for home in homes:
        assert main(["--home", home, "init"]) == 0
    with run_lock(Settings.from_env(homes[0]), wait_seconds=0):
        pass
    before = sorted(k["Key"] for k in s3.list_objects_v2(Bucket=bucket)["Contents"])
    capsys.readouterr()
    assert main(["--home", homes[1], "--quiet", "ingest"]) == 1
    said = capsys.readouterr().err
    assert "已由另一个数据仓库写入" in said and homes[0] in said and "Traceback" not in said
    assert sorted(k["Key"] for k in s3.list_objects_v2(Bucket=bucket)["Contents"]) == before


@pytest.mark.parametrize("settle", ["0", "120"], ids=["settled", "put-just-now"])
def test_check_reads_an_object_waiting_in_the_inbox_by_its_url(
    tmp_path: Path, bucket: str, s3, monkeypatch, capsys, settle
):
    """Checked in place, as the night will read it: never a duplicate of itself, never `s3:/…` not found; put a
    moment ago, checked all the same (it was told 文件仍在写入, though a local file named to check is read)."""
    from pipeline.cli import main
    from tests.conftest import REGISTER_CSV

    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", settle)
    for name in ("inbox", "archive", "receipts", "reports", "export"):
        monkeypatch.setenv(f"PIPELINE_{name.upper()}", f"s3://{bucket}/{name}")
    monkeypatch.setenv("PIPELINE_HOME", str(tmp_path / "home"))
    assert main(["init"]) == 0
    _put(s3, bucket, "inbox/区财政局/项目基本信息.csv", REGISTER_CSV.encode("utf-8"))
    capsys.readouterr()

    for named in (f"s3://{bucket}/inbox/区财政局/项目基本信息.csv", f"s3://{bucket}/inbox/区财政局/"):
        assert main(["check", named]) == 0, capsys.readouterr().err
        said = capsys.readouterr().out
        assert "【将被接收】项目基本信息.csv" in said and "重复" not in said, said
    assert main(["check", f"s3://{bucket}/receipts/项目基本信息.csv"]) == 1
    assert f"只能检查收件箱 s3://{bucket}/inbox" in capsys.readouterr().err


@pytest.mark.parametrize("shared", [True, False], ids=["s3", "local"])
def test_a_run_folder_left_by_a_night_whose_load_never_came_is_removed_after_a_week(
    tmp_path: Path, bucket: str, shared
):
    # Only a night's own load removed its folder: a night failed while its shards parsed kept its results for good.
    import os
    import time

    from pipeline.work_files import ABANDONED_AFTER_S, remove_abandoned_runs

    root = f"s3://{bucket}/work" if shared else tmp_path / "work"
    for run in ("scheduled__old", "scheduled__fresh"):
        location = work_location(
            dataclasses.replace(_settings(tmp_path, bucket), work=root, home=tmp_path), run
        )
        with writing(f"{location}/worker.spool" if shared else location / "worker.spool") as handle:
            handle.write(b"parsed")
    now = time.time()
    if not shared:  # on a disk, the old night's files are dated back; objects are dated by the store
        for path in (root / "scheduled__old", root / "scheduled__old" / "worker.spool"):
            os.utime(path, (now - ABANDONED_AFTER_S - 60,) * 2)

    assert remove_abandoned_runs(root, now) == ([] if shared else ["scheduled__old"])
    later = now + ABANDONED_AFTER_S + 60  # a week on, both are abandoned
    assert remove_abandoned_runs(root, later) == (
        ["scheduled__fresh", "scheduled__old"] if shared else ["scheduled__fresh"]
    )
    remaining = list_objects(root) if shared else list(root.iterdir())
    assert remaining == []


@pytest.mark.slow
def test_a_store_gone_mid_night_fails_the_run_in_chinese_and_the_next_run_takes_the_file_in(
    tmp_path: Path, bucket: str, s3, monkeypatch, capsys
):
    """The endpoint refuses connections (the store restarting, the network down): exit 1 with what to check, never a
    traceback nor a file rejected for it, and once the store is back the next run takes the file in."""
    import duckdb

    from pipeline.cli import main
    from tests.conftest import REGISTER_CSV

    # A server of its own, on a port of its own, to take away and bring back; moto keeps the bucket in-process.
    away = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    away.start()
    host, port = away.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's retries would only make the test slower
    monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", "0")
    for name in ("inbox", "archive", "receipts", "reports", "export"):
        monkeypatch.setenv(f"PIPELINE_{name.upper()}", f"s3://{bucket}/{name}")
    home = tmp_path / "home"
    assert main(["--home", str(home), "init"]) == 0
    _put(boto3.client("s3"), bucket, "inbox/区财政局/项目基本信息.csv", REGISTER_CSV.encode("utf-8"))
    away.stop()
    capsys.readouterr()

    assert main(["--home", str(home), "--quiet", "ingest"]) == 1
    said = capsys.readouterr()
    assert "无法连接对象存储" in said.err and "AWS_ENDPOINT_URL" in said.err and f"{host}:{port}" in said.err
    assert "Traceback" not in said.err and "已退回" not in said.out
    assert not (home / "warehouse.duckdb").exists()

    back = ThreadedMotoServer(ip_address=host, port=port)
    back.start()
    try:
        assert main(["--home", str(home), "--quiet", "ingest"]) == 0, capsys.readouterr().err
    finally:
        back.stop()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select original_name, status from ops.submissions").fetchall() == [
            ("项目基本信息.csv", "accepted")
        ]


class _CutProxy:
    """A TCP proxy to the store that, at the first request for a key under one of `prefixes`, refuses it and every
    connection after: the store gone at the moment the run first writes there, whatever the timing."""

    def __init__(self, target: str, prefixes: tuple[str, ...]):
        import socket
        import threading

        host, _, port = target.removeprefix("http://").partition(":")
        self.target, self.prefixes = (host, int(port)), [p.encode() for p in prefixes]
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listening.getsockname()[1]}"
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self.listening.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client) -> None:
        import socket
        import threading

        first = client.recv(65536)
        line = first.split(b"\r\n", 1)[0]
        if self.cut.is_set() or (any(p in line for p in self.prefixes) and CLAIM.encode() not in line):
            self.cut.set()
            client.close()
            return
        store = socket.create_connection(self.target)
        store.sendall(first)
        threading.Thread(target=self._pipe, args=(store, client), daemon=True).start()
        self._pipe(client, store)

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            source.close()
            sink.close()

    def close(self) -> None:
        self.listening.close()


@pytest.mark.slow
def test_a_store_gone_while_the_report_and_the_export_write_is_one_chinese_message_without_a_traceback(
    tmp_path: Path, bucket: str, s3, s3_endpoint: str
):
    """Both the report and the Parquet export fail on the store: the operator reads the one Chinese message, not the
    export's botocore traceback logged before it (its traceback is kept for debug logging)."""
    import os
    import subprocess
    import sys

    from tests.conftest import REGISTER_CSV

    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env |= {"AWS_MAX_ATTEMPTS": "1", "PIPELINE_SETTLE_SECONDS": "0", "PIPELINE_HOME": str(tmp_path / "home")}
    env |= {
        f"PIPELINE_{n.upper()}": f"s3://{bucket}/{n}"
        for n in ("inbox", "archive", "receipts", "reports", "export")
    }

    def pipeline(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "--quiet", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert pipeline("init").returncode == 0
    _put(s3, bucket, "inbox/区财政局/项目基本信息.csv", REGISTER_CSV.encode("utf-8"))
    taken = pipeline("ingest")
    assert taken.returncode == 0, taken.stderr
    # Between the claims' checks and the report's and the export's first writes.
    proxy = _CutProxy(s3_endpoint, ("/export/", "/reports/"))
    env["AWS_ENDPOINT_URL"] = proxy.url
    try:
        said = pipeline("report")
    finally:
        proxy.close()

    assert said.returncode == 1
    assert proxy.cut.is_set()
    assert said.stderr.startswith("pipeline：无法连接对象存储"), said.stderr
    assert "Traceback" not in said.stderr and said.stderr.count("\n") == 1, said.stderr
