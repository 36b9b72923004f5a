from __future__ import annotations

import logging

import pytest

from pipeline.settings import Settings
from pipeline.task_settings import SettingsRefused, task_registry, task_settings


def _told(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "pipeline.task_settings"]


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("PIPELINE_WORKERS", "x", "环境变量设置有误：PIPELINE_WORKERS"),
        ("PIPELINE_MAX_ROWS", "-3", "环境变量设置有误：PIPELINE_MAX_ROWS"),
        ("PIPELINE_INBOX", "ftp://budget/inbox", "环境变量设置有误：PIPELINE_INBOX"),
    ],
)
def test_a_refused_setting_ends_the_task_in_its_one_chinese_line_never_retried(
    settings, monkeypatch, caplog, variable, value, said
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError) as refused:
        Settings.from_env()

    with caplog.at_level(logging.INFO), pytest.raises(SettingsRefused) as ended:
        task_settings()

    [record] = _told(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is None  # no traceback beside it
    assert record.getMessage() == f"环境变量设置有误：{refused.value}" and record.getMessage().startswith(
        said
    )
    # Exits 1 as the command line does; the DAG's retry policy reads `permanent` and fails it at once.
    assert isinstance(ended.value, SystemExit) and ended.value.code == 1 and ended.value.permanent
    assert ended.value.__context__ is None or ended.value.__suppress_context__


def test_a_data_root_that_is_not_there_ends_a_writing_task_but_not_a_parse_workers(
    settings, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("PIPELINE_HOME", str(tmp_path / "hoem"))
    with caplog.at_level(logging.INFO), pytest.raises(SettingsRefused):
        task_settings()
    [record] = _told(caplog)
    assert record.getMessage().startswith("数据根目录不存在：") and "hoem" in record.getMessage()
    # A parse worker's PIPELINE_HOME is only its scratch.
    assert task_settings(own_root=False).home == tmp_path / "hoem"
    assert not (tmp_path / "hoem").exists()


def test_settings_that_are_fine_are_returned_and_nothing_is_logged(settings, caplog):
    with caplog.at_level(logging.INFO):
        assert task_settings() == settings
    assert _told(caplog) == []


def _broken_registry(tmp_path, monkeypatch) -> str:
    """Point the registry at a copy whose investment_progress.yaml has a key no template has; return its path."""
    import shutil

    from pipeline import registry

    copy = tmp_path / "registry"
    shutil.copytree(registry.REGISTRY_DIR, copy)
    path = copy / "sources" / "investment_progress.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "year_in: [title]\n", encoding="utf-8")
    monkeypatch.setattr(registry, "REGISTRY_DIR", copy)
    return f"{path}: year_in: 此处没有这个键（Extra inputs are not permitted）"


def test_a_broken_registry_ends_the_task_in_its_one_chinese_line_with_its_line_never_retried(
    settings, tmp_path, monkeypatch, caplog
):
    # Before: the RegistryError came out of the night's first task as a traceback (`Task failed with exception`),
    # PyYAML's or pydantic's words at its foot, naming no line.
    said = _broken_registry(tmp_path, monkeypatch)
    lines = (tmp_path / "registry" / "sources" / "investment_progress.yaml").read_text(encoding="utf-8")

    with caplog.at_level(logging.INFO), pytest.raises(SettingsRefused) as ended:
        task_registry(check_ingest=True)

    [record] = _told(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is None
    message = record.getMessage()
    assert message.startswith(f"报表模板登记有误：{said}") and "\n" not in message
    assert message.endswith(f"（第{len(lines.splitlines())}行）")
    assert ended.value.code == 1 and ended.value.permanent
    assert ended.value.__context__ is None or ended.value.__suppress_context__


def test_a_registry_that_loads_is_returned_and_nothing_is_logged(registry, caplog):
    with caplog.at_level(logging.INFO):
        assert task_registry(check_ingest=True).templates.keys() == registry.templates.keys()
    assert _told(caplog) == []


def test_a_suite_met_broken_inside_a_task_ends_it_in_its_line_and_any_other_failure_is_raised_as_it_is(
    caplog,
):
    from pipeline.suites import SuiteError
    from pipeline.task_settings import configuration_checked

    with caplog.at_level(logging.INFO), pytest.raises(SettingsRefused) as ended, configuration_checked():
        raise SuiteError("expectations/compound_list.json: expectation 3: meta lacks ['rule']\nadd it")
    [record] = _told(caplog)
    assert record.getMessage().startswith("校验规则（expectations）有误：expectations/compound_list.json: ")
    assert "\n" not in record.getMessage() and ended.value.code == 1 and ended.value.permanent

    # A bug, or I/O the retry policy retries, is no configuration of the operator's: raised unchanged.
    caplog.clear()
    with pytest.raises(FileNotFoundError), configuration_checked():
        raise FileNotFoundError("收件箱文件已被删除")
    assert _told(caplog) == []
