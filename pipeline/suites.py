"""Read the expectation suites in `expectations/` and split each into GX suite documents, one per frame kind."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from pipeline.problems import RULE_ZH, Severity
from pipeline.suite_places import said

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
    "severity": '"error"（整份文件退回报送单位）或 "warning"（文件入库，请填报人核对）',
    "rule": '规则的 id，小写字母和 _（如 "inspection_repeated"），其中文名称写在 "rule_zh"',
    "reason": "这条规则为什么要紧（why），一句中文",
    "expected_zh": "单元格应填什么，按回执的说法写中文（应为……）",
    "fix_zh": "报送单位应如何改正，中文（请……）",
    "derived": "这条检查读取的派生表，须是本 suite 的 meta.derived_frames 中声明的一个",
    "blame": "回执中点名其表头的列的 name",
    "value": "派生表中存放所发现数值的列",
    "found_zh": "回执如何称呼所发现的数值，中文（填写为“{…}”）",
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
        said(
            path,
            ("expectations", position, "type"),
            f"type {kind!r} 不是逐行检查的 Great Expectations 检查",
            "no Great Expectations check of rows",
            f"请写 {close[0]!r}（多半是它的笔误）"
            if close
            else "请写一个逐行检查的类型（见 pipeline/suites.py 的 ROW_EXPECTATIONS），如 expect_column_values_to_not_be_null",
        )
    )


def _check_meta(path: Path, position: int, meta: dict, declared: Iterable[str]) -> None:
    """Reject an expectation whose meta cannot word a problem or names a derived frame its suite does not declare.

    Whether the code builds each declared frame is checked where frames are built (`pipeline.validate`): a suite is
    read by what shows it too, which builds none."""
    needed = REQUIRED_META + (DERIVED_META if "derived" in meta else ())
    at = ("expectations", position, "meta")
    if missing := [k for k in needed if not meta.get(k)]:
        raise SuiteError(
            said(
                path,
                at,
                f"meta 缺少 {', '.join(missing)}，每条检查都须说明是 error 还是 warning、为什么、回执怎么说",
                f"meta lacks {missing}",
                "请在 meta 中加上 " + "；".join(f'"{k}": {_META_INSTEAD[k]}' for k in missing),
            )
        )
    if meta["severity"] not in (Severity.ERROR, Severity.WARNING):
        raise SuiteError(
            said(
                path,
                (*at, "severity"),
                f"severity {meta['severity']!r} 既不是 error 也不是 warning",
                "severity must be error or warning",
                f"请写 {_META_INSTEAD['severity']}",
            )
        )
    # A rule of the suite's own showed its id on the clerk's receipt (「重复小区」 became `my_rule`) unless a title
    # was added in Python; a new source needs none, so the suite gives it, once and never for a rule named in code.
    rule, title = meta["rule"], meta.get("rule_zh")
    if rule in RULE_ZH and title and title != RULE_ZH[rule]:
        raise SuiteError(
            said(
                path,
                (*at, "rule_zh"),
                f"规则 {rule!r} 由流水线命名为 {RULE_ZH[rule]!r}，与 rule_zh {title!r} 不一致",
                f"rule {rule!r} is titled {RULE_ZH[rule]!r} by the pipeline",
                "请删去 meta.rule_zh，或给这条规则另起一个自己的 id",
            )
        )
    if rule not in RULE_ZH and not title:
        raise SuiteError(
            said(
                path,
                (*at, "rule"),
                f"规则 {rule!r} 是本 suite 自己的规则，回执上要显示它的中文名称",
                f"rule {rule!r} is a rule of this suite's own: give its Chinese title",
                '请在 meta 中加上 "rule_zh": "<回执上显示的中文名称>"',
            )
        )
    # A misspelt rule here left both problems on the cell, with nothing said.
    if (instead_of := meta.get("instead_of")) is not None and instead_of not in RULE_ZH:
        close = difflib.get_close_matches(str(instead_of), RULE_ZH, n=1)
        raise SuiteError(
            said(
                path,
                (*at, "instead_of"),
                f"meta.instead_of 写的 {instead_of!r} 不是流水线的规则",
                f"meta.instead_of names {instead_of!r}, no rule of the pipeline's",
                f"请写 {close[0]!r}（多半是它的笔误）"
                if close
                else "请写 pipeline/problems.py 中 RULE_ZH 的一条规则",
            )
        )
    kind = meta.get("derived")
    if kind is not None and kind not in declared:
        raise SuiteError(
            said(
                path,
                (*at, "derived"),
                f"派生表 {kind!r} 未在 meta.derived_frames 中声明",
                f"derived frame {kind!r} is not declared in meta.derived_frames",
                f"请写已声明的一个（{', '.join(declared) or '无'}），或在本文件顶层的 meta.derived_frames 中声明它",
            )
        )


def _check_severity(path: Path, position: int, expectation: dict) -> None:
    """Reject GX's `severity` field saying other than meta.severity, the one that decides."""
    # Edited to `warning` beside meta's `error`, the check went on returning files without a word.
    stated, meta = expectation.get("severity"), expectation["meta"]["severity"]
    if stated is not None and stated != (wanted := GX_SEVERITY[Severity(meta)]):
        raise SuiteError(
            said(
                path,
                ("expectations", position, "severity"),
                f"severity {stated!r} 与决定文件是否退回的 meta.severity {meta!r} 不一致",
                f"severity {stated!r} disagrees with meta.severity {meta!r}",
                f"请在这里写 {wanted!r}，或两处一起改",
            )
        )


def rule_titles() -> dict[str, str]:
    """Return the Chinese title of every rule: the pipeline's, then those the suites give their own rules."""
    return _rule_titles(EXPECTATIONS_DIR)


@cache
def _rule_titles(directory: Path) -> dict[str, str]:
    titles = dict(RULE_ZH)
    for meta in _metas(directory):
        if isinstance(meta.get("rule"), str) and isinstance(meta.get("rule_zh"), str):
            titles.setdefault(meta["rule"], meta["rule_zh"])
    return titles


def _metas(directory: Path) -> Iterator[dict]:
    """Yield the meta of every expectation of every suite in a directory that can be read."""
    for path in sorted(directory.glob("*.json")):
        try:
            expectations = read_suite(path).get("expectations", [])
        except SuiteError:
            continue  # refused, naming the file, where the suite is loaded for validation
        for expectation in expectations:
            yield expectation.get("meta", {}) if isinstance(expectation, dict) else {}


def beside_parser_rules() -> frozenset[str]:
    """Return the rules whose checks speak on a cell the parser already reported (meta `beside_parser`)."""
    return _beside_parser_rules(EXPECTATIONS_DIR)


@cache
def _beside_parser_rules(directory: Path) -> frozenset[str]:
    return frozenset(
        meta["rule"]
        for meta in _metas(directory)
        if meta.get("beside_parser") is True and isinstance(meta.get("rule"), str)
    )


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
    except json.JSONDecodeError as exc:
        raise SuiteError(
            f"{path}: 第{exc.lineno}行第{exc.colno}列不是有效的JSON（not valid JSON: {exc.msg}），"
            "请改正：键和文字都用英文双引号，各项之间用英文逗号，最后一项后面不加逗号"
        ) from exc
    except (OSError, ValueError) as exc:
        raise SuiteError(
            f"{path}: 无法读取（cannot read the suite: {exc}），请检查文件是否存在、可读"
        ) from exc
    # A suite of another shape (a list, an expectation written as its type alone) crashed with a traceback.
    if not isinstance(document, dict) or not isinstance(document.get("expectations", []), list):
        raise SuiteError(
            said(
                path,
                ("expectations",) if isinstance(document, dict) else (),
                "suite 应是一个对象，其 expectations 是一个列表",
                "a suite is an object whose `expectations` is a list",
                '请写成 {"name": "<模板id>", "expectations": [ … ]}',
            )
        )
    for position, expectation in enumerate(document.get("expectations", [])):
        if not isinstance(expectation, dict) or not all(
            isinstance(expectation.get(key, {}), dict) for key in ("kwargs", "meta")
        ):
            raise SuiteError(
                said(
                    path,
                    ("expectations", position),
                    "每条检查应是一个对象，含 type，以及 kwargs 和 meta 两个对象",
                    "an object with `type`, and `kwargs` and `meta` objects",
                    '请写成 {"type": "expect_…", "kwargs": {…}, "meta": {…}}',
                )
            )
    return document


def expectation_position(path: Path, expectation: dict) -> int | None:
    """Return where an expectation stands in its suite file's list, or None where it is not found there."""
    try:
        written = read_suite(path).get("expectations", [])
    except SuiteError:
        return None
    return written.index(expectation) if expectation in written else None


@cache
def suite_documents(template_id: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, dict]:
    """Read a template's suite and split it by frame kind into GX suite documents, data rows first."""
    path = directory / f"{template_id}.json"
    document = read_suite(path)
    if document.get("name") != template_id:
        raise SuiteError(
            said(
                path,
                ("name",),
                f"suite 的 name 须与文件名（模板 id）{template_id!r} 一致",
                f"the suite must be named {template_id!r}",
                f'请写 "name": "{template_id}"',
            )
        )
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
