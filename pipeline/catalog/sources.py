"""Each source (registry template): its columns as `registry/sources/<id>.yaml` lists them, and the rules of
its Great Expectations suite (`expectations/<id>.json`) with their severity and reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.registry import Registry
from pipeline.registry_templates import Template
from pipeline.suites import DATA_ROWS, EXPECTATIONS_DIR, suite_documents

_SHOWN_KWARGS = ("min_value", "max_value", "value_set", "row_condition", "type_list")


@dataclass(frozen=True)
class Rule:
    """One expectation as a reader of the catalog needs it."""

    frame: str  # rows, or the derived frame it checks (one row per sheet, per 其中 group…)
    expectation: str
    columns: str
    arguments: str
    severity: str
    rule: str
    reason: str


@dataclass(frozen=True)
class Source:
    template: Template
    rules: list[Rule]
    suite_path: Path


def _columns(kwargs: dict) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_list" in kwargs:
        return "、".join(map(str, kwargs["column_list"]))
    return "、".join(str(kwargs[k]) for k in sorted(kwargs) if k.startswith("column_"))


def _arguments(kwargs: dict) -> str:
    shown = []
    for key in _SHOWN_KWARGS:
        if key not in kwargs:
            continue
        value = kwargs[key]
        if isinstance(value, dict) and "$PARAMETER" in value:  # filled in at validation time
            value = f"$PARAMETER {value['$PARAMETER']}"
        elif isinstance(value, list):
            value = "、".join(map(str, value))
        shown.append(f"{key}: {value}")
    return "；".join(shown)


def read_sources(registry: Registry, directory: Path = EXPECTATIONS_DIR) -> list[Source]:
    """Return every template, by id, with the rules of its suite (data rows first, then derived frames)."""
    sources = []
    for template_id in sorted(registry.templates):
        rules = []
        for kind, document in suite_documents(template_id, directory).items():
            for expectation in document["expectations"]:
                meta = expectation.get("meta", {})
                kwargs = expectation.get("kwargs", {})
                rules.append(
                    Rule(
                        frame="rows" if kind == DATA_ROWS else kind,
                        expectation=expectation.get("type", ""),
                        columns=_columns(kwargs),
                        arguments=_arguments(kwargs),
                        severity=meta.get("severity", ""),
                        rule=meta.get("rule", ""),
                        reason=meta.get("reason", ""),
                    )
                )
        sources.append(Source(registry.templates[template_id], rules, directory / f"{template_id}.json"))
    return sources
