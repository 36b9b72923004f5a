"""Import Great Expectations when first needed and validate frames in the process's one GX context."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from pipeline.frames import LINEAGE, Frame
from pipeline.gx_metrics import install_faster_checks
from pipeline.lazy_imports import deferred
from pipeline.registry import Registry
from pipeline.suite_places import said, unplaced
from pipeline.suites import EXPECTATIONS_DIR, SuiteError, expectation_position, suite_documents

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
        self.objects: dict[int, tuple[Any, Any]] | None = None
        self.lock = threading.Lock()

    def _once(self, built: Callable[[Any], Any], store: str) -> Callable[[Any], Any]:
        """Return `built`, giving again what it built for an object while a validation runs (held in `store`)."""
        cache = self

        def once(obj: Any) -> Any:
            held = getattr(cache, store)
            if held is None:
                return built(obj)
            found = held.get(id(obj))
            if found is None or found[0] is not obj:
                # The object is kept alive with it, so its id cannot be reused while the cache holds it.
                found = held[id(obj)] = (obj, built(obj))
            return found[1]

        once.built = built  # installed once per process; a second context rebinds the function GX shipped
        once.__doc__ = built.__doc__
        return once

    def install(self, expectation_class: type) -> None:
        built = expectation_class.configuration.fget
        configuration = self._once(getattr(built, "built", built), "kept")
        expectation_class.configuration = property(configuration, doc=expectation_class.configuration.__doc__)

    def install_domain_objects(self, configuration_class: type) -> None:
        """Let each GX expectation configuration build its expectation once per validation too."""
        # GX plans each metric of an expectation from `configuration.to_domain_obj()`, a new pydantic expectation
        # whose configuration is built again: ten of each per expectation (1,508 at 2,000 files), while the
        # configuration they are built from is not changed once planning has begun.
        built = configuration_class.to_domain_obj
        configuration_class.to_domain_obj = self._once(getattr(built, "built", built), "objects")

    @contextmanager
    def active(self) -> Iterator[None]:
        with self.lock:
            self.kept, self.objects = {}, {}
            try:
                yield
            finally:
                self.kept = self.objects = None


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
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
        from great_expectations.validator.v1_validator import Validator

        # GX fingerprints every frame it is given below this many bytes (an MD5 over a hash of each cell, for a
        # batch marker in the result's meta): 1.2 s of a profiled 10,000-file ingest of 40 s. Nothing here reads
        # that marker; each file's fingerprint is its SHA-256 in ops.submissions.
        pandas_execution_engine.HASH_THRESHOLD = 0
        install_faster_checks()
        self.validator = Validator
        self.configurations = _ConfigurationCache()
        self.configurations.install(Expectation)
        self.configurations.install_domain_objects(ExpectationConfiguration)
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
                    raise SuiteError(
                        f"suite {name!r}: Great Expectations 没有收下其中几条检查（GX rejected some expectations），"
                        "请查看它的日志中被拒绝的检查并改正"
                    )
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
    for expectation in document["expectations"]:
        try:
            gx.ExpectationSuite(name="kwargs check", expectations=[expectation])
        except Exception as refused:
            position = expectation_position(path, expectation)
            words = "; ".join(line.strip() for line in str(refused).splitlines()[1:] if line.strip())
            return said(
                path,
                ("expectations", position, "kwargs", *_refused_key(str(refused), expectation)),
                f"Great Expectations 不接受这条检查的 kwargs {expectation.get('kwargs')}",
                f"Great Expectations refuses its kwargs: {words or refused}",
                f"请按 {expectation.get('type')} 的参数改正（拼写、类型），或删去多余的参数",
                unplaced(document, expectation),
            )
    return f"{path}: Great Expectations 不接受这个 suite（Great Expectations refuses the suite: {exc}），请检查各条检查的 kwargs"


def _refused_key(words: str, expectation: dict) -> tuple[str, ...]:
    """Return the kwarg GX's words name (`min_valu`), where one of the expectation's is named there."""
    return next(((k,) for k in expectation.get("kwargs", {}) if re.search(rf"\b{re.escape(k)}\b", words)), ())


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
