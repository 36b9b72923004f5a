"""Publishing the report: its three files appear together or not at all, whatever stops the writer.

`reports/<year>` is a symlink to a version folder; these tests build real sets on the real file system and kill
a real writer process at the moments that matter.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl.utils.exceptions import IllegalCharacterError

from pipeline import forked, publish, report_render, report_xlsx
from pipeline.publish import LINK, PARTIAL
from pipeline.report import (
    PUBLISHED_DATA,
    Printed,
    published_fingerprints,
    report_name,
    safe_name,
    stale_reports,
    write_report_files,
)
from pipeline.report_model import ReportConfig, ReportError
from pipeline.report_read import data_fingerprint
from tests.pipeline.killed import kill_when_marked
from tests.pipeline.test_report import YEAR, make_warehouse

REPO = Path(__file__).resolve().parents[2]


def config(issuer: str, district: str = "测试区") -> ReportConfig:
    return ReportConfig(district=district, issuer=issuer)


def read_set(folder: Path) -> dict[str, bytes]:
    """Return what a reader finds in a folder: each file's name and bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def versions(settings) -> list[Path]:
    return sorted(p for p in settings.reports.iterdir() if p.name.startswith(f".{YEAR}."))


@pytest.fixture
def pointer(settings) -> Path:
    """The year's report folder of a data root whose warehouse holds the small report of test_report."""
    make_warehouse(settings.warehouse)
    return settings.reports / str(YEAR)


def test_the_pointer_shows_exactly_the_last_set_and_keeps_one_version_before_it(settings, registry, pointer):
    first = write_report_files(settings, YEAR, registry, config("区财政局"))
    first_set = read_set(pointer)
    second = write_report_files(settings, YEAR, registry, config("区财政局绩效科"))

    assert pointer.is_symlink() and not os.path.isabs(os.readlink(pointer))
    assert second == first  # the same paths, through the pointer
    assert sorted(read_set(pointer)) == sorted(p.name for p in (second.html, second.docx, second.xlsx))
    assert "区财政局绩效科" in second.html.read_text(encoding="utf-8")
    assert [read_set(v) for v in versions(settings)].count(first_set) == 1  # a reader may still have it open
    assert len(versions(settings)) == 2

    write_report_files(settings, YEAR, registry, config("区财政局预算科"))
    assert len(versions(settings)) == 2
    assert first_set not in [read_set(v) for v in versions(settings)]


def test_the_same_set_again_leaves_the_pointer_and_its_versions_as_they_are(settings, registry, pointer):
    write_report_files(settings, YEAR, registry, config("区财政局"))
    write_report_files(settings, YEAR, registry, config("区财政局绩效科"))
    before = (os.readlink(pointer), versions(settings), read_set(pointer))

    write_report_files(settings, YEAR, registry, config("区财政局绩效科"))

    assert (os.readlink(pointer), versions(settings), read_set(pointer)) == before


def test_published_files_are_world_readable(settings, registry, pointer):
    write_report_files(settings, YEAR, registry, config("区财政局"))

    assert stat.S_IMODE(pointer.resolve().stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in pointer.iterdir()} == {0o644}


@pytest.mark.parametrize("swap", [True, False], ids=["swapped", "without-renameat2"])
def test_an_older_data_roots_real_folder_is_set_aside_as_the_version_before(
    settings, registry, pointer, monkeypatch, swap
):
    if not swap:  # a system or file system that cannot swap a folder and a symlink: two renames instead
        monkeypatch.setattr(publish, "_exchange", lambda first, second: False)
    pointer.mkdir(parents=True)
    (pointer / "旧报告.html").write_text("旧", encoding="utf-8")

    files = write_report_files(settings, YEAR, registry, config("区财政局"))

    assert pointer.is_symlink() and files.html.is_file()
    assert "旧报告.html" not in read_set(pointer)
    [aside] = [v for v in versions(settings) if (v / "旧报告.html").is_file()]
    assert len(versions(settings)) == 2

    write_report_files(settings, YEAR, registry, config("区财政局绩效科"))
    assert not aside.exists() and len(versions(settings)) == 2


def test_a_format_that_fails_to_render_publishes_nothing(settings, registry, pointer, monkeypatch):
    write_report_files(settings, YEAR, registry, config("区财政局"))
    before = (os.readlink(pointer), versions(settings), read_set(pointer))

    def fail(report):
        raise IllegalCharacterError("\x01 cannot be used in worksheets.")

    monkeypatch.setattr(report_xlsx, "render_xlsx", fail)
    with pytest.raises(IllegalCharacterError):
        write_report_files(settings, YEAR, registry, config("区财政局绩效科"))

    assert (os.readlink(pointer), versions(settings), read_set(pointer)) == before


def test_the_page_rendered_in_a_forked_child_fails_the_same_way_and_publishes_nothing(
    settings, registry, pointer, monkeypatch
):
    monkeypatch.setattr(forked, "usable", lambda: True)
    write_report_files(settings, YEAR, registry, config("区财政局"))
    before = (os.readlink(pointer), versions(settings), read_set(pointer))

    def fail(report):
        raise ReportError(f"模板 report.html.j2 第3行出错：除数为零（{os.getpid()}）")

    monkeypatch.setattr(report_render, "render_html", fail)
    with pytest.raises(ReportError, match="第3行出错") as raised:
        write_report_files(settings, YEAR, registry, config("区财政局绩效科"))

    assert f"（{os.getpid()}）" not in str(raised.value)  # it was rendered in the child
    assert (os.readlink(pointer), versions(settings), read_set(pointer)) == before


def test_the_page_rendered_in_a_forked_child_is_the_page_rendered_here(
    settings, registry, pointer, monkeypatch
):
    monkeypatch.setattr(forked, "usable", lambda: True)
    write_report_files(settings, YEAR, registry, config("区财政局"))
    in_child = read_set(pointer)

    monkeypatch.setattr(forked, "usable", lambda: False)
    write_report_files(settings, YEAR, registry, config("区财政局"))

    assert read_set(pointer) == in_child


def test_a_long_district_name_gives_file_names_within_255_bytes(settings, registry, pointer):
    district = "城乡一体化示范区" * 12  # 288 bytes of UTF-8 on its own

    files = write_report_files(settings, YEAR, registry, config("区财政局", district))

    assert {len(p.name.encode()) for p in (files.html, files.docx, files.xlsx)} <= set(range(200, 256))
    assert files.xlsx.name.startswith(district[:20]) and files.xlsx.is_file()
    title = "测试区2022年度预算绩效管理工作开展情况"
    assert report_name(title) == safe_name(title)  # an ordinary title is kept whole
    assert report_name(district + "甲") != report_name(district + "乙")  # cut titles stay apart by their hash


# The writer, killed: a child process runs write_report_files and stops at one call of pipeline.publish, signals
# it has got there through a marker file, and is killed with SIGKILL while it waits.
CHILD = """
import os, shutil, sys, time
from pathlib import Path

from pipeline.registry import load_registry
from pipeline.report import write_report_files
from pipeline.report_model import ReportConfig
from pipeline.settings import Settings

module, name, marker, issuer = sys.argv[1:]
owner = {"os": os, "shutil": shutil}[module]
real = getattr(owner, name)


def stop(*args, **kwargs):
    if sys._getframe(1).f_globals.get("__name__") == "pipeline.publish":
        Path(marker).write_text(repr(args), encoding="utf-8")
        time.sleep(600)
    return real(*args, **kwargs)


setattr(owner, name, stop)
write_report_files(Settings.from_env(), 2022, load_registry(), ReportConfig(district="测试区", issuer=issuer))
"""


def kill_writer_at(call: str, issuer: str, tmp_path: Path) -> None:
    """Run write_report_files in a child process and SIGKILL it just before its first `call` in pipeline.publish."""
    marker = tmp_path / "stopped"
    kill_when_marked(
        [sys.executable, "-c", CHILD, *call.split("."), str(marker), issuer], REPO, marker, call, 120
    )


@pytest.mark.parametrize(
    ("call", "reader_finds"),
    [
        ("os.fsync", "previous"),  # the first file of the new version written, not yet on disk
        ("os.rename", "previous"),  # the new version complete, about to be renamed into place
        ("os.replace", "previous"),  # the new pointer made, about to replace the old one
        ("shutil.rmtree", "new"),  # switched, removing the version two before
    ],
)
def test_a_writer_killed_at_any_step_leaves_a_reader_one_complete_set(
    settings, registry, pointer, tmp_path, call, reader_finds
):
    write_report_files(settings, YEAR, registry, config("区财政局"))
    write_report_files(settings, YEAR, registry, config("区财政局绩效科"))
    previous = read_set(pointer)

    kill_writer_at(call, "区财政局预算科", tmp_path)
    found = read_set(pointer)
    write_report_files(settings, YEAR, registry, config("区财政局预算科"))  # the next run finishes the job
    new = read_set(pointer)

    assert len(found) == 3 and new != previous
    assert found == (previous if reader_finds == "previous" else new)
    assert [v.name for v in versions(settings) if PARTIAL in v.name or v.name.endswith(LINK)] == []
    # Versions are pruned after a switch; killed while pruning, the writer had switched, so one more stays
    # until the next changed report.
    assert len(versions(settings)) == (2 if reader_finds == "previous" else 3)
    write_report_files(settings, YEAR, registry, config("区财政局办公室"))
    assert len(versions(settings)) == 2


def test_a_report_goes_stale_when_its_years_files_in_force_change_though_its_reads_do_not(
    settings, registry, pointer
):
    # `pipeline ingest` publishes a correction without rebuilding the marts: the report's reads stay as they were.
    def take_in(con, submission_id: int, year: int, status: str = "accepted") -> None:
        con.execute(
            "insert into ops.submissions (submission_id, sha256, original_name, inbox_path, unit, year, received_at, "
            "status, error_count, warning_count, archive_path) values (?, ?, '台账.xlsx', 'u/台账.xlsx', 'u', ?, "
            "now(), ?, 0, 0, 'a')",
            [submission_id, f"{submission_id:064x}", year, status],
        )
        con.execute(
            "insert into ops.slices (submission_id, template, slice_key, unit, year, row_count) values (?, 'fund_ledger', ?, 'u', ?, 1)",
            [submission_id, f"fund_ledger|u|P1|{year}", year],
        )

    def stale() -> list[int]:
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            return stale_reports(con, settings)

    with duckdb.connect(str(settings.warehouse)) as con:
        take_in(con, 90, YEAR)
    write_report_files(settings, YEAR, registry, config("区财政局"))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        reads = data_fingerprint(con, YEAR)
    assert stale() == []

    with duckdb.connect(str(settings.warehouse)) as con:
        take_in(con, 91, YEAR + 1)  # another year's file: not this report's
    assert stale() == []
    with duckdb.connect(str(settings.warehouse)) as con:
        take_in(con, 92, YEAR)  # the year's ledger corrected
    assert stale() == [YEAR]
    with duckdb.connect(str(settings.warehouse)) as con:
        assert (
            data_fingerprint(con, YEAR) == reads
        )  # what the report reads did not move: the files in force did
        con.execute("update ops.submissions set status = 'withdrawn' where submission_id = 92")
    assert stale() == []  # the withdrawal gives back the file the report was written from

    # A report recorded before the files in force were is compared by its reads alone, and rewritten whole.
    recorded = settings.home / PUBLISHED_DATA
    recorded.write_text(json.dumps({str(YEAR): reads}), encoding="utf-8")
    with duckdb.connect(str(settings.warehouse)) as con:
        take_in(con, 93, YEAR)
    assert published_fingerprints(settings) == {YEAR: Printed(reads)}
    assert stale() == []
    write_report_files(settings, YEAR, registry, config("区财政局"))
    assert published_fingerprints(settings)[YEAR].loaded is not None
    assert stale() == []
