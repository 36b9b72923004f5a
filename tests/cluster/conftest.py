"""The cluster test starts a whole Airflow cluster; it runs only when asked for: `make test-cluster`
(`pytest -m cluster tests/cluster`). `make test` and `make test-slow` deselect it (`-m "… not cluster"`), and a
plain `pytest` skips it."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    if (config.getoption("markexpr") or "").strip() == "cluster":
        return
    skip = pytest.mark.skip(reason="starts a whole Airflow cluster: run it with make test-cluster")
    for item in items:
        if item.get_closest_marker("cluster"):
            item.add_marker(skip)
