"""registry/report_notes.yaml: each rule's words in a 数据质量提示 and each measure's form, typed and checked."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.config_tables import write_config
from pipeline.problems import FIGURE_WARNINGS
from pipeline.registry import RegistryError
from pipeline.report_wording import REPORT_NOTES, load_report_notes
from pipeline.rules import Measure, load_rules
from pipeline.warehouse_schema import SQL_DIR


def test_the_shipped_notes_word_only_rules_the_report_names_and_give_every_measure_a_form(registry):
    notes = load_report_notes()
    assert set(notes.rule_wording) <= set(FIGURE_WARNINGS)
    assert set(notes.measure_forms) == set(Measure)
    assert {template for template, _ in notes.forms_of_measures(registry)} <= set(registry.templates)
    # The list lives in the registry, not in the model that joins on it.
    assert "values ('investment_progress'" not in (SQL_DIR / "mart" / "report_figures.sql").read_text("utf-8")


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (("  part_unit:", "  part_units:"), "part_units 不是数据质量提示列出的规则"),
        (
            ("  cost_unit: 投资构成的单位不是金额，未计入与计划总投资的核对", "  cost_unit: ' '"),
            "cost_unit 的措辞为空",
        ),
        (("  area: compound_list", "  areas: compound_list"), "measure_forms.areas"),
        (("rule_wording:", "rule_wordings:"), "rule_wordings"),
    ],
    ids=["an unknown rule", "blank words", "an unknown measure", "a misspelt key"],
)
def test_a_broken_notes_file_is_refused_naming_the_file_and_key(tmp_path, edit, said):
    text = REPORT_NOTES.read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1  # the shipped file as this test knows it
    broken = tmp_path / "report_notes.yaml"
    broken.write_text(text.replace(*edit), encoding="utf-8")
    with pytest.raises(RegistryError) as raised:
        load_report_notes(broken)
    assert str(broken) in str(raised.value) and said in str(raised.value)


def test_a_measure_of_a_form_the_registry_lacks_is_refused_and_the_shipped_ones_reach_the_warehouse(
    tmp_path, registry, monkeypatch
):
    from pipeline import config_tables

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        write_config(con, load_rules(), [2022], registry)
        rows = con.execute("select template, measure from config.measure_forms order by all").fetchall()
        assert rows == sorted(load_report_notes().forms_of_measures(registry))

        shipped = load_report_notes()
        wrong = shipped.model_copy(
            update={"measure_forms": {**shipped.measure_forms, Measure.AREA: "compound_lists"}}
        )
        monkeypatch.setattr(config_tables, "load_report_notes", lambda: wrong)
        with pytest.raises(RegistryError, match="compound_lists 不是报表模板编号"):
            write_config(con, load_rules(), [2022], registry)


def test_a_missing_notes_file_says_where_to_copy_it_from(tmp_path):
    # Before: `…/report_notes.yaml: missing`, English alone and no way to mend it.
    gone = tmp_path / "report_notes.yaml"
    with pytest.raises(RegistryError) as raised:
        load_report_notes(gone)
    assert (
        str(raised.value)
        == f"{gone}: 文件不存在（missing），请从本仓库的 registry/report_notes.yaml 复制一份到 {tmp_path}/"
    )
