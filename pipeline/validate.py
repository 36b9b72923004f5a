"""Check parsed sheets against the Great Expectations suites in `expectations/`, one run per template.

Each suite (`expectations/<template>.json`) holds expectations on two kinds of frame: the data rows of
every sheet of that template, concatenated, and the derived frames its meta declares (one row per sheet,
per 其中 group, per month…) for rules that span rows or columns. Every frame row carries its lineage
(`_batch`, `_sheet`, `_excel_row`), so a failing row maps back to the Excel row and header to blame.
Cells the parser already reported are never reported again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.frames import DERIVED_FRAMES, LINEAGE, Context, Frame, Sheet, data_rows
from pipeline.lazy_imports import deferred
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, cell_problem, display
from pipeline.registry import Registry
from pipeline.registry_templates import Template
from pipeline.settings import DATA_DOCS_KEEP_DAYS

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
DATA_ROWS = "rows"  # the frame of data rows; every other frame kind is derived from it
REQUIRED_META = ("severity", "rule", "reason", "expected_zh", "fix_zh")
DERIVED_META = ("derived", "blame", "value", "found_zh")
# Expectations whose failing rows are duplicates of one another: the first occurrence is not to blame.
DUPLICATE_EXPECTATIONS = frozenset(
    {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
)
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


class SuiteError(ValueError):
    """An expectation suite file is malformed; the message names the file."""


class Batch(NamedTuple):
    """One parsed sheet and the file it came from (`key`: anything hashable naming the file)."""

    key: Hashable
    sheet: ParsedSheet


@dataclass(slots=True)
class Validation:
    """Problems found per batch key (the parser's own problems are not repeated) and the GX runs made."""

    problems: dict[Hashable, list[Problem]]
    gx_validations: int
    validated_at: dt.datetime
    results: list[tuple[str, Any]] = field(default_factory=list, repr=False)  # (suite name, GX result)


def _check_meta(path: Path, position: int, meta: dict, declared: Iterable[str]) -> None:
    """Reject an expectation whose meta cannot word a problem or names an unknown derived frame."""
    needed = REQUIRED_META + (DERIVED_META if "derived" in meta else ())
    if missing := [k for k in needed if not meta.get(k)]:
        raise SuiteError(f"{path}: expectation {position}: meta lacks {missing}")
    if meta["severity"] not in (Severity.ERROR, Severity.WARNING):
        raise SuiteError(f"{path}: expectation {position}: severity must be error or warning")
    kind = meta.get("derived")
    if kind is not None and (kind not in declared or kind not in DERIVED_FRAMES):
        raise SuiteError(
            f"{path}: expectation {position}: derived frame {kind!r} is not declared or not built"
        )


@cache
def suite_documents(template_id: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, dict]:
    """Read a template's suite and split it by frame kind into GX suite documents, data rows first."""
    path = directory / f"{template_id}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{path}: cannot read the suite: {exc}") from exc
    if document.get("name") != template_id:
        raise SuiteError(f"{path}: the suite must be named {template_id!r}")
    declared = document.get("meta", {}).get("derived_frames", {})
    by_kind: dict[str, list[dict]] = {DATA_ROWS: []}
    for position, expectation in enumerate(document.get("expectations", [])):
        meta = expectation.get("meta", {})
        _check_meta(path, position, meta, declared)
        by_kind.setdefault(meta.get("derived", DATA_ROWS), []).append(expectation)
    return {
        kind: document
        | {
            "name": template_id if kind == DATA_ROWS else f"{template_id}.{kind}",
            "expectations": expectations,
            "meta": document.get("meta", {}) | {"frame": kind},
        }
        for kind, expectations in by_kind.items()
        if expectations
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
                suite = self.gx.ExpectationSuite(**{k: v for k, v in document.items() if k != "id"})
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
        else:
            columns[name] = [_gx_value(v) for v in values]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), dtype=object)


def _gx_value(value: object) -> object:
    """Convert a value for the GX frame only: Decimal to float, a date to a pandas Timestamp."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        import pandas as pd  # loaded with GX already; imported here so importing this module stays light

        return pd.Timestamp(value)
    return value


def _raised(exception_info: dict | None) -> str | None:
    """Return the message of an exception GX caught while checking an expectation, if any."""
    info = exception_info or {}
    # One record for the expectation, or one per metric it needed.
    records = [info] if "raised_exception" in info else list(info.values())
    failed = (r for r in records if isinstance(r, dict) and r.get("raised_exception"))
    return next((r.get("exception_message") or "unknown error" for r in failed), None)


def _fill(text: str, row: dict, extra: Mapping[str, object] | None = None) -> str:
    """Fill the `{column}` placeholders of a suite text with displayed frame values."""
    fields = {k: display(v) for k, v in (row | dict(extra or {})).items() if v is not None}
    return text.format_map(fields)


class _Findings:
    """Collect problems per batch key, once per cell, skipping cells the parser already reported."""

    def __init__(self, sheets: list[Sheet]):
        self.sheets = {(s.batch, s.parsed.name): s for s in sheets}
        self.problems: dict[Hashable, list[tuple[tuple, Problem]]] = {s.key: [] for s in sheets}
        self.seen: set[tuple] = set()

    def add(self, sheet: Sheet, column: str, problem: Problem) -> None:
        """Keep a problem unless it repeats one already kept or a cell the parser reported."""
        identity = (
            sheet.batch,
            problem.sheet,
            problem.excel_row,
            problem.column_header,
            problem.rule,
            problem.value,
        )
        if identity in self.seen or (problem.excel_row, problem.column_header) in sheet.reported:
            return
        self.seen.add(identity)
        order = (sheet.order, problem.excel_row or 0, sheet.positions.get(column, -1))
        self.problems[sheet.key].append((order, problem))

    def read(self, template: Template, kind: str, result: Any, frame: Frame) -> None:
        """Turn the failed expectations of one GX result into problems."""
        by_lineage = frame.positions()
        if len(by_lineage) != len(frame):
            raise RuntimeError(f"suite {result.suite_name!r}: two frame rows blame the same Excel row")
        rows: dict[int, dict] = {}  # the rows blamed so far, by position
        for outcome in result.results:
            config = outcome.expectation_config
            if message := _raised(outcome.exception_info):
                raise RuntimeError(f"suite {result.suite_name!r}: {config.type} failed to run: {message}")
            if outcome.success:
                continue
            indices = outcome.result.get("unexpected_index_list")
            if indices is None:
                raise RuntimeError(f"suite {result.suite_name!r}: {config.type} failed without row lineage")
            meta = config.meta
            blame = meta.get("blame") or config.kwargs["column"]
            failing = []
            for i in indices:
                position = by_lineage[(int(i["_batch"]), i["_sheet"], int(i["_excel_row"]))]
                if position not in rows:
                    rows[position] = frame.row(position)
                failing.append(rows[position])
            duplicates = config.type in DUPLICATE_EXPECTATIONS
            alike = config.kwargs.get("column_list") or [config.kwargs.get("column", blame)]
            for row, extra in _blamed_rows(failing, alike if duplicates else None):
                sheet = self.sheets[(row["_batch"], row["_sheet"])]
                if kind == DATA_ROWS:
                    self._cell(template, sheet, meta, blame, row, extra)
                else:
                    self._derived(template, sheet, meta, row)

    def _cell(
        self, template: Template, sheet: Sheet, meta: dict, column: str, row: dict, extra: dict
    ) -> None:
        """Report a data-row cell, under its header as written."""
        header = sheet.headers.get(column)
        excel_row: int | None = row["_excel_row"]
        if header is None:
            if meta["rule"] == "required":
                return  # the parser reported the missing column
            # The value came from a line above the table (`项目名称：…`), not from a cell: report it once, on that line.
            header = template.column(column).header
            excel_row = sheet.parsed.meta.rows.get(_META_ROW_OF.get(column, ""))
        problem = cell_problem(
            meta["rule"],
            sheet=sheet.parsed.name,
            excel_row=excel_row,
            header=header,
            value=sheet.as_written(column, row[column], excel_row),
            expected=_fill(meta["expected_zh"], row, extra),
            fix=_fill(meta["fix_zh"], row, extra),
            severity=Severity(meta["severity"]),
        )
        self.add(sheet, column, problem)

    def _derived(self, template: Template, sheet: Sheet, meta: dict, row: dict) -> None:
        """Report a derived-frame row against the rows and header it blames."""
        column = meta["blame"]
        header = sheet.headers.get(column, template.column(column).header)
        found, expected, fix = (_fill(meta[k], row) for k in ("found_zh", "expected_zh", "fix_zh"))
        problem = Problem(
            severity=Severity(meta["severity"]),
            rule=meta["rule"],
            message_zh=f"第{row['_rows']}行「{header}」{found}，{expected}，{fix}。",
            sheet=sheet.parsed.name,
            excel_row=row["_excel_row"],
            column_header=header,
            value=sheet.as_written(meta["value"], row[meta["value"]]),
            expected=expected,
            fix=fix,
        )
        self.add(sheet, column, problem)

    def by_key(self) -> dict[Hashable, list[Problem]]:
        """Return each batch key's problems by sheet, Excel row and column."""
        return {
            key: [p for _, p in sorted(found, key=lambda item: item[0])]
            for key, found in self.problems.items()
        }


# The line above a table each column's value may come from, as `SheetMeta.rows` keys it.
_META_ROW_OF = {"project_name": "project", "year": "year"}


def _blamed_rows(failing: list[dict], alike: list[str] | None) -> list[tuple[dict, dict]]:
    """Return the failing rows to report; of duplicates (rows alike in these columns), every one after the first,
    naming the first."""
    if alike is None:
        return [(row, {}) for row in failing]
    first_of: dict[tuple, int] = {}
    blamed = []
    for row in sorted(failing, key=lambda r: (r["_batch"], r["_sheet"], r["_excel_row"])):
        # Alike in every column checked, not only the one blamed: two pairs of copies may share an amount.
        group = (row["_batch"], row["_sheet"], *(row[c] for c in alike))
        if group in first_of:
            blamed.append((row, {"duplicate_of": first_of[group]}))
        else:
            first_of[group] = row["_excel_row"]
    return blamed


def validate(batches: Iterable[Batch], registry: Registry, context: Context) -> Validation:
    """Validate parsed sheets: one GX run per template present, plus one per derived frame kind."""
    batches = [Batch(*b) for b in batches]
    batch_numbers: dict[Hashable, int] = {}
    by_template: dict[str, list[Sheet]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    for order, (key, parsed) in enumerate(batches):
        number = batch_numbers.setdefault(key, len(batch_numbers))
        if (number, parsed.name) in seen:
            raise ValueError(f"two sheets named {parsed.name!r} under one batch key {key!r}")
        seen.add((number, parsed.name))
        by_template[parsed.template.id].append(Sheet.of(number, key, order, parsed))
    findings = _Findings([s for sheets in by_template.values() for s in sheets])
    parameters = {
        "known_projects": sorted(context.known_projects),
        "negative_list": sorted(context.negative_list),
    }
    results = []
    for template_id, sheets in by_template.items():
        template = registry.template(template_id)
        for kind, document in suite_documents(template_id).items():
            if kind == DATA_ROWS:
                frame = data_rows(sheets, template)
            else:
                built = DERIVED_FRAMES[kind](sheets, context, registry)
                frame = built if isinstance(built, Frame) else Frame.of_rows(built)
            if not len(frame):
                continue
            result = _great_expectations().validate(document, frame, parameters)
            results.append((document["name"], result))
            findings.read(template, kind, result, frame)
    return Validation(
        problems=findings.by_key(),
        gx_validations=len(results),
        validated_at=dt.datetime.now(dt.UTC),
        results=results,
    )


def write_data_docs(validation: Validation, directory: Path, keep_days: int = DATA_DOCS_KEEP_DAYS) -> Path:
    """Write offline GX Data Docs of the suites, this validation and the runs of the last `keep_days`."""
    from pipeline import data_docs

    context = _great_expectations().context
    return data_docs.build(context, validation.results, validation.validated_at, directory, keep_days)
