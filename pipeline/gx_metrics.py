"""Faster pandas providers of two of GX's column checks, registered in GX's own metric registry.

GX runs a Python function on every non-empty value of an object column for `expect_column_values_to_be_in_type_list`
and `expect_column_values_to_be_between`; every frame handed to GX here is of objects. These providers reach the same
verdicts with less Python per value, and hand anything they cannot judge the same way to GX's own function.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def _judge_types_once(judge: Any) -> Any:
    """Wrap GX's pandas type-list check `judge` to judge each class of value once, not each value."""
    import pandas as pd  # loaded with GX already

    def in_type_list(cls: Any, column: Any, type_list: Any, **kwargs: Any) -> Any:
        # GX maps `isinstance(x, tuple(...))` over every non-empty value (a Python call each, 600,000 at 2,000
        # files); for the plain classes a parsed cell holds that verdict depends on the value's class alone, so GX's
        # function judges one value of each class and the verdicts are spread back over the column.
        values = column.to_numpy()
        if not len(values) or values.dtype != object:
            return judge(cls, column, type_list, **kwargs)
        classes = list(map(type, values))
        firsts = [classes.index(c) for c in dict.fromkeys(classes)]
        verdicts = judge(cls, pd.Series(values[firsts], dtype=object), type_list, **kwargs).tolist()
        if all(verdicts):
            return pd.Series(True, index=column.index, name=column.name, dtype=bool)
        verdict = dict(zip((classes[i] for i in firsts), verdicts, strict=True))
        return pd.Series(
            list(map(verdict.__getitem__, classes)), index=column.index, name=column.name, dtype=bool
        )

    return in_type_list


# Classes numpy's object comparisons compare exactly as Python does (they call Python's own, value by value).
_COMPARED_AS_THEY_ARE = frozenset({int, float})


def _compare_at_once(gx_between: Any) -> Any:
    """Wrap GX's pandas range check to compare a column of plain numbers in one numpy pass, not value by value."""
    import numpy as np  # loaded with GX already
    import pandas as pd

    def between(
        cls: Any,
        column: Any,
        min_value: Any = None,
        max_value: Any = None,
        strict_min: Any = None,
        strict_max: Any = None,
        **kwargs: Any,
    ) -> Any:
        # On an object column GX calls its `is_between` on every value; on ints and floats against numeric bounds
        # that is `min <= value <= max` (strict where asked), which numpy's object comparisons make the same way.
        # Anything else (a text, a bad bound, no bound) is GX's to judge, and to refuse.
        values = column.to_numpy()
        bounds = [b for b in (min_value, max_value) if b is not None]
        if (
            values.dtype != object
            or not len(values)
            or not bounds
            or not set(map(type, bounds)) <= _COMPARED_AS_THEY_ARE
            or (len(bounds) == 2 and min_value > max_value)
            or not set(map(type, values)) <= _COMPARED_AS_THEY_ARE
        ):
            return gx_between(cls, column, min_value, max_value, strict_min, strict_max, **kwargs)
        judged = np.ones(len(values), dtype=bool)
        if min_value is not None:
            judged &= values > min_value if strict_min else values >= min_value
        if max_value is not None:
            judged &= values < max_value if strict_max else values <= max_value
        return pd.Series(judged, index=column.index, name=column.name)

    return between


def install_faster_checks() -> None:
    """Register `_judge_types_once` and `_compare_at_once` as GX's pandas providers of their two checks."""
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations.metrics.column_map_metrics.column_values_between import (
        ColumnValuesBetween,
    )
    from great_expectations.expectations.metrics.column_map_metrics.column_values_in_type_list import (
        ColumnValuesInTypeList,
    )
    from great_expectations.expectations.metrics.map_metric_provider import column_condition_partial
    from great_expectations.expectations.registry import register_metric

    for metric, faster in (
        (ColumnValuesInTypeList, _judge_types_once),
        (ColumnValuesBetween, _compare_at_once),
    ):
        if getattr(metric, "faster", False):
            continue
        # GX's own `_pandas`, under its two decorators. A GX that wraps it otherwise keeps its own provider: slower,
        # never a night stopped by an upgrade.
        own = getattr(getattr(metric._pandas, "__wrapped__", None), "__wrapped__", None)
        if not callable(own):
            logger.warning("GX %s: its pandas check is not where expected; GX's own is used", metric.__name__)
            continue
        provider = column_condition_partial(engine=PandasExecutionEngine)(faster(own))
        register_metric(  # GX logs its overwriting as a warning, below the ERROR its logger is set to
            metric_name=f"{metric.condition_metric_name}.condition",
            metric_domain_keys=metric.condition_domain_keys,
            metric_value_keys=metric.condition_value_keys,
            execution_engine=PandasExecutionEngine,
            metric_class=metric,
            metric_provider=provider,
            metric_fn_type=provider.metric_fn_type,
        )
        metric.faster = True
