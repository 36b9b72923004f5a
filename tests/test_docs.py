"""Every SQL query in docs/querying.md runs against the demo warehouse and answers what it says."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.indicators import build_indicators
from pipeline.intake import ingest

QUERYING = Path(__file__).resolve().parent.parent / "docs" / "querying.md"
TEXT = QUERYING.read_text(encoding="utf-8")
QUERIES = re.findall(r"```sql\n(.*?)```", TEXT, flags=re.S)
# A section may say why its query is rightly empty on the demo data; every other query must return rows there.
SECTIONS = {
    query: section for section in re.split(r"^## ", TEXT, flags=re.M) for query in QUERIES if query in section
}
EMPTY_SAID = "Empty on the demo data, and rightly so"


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory, registry, demo):
    """The warehouse `make demo` leaves: the demo inbox taken in, its draft sent back, the indicators built."""
    from pipeline.settings import Settings

    settings = Settings.from_env(tmp_path_factory.mktemp("docs"))
    demo.write_inbox(settings.inbox)
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        yield con


def test_the_guide_has_the_five_typical_questions_and_more():
    assert len(QUERIES) >= 5


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("number", range(len(QUERIES)), ids=lambda n: f"query{n + 1}")
def test_each_query_returns_rows_on_the_demo_warehouse_or_the_guide_says_why_not(demo_warehouse, number):
    query = QUERIES[number]

    rows = demo_warehouse.execute(query).fetchall()

    if EMPTY_SAID in SECTIONS[query]:
        assert rows == [], "the guide says this query is empty on the demo data"
    else:
        assert rows, "the guide neither gets rows here nor says why an empty answer is right"


@pytest.mark.parametrize("number", range(len(QUERIES)), ids=lambda n: f"query{n + 1}")
def test_each_query_answers_what_it_says(demo_warehouse, demo, number):
    rows = demo_warehouse.execute(QUERIES[number]).fetchall()

    answers = {
        0: lambda: [r[1] for r in rows] == [demo.DRAFT_FILE] and "约200" in rows[0][4][0],
        1: lambda: (
            {(r[2], r[5]) for r in rows}
            == {("中央补助资金", Decimal("409.42")), ("中央预算内投资", Decimal("1054.32"))}
        ),
        2: lambda: rows == [],  # the demo projects kept to schedule
        3: lambda: len(rows) == 9 and rows[0][2] == "预算执行率",
        4: lambda: rows[0][0] == "1,250.1万元" and rows[0][1] == "枣林街道2022年资金台账.xls",
        5: lambda: [r[0] for r in rows] == ["type"] and "约200" in rows[0][4],
    }
    assert answers[number](), rows
