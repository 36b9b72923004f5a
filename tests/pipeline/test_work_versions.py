from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import duckdb
import pytest

from pipeline import intake
from pipeline.intake import work_format, work_versions
from pipeline.parsed_file import ParsedFile
from pipeline.read_day import ReadOn
from pipeline.settings import Settings
from tests.conftest import REGISTER_CSV
from tests.pipeline.test_intake import COMPOUNDS_V1, drop
from tests.pipeline.workbooks import PROGRESS_HEADER, xlsx

# A night read by a day of its own, not the loader's: a month of 2022 still running that day.
NIGHT = ReadOn(dt.date(2022, 1, 15))
REGISTER = "枣林街道办事处/项目基本信息.csv"
PROGRESS = "枣林街道办事处/1月进度.xlsx"


def _inbox(settings: Settings) -> None:
    drop(settings, REGISTER, REGISTER_CSV, mtime=10**18)
    progress = [
        ["投资完成情况月报"],
        PROGRESS_HEADER,
        ["枣林街道办事处改造老旧小区", 2022, 1, 9163.6, 100, 100],
    ]
    drop(settings, PROGRESS, xlsx({"投资进度": progress}), mtime=2 * 10**18)


def _shard(settings: Settings, registry, run_key: str = "scheduled__1") -> list[str]:
    return intake.parse_shard(settings, registry, intake.find_new_files(settings), run_key, NIGHT)[
        "work_files"
    ]


def _stored(settings: Settings) -> dict[str, list]:
    """What a load stored of its files: every raw row, each file's outcome and read day, its problems."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        raw = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw'"
            ).fetchall()
        ]
        said = {
            "submissions": "select inbox_path, status, unit, year, read_on from ops.submissions",
            "issues": "select submission_id, severity, rule, message_zh, sheet, excel_row from ops.validation_issues",
            **{t: f"select * from raw.{t}" for t in raw},
        }
        return {name: sorted(map(str, con.execute(sql).fetchall())) for name, sql in said.items()}


def _rewrite(path: str, head: tuple, kept: bytes, candidate: bytes) -> None:
    """Write a work file of its own from its parts, pickled apart (a spool entry stays where it is)."""
    target = Path(work_format.work_file_path(path))
    assert target.suffix == ".pickle"
    target.write_bytes(pickle.dumps(head) + kept + candidate)


def _one_file_each(settings: Settings, registry) -> list[str]:
    """Parse the inbox into a work file of its own for each file (`parse_one`), as a night's shard reads them."""
    return [
        str(settings.work_root / intake.parse_one(settings, registry, path, "scheduled__1", NIGHT))
        for path in intake.find_new_files(settings)
    ]


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == work_versions.__name__]


def _keys(settings: Settings, paths: list[str]) -> list[str]:
    return [str(Path(p).relative_to(settings.work_root)) for p in paths]


def _loaded_as_written(settings: Settings, registry, keys: list[str], monkeypatch, caplog) -> None:
    """Load a shard's work files and hold that each was read as written: accepted, none parsed again, nothing said."""
    parsed_again = []
    monkeypatch.setattr(work_versions, "parsed_read", lambda *a: parsed_again.append(a))

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(settings, registry, keys)

    assert [o.status for o in report.outcomes] == ["accepted", "accepted"]
    assert parsed_again == [] and _said(caplog) == []


def test_a_work_file_of_this_code_is_read_as_written_and_never_parsed_again(
    settings, registry, monkeypatch, caplog
):
    _inbox(settings)
    keys = _shard(settings, registry)

    _loaded_as_written(settings, registry, keys, monkeypatch, caplog)


def _old_parsed_file(monkeypatch) -> None:
    """Pickle `ParsedFile` as the code before `read_on` did: one field fewer, and another code version."""
    slots = [f.name for f in fields(ParsedFile) if f.name != "read_on"]
    monkeypatch.setattr(ParsedFile, "__getstate__", lambda self: (None, {n: getattr(self, n) for n in slots}))
    monkeypatch.setattr(work_format, "code_version", lambda directory: b"before read_on")


def test_a_work_file_of_other_code_is_parsed_again_by_the_nights_day_into_the_same_rows(
    settings, registry, tmp_path, monkeypatch, caplog
):
    _inbox(settings)
    first = intake.load_parsed(settings, registry, _shard(settings, registry))
    assert [o.status for o in first.outcomes] == ["accepted", "accepted"]
    normal = _stored(settings)
    assert all(row.endswith("datetime.date(2022, 1, 15))") for row in normal["submissions"])

    other = Settings.from_env(home=tmp_path / "other")
    other.home.mkdir()
    _inbox(other)
    with monkeypatch.context() as before:
        _old_parsed_file(before)
        keys = _shard(other, registry)
    # What the code after reads of such a work file, unpickled as it is: a parsed file without its day.
    with open(work_format.work_file_path(other.work_root / keys[0]), "rb") as handle:
        handle.seek(int(keys[0].rsplit("#", 1)[1]))
        pickle.load(handle)
        unpickler = pickle.Unpickler(handle)
        unpickler.load()
        with pytest.raises(AttributeError, match="read_on"):
            _ = unpickler.load().parsed.read_on

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(other, registry, keys)

    assert [o.status for o in report.outcomes] == ["accepted", "accepted"]
    assert _stored(other) == normal
    said = _said(caplog)
    assert len(said) == 2 and all("由另一版本的程序写出" in s and "已按本版本程序重新解析" in s for s in said)
    assert {s.rsplit("：", 1)[1].removesuffix("（parsed again）") for s in said} == {REGISTER, PROGRESS}


def test_a_candidate_that_does_not_unpickle_is_parsed_again_from_what_was_read(settings, registry, caplog):
    _inbox(settings)
    paths = _one_file_each(settings, registry)
    head = work_format.read_head(paths[1])
    kept = pickle.dumps(work_format.read_kept(paths[1]), protocol=pickle.HIGHEST_PROTOCOL)
    _rewrite(paths[1], head, kept, b"\x80\x05garbled")

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(settings, registry, _keys(settings, paths))

    assert sorted((o.inbox_path, o.status) for o in report.outcomes) == [
        (PROGRESS, "accepted"),
        (REGISTER, "accepted"),
    ]
    [said] = _said(caplog)
    assert "中的解析结果无法读取" in said and said.endswith(f"{head[1]}（parsed again）")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select distinct read_on from ops.submissions").fetchall() == [(NIGHT.day,)]


def test_a_work_file_whose_head_does_not_unpickle_named_by_no_list_leaves_its_file_to_the_next_night(
    settings, registry, caplog
):
    # Before: the load raised UnpicklingError, and the night failed with every other file of it. Loaded without the
    # shard's list of inbox files (a shard of the code before them), nothing names its inbox file.
    _inbox(settings)
    paths = _one_file_each(settings, registry)
    broken = work_format.read_head(paths[1])[1]
    Path(paths[1]).write_bytes(b"\x80\x05not a head")

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(settings, registry, _keys(settings, paths))

    [kept] = [o for o in report.outcomes]
    assert kept.inbox_path != broken and kept.status == "accepted"
    [said] = _said(caplog)
    assert "的文件头无法读取" in said and "下次运行将重新读取" in said and paths[1] in said
    # Never recorded, it is new the next night, which takes it in with its receipt.
    assert intake.find_new_files(settings) == [broken]
    again = intake.ingest(settings, registry, progress=False)
    assert [(o.inbox_path, o.status) for o in again.outcomes] == [(broken, "accepted")]
    assert (settings.receipts / f"{broken}.回执.json").is_file()


def test_a_work_file_keeping_nothing_readable_has_its_inbox_file_read_again_by_its_head(
    settings, registry, caplog
):
    # Before: both were `work_unreadable` in ops.inbox_skips, and taken in only the next night.
    _inbox(settings)
    paths = _one_file_each(settings, registry)
    head = work_format.read_head(paths[0])
    # One written before work files carried a version (its head starts with the inbox path, its candidate follows),
    # one of another version whose read no longer unpickles.
    Path(paths[0]).write_bytes(pickle.dumps(head[1:]) + b"\x80\x05garbled")
    other = work_format.read_head(paths[1])
    _rewrite(paths[1], (b"other", *other[1:]), b"\x80\x05garbled", b"")

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(settings, registry, _keys(settings, paths), read_on=NIGHT)

    assert sorted((o.inbox_path, o.status) for o in report.outcomes) == [
        (PROGRESS, "accepted"),
        (REGISTER, "accepted"),
    ]
    assert report.skipped == []
    said = _said(caplog)
    assert len(said) == 2 and all(
        "其读取的原始内容也无法读取" in s and "已重新读取收件箱文件" in s for s in said
    )
    assert {s.rsplit("：", 1)[1].removesuffix("（read again）") for s in said} == {REGISTER, PROGRESS}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select distinct read_on from ops.submissions").fetchall() == [(NIGHT.day,)]
    assert intake.find_new_files(settings) == []


def test_a_spool_cut_short_in_a_head_has_that_file_read_again_this_night_by_the_shards_list(
    settings, registry, tmp_path, caplog
):
    # A shard's spool cut short inside its second entry's head (a disk filled, a copy interrupted): nothing in the
    # work file names its inbox file. Before: that file was left for the next night.
    other = Settings.from_env(home=tmp_path / "other")
    other.home.mkdir()
    _inbox(other)
    intake.load_parsed(other, registry, _shard(other, registry))
    normal = _stored(other)

    _inbox(settings)
    shard = intake.parse_shard(settings, registry, intake.find_new_files(settings), "scheduled__1", NIGHT)
    assert shard["inbox_files"] == [REGISTER, PROGRESS]
    spool, offset = shard["work_files"][1].rsplit("#", 1)
    os.truncate(settings.work_root / spool, int(offset) + 9)
    with pytest.raises(pickle.UnpicklingError, match="truncated"):
        work_format.read_head(settings.work_root / shard["work_files"][1])

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(
            settings,
            registry,
            shard["work_files"],
            named=dict(zip(shard["work_files"], shard["inbox_files"], strict=True)),
            read_on=NIGHT,
        )

    assert sorted((o.inbox_path, o.status) for o in report.outcomes) == [
        (PROGRESS, "accepted"),
        (REGISTER, "accepted"),
    ]
    [said] = _said(caplog)
    assert "的文件头无法读取" in said and said.endswith(
        f"已重新读取收件箱文件并按本版本程序解析：{PROGRESS}（read again）"
    )
    assert _stored(settings) == normal  # read by the night's day, as the shard would have
    assert intake.find_new_files(settings) == []


def test_work_files_carry_what_was_read_once_and_a_short_stamp(settings, registry):
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    [path] = _one_file_each(settings, registry)
    data = Path(path).read_bytes()
    content = (settings.inbox / "枣林街道办事处/清单.csv").read_bytes()
    assert data.count(content) == 1  # the candidate refers to the read's bytes, never a second copy
    handle = io.BytesIO(data)
    head = pickle.load(handle)
    assert isinstance(head[0], bytes) and len(head[0]) == 12 and head[1] == "枣林街道办事处/清单.csv"
    assert os.path.getsize(path) - len(content) < 4096


# Run by a copy of the code with a field more, as a release deployed while the night ran: it parses the night's shard.
_SHARD_BY = """
import datetime as dt, json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pipeline import intake
from pipeline.read_day import ReadOn
from pipeline.registry import load_registry
from pipeline.settings import Settings
settings = Settings.from_env()
registry = load_registry(Path(sys.argv[1]) / "registry")
shard = intake.parse_shard(settings, registry, intake.find_new_files(settings), "scheduled__1", ReadOn(dt.date(2022, 1, 15)))
print(json.dumps([intake.__file__, shard["work_files"]]))
"""


@pytest.mark.slow
def test_a_night_parsed_by_a_release_with_a_field_more_is_loaded_by_the_code_before(
    settings, registry, tmp_path, caplog
):
    # Before: the load unpickled ParsedFile objects carrying a slot this code lacks, and the night failed
    # (AttributeError: 'ParsedFile' object has no attribute 'reviewed_by').
    repo = Path(__file__).resolve().parents[2]
    after = tmp_path / "after"
    for part in ("pipeline", "registry", "sql", "expectations"):
        shutil.copytree(repo / part, after / part, ignore=shutil.ignore_patterns("__pycache__"))
    source = after / "pipeline" / "parsed_file.py"
    field = "    read_on: ReadOn | None = None\n"
    source.write_text(
        source.read_text(encoding="utf-8").replace(field, f"{field}    reviewed_by: str | None = None\n")
    )
    _inbox(settings)
    env = {**os.environ, "PIPELINE_HOME": str(settings.home), "PYTHONPATH": ""}
    run = subprocess.run(
        [sys.executable, "-c", _SHARD_BY, str(after)], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    module, keys = json.loads(run.stdout.splitlines()[-1])
    assert Path(module).is_relative_to(after) and len(keys) == 2

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(settings, registry, keys)

    assert [o.status for o in report.outcomes] == ["accepted", "accepted"]
    assert len(_said(caplog)) == 2 and all("由另一版本的程序写出" in s for s in _said(caplog))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select distinct read_on from ops.submissions").fetchall() == [(NIGHT.day,)]


def test_a_shard_of_a_host_whose_checkout_lies_elsewhere_is_read_by_this_hosts_registry(
    settings, registry, tmp_path, monkeypatch, caplog
):
    # The same release checked out at another path on the parsing host: its work files name a registry folder this
    # host does not have. Loading that folder failed (units.yaml missing), so every file of the shard was parsed
    # again by the loader, told as a parse result that would not unpickle: the night's parse done twice, in one process.
    from pipeline.registry import load_registry

    elsewhere = tmp_path / "other-checkout" / "registry"
    shutil.copytree(registry.directory, elsewhere)
    _inbox(settings)
    keys = _shard(settings, load_registry(elsewhere))
    shutil.rmtree(elsewhere.parent)
    monkeypatch.setattr(work_format, "_REGISTRIES", {})  # a loader process of its own

    _loaded_as_written(settings, registry, keys, monkeypatch, caplog)
    assert all(held is registry for held in work_format._REGISTRIES.values())
