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
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A fresh data root; PIPELINE_HOME points at it so the command line sees the same one."""
    home = tmp_path / "home"
    monkeypatch.setenv("PIPELINE_HOME", str(home))
    for name in ("INBOX", "ARCHIVE", "RECEIPTS", "WAREHOUSE", "REPORTS"):
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
