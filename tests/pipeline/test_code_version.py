from __future__ import annotations

import logging

import pytest

from pipeline import code_version as versions
from pipeline import intake
from pipeline.intake import work_versions
from tests.pipeline.test_work_versions import NIGHT, PROGRESS, REGISTER, _inbox


@pytest.fixture
def fresh_versions():
    """Read the versions anew in this test, and again after it, as a process of its own would."""
    versions.parsers.cache_clear()
    versions.code_version.cache_clear()
    yield
    versions.parsers.cache_clear()
    versions.code_version.cache_clear()


def _with_openpyxl(monkeypatch, release: str) -> None:
    """Make this process read files with another openpyxl release, as a host of a rolling deploy may."""
    real = versions.version
    monkeypatch.setattr(versions, "version", lambda name: release if name == "openpyxl" else real(name))
    versions.parsers.cache_clear()
    versions.code_version.cache_clear()


def test_the_code_version_names_python_and_every_parsing_library(fresh_versions, registry):
    named = versions.parsers()
    assert named.startswith("CPython 3.") or named.startswith("PyPy 3.")
    for name in versions.PARSERS:
        assert f"; {name} " in named and f"; {name} -" not in named  # each installed, its version read


def test_another_release_of_a_parsing_library_is_another_code_version(fresh_versions, registry, monkeypatch):
    here = versions.code_version(registry.directory)
    _with_openpyxl(monkeypatch, "0.0.other")
    assert "openpyxl 0.0.other" in versions.parsers()
    assert versions.code_version(registry.directory) != here


def test_a_shard_parsed_with_another_openpyxl_is_parsed_again_by_the_loader(
    fresh_versions, settings, registry, monkeypatch, caplog
):
    # Before: the code version hashed the package and the layouts alone, and a loader on a host with another
    # openpyxl stored what the parsing host read, whatever this one reads of the same bytes, saying nothing.
    _inbox(settings)
    with monkeypatch.context() as parsing_host:
        _with_openpyxl(parsing_host, "0.0.other")
        shard = intake.parse_shard(settings, registry, intake.find_new_files(settings), "scheduled__1", NIGHT)
    versions.parsers.cache_clear()
    versions.code_version.cache_clear()

    with caplog.at_level(logging.WARNING, logger=work_versions.__name__):
        report = intake.load_parsed(settings, registry, shard["work_files"], read_on=NIGHT)

    assert sorted((o.inbox_path, o.status) for o in report.outcomes) == [
        (PROGRESS, "accepted"),
        (REGISTER, "accepted"),
    ]
    said = [r.getMessage() for r in caplog.records if r.name == work_versions.__name__]
    assert len(said) == 2 and all("由另一版本的程序写出" in s and "（parsed again）" in s for s in said)
