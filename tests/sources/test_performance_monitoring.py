"""项目支出绩效运行监控表 (performance_monitoring): a sample workbook reaches staging.performance_monitoring, a bad one is rejected.

Scaffolded by `pipeline new-source`. The sample follows registry/sources/performance_monitoring.yaml, so it keeps up
as the columns change; add cases for this source's own rules below.
"""

from __future__ import annotations

import pytest

from pipeline.intake import ingest
from pipeline.source_sample import Sample
from pipeline.warehouse import connect
from tests.pipeline.workbooks import xlsx

TEMPLATE = "performance_monitoring"
# The project the `register` fixture (tests/conftest.py) registers for its unit and year.
UNIT, PROJECT, YEAR = "枣林街道办事处", "枣林街道办事处改造老旧小区", 2022


def drop(settings, sample: Sample) -> None:
    path = settings.inbox / UNIT / f"{YEAR}年{sample.template.name_zh}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(xlsx({"Sheet1": sample.sheet_rows()}))


@pytest.fixture
def sample(registry) -> Sample:
    return Sample.of(registry.template(TEMPLATE), registry, unit=UNIT, project=PROJECT, year=YEAR)


def test_a_sample_workbook_reaches_staging(settings, registry, register, sample):
    drop(settings, sample)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "accepted", [p.message_zh for p in outcome.problems]
    with connect(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            f"select {', '.join(sample.columns)} from staging.{TEMPLATE} order by excel_row"
        ).fetchall()
    assert rows == sample.expected_rows()


def test_an_empty_required_cell_is_rejected_naming_row_and_header(settings, registry, register, sample):
    column = sample.blank_required(1)
    drop(settings, sample)

    [outcome] = ingest(settings, registry, progress=False).outcomes

    assert outcome.status == "rejected"
    assert [(p.rule, p.excel_row, p.column_header) for p in outcome.errors] == [
        ("required", sample.excel_row(1), sample.header(column))
    ]
