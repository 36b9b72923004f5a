"""Generate a template's expectation suite from its registry entry, keeping the checks written by hand."""

from __future__ import annotations

import importlib.metadata
import json
import re
from dataclasses import dataclass

from pipeline.enum_values import allowed_zh, enum_fix
from pipeline.problems import Severity
from pipeline.projects import REGISTER_TEMPLATE
from pipeline.registry_columns import Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.suites import GX_SEVERITY
from pipeline.values import count_fix

# Rules generated from the registry; an expectation with any other rule was written by hand and is kept.
GENERATED_RULES = frozenset({"type", "required", "negative", "month_range", "enum", "unknown_project"})


FRAME_ZH = "每个数据行一行（模板的全部列，加 _batch、_sheet、_excel_row 追溯列）；同一模板的所有工作表拼接后一次校验。"
KNOWN_PROJECTS_ZH = "项目基本信息表中已登记的项目名称，校验时由调用方传入"


NOT_A_NUMBER_FIX = "不要带“约”“左右”等文字"


# How each column type is checked and worded: GX type names, what the cell may be, the clerk's two phrases.
@dataclass(frozen=True, slots=True)
class _Wording:
    gx_types: tuple[str, ...]
    may_be: str
    expected: str
    fix: str


_WORDING = {
    ColumnType.TEXT: _Wording(("str",), "文字", "应为文字", "请填写文字内容"),
    ColumnType.PROSE: _Wording(("str",), "文字", "应为文字", "请填写文字内容"),
    ColumnType.NAME: _Wording(("str",), "名称", "应为文字", "请填写名称"),
    ColumnType.ENUM: _Wording(("str",), "文字", "应为文字", enum_fix(multiple=False)),
    ColumnType.INTEGER: _Wording(("int",), "整数", "应为整数", "请填写整数"),
    ColumnType.COUNT: _Wording(("int",), "不小于0的整数", "应为不小于0的整数", "{count_fix}"),
    ColumnType.DECIMAL: _Wording(("float",), "数字", "应为数字", f"请填写确切的数字，{NOT_A_NUMBER_FIX}"),
    ColumnType.MONEY: _Wording(
        ("float",), "金额（万元）", "应为数字", f"请填写确切的金额，{NOT_A_NUMBER_FIX}"
    ),
    ColumnType.AREA: _Wording(
        ("float",), "面积（平方米）", "应为数字", f"请填写确切的面积，{NOT_A_NUMBER_FIX}"
    ),
    ColumnType.PERCENT: _Wording(("float",), "百分比", "应为百分比，如95%", "请填写百分比数字"),
    ColumnType.DATE: _Wording(
        ("Timestamp",), "日期", "应为日期，如2022-03-01或2022年3月1日", "请按“年-月-日”填写日期"
    ),
    ColumnType.YEAR: _Wording(("int",), "四位年份", "应为四位年份，如2022", "请填写年度"),
    ColumnType.MONTH: _Wording(("int",), "月份", "应为1至12之间的月份", "请填写1至12的整数"),
}
_NEGATIVE_FIX = {ColumnType.MONEY: "请填写正确的金额", ColumnType.AREA: "请填写正确的面积"}
NON_NEGATIVE_TYPES = (ColumnType.COUNT, ColumnType.MONEY, ColumnType.AREA, ColumnType.DECIMAL)


def _expectation(kind: str, kwargs: dict, rule: str, reason: str, expected: str, fix: str) -> dict:
    """Return one error-severity expectation on the rows frame, as GX's to_json_dict writes it."""
    meta = {"severity": "error", "rule": rule, "reason": reason, "expected_zh": expected, "fix_zh": fix}
    return {"type": f"expect_{kind}", "kwargs": kwargs, "meta": meta, "severity": GX_SEVERITY[Severity.ERROR]}


def generated_expectations(template: Template) -> list[dict]:
    """Return the checks a template's registry entry implies, column by column, in the suites' order."""
    expectations = []
    for column in template.columns:
        name, header = column.name, column.header
        wording = _WORDING[column.type]
        expectations.append(
            _expectation(
                "column_values_to_be_in_type_list",
                {"column": name, "type_list": list(wording.gx_types)},
                "type",
                f"「{header}」只能是{wording.may_be}：无法识别的单元格不能入库",
                wording.expected,
                wording.fix.format(header=header, count_fix=count_fix(header)),
            )
        )
        if column.required:
            expectations.append(
                _expectation(
                    "column_values_to_not_be_null",
                    {"column": name},
                    "required",
                    f"「{header}」是必填列，空值会使该行无法入库和汇总",
                    "此项为必填项",
                    "请补充填写",
                )
            )
        if column.type in NON_NEGATIVE_TYPES:
            counting = column.type is ColumnType.COUNT
            expectations.append(
                _expectation(
                    "column_values_to_be_between",
                    {"column": name, "min_value": 0.0},
                    "negative",
                    f"「{header}」是数量或金额，不能为负数",
                    "应为不小于0的整数" if counting else "应为不小于0的数",
                    wording.fix.format(header=header, count_fix=count_fix(header))
                    if counting
                    else _NEGATIVE_FIX.get(column.type, f"请填写正确的{header}"),
                )
            )
        if column.type is ColumnType.MONTH:
            expectations.append(
                _expectation(
                    "column_values_to_be_between",
                    {"column": name, "min_value": 1.0, "max_value": 12.0},
                    "month_range",
                    "月份只能是1至12",
                    wording.expected,
                    wording.fix,
                )
            )
        if column.type is ColumnType.ENUM:
            expectations.append(_enum_expectation(column, template))
    if template.id != REGISTER_TEMPLATE and any(c.name == "project_name" for c in template.columns):
        expectations.append(
            _expectation(
                "column_values_to_be_in_set",
                {"column": "project_name", "value_set": {"$PARAMETER": "known_projects"}},
                "unknown_project",
                "数据只能归属于项目基本信息表中已登记的项目",
                "应为项目基本信息表中已登记的项目名称",
                "请核对项目名称，或先报送该项目的项目基本信息表",
            )
        )
    return expectations


def _enum_expectation(column: Column, template: Template) -> dict:
    """Return an enum column's check: one of its values, or for a `multiple` one some of them joined by `、`."""
    values = list(column.values or {})
    where = f"registry/sources/{template.id}.yaml"
    if not column.multiple:
        return _expectation(
            "column_values_to_be_in_set",
            {"column": column.name, "value_set": values},
            "enum",
            f"「{column.header}」只能取模板规定的值（见 {where}）",
            allowed_zh(column),
            enum_fix(multiple=False),
        )
    one = f"(?:{'|'.join(map(re.escape, values))})"
    return _expectation(
        "column_values_to_match_regex",
        {"column": column.name, "regex": f"^{one}(?:、{one})*$"},
        "enum",
        f"「{column.header}」只能取模板规定的值，可有多项，以“、”连接（见 {where}）",
        allowed_zh(column),
        enum_fix(multiple=True),
    )


def _key(expectation: dict) -> tuple:
    """Identify an expectation across regenerations: its kind, the column(s) it checks and its rule."""
    kwargs = expectation["kwargs"]
    columns = kwargs.get("column", tuple(kwargs.get("column_list", ())))
    return expectation["type"], columns, expectation["meta"].get("rule")


def _reworded_by_hand(expectation: dict, template: Template) -> bool:
    """Say whether a generated check's wording was edited, rather than generated for the header it had then."""
    column = expectation["kwargs"].get("column")
    written_for = re.match(r"「(.+?)」", expectation["meta"].get("reason", ""))
    if written_for and column in {c.name for c in template.columns}:
        columns = tuple(
            c.model_copy(update={"header": written_for.group(1)}) if c.name == column else c
            for c in template.columns
        )
        template = template.model_copy(update={"columns": columns})
    return expectation not in generated_expectations(template)


def suite_for(template: Template, existing: dict | None = None) -> dict:
    """Return the template's suite: the registry's checks plus whatever `existing` holds that was written by hand.

    A generated check keeps wording and severity edited by hand while its arguments are unchanged, and is
    otherwise worded afresh (a renamed header is renamed in its messages); a check of a rule the registry cannot
    express (cross-row, derived frames, the negative list) is kept as it is, in its place.
    """
    existing = existing or {}
    old = existing.get("expectations", [])
    by_key = {_key(e): e for e in old}
    expectations = []
    # The check placed for each of `existing`'s, by identity: two hand-written checks may share a key (one column,
    # rule and type, other bounds), and placed by key the second went after the first, never where it stood.
    placed_for: dict[int, dict] = {}
    for fresh in generated_expectations(template):
        kept = by_key.get(_key(fresh))
        edited = kept is not None and kept["kwargs"] == fresh["kwargs"] and _reworded_by_hand(kept, template)
        expectations.append(kept if edited else fresh)
        if kept is not None:
            placed_for[id(kept)] = expectations[-1]
    generated = {_key(e) for e in expectations}
    for position, written in enumerate(old):
        if _key(written) in generated or written["meta"].get("rule") in GENERATED_RULES:
            continue
        # Keep a hand-written check where it stood: after the check that preceded it, if that one is still here.
        before = next((placed_for[id(e)] for e in reversed(old[:position]) if id(e) in placed_for), None)
        at = 0 if before is None else next(i for i, e in enumerate(expectations) if e is before) + 1
        expectations.insert(at, written)
        placed_for[id(written)] = written

    meta = {
        "suite_version": 1,
        "template": template.id,
        "name_zh": template.name_zh,
        "frame": FRAME_ZH,
        "derived_frames": {},
    }
    if any(e["meta"]["rule"] == "unknown_project" for e in expectations):
        meta["parameters"] = {"known_projects": KNOWN_PROJECTS_ZH}
    meta["great_expectations_version"] = importlib.metadata.version("great_expectations")
    old_meta = existing.get("meta", {})
    parameters = meta.get("parameters", {}) | old_meta.get("parameters", {})
    meta = meta | old_meta | {"template": template.id, "name_zh": template.name_zh}
    if parameters:
        meta["parameters"] = parameters
    return {
        "name": template.id,
        "id": existing.get("id"),
        "expectations": expectations,
        "meta": meta,
        "notes": existing.get("notes"),
    }


def suite_text(suite: dict) -> str:
    """Serialise a suite the way the checked-in suites are written."""
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"
