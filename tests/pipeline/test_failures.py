from __future__ import annotations

import errno
import pickle
from pathlib import Path

import duckdb
import pytest

from pipeline.failures import (
    configuration_broken,
    note_under_marts_limit,
    os_error_zh,
    store_unreachable,
    warehouse_failed,
)
from pipeline.registry_errors import RegistryError
from pipeline.report_model import load_report_config
from pipeline.rules import load_rules


def test_an_os_error_is_told_in_chinese_with_both_paths_and_the_system_words():
    said = os_error_zh(PermissionError(errno.EACCES, "Permission denied", "/srv/甲", None, "/srv/乙"))
    assert said == (
        "pipeline：无法访问“/srv/甲”“/srv/乙”：没有权限，本次运行未完成。"
        "请为运行数据仓库的账户开放该路径的读写权限。（Permission denied）"
    )
    # The pipeline's own errors carry their Chinese message and no errno: passed on as they are.
    assert os_error_zh(FileNotFoundError("尚未发布数据仓库：/x。")) == "pipeline：尚未发布数据仓库：/x。"


def test_a_duckdb_failure_is_named_with_its_own_words_and_anything_else_is_left_alone():
    said = warehouse_failed(duckdb.IOException("IO Error: No space left on device"))
    assert (
        said.startswith("pipeline：磁盘已满或文件系统只读")
        and "（IO Error: No space left on device）" in said
    )
    assert warehouse_failed(ValueError("not DuckDB's")) is None


def test_running_out_of_memory_in_the_marts_names_the_memory_limit_setting_not_the_disk():
    exc = duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block\nPossible")
    note_under_marts_limit(exc)
    note_under_marts_limit(exc)  # noted once, however many steps pass it on
    assert len(exc.__notes__) == 1
    said = warehouse_failed(exc)
    assert "内存不足" in said and "PIPELINE_MARTS_MEMORY_LIMIT" in said and "磁盘" not in said
    assert said.endswith("（Out of Memory Error: could not allocate block）")


def test_running_out_of_memory_elsewhere_names_no_setting_that_does_not_bound_it():
    # Storing a batch runs under DuckDB's own limit (80 % of the machine): raising the marts' limit would not help.
    said = warehouse_failed(duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block"))
    assert "内存不足" in said and "PIPELINE_MARTS_MEMORY_LIMIT" not in said and "磁盘" not in said
    assert "本机可用内存不足" in said


def test_a_file_over_the_size_limit_is_told_as_such_with_what_to_do():
    # A write past `ulimit -f` (EFBIG) carries no path: the operator is still told the cause and the setting to raise.
    said = os_error_zh(OSError(errno.EFBIG, "File too large"))
    assert said.startswith("pipeline：无法访问所需的文件：文件超过了允许的大小")
    assert "ulimit -f" in said and said.endswith("（File too large）")


def test_an_os_error_on_a_file_descriptor_is_told_without_a_path_not_raised_again():
    # os.fdopen, os.fstat and the like name the descriptor (an int) as the error's filename.
    said = os_error_zh(IsADirectoryError(errno.EISDIR, "Is a directory", 5))
    assert said == (
        "pipeline：无法访问所需的文件：应为文件，却是文件夹，本次运行未完成。"
        "请检查路径和 PIPELINE_… 环境变量是否正确。（Is a directory）"
    )


def test_too_many_open_files_is_told_as_such_with_the_limit_to_raise():
    # The account's open-file limit (ulimit -n, a service's LimitNOFILE) reached: no path, the cause and the setting.
    said = os_error_zh(OSError(errno.EMFILE, "Too many open files"))
    assert said.startswith("pipeline：无法访问所需的文件：打开的文件过多")
    assert "ulimit -n" in said and said.endswith("（Too many open files）")


def test_an_object_store_out_of_reach_is_told_in_chinese_naming_the_endpoint_and_nothing_else_is():
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    url = "http://127.0.0.1:9/budget/inbox/甲.xlsx"
    for exc in (
        EndpointConnectionError(endpoint_url=url, error=ConnectionRefusedError()),
        ConnectionClosedError(endpoint_url=url),
        ReadTimeoutError(endpoint_url=url),
    ):
        said = store_unreachable(exc)
        assert said.startswith("pipeline：无法连接对象存储，本次运行未完成") and "AWS_ENDPOINT_URL" in said
        assert said.endswith(f"（{exc}）") and url in said
    # Refused keys or a missing object are no connection failure: said as they are elsewhere, not retried as one.
    assert store_unreachable(NoCredentialsError()) is None
    assert store_unreachable(ClientError({"Error": {"Code": "AccessDenied"}}, "GetObject")) is None
    assert store_unreachable(ConnectionRefusedError("not botocore's")) is None


@pytest.mark.parametrize(
    ("name", "broken", "part"),
    [
        ("rules.yaml", "defaults: [\n", "评分规则（rules.yaml）"),  # not YAML: read_yaml refuses it
        (
            "rules.yaml",
            "defaults: {not_a_rule: 1}\n",
            "评分规则（rules.yaml）",
        ),  # YAML, but no rules: explain
        ("report.yaml", None, "报告设置（report.yaml）"),  # not there: missing_file
    ],
)
def test_a_registry_error_names_its_files_part_even_where_the_folder_holds_a_colon(
    tmp_path, name, broken, part
):
    # Before, the part was read off the message up to its first `:`, here inside the path (`…/2022:备份/rules.yaml`):
    # every such file was called 报表模板登记, and the operator looked among the templates.
    folder = tmp_path / "2022:备份"
    folder.mkdir()
    path = folder / name
    if broken is not None:
        path.write_text(broken, encoding="utf-8")
    with pytest.raises(RegistryError) as raised:
        load_rules(path) if name == "rules.yaml" else load_report_config(path)
    assert raised.value.path == path
    assert configuration_broken(raised.value).startswith(f"{part}有误：{path}: ")


def test_a_registry_error_keeps_its_path_across_processes():
    sent = pickle.loads(pickle.dumps(RegistryError(Path("D:/登记/rules.yaml"), "缺少这个键")))
    assert (sent.path, sent.said, str(sent)) == (
        Path("D:/登记/rules.yaml"),
        "缺少这个键",
        "D:/登记/rules.yaml: 缺少这个键",
    )
