from __future__ import annotations

import os

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
