"""The faster GX providers reach GX's own verdicts, and a GX shaped otherwise keeps its own."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pandas as pd
import pytest

from pipeline import gx_metrics
from pipeline.gx_runtime import _great_expectations

VALUES = [
    1,
    2.5,
    -3,
    0,
    10**20,
    float("inf"),
    "7",
    True,
    Decimal("1.5"),
    dt.date(2024, 1, 1),
    pd.Timestamp(2024, 1, 1),
]


@pytest.fixture(scope="module")
def metrics():
    """GX's two metric classes, loaded as validation loads them."""
    _great_expectations()
    from great_expectations.expectations.metrics.column_map_metrics.column_values_between import (
        ColumnValuesBetween,
    )
    from great_expectations.expectations.metrics.column_map_metrics.column_values_in_type_list import (
        ColumnValuesInTypeList,
    )

    return ColumnValuesInTypeList, ColumnValuesBetween


def own(metric):
    return metric._pandas.__wrapped__.__wrapped__


def outcome(function, *args, **kwargs):
    try:
        return function(*args, **kwargs).tolist()
    except Exception as exc:  # GX refuses some columns and bounds: the faster one must refuse them alike
        return type(exc)


@pytest.mark.parametrize("type_list", [["int"], ["float", "int"], ["str"], ["Decimal"], ["datetime", "date"]])
def test_type_list_verdicts_are_gx_own(metrics, type_list):
    metric = metrics[0]
    faster = gx_metrics._judge_types_once(own(metric))
    for size in (1, 2, 3):
        for values in itertools.product(VALUES, repeat=size):
            column = pd.Series(list(values), dtype=object)
            assert outcome(faster, metric, column, type_list) == outcome(
                own(metric), metric, column, type_list
            )


@pytest.mark.parametrize(
    "bounds",
    [(0, 10), (0, None), (None, 2.5), (0.0, 1e30), (3, 1), ("a", "z"), (0, Decimal("5")), (None, None)],
)
@pytest.mark.parametrize("strict", [(False, False), (True, False), (False, True), (True, True)])
def test_range_verdicts_are_gx_own(metrics, bounds, strict):
    metric = metrics[1]
    faster = gx_metrics._compare_at_once(own(metric))
    for values in itertools.product([0, 1, 2.5, 10, -1, 10**20, float("inf"), "b", Decimal("2")], repeat=2):
        column = pd.Series(list(values), dtype=object)
        args = (metric, column, *bounds, *strict)
        assert outcome(faster, *args) == outcome(own(metric), *args), (values, bounds, strict)


def test_a_gx_shaped_otherwise_keeps_its_own_check(metrics, monkeypatch, caplog):
    from great_expectations.expectations import registry

    registered = []
    monkeypatch.setattr(registry, "register_metric", lambda **kwargs: registered.append(kwargs))
    for metric in metrics:
        monkeypatch.setattr(metric, "faster", False)
        monkeypatch.setattr(metric, "_pandas", classmethod(lambda cls, column, **kwargs: column))
    gx_metrics.install_faster_checks()
    assert registered == []
    assert [r.getMessage() for r in caplog.records if "not where expected" in r.getMessage()] == [
        f"GX {m.__name__}: its pandas check is not where expected; GX's own is used" for m in metrics
    ]
