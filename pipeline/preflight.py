"""Load the configuration a night reads before it reads the inbox, so a broken file stops it before anything is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.registry import Registry


def check_rules() -> None:
    """Load rules.yaml, whose negative list the loader checks payments against; raise RegistryError if broken."""
    from pipeline import rules

    rules.load_rules(rules.RULES_PATH)


def check_ingest_configuration(registry: Registry) -> None:
    """Load rules.yaml and check every template's staging model and suites; raise naming a broken file."""
    from pipeline.validate import check_sources

    check_rules()
    check_sources(registry)


def check_report_configuration() -> None:
    """Load the report's report.yaml, report_figures.yaml and report_notes.yaml; raise RegistryError naming a broken
    file."""
    from pipeline import report_model, report_view, report_wording

    report_model.load_report_config(report_model.REPORT_CONFIG)
    report_view.load_figure_keys(report_view.FIGURE_KEYS)
    report_wording.load_report_notes(report_wording.REPORT_NOTES)
