from __future__ import annotations

import logging

import pytest

from pipeline.settings import Settings
from pipeline.task_settings import SettingsRefused, task_settings


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
