"""Read the expectation suites in `expectations/` and split each into GX suite documents, one per frame kind."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pipeline.problems import RULE_ZH, Severity

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
DATA_ROWS = "rows"  # the frame of data rows; every other frame kind is derived from it
REQUIRED_META = ("severity", "rule", "reason", "expected_zh", "fix_zh")
DERIVED_META = ("derived", "blame", "value", "found_zh")
# GX's own word for each severity, written beside meta.severity (GX's field, read by nothing here); meta.severity decides.
GX_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "warning"}
# GX 1.x's map expectations: the checks whose failures come with the rows that failed (`unexpected_index_list`), which
# a receipt blames on an Excel row. A misspelt type stopped a night mid-run with a traceback once a file of the
# template came in, and a check of the table as a whole has no row to blame. tests/pipeline/test_validate.py holds
# this list against the map expectations the installed GX registers.
ROW_EXPECTATIONS = frozenset(
    {
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_to_be_in_set",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_value_z_scores_to_be_less_than",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_dateutil_parseable",
        "expect_column_values_to_be_decreasing",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_increasing",
        "expect_column_values_to_be_json_parseable",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_match_json_schema",
        "expect_column_values_to_match_like_pattern",
        "expect_column_values_to_match_like_pattern_list",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_not_be_outliers",
        "expect_column_values_to_not_match_like_pattern",
        "expect_column_values_to_not_match_like_pattern_list",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_not_match_regex_list",
        "expect_compound_columns_to_be_unique",
        "expect_multicolumn_sum_to_equal",
        "expect_multicolumn_values_to_be_equal",
        "expect_select_column_values_to_be_unique_within_record",
    }
)


# What each meta key holds, said where one is missing: an engineer adding a check by hand has no other page open.
_META_INSTEAD = {
    "severity": '"error" (the file is returned to its office) or "warning" (taken, the clerk asked to check)',
    "rule": 'the rule\'s id, lower-case letters and _ (e.g. "inspection_repeated"), with its title in "rule_zh"',
    "reason": "why the rule matters, one sentence in Chinese",
    "expected_zh": "what the cell should hold, in Chinese, as the receipt says it (应为……)",
    "fix_zh": "what the office should do, in Chinese (请……)",
    "derived": "the derived frame the check reads, one declared in the suite's meta.derived_frames",
    "blame": "the name of the column whose header the receipt names",
    "value": "the frame's column holding the figure found",
    "found_zh": "how the receipt words the figure found, in Chinese (填写为“{…}”)",
}


class SuiteError(ValueError):
    """An expectation suite file is malformed; the message names the file."""


def _check_type(path: Path, position: int, expectation: dict) -> None:
    """Reject an expectation of a type GX does not know, or one whose failures name no rows."""
    kind = expectation.get("type")
    if kind in ROW_EXPECTATIONS:
        return
    close = difflib.get_close_matches(str(kind), ROW_EXPECTATIONS, n=1)
    raise SuiteError(
        f"{path}: expectation {position}: type {kind!r} is no Great Expectations check of rows"
        + (f" (did you mean {close[0]!r}?)" if close else "")
    )


def _check_meta(path: Path, position: int, meta: dict, declared: Iterable[str]) -> None:
    """Reject an expectation whose meta cannot word a problem or names a derived frame its suite does not declare.

    Whether the code builds each declared frame is checked where frames are built (`pipeline.validate`): a suite is
    read by what shows it too, which builds none."""
    needed = REQUIRED_META + (DERIVED_META if "derived" in meta else ())
    if missing := [k for k in needed if not meta.get(k)]:
        raise SuiteError(
            f"{path}: expectation {position}: meta lacks {missing}; add "
            + "; ".join(f'"{k}": {_META_INSTEAD[k]}' for k in missing)
        )
    if meta["severity"] not in (Severity.ERROR, Severity.WARNING):
        raise SuiteError(
            f"{path}: expectation {position}: severity must be error or warning; write {_META_INSTEAD['severity']}"
        )
    # A rule of the suite's own showed its id on the clerk's receipt (「重复小区」 became `my_rule`) unless a title
    # was added in Python; a new source needs none, so the suite gives it, once and never for a rule named in code.
    rule, title = meta["rule"], meta.get("rule_zh")
    if rule in RULE_ZH and title and title != RULE_ZH[rule]:
        raise SuiteError(
            f"{path}: expectation {position}: rule {rule!r} is titled {RULE_ZH[rule]!r} by the pipeline; "
            "drop meta.rule_zh, or give the rule an id of its own"
        )
    if rule not in RULE_ZH and not title:
        raise SuiteError(
            f"{path}: expectation {position}: rule {rule!r} is a rule of this suite's own: give its Chinese title, "
            "shown on receipts, as meta.rule_zh"
        )
    # A misspelt rule here left both problems on the cell, with nothing said.
    if (instead_of := meta.get("instead_of")) is not None and instead_of not in RULE_ZH:
        raise SuiteError(
            f"{path}: expectation {position}: meta.instead_of names {instead_of!r}, no rule of the pipeline's"
        )
    kind = meta.get("derived")
    if kind is not None and kind not in declared:
        raise SuiteError(
            f"{path}: expectation {position}: derived frame {kind!r} is not declared in meta.derived_frames"
        )


def _check_severity(path: Path, position: int, expectation: dict) -> None:
    """Reject GX's `severity` field saying other than meta.severity, the one that decides."""
    # Edited to `warning` beside meta's `error`, the check went on returning files without a word.
    stated, meta = expectation.get("severity"), expectation["meta"]["severity"]
    if stated is not None and stated != (wanted := GX_SEVERITY[Severity(meta)]):
        raise SuiteError(
            f"{path}: expectation {position}: severity {stated!r} disagrees with meta.severity {meta!r}, which "
            f"decides whether a file is returned: write {wanted!r} there, or change both"
        )


def rule_titles() -> dict[str, str]:
    """Return the Chinese title of every rule: the pipeline's, then those the suites give their own rules."""
    return _rule_titles(EXPECTATIONS_DIR)


@cache
def _rule_titles(directory: Path) -> dict[str, str]:
    titles = dict(RULE_ZH)
    for path in sorted(directory.glob("*.json")):
        try:
            expectations = read_suite(path).get("expectations", [])
        except SuiteError:
            continue  # refused, naming the file, where the suite is loaded for validation
        for expectation in expectations:
            meta = expectation.get("meta", {}) if isinstance(expectation, dict) else {}
            if isinstance(meta.get("rule"), str) and isinstance(meta.get("rule_zh"), str):
                titles.setdefault(meta["rule"], meta["rule_zh"])
    return titles


def read_suite(path: Path) -> dict:
    """Read a suite file, a leading byte-order mark allowed."""
    try:
        # Notepad saves UTF-8 with a BOM, which the registry's YAML reader takes and json.loads refuses.
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        # Saved as GBK by a Chinese editor: said as the registry's YAML files say it, not as a codec's error.
        raise SuiteError(
            f"{path}: 不是UTF-8编码（第{exc.start + 1}个字节起无法读取），请用UTF-8编码另存后重试"
        ) from exc
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{path}: cannot read the suite: {exc}") from exc
    # A suite of another shape (a list, an expectation written as its type alone) crashed with a traceback.
    if not isinstance(document, dict) or not isinstance(document.get("expectations", []), list):
        raise SuiteError(f"{path}: a suite is an object whose `expectations` is a list")
    for position, expectation in enumerate(document.get("expectations", [])):
        if not isinstance(expectation, dict) or not all(
            isinstance(expectation.get(key, {}), dict) for key in ("kwargs", "meta")
        ):
            raise SuiteError(
                f"{path}: expectation {position}: an object with `type`, and `kwargs` and `meta` objects"
            )
    return document


@cache
def suite_documents(template_id: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, dict]:
    """Read a template's suite and split it by frame kind into GX suite documents, data rows first."""
    path = directory / f"{template_id}.json"
    document = read_suite(path)
    if document.get("name") != template_id:
        raise SuiteError(f"{path}: the suite must be named {template_id!r}")
    declared = document.get("meta", {}).get("derived_frames", {})
    by_kind: dict[str, list[dict]] = {DATA_ROWS: []}
    for position, expectation in enumerate(document.get("expectations", [])):
        meta = expectation.get("meta", {})
        _check_type(path, position, expectation)
        _check_meta(path, position, meta, declared)
        _check_severity(path, position, expectation)
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
