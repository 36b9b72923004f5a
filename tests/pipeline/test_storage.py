"""The inbox as real shared folders hold it: odd names, links, pipes, files still being written."""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import json
import os
import shutil
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from pipeline import storage as storage_module
from pipeline.cli import main
from pipeline.file_names import NAME_MAX, archive_suffix, bounded_name, decode_name
from pipeline.inbox_entries import RETRIED, SKIP_ZH, InboxListing, InboxUnusable, NotTakenIn
from pipeline.intake import cutting, find_new_files, ingest
from pipeline.local_read import sha256_of
from pipeline.storage import LocalStorage, sync_filesystem
from pipeline.text import printable
from tests.pipeline.test_intake import (
    COMPOUNDS_V1,
    COMPOUNDS_V2,
    drop,
    ingest_killed_at_the_second_batch,
    query,
)


def raw_drop(settings, folder: str, name: bytes, content: bytes) -> None:
    path = os.path.join(os.fsencode(settings.inbox / folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
    os.utime(path, ns=(1, 1))


def test_a_gbk_name_is_decoded_stored_and_its_bytes_kept(settings, registry, register):
    raw = "清单2022.csv".encode("gbk")
    raw_drop(settings, "枣林街道办事处", raw, COMPOUNDS_V1.encode("utf-8"))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.inbox_path == "枣林街道办事处/清单2022.csv"
    assert outcome.status == "accepted"
    [(name, stored)] = query(
        settings, "select original_name, raw_path from ops.submissions where raw_path is not null"
    )
    assert name == "清单2022.csv"
    assert stored == "枣林街道办事处/".encode() + raw
    assert ingest(settings, registry, progress=False).outcomes == []  # known by its text name the next night


def test_a_gbk_name_that_decodes_to_a_utf8_name_beside_it_gets_the_escaped_form(settings):
    raw_drop(settings, "甲", "报表.csv".encode("gbk"), b"1")
    raw_drop(settings, "甲", "报表.csv".encode(), b"2")
    raw_drop(settings, "甲", b"\xff\xfe.csv", b"3")
    storage = LocalStorage(settings)

    paths = sorted(entry.path for entry in storage.scan().files)

    assert paths == ["甲/\\xb1\\xa8\\xb1\\xed.csv", "甲/\\xff\\xfe.csv", "甲/报表.csv"]
    assert [storage.read_inbox(p)[0] for p in paths] == [b"1", b"3", b"2"]
    assert decode_name(b"\xff\xfe") == "\\xff\\xfe"


# A UTF-8 name with a stray GBK 东 (b6 ab), a lone byte, a tab: each read by its text, what is not text named.
MIXED_NAMES = {
    "清单_(副本)".encode() + "东".encode("gbk") + b".csv": (
        "清单_(副本)\\xb6\\xab.csv",
        "不是文字的字节\\xb6\\xab",
        "清单_(副本).csv",
    ),
    "老旧小区清单".encode() + b"\x80.csv": (
        "老旧小区清单\\x80.csv",
        "不是文字的字节\\x80",
        "老旧小区清单.csv",
    ),
    "清单\t终稿.csv".encode(): ("清单\t终稿.csv", "看不见的制表符", "清单终稿.csv"),
}


@pytest.mark.parametrize("raw", list(MIXED_NAMES), ids=["gbk-byte-pair", "lone-byte", "tab"])
def test_a_name_of_utf8_and_bytes_not_text_reads_as_written_and_its_receipt_says_what_to_rename_it_to(
    settings, registry, register, capsys, raw
):
    raw_drop(settings, "枣林街道办事处", raw, COMPOUNDS_V1.encode("utf-8"))
    name, said, instead = MIXED_NAMES[raw]

    assert main(["--quiet", "ingest"]) == 0

    out = capsys.readouterr().out
    assert f"[已接收] 枣林街道办事处/{printable(name, one_line=True)}" in out
    [(stored, kept)] = query(
        settings, "select original_name, raw_path from ops.submissions where submission_id = 2"
    )
    assert stored == name and kept in (None, "枣林街道办事处/".encode() + raw)
    receipts = list((settings.receipts / "枣林街道办事处").glob("*.回执.json"))
    [receipt] = [json.loads(r.read_text("utf-8")) for r in receipts if "项目基本信息" not in r.name]
    assert receipt["file"] == name and receipt["status"] == "accepted"
    [warned] = receipt["problems"]
    assert warned["rule"] == "name_not_text" and warned["severity"] == "warning"
    assert f"文件名“{name}”含有{said}" in warned["message_zh"]
    assert f"如“{instead}”" in warned["fix"]


def test_a_pure_gbk_name_is_read_as_gbk_and_not_warned(settings, registry, register):
    raw_drop(settings, "枣林街道办事处", "老旧小区改造清单.csv".encode("gbk"), COMPOUNDS_V1.encode("utf-8"))

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.inbox_path == "枣林街道办事处/老旧小区改造清单.csv"
    assert outcome.status == "accepted" and outcome.problems == []


def test_a_file_over_the_size_given_is_described_not_read(settings, monkeypatch):
    raw_drop(settings, "甲", "大.csv".encode(), b"x" * 100)
    storage = LocalStorage(settings)
    monkeypatch.setattr(storage_module, "read_whole", lambda *args: pytest.fail("read whole"))

    content, entry = storage.read_inbox("甲/大.csv", max_bytes=99)

    assert content is None and entry.size == 100
    monkeypatch.undo()
    assert storage.read_inbox("甲/大.csv", max_bytes=100)[0] == b"x" * 100


def test_an_escaped_gbk_name_is_every_byte_escaped_never_a_stray_character(settings):
    # In GBK, 林 ends in d6 and 街 starts with bd: d6 bd is also UTF-8 (U+05BD), which backslashreplace kept.
    raw_drop(settings, "甲", "枣林街道.csv".encode("gbk"), b"1")
    raw_drop(settings, "甲", "枣林街道.csv".encode(), b"2")
    storage = LocalStorage(settings)

    [escaped] = [e.path for e in storage.scan().files if e.path != "甲/枣林街道.csv"]

    assert escaped == "甲/\\xd4\\xe6\\xc1\\xd6\\xbd\\xd6\\xb5\\xc0.csv" and escaped.split("/")[1].isascii()
    assert storage.read_inbox(escaped)[0] == b"1"


def gbk_twin_drop(
    settings, folder: str, name: str, content: str, *, gbk_folder: bool, mtime: int = 1
) -> None:
    """Put a file into the inbox with its folder's (else its own) name written in GBK bytes."""
    raw = os.path.join(
        folder.encode("gbk" if gbk_folder else "utf-8"), name.encode("utf-8" if gbk_folder else "gbk")
    )
    path = os.path.join(os.fsencode(settings.inbox), raw)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content.encode("utf-8"))
    os.utime(path, ns=(mtime, mtime))


def receipts_of(settings, folder: str) -> dict[str, dict]:
    """Return the JSON receipts in a receipts folder by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in (settings.receipts / folder).glob("*.回执.json")
    }


def submissions_of(settings) -> list[tuple]:
    return query(
        settings,
        "select submission_id, inbox_path, original_name, sending_folder, unit, status from ops.submissions "
        "where original_name = '清单.csv' order by submission_id",
    )


@pytest.mark.parametrize("gbk_folder", [True, False], ids=["gbk-folder", "gbk-file"])
def test_a_gbk_name_beside_its_utf8_twin_is_the_same_offices_submission(
    settings, registry, register, gbk_folder
):
    from pipeline.portal.history import submissions
    from pipeline.portal.users import Account
    from pipeline.status import status

    drop(settings, "枣林街道/清单.csv", COMPOUNDS_V1, mtime=1)
    # Modified later, the GBK one is the later submission, though its escaped inbox path sorts first.
    gbk_twin_drop(settings, "枣林街道", "清单.csv", COMPOUNDS_V2, gbk_folder=gbk_folder, mtime=2)

    outcomes = ingest(settings, registry, progress=False).outcomes

    # Both are 枣林's, read in full: neither is refused for a folder or name the registry does not know.
    paths = {o.inbox_path for o in outcomes}
    assert len(paths) == 2 and "枣林街道/清单.csv" in paths
    assert {(o.unit, o.status in ("accepted", "superseded")) for o in outcomes} == {("枣林街道办事处", True)}
    stored = submissions_of(settings)
    assert [(name, folder, unit) for _, _, name, folder, unit, _ in stored] == [
        ("清单.csv", "枣林街道", "枣林街道办事处")
    ] * 2
    # Different bytes under one name as written: both are submissions, the later one in force, and the clerk told.
    assert [(path == "枣林街道/清单.csv", status) for _, path, *_, status in stored] == [
        (True, "superseded"),
        (False, "accepted"),
    ]
    for outcome in outcomes:
        [warning] = [p for p in outcome.warnings if p.rule == "same_name_twin"]
        [other] = [o for o in outcomes if o is not outcome]
        assert (
            f"“{outcome.inbox_path}”" in warning.message_zh and f"“{other.inbox_path}”" in warning.message_zh
        )
        # Each names the other by number: the note goes once that one is out of force (retell.retell_rivals).
        assert twins_named(settings, outcome.submission_id) == [[other.submission_id]]
    # Each answered in the folder the office reads, under names that do not overwrite one another.
    receipts = receipts_of(settings, "枣林街道")
    assert len(receipts) == 2
    assert (
        sorted((r["file"], r["unit"], r["sending_folder"]) for r in receipts.values())
        == [("清单.csv", "枣林街道办事处", "枣林街道")] * 2
    )
    assert sorted(r["submission_id"] for r in receipts.values()) == [s[0] for s in stored]
    assert sorted(p.name for p in settings.receipts.iterdir()) == ["枣林街道", "枣林街道办事处"]
    # The status and the office's portal page show them as 枣林's.
    assert status(settings).by_unit["枣林街道办事处"]["superseded"] == 1
    seen = submissions(settings, Account("zaolin", "枣林街道办事处", "office", False), registry.offices)
    assert sorted(s.submission_id for s in seen if s.original_name == "清单.csv") == [s[0] for s in stored]


def twins_named(settings, submission_id: int) -> list[list[int]]:
    """Return the submissions each same_name_twin warning of a submission names, as stored."""
    rows = query(
        settings,
        "select named_submissions from ops.validation_issues where submission_id = ? and rule = 'same_name_twin'",
        [submission_id],
    )
    return [list(named or []) for (named,) in rows]


def test_a_gbk_twin_loaded_in_a_later_chunk_is_warned_naming_the_earlier(
    settings, registry, register, monkeypatch
):

    monkeypatch.setattr(cutting, "FILES_PER_CHUNK", 1)  # each file validated and stored on its own
    drop(settings, "枣林街道/清单.csv", COMPOUNDS_V1, mtime=1)
    gbk_twin_drop(settings, "枣林街道", "清单.csv", COMPOUNDS_V2, gbk_folder=True, mtime=2)

    first, second = ingest(settings, registry, progress=False).outcomes

    assert first.inbox_path == "枣林街道/清单.csv" and second.inbox_path != first.inbox_path
    # The first was stored before its twin was read: the second says so, naming the first, and the first is told
    # once the second is stored (it was told nothing), naming it.
    assert not [p for p in first.problems if p.rule == "same_name_twin"]
    [warning] = [p for p in second.problems if p.rule == "same_name_twin"]
    assert f"“{first.inbox_path}”" in warning.message_zh and f"“{second.inbox_path}”" in warning.message_zh
    assert twins_named(settings, second.submission_id) == [
        [first.submission_id]
    ]  # found by its path and bytes
    assert twins_named(settings, first.submission_id) == [[second.submission_id]]
    [(told,)] = query(
        settings,
        "select message_zh from ops.validation_issues where submission_id = ? and rule = 'same_name_twin'",
        [first.submission_id],
    )
    assert f"本文件“{first.inbox_path}”" in told and f"另有“{second.inbox_path}”" in told


def test_a_gbk_twin_loaded_after_a_run_killed_once_its_twin_was_stored_is_warned_naming_it(
    settings, registry, register, monkeypatch
):
    drop(settings, "枣林街道/清单.csv", COMPOUNDS_V1, mtime=1)
    gbk_twin_drop(settings, "枣林街道", "清单.csv", COMPOUNDS_V2, gbk_folder=True, mtime=2)
    ingest_killed_at_the_second_batch(settings, registry, monkeypatch)
    first, second = ingest(settings, registry, progress=False).outcomes  # the killed run's, then its own

    # The retry takes the twin in as the killed run's later batch: told of the stored file as in one piece, and
    # the stored file of it (its warning waited for the twin, and the kill came first).
    assert first.inbox_path == "枣林街道/清单.csv" and second.inbox_path != first.inbox_path
    [warning] = [p for p in second.problems if p.rule == "same_name_twin"]
    assert f"“{first.inbox_path}”" in warning.message_zh and f"“{second.inbox_path}”" in warning.message_zh
    assert twins_named(settings, second.submission_id) == [
        [first.submission_id]
    ]  # found by its path and bytes
    assert twins_named(settings, first.submission_id) == [[second.submission_id]]


def test_a_returned_gbk_twin_leaves_its_utf8_twin_unwarned(settings, registry, register):
    drop(settings, "枣林街道/清单.csv", COMPOUNDS_V1, mtime=1)
    gbk_twin_drop(settings, "枣林街道", "清单.csv", "not a workbook", gbk_folder=True, mtime=2)

    outcomes = ingest(settings, registry, progress=False).outcomes

    # Only files taken in compete for a slice: the returned one is answered on its own errors, and no one is told
    # that a later file of this name stands.
    assert sorted(o.status for o in outcomes) == ["accepted", "rejected"]
    assert not [p for o in outcomes for p in o.problems if p.rule == "same_name_twin"]


@pytest.mark.parametrize("gbk_folder", [True, False], ids=["gbk-folder", "gbk-file"])
def test_the_same_bytes_under_a_gbk_name_beside_its_utf8_twin_are_a_duplicate(
    settings, registry, register, gbk_folder
):
    drop(settings, "枣林街道/清单.csv", COMPOUNDS_V1, mtime=1)
    gbk_twin_drop(settings, "枣林街道", "清单.csv", COMPOUNDS_V1, gbk_folder=gbk_folder, mtime=2)

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert [(o.inbox_path == "枣林街道/清单.csv", o.status, o.unit) for o in outcomes] == [
        (True, "accepted", "枣林街道办事处"),
        (False, "duplicate", "枣林街道办事处"),
    ]
    assert not [p for o in outcomes for p in o.problems if p.rule == "same_name_twin"]
    receipts = receipts_of(settings, "枣林街道")
    assert sorted((r["file"], r["status"]) for r in receipts.values()) == [
        ("清单.csv", "accepted"),
        ("清单.csv", "duplicate"),
    ]
    [duplicate] = [r for r in receipts.values() if r["status"] == "duplicate"]
    assert "“清单.csv”内容完全相同" in duplicate["reason"]


def test_links_pipes_and_sockets_are_listed_as_skipped_and_never_opened(settings, tmp_path, monkeypatch):
    folder = settings.inbox / "枣林街道办事处"
    folder.mkdir(parents=True)
    outside = tmp_path / "outside.csv"
    outside.write_text(COMPOUNDS_V1, encoding="utf-8")
    os.mkfifo(folder / "管道.csv")  # opening it for reading would block the night for ever
    os.symlink("/dev/zero", folder / "零.csv")
    os.symlink("/nonexistent/x.xlsx", folder / "悬空.xlsx")
    os.symlink(outside, folder / "外部.csv")
    os.symlink(tmp_path, settings.inbox / "外部文件夹")
    # Bound by a name relative to the folder: a socket's whole path may hold 107 bytes, which a test worker's deeper
    # tmp_path (pytest-xdist) passes.
    monkeypatch.chdir(folder)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("套接字")
        listing = LocalStorage(settings).scan()

    assert listing.files == []
    assert {s.path: s.kind for s in listing.skipped} == {
        "枣林街道办事处/管道.csv": "fifo",
        "枣林街道办事处/零.csv": "symlink",
        "枣林街道办事处/悬空.xlsx": "symlink",
        "枣林街道办事处/外部.csv": "symlink",
        "枣林街道办事处/套接字": "socket",
        "外部文件夹": "symlink",
    }
    for path in ("枣林街道办事处/管道.csv", "枣林街道办事处/零.csv", "枣林街道办事处/外部.csv"):
        with pytest.raises(NotTakenIn):
            LocalStorage(settings).read_inbox(path)


def test_skipped_entries_are_logged_per_run_and_never_become_submissions(
    settings, registry, register, tmp_path
):
    folder = settings.inbox / "枣林街道办事处"
    outside = tmp_path / "outside.csv"
    outside.write_text(COMPOUNDS_V1, encoding="utf-8")
    os.symlink(outside, folder / "外部.csv")
    os.mkfifo(folder / "管道.csv")

    report = ingest(settings, registry, progress=False)
    ingest(settings, registry, progress=False)

    assert report.outcomes == []
    assert sorted((s.path, s.kind) for s in report.skipped) == [
        ("枣林街道办事处/外部.csv", "symlink"),
        ("枣林街道办事处/管道.csv", "fifo"),
    ]
    assert query(settings, "select count(*), count(distinct run_finished_at) from ops.inbox_skips") == [
        (4, 2)
    ]
    assert query(settings, "select count(*) from ops.submissions") == [(1,)]  # the register alone
    assert query(settings, "select skipped from ops.runs order by finished_at desc limit 1") == [(2,)]


def test_hidden_and_lock_files_are_skipped_with_their_kind_and_hidden_folders_passed_over(settings):
    folder = settings.inbox / "枣林街道办事处"
    for name in (
        *(
            "清单.csv",
            ".隐藏清单.xlsx",
            "~$清单.xlsx",
            ".~lock.清单.xlsx#",
            ".~清单.xlsx",
            ".DS_Store",
            "._清单.csv",
        ),
        *("Thumbs.db", "desktop.ini"),  # Windows' own
    ):
        drop(settings, f"枣林街道办事处/{name}", COMPOUNDS_V1, mtime=1)
    drop(settings, "枣林街道办事处/.portal-0123456789abcdef.partial", COMPOUNDS_V1)  # an upload on its way in
    drop(settings, ".git/objects/ab/cdef", b"x")
    drop(settings, "枣林街道办事处/.Trash/清单.csv", COMPOUNDS_V1)
    os.mkfifo(folder / ".管道")

    listing = LocalStorage(settings).scan()

    assert [e.path for e in listing.files] == ["枣林街道办事处/清单.csv"]
    assert [(s.path, s.kind, s.reason_zh, s.retried) for s in listing.skipped] == [
        ("枣林街道办事处/.~lock.清单.xlsx#", "office_lock", SKIP_ZH["office_lock"], False),
        # WPS's, not a file hidden by mistake: renamed without the dot as the hidden one's reason asks, it is no survey
        ("枣林街道办事处/.~清单.xlsx", "office_lock", SKIP_ZH["office_lock"], False),
        ("枣林街道办事处/.管道", "hidden", SKIP_ZH["hidden"], False),
        ("枣林街道办事处/.隐藏清单.xlsx", "hidden", SKIP_ZH["hidden"], False),
        ("枣林街道办事处/~$清单.xlsx", "office_lock", SKIP_ZH["office_lock"], False),
    ]
    assert "去掉文件名开头的“.”" in SKIP_ZH["hidden"] and "临时文件" in SKIP_ZH["office_lock"]
    assert find_new_files(settings) == ["枣林街道办事处/清单.csv"]


def test_a_folder_named_as_a_table_is_logged_as_no_file_and_the_tables_in_it_are_read(settings):
    # Before: an empty folder 报表.xlsx had no outcome at all, its sender never told why no receipt came.
    (settings.inbox / "枣林街道办事处" / "空报表.xlsx").mkdir(parents=True)
    drop(settings, "枣林街道办事处/解压的工作簿.XLSX/[Content_Types].xml", b"<Types/>")
    drop(settings, "枣林街道办事处/2022年报表.csv/清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/旧文件/清单.csv", COMPOUNDS_V1)  # a folder named as a folder: nothing said

    listing = LocalStorage(settings).scan()

    assert sorted(e.path for e in listing.files) == [
        "枣林街道办事处/2022年报表.csv/清单.csv",
        "枣林街道办事处/旧文件/清单.csv",
        "枣林街道办事处/解压的工作簿.XLSX/[Content_Types].xml",
    ]
    assert sorted((s.path, s.kind, s.reason_zh, s.retried) for s in listing.skipped) == [
        ("枣林街道办事处/2022年报表.csv", "folder", SKIP_ZH["folder"], False),
        ("枣林街道办事处/空报表.xlsx", "folder", SKIP_ZH["folder"], False),
        ("枣林街道办事处/解压的工作簿.XLSX", "folder", SKIP_ZH["folder"], False),
    ]
    assert "实际是文件夹" in SKIP_ZH["folder"]


def test_a_hidden_survey_is_logged_each_run_as_not_taken_in_and_never_read(
    settings, registry, register, capsys
):
    from pipeline.cli import main

    drop(settings, "枣林街道办事处/.隐藏清单.csv", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/~$清单.xlsx", b"an Office lock file")

    assert main(["ingest"]) == 0
    out = capsys.readouterr().out
    assert find_new_files(settings) == []  # nothing new for the DAG to parse the next night
    assert main(["ingest"]) == 0

    assert f"[未接收] 枣林街道办事处/.隐藏清单.csv：{SKIP_ZH['hidden']}" in out
    assert f"[未接收] 枣林街道办事处/~$清单.xlsx：{SKIP_ZH['office_lock']}" in out
    assert "新文件 0 个" in out and "未接收 2 个" in out
    assert query(settings, "select kind, count(*) from ops.inbox_skips group by kind order by kind") == [
        ("hidden", 2),
        ("office_lock", 2),
    ]
    assert query(settings, "select count(*) from ops.submissions") == [(1,)]  # the register alone
    assert query(settings, "select count(*) from ops.inbox_files where inbox_path like '%清单%'") == [(0,)]
    capsys.readouterr()
    assert main(["status"]) == 0
    assert f"枣林街道办事处/.隐藏清单.csv：{SKIP_ZH['hidden']}" in capsys.readouterr().out


def test_a_file_modified_within_the_settle_window_waits_for_the_next_run(settings, registry, register):
    settling = dataclasses.replace(settings, settle_seconds=60)
    path = settings.inbox / "枣林街道办事处" / "清单.csv"
    path.write_text(COMPOUNDS_V1, encoding="utf-8")

    first = ingest(settling, registry, progress=False)
    two_minutes_ago = time.time() - 120
    os.utime(path, (two_minutes_ago, two_minutes_ago))
    second = ingest(settling, registry, progress=False)

    assert first.outcomes == []
    assert [(s.path, s.kind, s.retried) for s in first.skipped] == [
        ("枣林街道办事处/清单.csv", "settling", True)
    ]
    assert [o.status for o in second.outcomes] == ["accepted"]


@pytest.mark.parametrize(("ahead_s", "held"), [(200, True), (290, True), (400, False), (10**8, False)])
def test_a_file_dated_ahead_by_a_clocks_drift_waits_and_one_dated_far_ahead_is_taken_in(
    settings, registry, register, ahead_s, held
):
    # Ahead by 2 to 5 minutes, past the settle window but within the clock check's slack, a file was neither held
    # while a share with a fast clock may still be writing it, nor warned of. Far ahead (2029), held it would wait
    # for ever: it is taken in, and the clock check speaks where its order decides a slice.
    settling = dataclasses.replace(settings, settle_seconds=120)
    path = settings.inbox / "枣林街道办事处" / "清单.csv"
    path.write_text(COMPOUNDS_V1, encoding="utf-8")
    os.utime(path, (time.time() + ahead_s,) * 2)

    done = ingest(settling, registry, progress=False)

    assert [s.kind for s in done.skipped] == (["settling"] if held else [])
    assert [o.status for o in done.outcomes] == ([] if held else ["accepted"])


def test_a_file_that_changes_while_it_is_read_is_left_for_the_next_run(settings, monkeypatch):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    storage = LocalStorage(settings)
    real_fstat = os.fstat
    calls = []

    def growing(fd):  # the second look, after reading, sees what a copy still in progress shows
        status = real_fstat(fd)
        calls.append(status)
        if len(calls) == 2:
            return os.stat_result((*status[:6], status.st_size + 10, *status[7:]))
        return status

    monkeypatch.setattr(os, "fstat", growing)
    with pytest.raises(NotTakenIn) as caught:
        storage.read_inbox("枣林街道办事处/清单.csv")
    assert caught.value.skipped.kind == "changed"


def test_a_file_replaced_by_a_folder_after_the_listing_is_left_alone_not_the_runs_failure(settings):
    path = drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    storage = LocalStorage(settings)
    [listed] = storage.scan().files
    path.unlink()
    path.mkdir()  # a sync client put a folder of that name in its place: it opens for reading, as a folder does

    for read in (storage.read_inbox, storage.stat_inbox):
        with pytest.raises(NotTakenIn) as caught:
            read(listed.path)
        assert caught.value.skipped.kind == "other"


def test_names_of_any_length_give_receipts_and_archive_names_within_255_bytes(settings, registry, register):
    long_name = "枣林" + "很" * 80 + ".csv"
    drop(settings, f"枣林街道办事处/{long_name}", COMPOUNDS_V1)
    drop(settings, "枣林街道办事处/报表.二〇二二年十二月最终版修改后再改一次", b"junk")
    unit_line = "填报单位：" + "长" * 150
    # At the inbox root the line names the unit, and the receipt folder with it.
    drop(settings, "单位.csv", COMPOUNDS_V1.replace("填报单位：枣林街道办事处", unit_line))

    outcomes = ingest(settings, registry, progress=False).outcomes

    assert len(outcomes) == 3
    stored = query(settings, "select original_name, receipt_path, archive_path from ops.submissions")
    assert long_name in {name for name, _, _ in stored}
    for _, receipt, archive in stored:
        assert Path(receipt).is_file()
        assert all(len(part.encode()) <= NAME_MAX for part in Path(receipt).parts)
        assert len(Path(archive).name.encode()) <= NAME_MAX
    assert archive_suffix("报表.二〇二二年十二月最终版") == ""
    assert archive_suffix("报表.XLSX") == ".xlsx"


def test_bounded_names_stay_within_the_limit_and_apart():
    a, b = bounded_name("甲" * 100 + "一", ".回执.html"), bounded_name("甲" * 100 + "二", ".回执.html")
    assert a != b
    assert all(len(n.encode()) <= NAME_MAX and n.endswith(".回执.html") for n in (a, b))
    assert bounded_name("短名", ".回执.html") == "短名.回执.html"


def test_a_receipt_folder_that_cannot_be_written_leaves_the_receipt_stale_and_the_run_going(
    settings, registry, register
):
    from pipeline.cli import main

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    blocked = settings.receipts / "枣林街道办事处"
    blocked.rename(settings.receipts / "saved")
    blocked.write_text("a file where the folder should be")  # no folder can be made here, not even by root

    report = ingest(settings, registry, progress=False)

    assert [o.status for o in report.outcomes] == ["accepted"]
    # The register's receipt, moved away with its folder, is no longer where it was written: it is stale too.
    assert report.receipts_failed == 2
    [(status, receipt_status, error)] = query(
        settings,
        "select status, receipt_status, receipt_error from ops.submissions where original_name = '清单.csv'",
    )
    assert (status, receipt_status) == ("accepted", None)
    # Told in words the operator acts on, naming the path, as `pipeline status` shows it and the log says it.
    assert error == (
        f"无法写入“{blocked}”：应为文件夹，却已有同名的文件。请移走该文件，或检查 PIPELINE_… 环境变量是否正确。（File exists）"
    )
    assert main(["status"]) == 0
    blocked.unlink()
    ingest(settings, registry, progress=False)
    assert query(
        settings, "select count(*) from ops.submissions where receipt_status is distinct from status"
    ) == [(0,)]
    assert sorted(p.name for p in blocked.glob("*.html")) == [
        "清单.csv.回执.html",
        "项目基本信息.csv.回执.html",
    ]


def test_a_data_docs_folder_that_cannot_be_written_leaves_the_night_published_and_is_told(
    settings, registry, register, capsys
):
    from pipeline.cli import main

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    settings.data_docs.mkdir(parents=True, exist_ok=True)
    settings.data_docs.rename(settings.home / "docs_saved")
    settings.data_docs.write_text(
        "a file where the folder should be"
    )  # no folder can be made here, not even by root

    assert main(["--quiet", "ingest"]) == 0

    # Every batch had committed and the receipts said 已接收: the night stopped before ops.runs and publishing.
    assert query(settings, "select status from ops.submissions where original_name = '清单.csv'") == [
        ("accepted",)
    ]
    assert query(settings, "select new_files, accepted from ops.runs order by finished_at desc limit 1") == [
        (1, 1)
    ]
    out = capsys.readouterr().out
    assert "新文件 1 个：已接收 1 个" in out
    assert f"校验报告（Data Docs）未能写出，其余已照常完成：无法写入“{settings.data_docs}" in out
    settings.data_docs.unlink()
    drop(settings, "枣林街道办事处/清单（二）.csv", COMPOUNDS_V2)
    ingest(settings, registry, progress=False)
    assert (settings.data_docs / "index.html").is_file()


def test_a_receipt_that_cannot_be_renamed_into_place_leaves_no_partial_copy(settings, registry, register):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    folder = settings.receipts / "枣林街道办事处"
    (folder / "清单.csv.回执.html").mkdir(parents=True)  # a folder where the receipt goes: the rename fails

    report = ingest(settings, registry, progress=False)

    assert [o.status for o in report.outcomes] == ["accepted"] and report.receipts_failed == 1
    assert [p.name for p in folder.iterdir() if "partial" in p.name] == []


def test_status_names_the_stale_receipts(settings, registry, register, capsys):
    from pipeline.cli import main

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    (settings.receipts / "枣林街道办事处").rename(settings.receipts / "saved")
    (settings.receipts / "枣林街道办事处").write_text("x")
    ingest(settings, registry, progress=False)
    capsys.readouterr()

    assert main(["status"]) == 0

    out = capsys.readouterr().out
    # 清单's never written, and the register's, moved away with the folder.
    assert "待重写的回执 2 份" in out and "清单.csv" in out and "项目基本信息.csv" in out


def test_control_characters_in_a_cell_reach_the_warehouse_faithfully_and_the_terminal_visibly(
    settings, registry, register, capsys
):
    from pipeline.cli import main

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1.replace("市委小区", "市委\x1b[31m小区\u202e"))

    assert main(["ingest"]) == 0

    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        names = {n for (n,) in con.execute("select compound_name from raw.compound_list").fetchall()}
    assert any("\x1b[31m" in n for n in names)
    assert printable("a\x01\x1b\u202e") == "a\u2401\u241b\ufffd"


def test_each_reason_left_for_the_next_run_tells_the_clerk_so_once():
    # The run summary prints the reason as it is: a kind the next run retries must say so itself, and only once.
    for kind in RETRIED:
        assert SKIP_ZH[kind].count("下次运行") == 1, kind
    for kind in SKIP_ZH.keys() - RETRIED:
        assert "下次运行" not in SKIP_ZH[kind], kind


# --- a batch's archive copies made durable together ------------------------------------------------------------------
def _archive_in_batch(settings, contents: list[bytes]) -> list[str]:
    """Archive these files as one batch, as the loader does just before its commit; return the paths made."""
    with ThreadPoolExecutor(2) as pool:
        batch = LocalStorage(settings).archive_batch(pool)
        for content in contents:
            batch.add(content, sha256_of(content), ".csv")
        return batch.make_durable()


def _recording(monkeypatch, syncfs_result: int = 0) -> list[str]:
    """Record the calls that make archive copies durable, in order; syncfs answers `syncfs_result`."""
    events: list[str] = []

    def syncfs(fd: int) -> int:
        events.append("syncfs")
        if syncfs_result:
            ctypes.set_errno(errno.EIO)
        return syncfs_result

    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(storage_module, "SYNCFS", syncfs)
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b))[1])
    return events


def test_a_batchs_copies_are_flushed_before_they_are_named_and_their_names_before_the_commit(
    settings, monkeypatch
):
    events = _recording(monkeypatch)
    contents = [f"单位,第{i}份\n".encode() for i in range(5)]

    made = _archive_in_batch(settings, contents)

    # One syncfs for the copies' data, the renames, one for the names: no fsync per file or folder.
    assert events == ["syncfs", *["rename"] * 5, "syncfs"]
    assert sorted((settings.archive / m).read_bytes() for m in made) == sorted(contents)
    assert not list(settings.archive.glob(".partial-*"))


def test_a_failed_flush_names_no_copy_and_leaves_no_partial_file(settings, monkeypatch):
    events = _recording(monkeypatch, syncfs_result=-1)

    with pytest.raises(OSError) as raised:
        _archive_in_batch(settings, [b"a,b\n1,2\n"])

    assert raised.value.errno == errno.EIO
    assert events == ["syncfs"]  # nothing renamed into place: the commit never comes
    assert [p for p in settings.archive.rglob("*") if p.is_file()] == []


def test_without_syncfs_each_copy_and_then_each_folder_is_fsynced(settings, monkeypatch):
    events = _recording(monkeypatch)
    monkeypatch.setattr(storage_module, "SYNCFS", None)

    _archive_in_batch(settings, [f"{i}\n".encode() for i in range(3)])

    assert events[:3] == ["fsync"] * 3  # each partial copy, before any rename
    assert events[3:6] == ["rename"] * 3
    assert "syncfs" not in events and events[6:] and set(events[6:]) == {"fsync"}  # the folders renamed into


@pytest.mark.parametrize(
    ("release", "used"), [("5.4.0-150-generic", False), ("5.8.0", True), ("6.18.44", True)]
)
def test_syncfs_is_trusted_only_from_linux_5_8_where_it_reports_failed_writes(monkeypatch, release, used):
    monkeypatch.setattr(storage_module.sys, "platform", "linux")
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "host", release, "#1", "x86_64")))

    assert (storage_module._syncfs() is not None) is used


def test_syncfs_flushes_a_real_folder_here(tmp_path):
    if storage_module.SYNCFS is None:
        pytest.skip("no syncfs(2) on this kernel: copies are fsynced one by one")
    (tmp_path / "copy").write_bytes(b"x")
    sync_filesystem(tmp_path)  # raises on a failed write-back
    with pytest.raises(FileNotFoundError):
        sync_filesystem(tmp_path / "missing")


# --- folders the walk cannot enter: one entry's outcome, never the night's ----------------------------------------
def _nest(folder: Path, name: str, depth: int) -> bytes:
    """Make `depth` folders each inside the last, relative to the one before (mkdir never sees a long path); return
    the innermost one's path relative to `folder`."""
    current = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=current)
            inner = os.open(name, os.O_RDONLY, dir_fd=current)
            os.close(current)
            current = inner
        with open(os.open("最深处.csv", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=current), "wb") as handle:
            handle.write(COMPOUNDS_V1.encode("utf-8"))
    finally:
        os.close(current)
    return "/".join([name] * depth).encode("utf-8")


def _unnest(folder: Path, name: str) -> None:
    """Remove a chain of nested folders a level at a time: pytest's own clean-up recurses and would fail on it."""
    top, lifted = folder / name, folder / ".lifted"
    while (top / name).is_dir():
        (top / name).rename(lifted)
        shutil.rmtree(top)
        lifted.rename(top)
    shutil.rmtree(top)


def test_a_folder_tree_deeper_than_the_recursion_limit_is_walked_to_its_bottom(settings):
    office = settings.inbox / "枣林街道办事处"
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    depth = sys.getrecursionlimit() + 200  # a recursive walk raised RecursionError here and stopped the night
    inner = _nest(office, "d", depth)
    try:
        listing = LocalStorage(settings).scan()
    finally:
        _unnest(office, "d")

    assert listing.skipped == []
    assert [e.path for e in listing.files] == [
        "枣林街道办事处/" + inner.decode() + "/最深处.csv",
        "枣林街道办事处/清单.csv",
    ]


def test_a_folder_past_the_longest_path_is_skipped_once_and_the_files_beside_it_are_taken_in(
    settings, registry, register
):
    office = settings.inbox / "枣林街道办事处"
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    _nest(office, "子文件夹子文件夹子", 160)  # 160 x 28 bytes: past PATH_MAX (4096), which stopped the night

    report = ingest(settings, registry, progress=False)

    assert [(o.inbox_path, o.status) for o in report.outcomes] == [("枣林街道办事处/清单.csv", "accepted")]
    [skipped] = report.skipped
    assert skipped.kind == "path_too_long" and skipped.reason_zh == SKIP_ZH["path_too_long"]
    assert skipped.path.startswith("枣林街道办事处/子文件夹子文件夹子/")
    assert len(os.path.join(os.fsencode(settings.inbox), skipped.path.encode())) >= 4096
    assert query(settings, "select kind from ops.inbox_skips") == [("path_too_long",)]


@pytest.mark.parametrize("errno_", [errno.EACCES, errno.ENAMETOOLONG, errno.EIO, errno.ENOENT])
def test_any_error_on_one_entry_skips_that_entry_alone_with_a_kind_and_a_chinese_reason(
    settings, monkeypatch, errno_
):
    drop(settings, "甲/坏/a.csv", "x")
    drop(settings, "甲/好.csv", "x")
    drop(settings, "乙/好.csv", "x")
    real = os.scandir

    def scandir(path):
        if os.fsencode(path).endswith("/坏".encode()):
            raise OSError(errno_, os.strerror(errno_), path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    listing = LocalStorage(settings).scan()

    assert [e.path for e in listing.files] == ["乙/好.csv", "甲/好.csv"]
    [skipped] = listing.skipped
    kind = {errno.EACCES: "folder_closed", errno.ENAMETOOLONG: "path_too_long", errno.ENOENT: "vanished"}
    assert (skipped.path, skipped.kind) == ("甲/坏", kind.get(errno_, "read_failed"))
    assert skipped.reason_zh.startswith(SKIP_ZH[skipped.kind])


@pytest.mark.parametrize("make", ["missing", "file", "elsewhere"])
def test_an_inbox_that_is_missing_or_no_folder_is_a_broken_data_root_naming_it(settings, tmp_path, make):
    if make == "file":
        settings.inbox.write_text("not a folder")
    if make == "elsewhere":
        settings = dataclasses.replace(settings, inbox=tmp_path / "无此目录" / "inbox")

    with pytest.raises(InboxUnusable) as raised:
        LocalStorage(settings).scan()

    assert isinstance(raised.value, OSError)  # how the command line knows to exit 1
    assert str(settings.inbox) in str(raised.value)
    assert ("不是文件夹" if make == "file" else "不存在") in str(raised.value)


def test_an_empty_inbox_is_a_quiet_night(settings):
    settings.inbox.mkdir()
    assert LocalStorage(settings).scan() == InboxListing()


def test_a_copy_cut_short_is_archived_whole_again_and_told_once(settings, caplog):
    storage = LocalStorage(settings)
    content = b"PK\x03\x04" + bytes(range(256)) * 8
    relative = storage.archive(content, ".xlsx")
    copy = settings.archive / relative
    copy.write_bytes(content[:100])  # a copy a killed run left short

    with caplog.at_level("WARNING", logger="pipeline.storage"):
        assert storage.archive(content, ".xlsx") == relative

    assert copy.read_bytes() == content
    assert len([r for r in caplog.records if "不完整" in r.getMessage()]) == 1
