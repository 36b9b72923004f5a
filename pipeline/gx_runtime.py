"""Import Great Expectations when first needed and validate frames in the process's one GX context."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from pipeline.frames import LINEAGE, Frame
from pipeline.lazy_imports import deferred
from pipeline.registry import Registry
from pipeline.suites import EXPECTATIONS_DIR, SuiteError, read_suite, suite_documents

# Every expectation is first checked with its counts alone (the Data Docs show them); only those that fail are
# checked again for the rows to blame. Most expectations pass, and the rows' lineage GX gathers for each is most of
# a passing one's cost. BOOLEAN_ONLY would save a little more and leave the Data Docs without the counts.
FIRST_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": LINEAGE,
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}


class _ConfigurationCache:
    """Let each GX expectation build its configuration once per validation instead of at every look.

    GX 1.x rebuilds `Expectation.configuration` (a pydantic `dict()` of the whole expectation) each time it is
    read, and reads it dozens of times per expectation while planning metrics: a fixed cost of about 5 ms per
    expectation per validation, whatever the number of rows. Expectations are built afresh for each
    validation and only read afterwards, so while one of ours runs, each one's configuration is kept and
    given again. Outside our validations GX behaves as shipped.
    """

    def __init__(self) -> None:
        self.kept: dict[int, tuple[Any, Any]] | None = None
        self.lock = threading.Lock()

    def install(self, expectation_class: type) -> None:
        built = expectation_class.configuration.fget
        built = getattr(built, "built", built)  # installed once per process; a second context rebinds it
        cache = self

        def configuration(expectation: Any) -> Any:
            kept = cache.kept
            if kept is None:
                return built(expectation)
            found = kept.get(id(expectation))
            if found is None or found[0] is not expectation:
                # The expectation is kept alive with it, so its id cannot be reused while the cache holds it.
                found = kept[id(expectation)] = (expectation, built(expectation))
            return found[1]

        configuration.built = built
        expectation_class.configuration = property(configuration, doc=expectation_class.configuration.__doc__)

    @contextmanager
    def active(self) -> Iterator[None]:
        with self.lock:
            self.kept = {}
            try:
                yield
            finally:
                self.kept = None


def _judge_types_once(type_list_metric: Any) -> Any:
    """Wrap GX's pandas type-list check to judge each class of value once, not each value."""
    import pandas as pd  # loaded with GX already

    judge = type_list_metric.__wrapped__.__wrapped__  # GX's own `_pandas`, under its two decorators

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


def _compare_at_once(between_metric: Any) -> Any:
    """Wrap GX's pandas range check to compare a column of plain numbers in one numpy pass, not value by value."""
    import numpy as np  # loaded with GX already
    import pandas as pd

    gx_between = between_metric.__wrapped__.__wrapped__  # GX's own `_pandas`, under its two decorators

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
        provider = column_condition_partial(engine=PandasExecutionEngine)(faster(metric._pandas))
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


# Modules GX imports at its top for what validation here never does: scipy.stats and altair for its distribution
# expectations, boto3 for its S3 datasources (this pipeline reaches object storage through its own layer).
GX_DEFERRED = ("altair", "boto3", "scipy", "scipy.stats")


def import_great_expectations() -> None:
    """Import GX and the parts of it validation uses, quietly and with its analytics off; build no context."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    # Before the import: importing GX logs some 200 INFO lines (its API-docs registry skipping closures), which
    # a task's log under Airflow would show.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # A third of GX's import time, for parts of it no suite here uses (`GX_DEFERRED`); they load if one ever does.
    with deferred(*GX_DEFERRED):
        import great_expectations  # noqa: F401
        import great_expectations.data_context.types.base  # noqa: F401
        import great_expectations.execution_engine.pandas_execution_engine  # noqa: F401
        import great_expectations.expectations.expectation  # noqa: F401
        import great_expectations.validator.v1_validator  # noqa: F401


class _GreatExpectations:
    """The process's ephemeral GX context: one pandas dataframe asset and one suite per frame kind."""

    def __init__(self) -> None:
        import_great_expectations()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine
        from great_expectations.expectations.expectation import Expectation
        from great_expectations.validator.v1_validator import Validator

        # GX fingerprints every frame it is given below this many bytes (an MD5 over a hash of each cell, for a
        # batch marker in the result's meta): 1.2 s of a profiled 10,000-file ingest of 40 s. Nothing here reads
        # that marker; each file's fingerprint is its SHA-256 in ops.submissions.
        pandas_execution_engine.HASH_THRESHOLD = 0
        install_faster_checks()
        self.validator = Validator
        self.configurations = _ConfigurationCache()
        self.configurations.install(Expectation)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.datasource = self.context.data_sources.add_pandas("parsed_sheets")
        self.batch_definitions: dict[str, Any] = {}
        self.suites: dict[str, Any] = {}
        self.lock = threading.RLock()  # suites and assets are registered by the warm-up thread too

    def suite(self, document: dict) -> Any:
        """Return the GX suite for a suite document, registered once in the context."""
        name = document["name"]
        with self.lock:
            if name not in self.suites:
                try:
                    suite = self.gx.ExpectationSuite(**{k: v for k, v in document.items() if k != "id"})
                except Exception as exc:  # GX's own (pydantic) refusal of an expectation's kwargs
                    raise SuiteError(_refused_kwargs(self.gx, document, exc)) from exc
                if len(suite.expectations) != len(document["expectations"]):
                    raise SuiteError(f"suite {name!r}: GX rejected some expectations (see its log)")
                self.suites[name] = self.context.suites.add(suite)
            return self.suites[name]

    def batch_definition(self, name: str) -> Any:
        """Return the batch definition of a suite's frames, added once to the context."""
        with self.lock:
            if name not in self.batch_definitions:
                asset = self.datasource.add_dataframe_asset(name)
                self.batch_definitions[name] = asset.add_batch_definition_whole_dataframe("all rows")
            return self.batch_definitions[name]

    def prepare(self, document: dict) -> None:
        """Register a suite document's suite and frame asset ahead of its first validation."""
        self.suite(document)
        self.batch_definition(document["name"])

    def validate(self, document: dict, frame: Frame, parameters: dict) -> Any:
        """Validate a frame against a suite document; return the GX result."""
        # A validator on the batch definition itself: `get_batch(...).validate(...)` builds the batch, then a
        # validator that builds it again.
        validator = self.validator(
            self.batch_definition(document["name"]),
            result_format=FIRST_FORMAT,
            batch_parameters={"dataframe": _gx_frame(frame)},
        )
        suite = self.suite(document)
        with self.configurations.active():
            result = validator.validate_expectation_suite(suite, expectation_parameters=parameters)
            failed = [i for i, outcome in enumerate(result.results) if not outcome.success]
            if failed:
                # Results come in GX's order of work, not the suite's: each names its expectation by id.
                by_id = {expectation.id: expectation for expectation in suite.expectations}
                validator.result_format = RESULT_FORMAT  # the same batch, built once
                for i in failed:
                    expectation = by_id[result.results[i].expectation_config.id]
                    result.results[i] = validator.validate_expectation(
                        expectation, expectation_parameters=parameters
                    )
            return result


_GX_LOCK = threading.Lock()
_GX: _GreatExpectations | None = None
_WARMING: threading.Thread | None = None


def _great_expectations() -> _GreatExpectations:
    """Return the process's GX context, importing GX on first use (once, whichever thread asks first)."""
    global _GX
    warming = _WARMING
    if warming is not None and warming is not threading.current_thread():
        warming.join()  # GX's context is not built for two threads at once: let the warm-up finish
    if _GX is None:
        with _GX_LOCK:
            if _GX is None:
                _GX = _GreatExpectations()
    return _GX


def _refused_kwargs(gx: Any, document: dict, exc: Exception) -> str:
    """Name the suite file and expectation whose kwargs GX refused (`min_valu`), with GX's own words."""
    # Only the template's own suite file can hold it; a document is a frame kind's share of that file.
    template_id = document["name"].split(".", 1)[0]
    path = EXPECTATIONS_DIR / f"{template_id}.json"
    written = read_suite(path).get("expectations", [])
    for expectation in document["expectations"]:
        try:
            gx.ExpectationSuite(name="kwargs check", expectations=[expectation])
        except Exception as refused:
            position = written.index(expectation) if expectation in written else "?"
            said = "; ".join(line.strip() for line in str(refused).splitlines()[1:] if line.strip())
            return f"{path}: expectation {position}: Great Expectations refuses its kwargs {expectation.get('kwargs')}: {said or refused}"
    return f"{path}: Great Expectations refuses the suite: {exc}"


def warm_up(registry: Registry) -> None:
    """Import GX and register every template's suites now, so a validation later finds them ready."""
    gx = _great_expectations()
    for template_id in registry.templates:
        if (EXPECTATIONS_DIR / f"{template_id}.json").is_file():
            for document in suite_documents(template_id).values():
                gx.prepare(document)


def warm_up_in_background(registry: Registry) -> threading.Thread:
    """Start `warm_up` in a thread, so GX's import (seconds) overlaps parsing instead of following it.

    Every later use of GX in this process waits for it to finish. A failure is not raised here: the
    validation that needs GX meets it again and raises it where it belongs.
    """
    global _WARMING
    if _WARMING is not None:
        return _WARMING

    def run() -> None:
        try:
            warm_up(registry)
        except Exception:  # raised again, in context, by the validation that needs GX
            logging.getLogger(__name__).debug("GX warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="gx-warm-up", daemon=True)
    _WARMING = thread
    thread.start()
    return thread


_AS_THEY_ARE = frozenset({str, int, type(None)})  # what `_gx_value` leaves alone, by exact class
_NUMBERS = _AS_THEY_ARE | {Decimal}


def _gx_frame(frame: Frame) -> Any:
    """Build the GX frame, column by column: Decimal to float, a date to a Timestamp, the rest as they are."""
    import pandas as pd  # loaded with GX already; imported here so importing this module stays light

    columns = {}
    for name, values in frame.columns.items():
        classes = set(map(type, values))
        if classes <= _AS_THEY_ARE:
            columns[name] = values
        elif classes <= _NUMBERS:  # most columns: amounts beside blanks, converted without a call per value
            columns[name] = [float(v) if v.__class__ is Decimal else v for v in values]
        else:  # dates: a column repeats its few (775 distinct of 60,760 at 2,000 files), each converted once
            converted: dict[tuple[type, object], object] = {}
            columns[name] = [v if v.__class__ in _AS_THEY_ARE else _converted(v, converted) for v in values]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), dtype=object)


def _converted(value: object, converted: dict[tuple[type, object], object]) -> object:
    """Return `_gx_value(value)`, converted once per class and value of a column."""
    key = (value.__class__, value)  # by class too: Decimal("1") == 1 == 1.0, but each converts differently
    try:
        found = converted.get(key, converted)
    except TypeError:  # a value that cannot be a key
        return _gx_value(value)
    if found is converted:
        found = converted[key] = _gx_value(value)
    return found


def _gx_value(value: object) -> object:
    """Convert a value for the GX frame only: Decimal to float, a date to a pandas Timestamp."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        import pandas as pd  # loaded with GX already; imported here so importing this module stays light

        return pd.Timestamp(value)
    return value
