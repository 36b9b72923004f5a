"""Modules imported lazily within a block: found as usual, run only when first used."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from pipeline.lazy_imports import deferred


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A module on sys.path that records in the environment that its code ran."""
    (tmp_path / "lazy_probe.py").write_text(
        "import os\nos.environ['LAZY_PROBE_RAN'] = '1'\nVALUE = 42\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("LAZY_PROBE_RAN", raising=False)
    yield
    sys.modules.pop("lazy_probe", None)


def test_a_deferred_module_runs_on_first_use(package):
    with deferred("lazy_probe"):
        import lazy_probe
    assert "LAZY_PROBE_RAN" not in os.environ
    assert lazy_probe.VALUE == 42
    assert os.environ["LAZY_PROBE_RAN"] == "1"


def test_a_module_not_named_is_imported_at_once(package):
    with deferred("some_other_module"):
        import lazy_probe  # noqa: F401
    assert os.environ["LAZY_PROBE_RAN"] == "1"


def test_a_module_imported_after_the_block_is_not_deferred(package):
    with deferred("lazy_probe"):
        pass
    import lazy_probe  # noqa: F401

    assert os.environ["LAZY_PROBE_RAN"] == "1"


def test_a_missing_module_is_still_missing():
    with deferred("no_such_module_here"), pytest.raises(ModuleNotFoundError):
        import no_such_module_here  # noqa: F401


@pytest.mark.slow  # imports GX in a fresh process
def test_great_expectations_validates_without_loading_scipy_stats_altair_or_boto3():
    # In a fresh process: this one may have loaded them already.
    script = textwrap.dedent(
        """
        import sys
        import pipeline.gx_runtime as v
        from pipeline.registry import load_registry
        v.warm_up(load_registry())
        print(sorted(m for m in ("scipy.stats._stats_py", "altair.vegalite", "boto3.session") if m in sys.modules))
        from scipy import stats
        print(stats.entropy([0.5, 0.5], [0.9, 0.1]) > 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"GX_ANALYTICS_ENABLED": "False"},
    )
    assert done.stdout.split() == ["[]", "True"]
