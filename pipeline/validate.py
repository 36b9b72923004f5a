"""Check parsed sheets against the Great Expectations suites in `expectations/`, one run per template.

Each suite (`expectations/<template>.json`) holds expectations on two kinds of frame: the data rows of
every sheet of that template, concatenated, and the derived frames its meta declares (one row per sheet,
per 其中 group, per month…) for rules that span rows or columns. Every frame row carries its lineage
(`_batch`, `_sheet`, `_excel_row`), so a failing row maps back to the Excel row and header to blame.
Cells the parser already reported are never reported again.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.derived_frames import DERIVED_FRAMES
from pipeline.frames import Context, Frame, Sheet, data_rows
from pipeline.generated_suite import GENERATED_RULES
from pipeline.gx_findings import _Findings
from pipeline.gx_runtime import _great_expectations
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem
from pipeline.registry import Registry, RegistryError
from pipeline.scaffold import out_of_date
from pipeline.settings import DATA_DOCS_KEEP_DAYS
from pipeline.suite_places import said, unplaced
from pipeline.suites import DATA_ROWS, EXPECTATIONS_DIR, SuiteError, expectation_position, suite_documents
from pipeline.text import item_key
from pipeline.warehouse_schema import SQL_DIR


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


def _builder(template_id: str, kind: str) -> Any:
    """Return what builds a derived frame a suite checks; a kind no code builds is the suite's error."""
    builder = DERIVED_FRAMES.get(kind)
    if builder is None:
        raise SuiteError(
            said(
                EXPECTATIONS_DIR / f"{template_id}.json",
                ("meta", "derived_frames", kind),
                f"声明了派生表 {kind!r}，但 pipeline/derived_frames.py 不生成这个名称的表",
                f"derived frame {kind!r} is declared, but no code builds it",
                f"请写其中之一（{', '.join(sorted(DERIVED_FRAMES))}），或先在 DERIVED_FRAMES 中加上它的生成函数",
            )
        )
    return builder


LINEAGE = frozenset(
    {"_batch", "_sheet", "_excel_row"}
)  # what `frames.data_rows` adds to the template's columns
COLUMN_KWARGS = (
    "column",
    "column_A",
    "column_B",
)  # and `column_list`: where an expectation names its columns


def check_sources(registry: Registry) -> None:
    """Refuse, before a night reads its inbox, a template without its staging model or suite, or whose suite could
    not check a file, naming the file."""
    # Found only while validating, a broken suite stopped the night with a traceback, and only once a file of its
    # template came in: a column renamed in the registry and not in the suite read as "list index out of range".
    # A suite of no template (a backup copy, a source renamed) was passed over silently, its scale checks still read.
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        if not (entry := registry.directory / "sources" / f"{path.stem}.yaml").is_file():
            raise SuiteError(
                f"{path}: 没有对应的报表模板，{entry} 不存在（a suite for no template），"
                "请删去这个文件（备份请移出 expectations/），或按它所检查的模板 id 命名"
            )
    for template in registry.templates.values():
        path = EXPECTATIONS_DIR / f"{template.id}.json"
        entry = registry.directory / "sources" / f"{template.id}.yaml"
        # An entry written by hand without `new-source` loaded its files into raw only: no staging view showed them.
        for missing in (p for p in (SQL_DIR / "staging" / f"stg_{template.id}.sql", path) if not p.is_file()):
            raise RegistryError(
                entry,
                f"缺少 {missing}：每个模板都要有它的 staging 模型和校验规则（suite），"
                f"请运行 `pipeline new-source {template.id} --regenerate` 生成",
            )
        columns = {c.name for c in template.columns}
        for kind, document in suite_documents(template.id).items():
            if kind != DATA_ROWS:
                _builder(template.id, kind)
            for expectation in document["expectations"]:
                kwargs, meta = expectation.get("kwargs", {}), expectation["meta"]
                at = ("expectations", expectation_position(path, expectation))
                check = unplaced(document, expectation)
                if kind == DATA_ROWS:
                    # A row's problem is told on one column's header: a check of several (docs/adding-a-source.md's
                    # 检查日期 and 小区名称 unique together) has none of its own, and met a file with a KeyError.
                    if not (meta.get("blame") or kwargs.get("column")):
                        raise SuiteError(
                            said(
                                path,
                                (*at, "meta"),
                                f"检查 {expectation['type']}（规则 {meta['rule']}）涉及几列，回执不知道该点名哪一列的表头",
                                "checks several columns: name the one whose header its problems are told on as "
                                "meta.blame",
                                '请在 meta 中加上 "blame": "<回执点名其表头的列的 name>"',
                                check,
                            )
                        )
                    named = [(k, kwargs[k]) for k in COLUMN_KWARGS if k in kwargs] + [
                        ("column_list", c) for c in kwargs.get("column_list", ())
                    ]
                    named += [("blame", meta["blame"])] if meta.get("blame") else []
                else:  # a derived frame's own columns are its builder's; the column it blames is the template's
                    named = [("blame", meta["blame"])]  # or a form's field (money_per_row's 项目资金 amounts)
                allowed = (
                    columns | LINEAGE | (set() if kind == DATA_ROWS else {f.name for f in template.fields})
                )
                if unknown := [(k, c) for k, c in named if c not in allowed]:
                    key = unknown[0][0]
                    meant = difflib.get_close_matches(str(unknown[0][1]), sorted(columns), n=1)
                    raise SuiteError(
                        said(
                            path,
                            (*at, "meta" if key == "blame" else "kwargs", key),
                            f"检查 {expectation['type']}（规则 {meta['rule']}）用到的 "
                            f"{', '.join(repr(c) for _, c in unknown)} 不是 {entry} 中的列",
                            "not a column of the template",
                            (f"请写 {meant[0]!r}（多半是它的笔误），或" if meant else "请在这里")
                            + f"改用该文件的列名（{', '.join(sorted(columns))}）"
                            + (
                                f"，或运行 `pipeline new-source {template.id} --regenerate` 重新生成"
                                if meta.get("rule") in GENERATED_RULES
                                # Regeneration rewrites the checks it generates and keeps this one as written.
                                else "；这是手写的检查，--regenerate 不会改它"
                            ),
                            check,
                        )
                    )
        # An entry edited without `--regenerate` was noticed only by `make test`: each night checked the sheets by
        # the suite's old columns and values, refusing what the registry now allows, and the view missed new columns.
        if stale := out_of_date(template, path, SQL_DIR / "staging" / f"stg_{template.id}.sql"):
            raise SuiteError(
                f"{' 和 '.join(map(str, stale))}: 生成之后 registry/sources/{template.id}.yaml 又改过，已不相符"
                f"（out of date with registry/sources/{template.id}.yaml），请运行 "
                f"`pipeline new-source {template.id} --regenerate` 重新生成（手写的检查和措辞会保留；生成的检查"
                "请在登记文件中修改，不要改在这里）"
            )


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
        # Matched as the 支出用途 it is held against is (registry: `checked_as_item`), anywhere in it: `用于偿还债务` and
        # `工程款；偿还债务` passed an exact check, and the report counted neither.
        # GX refuses an empty list: with no negative list, one pattern that matches nothing (`(?!)`).
        "negative_list_patterns": sorted({re.escape(item_key(item)) for item in context.negative_list})
        or ["(?!)"],
    }
    results = []
    for template_id, sheets in by_template.items():
        template = registry.template(template_id)
        for kind, document in suite_documents(template_id).items():
            if kind == DATA_ROWS:
                frame = data_rows(sheets, template)
            else:
                built = _builder(template_id, kind)(sheets, context, registry)
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
