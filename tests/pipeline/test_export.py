"""The marts anyone can read: Parquet by year at each publish, with a manifest and a pointer written last."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipeline.indicators import build_indicators
from pipeline.intake import ingest


def read(settings, table: str) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyRelation]:
    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    entry = latest["tables"][table]
    path = settings.export / latest["path"] / entry["path"]
    con = duckdb.connect()
    return con, con.sql(f"select * from read_parquet('{path}', hive_partitioning = true)")


@pytest.mark.slow
def test_each_publish_exports_every_mart_and_the_submissions_as_parquet_by_year(
    settings, registry, demo_inbox
):
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)

    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        marts = {
            f"mart.{t}"
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'mart'"
            ).fetchall()
        }
        counts = {
            t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in [*marts, "ops.submissions"]
        }
    assert set(latest["tables"]) == marts | {"ops.submissions"}
    assert latest["warehouse_version"] == settings.warehouse.resolve().name
    for table, rows in counts.items():
        assert latest["tables"][table]["rows"] == rows
        con, relation = read(settings, table)
        assert relation.aggregate("count(*)").fetchall() == [(rows,)]


@pytest.mark.slow  # 5 s or more on two cores
def test_counts_stay_whole_numbers_and_money_stays_decimal(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)

    con, relation = read(settings, "mart.renovated_compounds")
    types = dict(zip(relation.columns, map(str, relation.types), strict=True))
    assert types["households"] == "BIGINT"
    assert types["planned_investment_wan"].startswith("DECIMAL")
    con, relation = read(settings, "mart.project_year")
    assert str(dict(zip(relation.columns, relation.types, strict=True))["funds_received_wan"]).startswith(
        "DECIMAL"
    )


@pytest.mark.slow
def test_only_the_current_and_previous_exports_are_kept(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    for _ in range(3):
        build_indicators(settings, registry)

    versions = sorted(p.name for p in (settings.export / "versions").iterdir())
    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    assert len(versions) == 2 and latest["version"] == versions[-1]
