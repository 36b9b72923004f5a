"""The configuration a night loads before it reads the inbox."""

from __future__ import annotations

import pytest

from pipeline.preflight import check_ingest_configuration, check_report_configuration, check_rules
from pipeline.registry import RegistryError, load_registry


def test_the_shipped_configuration_loads():
    check_ingest_configuration(load_registry())
    check_report_configuration()


@pytest.mark.parametrize(
    ("constant", "check"),
    [
        ("pipeline.rules.RULES_PATH", check_rules),
        ("pipeline.rules.RULES_PATH", lambda: check_ingest_configuration(load_registry())),
        ("pipeline.report_model.REPORT_CONFIG", check_report_configuration),
        ("pipeline.report_view.FIGURE_KEYS", check_report_configuration),
    ],
)
def test_a_broken_file_is_refused_naming_it(tmp_path, monkeypatch, constant, check):
    broken = tmp_path / "坏的配置.yaml"
    broken.write_text("lights: [\n", encoding="utf-8")
    monkeypatch.setattr(constant, broken)

    with pytest.raises(RegistryError, match="坏的配置.yaml"):
        check()
