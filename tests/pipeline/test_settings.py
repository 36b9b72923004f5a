from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipeline.settings import Settings


def test_workers_default_to_one_per_cpu_and_can_be_set(monkeypatch, tmp_path):
    monkeypatch.delenv("PIPELINE_WORKERS", raising=False)
    assert Settings.from_env(tmp_path).workers == (os.cpu_count() or 1)

    monkeypatch.setenv("PIPELINE_WORKERS", "3")
    assert Settings.from_env(tmp_path).workers == 3


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_workers_that_are_no_positive_whole_number_are_refused_by_name(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("PIPELINE_WORKERS", raw)

    with pytest.raises(ValueError, match="PIPELINE_WORKERS"):
        Settings.from_env(tmp_path)


LOCATIONS = ("INBOX", "ARCHIVE", "RECEIPTS", "REPORTS", "EXPORT", "WORK")


def test_locations_default_under_the_data_root_and_the_work_location_too(monkeypatch, tmp_path):
    for name in (*LOCATIONS, "WAREHOUSE"):
        monkeypatch.delenv(f"PIPELINE_{name}", raising=False)
    settings = Settings.from_env(tmp_path)

    assert settings.work == settings.work_root == tmp_path.resolve() / "work"
    assert settings.inbox == tmp_path.resolve() / "inbox"
    monkeypatch.setenv("PIPELINE_WORK", "shared/work")  # a local path: made absolute, as every location
    assert Settings.from_env(tmp_path).work_root == (Path.cwd() / "shared" / "work")


def test_object_storage_locations_stay_urls_never_paths(monkeypatch, tmp_path):
    for name in LOCATIONS:
        monkeypatch.setenv(f"PIPELINE_{name}", f"s3://budget/省/{name.lower()}/")
    settings = Settings.from_env(tmp_path)

    for name in LOCATIONS:
        value = getattr(settings, name.lower())
        # Text, with its `//` and without the trailing slash: a Path would have made it `s3:/budget/…`.
        assert value == f"s3://budget/省/{name.lower()}" and isinstance(value, str), name
    assert settings.work_root == "s3://budget/省/work"
    assert settings.warehouse == tmp_path.resolve() / "warehouse.duckdb"  # the warehouse is always local


@pytest.mark.parametrize("name", ["ARCHIVE", "RECEIPTS", "REPORTS", "EXPORT", "WORK"])
def test_a_written_location_inside_an_object_store_inbox_is_refused(monkeypatch, tmp_path, name):
    """Receipts put in the inbox (where offices look) would be taken in, and answered, every night."""
    for other in LOCATIONS:
        monkeypatch.setenv(f"PIPELINE_{other}", f"s3://budget/{other.lower()}")
    monkeypatch.setenv("PIPELINE_INBOX", "S3://budget/共享/")
    monkeypatch.setenv(f"PIPELINE_{name}", "s3://budget/共享/回执")
    with pytest.raises(ValueError, match=f"PIPELINE_{name} 的值 .* 位于收件箱 PIPELINE_INBOX"):
        Settings.from_env(tmp_path)
    monkeypatch.setenv(f"PIPELINE_{name}", "s3://budget/共享")  # the inbox itself
    with pytest.raises(ValueError, match=f"PIPELINE_{name}"):
        Settings.from_env(tmp_path)
    monkeypatch.setenv(f"PIPELINE_{name}", "s3://budget/共享2")  # beside it, merely starting alike
    assert Settings.from_env(tmp_path).in_inbox() == []


@pytest.mark.parametrize(
    "name", ["ARCHIVE", "RECEIPTS", "REPORTS", "EXPORT", "WORK", "DATA_DOCS", "WAREHOUSE"]
)
def test_a_written_location_inside_a_local_inbox_is_refused(monkeypatch, tmp_path, name):
    # Receipts written into the inbox folder were taken in as submissions the next night, and answered; the
    # warehouse's versions and the writer's copy likewise, each returned and archived every night.
    monkeypatch.setenv("PIPELINE_INBOX", str(tmp_path / "共享"))
    monkeypatch.setenv(f"PIPELINE_{name}", str(tmp_path / "共享" / "回执"))
    with pytest.raises(
        ValueError, match=f"PIPELINE_{name} 的值 '.*回执' 位于收件箱 PIPELINE_INBOX '.*共享' 之内"
    ):
        Settings.from_env(tmp_path)
    (tmp_path / "共享").mkdir()
    (tmp_path / "链接").symlink_to(tmp_path / "共享")
    monkeypatch.setenv(f"PIPELINE_{name}", str(tmp_path / "链接" / "回执"))  # reached through a link
    with pytest.raises(ValueError, match=f"PIPELINE_{name}"):
        Settings.from_env(tmp_path)
    monkeypatch.setenv(f"PIPELINE_{name}", str(tmp_path / "共享2"))  # beside it, merely starting alike
    assert Settings.from_env(tmp_path).in_inbox() == []


def test_the_default_data_root_keeps_what_it_writes_out_of_the_inbox(monkeypatch, tmp_path):
    for name in ("INBOX", "ARCHIVE", "RECEIPTS", "REPORTS", "EXPORT", "WORK", "DATA_DOCS", "WAREHOUSE"):
        monkeypatch.delenv(f"PIPELINE_{name}", raising=False)
    assert Settings.from_env(tmp_path).in_inbox() == []


@pytest.mark.parametrize("name", ["WAREHOUSE", "DATA_DOCS"])
def test_the_warehouse_and_data_docs_are_refused_on_object_storage(monkeypatch, tmp_path, name):
    monkeypatch.setenv(f"PIPELINE_{name}", "s3://budget/warehouse.duckdb")

    with pytest.raises(ValueError, match=f"PIPELINE_{name} 的值 .* 是网络地址，但它只能是本机路径"):
        Settings.from_env(tmp_path)


@pytest.mark.parametrize(
    ("raw", "limit"), [(None, "512MB"), ("", "512MB"), ("  ", "512MB"), (" 2GB ", "2GB")]
)
def test_the_marts_memory_limit_defaults_when_unset_or_empty(monkeypatch, tmp_path, raw, limit):
    if raw is None:
        monkeypatch.delenv("PIPELINE_MARTS_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("PIPELINE_MARTS_MEMORY_LIMIT", raw)
    assert Settings.from_env(tmp_path).marts_memory_limit == limit


@pytest.mark.parametrize("raw", ["lots", "512", "1,5GB"])
def test_a_marts_memory_limit_duckdb_cannot_read_is_refused_by_name(monkeypatch, tmp_path, raw):
    # It failed the run only at the marts' rebuild, told as a damaged warehouse to restore from backup.
    monkeypatch.setenv("PIPELINE_MARTS_MEMORY_LIMIT", raw)
    with pytest.raises(ValueError, match=f"PIPELINE_MARTS_MEMORY_LIMIT 的值 '{raw}' 不是内存大小"):
        Settings.from_env(tmp_path)


def test_the_analysts_memory_limit_defaults_and_is_refused_by_name_if_unreadable(monkeypatch, tmp_path):
    monkeypatch.delenv("PIPELINE_ANALYST_MEMORY_LIMIT", raising=False)
    assert Settings.from_env(tmp_path).analyst_memory_limit == "1GB"
    monkeypatch.setenv("PIPELINE_ANALYST_MEMORY_LIMIT", " 4GB ")
    assert Settings.from_env(tmp_path).analyst_memory_limit == "4GB"
    # Else every analyst's session would fail as it opens, with DuckDB's parser error.
    monkeypatch.setenv("PIPELINE_ANALYST_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="PIPELINE_ANALYST_MEMORY_LIMIT 的值 'lots' 不是内存大小"):
        Settings.from_env(tmp_path)


@pytest.mark.parametrize(
    ("name", "raw", "said"),
    [
        ("EXPORT", "ftp://host/export", "只支持 s3://"),
        ("INBOX", "s3://", "缺少存储桶名"),
        ("RECEIPTS", "gs://bucket/receipts", "只支持 s3://"),
    ],
)
def test_a_storage_url_no_store_can_take_is_refused_by_name(monkeypatch, tmp_path, name, raw, said):
    # `ftp://…` as the export was told as another warehouse's claim on it; `s3://` as the inbox, as no inbox "s3:".
    monkeypatch.setenv(f"PIPELINE_{name}", raw)
    with pytest.raises(ValueError, match=f"PIPELINE_{name} 的值有误：.*{said}"):
        Settings.from_env(tmp_path)


@pytest.mark.parametrize("name", ["RECEIPTS", "REPORTS", "WAREHOUSE", "DATA_DOCS", "INBOX"])
def test_a_local_location_is_read_without_the_spaces_around_it(monkeypatch, tmp_path, name):
    # " /data/receipts" (an env file's `KEY= value`) was a folder of that name under the current folder: the
    # night wrote every receipt there and no one looked.
    place = tmp_path / "elsewhere" / name.lower()
    monkeypatch.setenv(f"PIPELINE_{name}", f" {place} ")
    assert getattr(Settings.from_env(tmp_path), name.lower()) == place


@pytest.mark.parametrize("name", ["RECEIPTS", "WAREHOUSE", "INBOX", "REPORT_TEMPLATES", "HOME"])
@pytest.mark.parametrize("raw", ["~/receipts", "~root/receipts", " ~ "])
def test_a_location_starting_with_a_tilde_is_refused_by_name(monkeypatch, tmp_path, name, raw):
    # An env file or systemd keeps `~` as written: `~/receipts` was a folder named ~ under the current folder,
    # where the night wrote every receipt, exit 0. Expanded, it would be another folder for each user reading it.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(f"PIPELINE_{name}", raw)
    home = None if name == "HOME" else tmp_path
    said = f"PIPELINE_{name} 的值 '{raw.strip()}' 以 ~ 开头.*请写完整路径"
    with pytest.raises(ValueError, match=said):
        Settings.from_env(home)
    assert list(tmp_path.iterdir()) == []


# Three English words in a row: a sentence an operator who reads Chinese would have to puzzle out.
ENGLISH = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("PIPELINE_WORKERS", "两个"),
        ("PIPELINE_MAX_ROWS", "-3"),
        ("PIPELINE_SHARD_FILES", "0"),
        ("PIPELINE_SETTLE_SECONDS", "two minutes"),
        ("PIPELINE_MARTS_MEMORY_LIMIT", "lots"),
        ("PIPELINE_WAREHOUSE", "s3://budget/warehouse.duckdb"),
        ("PIPELINE_REPORT_TEMPLATES", "s3://budget/templates"),
        ("PIPELINE_EXPORT", "ftp://host/export"),
        ("PIPELINE_INBOX", "s3://"),
        ("PIPELINE_RECEIPTS", "~/receipts"),
        ("PIPELINE_INBOX", "s3://budget/inbox"),  # beside a local archive
        ("PIPELINE_REPORTS", "{inbox}/报告"),
    ],
)
def test_a_bad_setting_is_told_in_chinese_naming_the_variable_its_value_and_what_to_write(
    monkeypatch, tmp_path, variable, raw
):
    # Operators read Chinese: "PIPELINE_WORKERS must be a positive whole number" left them to guess.
    monkeypatch.chdir(tmp_path)
    raw = raw.format(inbox=tmp_path / "inbox")
    monkeypatch.setenv(variable, raw)

    with pytest.raises(ValueError) as refused:
        Settings.from_env(tmp_path)

    said = str(refused.value)
    assert said.startswith(f"{variable} 的值"), said
    assert repr(raw) in said
    assert "请" in said  # what to write instead
    # English only as a gloss, in the closing brackets.
    chinese, _, gloss = said.rpartition("（")
    assert gloss.endswith("）") and ENGLISH.search(chinese) is None, said
