"""Load what the 数据质量提示 word and look up (registry/report_notes.yaml): each rule's words, each measure's form."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pipeline.problems import FIGURE_WARNINGS
from pipeline.registry import REGISTRY_DIR, Registry, RegistryError, explain, read_yaml
from pipeline.registry_errors import missing_file
from pipeline.rules import Measure

REPORT_NOTES = REGISTRY_DIR / "report_notes.yaml"


class ReportNotes(BaseModel):
    """The words a note gives each rule of a family worded rule by rule, and the form each measure is computed from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_wording: dict[str, str]
    measure_forms: dict[Measure, str]

    @field_validator("rule_wording")
    @classmethod
    def _known_rules(cls, wording: dict[str, str]) -> dict[str, str]:
        unknown = [rule for rule in wording if rule not in FIGURE_WARNINGS]
        if unknown:
            raise ValueError(
                f"{'、'.join(unknown)} 不是数据质量提示列出的规则（pipeline/problems.py FIGURE_WARNINGS）"
            )
        if blank := [rule for rule, words in wording.items() if not words.strip()]:
            raise ValueError(
                f"{'、'.join(blank)} 的措辞为空：请写出提示中的一句，或删去这一行（印规则的中文名称）"
            )
        return wording

    def forms_of_measures(self, registry: Registry) -> list[tuple[str, str]]:
        """Return (template, measure) of each measure, every template checked against the registry's."""
        unknown = sorted({t for t in self.measure_forms.values() if t not in registry.templates})
        if unknown:
            raise RegistryError(
                REPORT_NOTES,
                f"measure_forms: {'、'.join(unknown)} 不是报表模板编号（registry/sources/<模板>.yaml）",
            )
        return [(template, str(measure)) for measure, template in self.measure_forms.items()]


def load_report_notes(path: Path = REPORT_NOTES) -> ReportNotes:
    """Load registry/report_notes.yaml; a malformed file is refused with its path and key."""
    if not path.is_file():
        raise missing_file(path)
    data = read_yaml(path)
    try:
        return ReportNotes.model_validate(data)
    except ValidationError as exc:
        raise explain(path, exc, ReportNotes, data) from exc
