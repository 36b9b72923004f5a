"""Shared fixtures: a data root per test, the real registry, and the demo inbox written by its own script."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from pipeline.registry import load_registry
from pipeline.settings import Settings

REPO = Path(__file__).resolve().parent.parent
REGISTER_CSV = """2022年项目基本信息表
序号,项目名称,项目类型,实施单位,计划总投资（万元）
1,枣林街道办事处改造老旧小区,老旧小区改造,枣林街道办事处,9163.6
"""
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# Tests write files and ingest them at once: no settle window, unless a test sets one (see test_storage.py).
os.environ["PIPELINE_SETTLE_SECONDS"] = "0"


@pytest.fixture(scope="session", autouse=True)
def synthetic_mtimes():
    """Let tests order files by made-up modified times (1 ns, 2·10^18 ns) without the clock check warning; yield
    the check's bounds."""
    from pipeline.intake import odd_clock

    bounds = odd_clock.PLAUSIBLE_SINCE_NS, odd_clock.CLOCK_SLACK_NS
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(odd_clock, "PLAUSIBLE_SINCE_NS", -(2**63))
        patch.setattr(odd_clock, "CLOCK_SLACK_NS", 2**64)
        yield bounds


@pytest.fixture
def clock_checked(synthetic_mtimes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check implausible modified times in this test, as a run does."""
    from pipeline.intake import odd_clock

    monkeypatch.setattr(odd_clock, "PLAUSIBLE_SINCE_NS", synthetic_mtimes[0])
    monkeypatch.setattr(odd_clock, "CLOCK_SLACK_NS", synthetic_mtimes[1])


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A fresh data root; PIPELINE_HOME points at it so the command line sees the same one."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PIPELINE_HOME", str(home))
    for name in ("INBOX", "ARCHIVE", "RECEIPTS", "WAREHOUSE", "REPORTS", "DATA_DOCS", "EXPORT", "WORK"):
        monkeypatch.delenv(f"PIPELINE_{name}", raising=False)
    return Settings.from_env()


def _demo_module():
    spec = importlib.util.spec_from_file_location("make_inbox", REPO / "demo" / "make_inbox.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def demo():
    """The demo inbox script, imported as a module."""
    return _demo_module()


@pytest.fixture
def demo_inbox(settings: Settings, demo) -> list[Path]:
    """Write the demo inbox into the test's data root."""
    return demo.write_inbox(settings.inbox)


@pytest.fixture
def register(settings: Settings, registry) -> Path:
    """Register 枣林's 2022 project in an earlier run, as lists naming it need."""
    from pipeline.intake import ingest

    path = settings.inbox / "枣林街道办事处" / "项目基本信息.csv"
    path.parent.mkdir(parents=True)
    path.write_text(REGISTER_CSV, encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"]
    return path
