"""The data catalog (`pipeline docs`): every object of the published warehouse with its comment and grain, the
lineage read from sql/, each source's columns and rules, counts and samples, on one offline page.

The demo tests run the demo through `pipeline run` once per module (which refreshes the catalog) and check the
page's HTML, then the page a reader gets in headless Chromium with the network blocked.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape

import duckdb
import pytest

from pipeline.catalog import docs_folder, render_catalog, write_catalog
from pipeline.catalog.lineage import build_graph, definitions
from pipeline.cli import main
from pipeline.settings import Settings
from pipeline.suites import EXPECTATIONS_DIR
from pipeline.warehouse import published_reader, working_copy
from tests.chromium import browse, needs_chromium

# The demo night and its catalog (about 30 s): make test-slow, so make test stays under 15 minutes.
pytestmark = pytest.mark.slow


def _text(html: str) -> str:
    """Return the page's text: tags dropped, entities decoded (what a reader sees, roughly)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def _section(html: str, anchor: str) -> str:
    """Return the HTML of the <section> with this id."""
    start = html.index(f'<section class="object{"" if anchor.startswith("t-") else " source"}" id="{anchor}"')
    return html[start : html.index("</section>", start)]


# ---- lineage from sql/, no warehouse needed ----


def test_lineage_edges_come_from_the_models_references():
    graph = build_graph()

    assert ("raw.fund_ledger", "staging.fund_ledger") in graph.edges
    assert ("ops.current_slices", "staging.fund_ledger") in graph.edges
    assert ("staging.fund_ledger", "mart.funds_by_source") in graph.edges
    assert ("intermediate.project_years", "mart.funds_by_source") in graph.edges
    assert ("mart.funds_by_source", "mart.project_year") in graph.edges
    assert ("config.light_bands", "mart.monitoring_lights") in graph.edges
    # intermediate.decimals_of(…) is a macro the marts call, not a table they read.
    assert not [edge for edge in graph.edges if "decimals_of" in edge[0]]
    # Drawn left to right: whatever a model reads stands in an earlier column.
    for read, reader in graph.edges:
        assert graph.nodes[read].column < graph.nodes[reader].column, (read, reader)


def test_references_in_comments_strings_and_macro_calls_are_not_edges(tmp_path):
    (tmp_path / "mart").mkdir()
    (tmp_path / "mart" / "x.sql").write_text(
        "-- mart.x: one row per thing; earlier versions stay in mart.older.\n"
        "create or replace table mart.x as\n"
        "select intermediate.decimals_of(a.v) as d, 'see ops.submissions' as note\n"
        "from staging.a as a /* not mart.block */ join raw.b using (k);\n"
        "comment on table mart.x is 'reads staging.nothing';\n",
        encoding="utf-8",
    )

    (model,) = definitions(tmp_path).values()

    assert model.name == "mart.x"
    assert model.reads == {"staging.a", "raw.b"}
    assert model.header == "mart.x: one row per thing; earlier versions stay in mart.older."


# ---- the demo, through `pipeline run` ----


@pytest.fixture(scope="module")
def demo_catalog(tmp_path_factory, demo):
    """Run the demo through `pipeline init` and `pipeline run`; return (settings, the catalog page's HTML)."""
    home = tmp_path_factory.mktemp("catalog") / "home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PIPELINE_HOME", str(home))
        for name in ("INBOX", "ARCHIVE", "RECEIPTS", "WAREHOUSE", "REPORTS", "DATA_DOCS", "EXPORT"):
            env.delenv(f"PIPELINE_{name}", raising=False)
        assert main(["--quiet", "init"]) == 0
        settings = Settings.from_env()
        for path in demo.write_inbox(settings.inbox):
            os.utime(path, ns=(1, 1))  # long settled, whatever the settle window
        assert main(["--quiet", "run"]) == 0
    page = docs_folder(settings) / "index.html"
    return settings, page.read_text(encoding="utf-8")


def test_every_table_and_column_of_every_schema_of_the_demo_warehouse_has_a_comment(demo_catalog):
    settings, _ = demo_catalog
    # Every schema the warehouse holds, config's rules tables too; not a list that can miss one.
    with published_reader(settings.warehouse) as con:
        schemas = {
            s
            for (s,) in con.execute("select schema_name from duckdb_schemas() where not internal").fetchall()
        }
        objects = con.execute(
            "select schema_name || '.' || table_name, schema_name, comment from duckdb_tables() where not internal "
            "union all select schema_name || '.' || view_name, schema_name, comment from duckdb_views() "
            "where not internal"
        ).fetchall()
        columns = con.execute(
            "select schema_name || '.' || table_name || '.' || column_name, comment from duckdb_columns() "
            "where not internal"
        ).fetchall()

    assert schemas >= {"ops", "raw", "staging", "intermediate", "mart", "config"}
    assert {schema for _, schema, _ in objects} == schemas  # each holds something to check
    assert [name for name, _, comment in objects if not (comment or "").strip()] == []
    assert [name for name, comment in columns if not (comment or "").strip()] == []


def test_run_refreshes_the_catalog_published_whole_under_docs(demo_catalog):
    settings, html = demo_catalog
    folder = docs_folder(settings)

    assert folder.is_symlink() and re.fullmatch(r"\.docs\.[0-9a-f]{16}", os.readlink(folder))
    assert sorted(p.name for p in folder.iterdir()) == ["index.html"]
    assert html.startswith("<!DOCTYPE html>")


def test_every_schema_table_and_column_is_listed_with_its_comment(demo_catalog):
    settings, html = demo_catalog
    with published_reader(settings.warehouse) as con:
        objects = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where not internal "
            "union all select schema_name, view_name, comment from duckdb_views() where not internal"
        ).fetchall()
        columns = con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() where not internal"
        ).fetchall()

    assert {schema for schema, _, _ in objects} >= {"ops", "raw", "staging", "intermediate", "mart", "config"}
    for schema in {schema for schema, _, _ in objects}:
        assert f'<h2 id="schema-{schema}">' in html
    for schema, table, comment in objects:
        section = _text(_section(html, f"t-{schema}.{table}"))
        assert (comment or "（无注释）") in section, (schema, table)
    for schema, table, column, comment in columns:
        section = _text(_section(html, f"t-{schema}.{table}"))
        assert f"{column}" in section and (comment or "（无注释）") in section, (schema, table, column)


def test_each_model_shows_its_grain_from_its_sql_file_header(demo_catalog):
    _, html = demo_catalog

    funds = _text(_section(html, "t-mart.funds_by_source"))
    ledger = _text(_section(html, "t-staging.fund_ledger"))

    assert "资金到位及支付：每个项目、年度、资金来源一行（万元）" in funds
    assert "mart.funds_by_source: one row per project (project_code), year and fund source" in funds
    assert "sql/mart/funds_by_source.sql" in funds
    assert "staging.fund_ledger: one row per fund receipt (到位) or payment (支付)" in ledger
    assert "registry/sources/fund_ledger.yaml" in _text(_section(html, "t-raw.fund_ledger"))


def test_the_lineage_is_drawn_inline_with_every_edge_of_the_models(demo_catalog):
    _, html = demo_catalog
    graph = build_graph()

    drawn = set(re.findall(r'<path class="edge[^"]*" data-read="([^"]+)" data-reader="([^"]+)"', html))

    assert drawn == set(graph.edges)
    assert "<title>staging.fund_ledger → mart.funds_by_source</title>" in html
    funds = _section(html, "t-mart.funds_by_source")
    assert '<a href="#t-staging.fund_ledger"><code>staging.fund_ledger</code></a>' in funds
    assert '<a href="#t-mart.report_figures"><code>mart.report_figures</code></a>' in funds


def test_each_source_lists_its_columns_and_every_expectation_with_severity_and_reason(demo_catalog, registry):
    _, html = demo_catalog

    for template in registry.templates.values():
        section = _section(html, f"s-{template.id}")
        text = _text(section)
        for column in template.columns:
            assert f"<code>{column.name}</code></td><td>{column.header}</td>" in section
            assert "、".join(column.aliases) in text
        suite = json.loads((EXPECTATIONS_DIR / f"{template.id}.json").read_text(encoding="utf-8"))
        rows = re.findall(r'<td class="sev-(\w+)">\1</td>.*?<td class="reason">([^<]*)</td>', section)
        expected = [(e["meta"]["severity"], e["meta"]["reason"]) for e in suite["expectations"]]
        assert sorted((s, unescape(r)) for s, r in rows) == sorted(expected), template.id


def test_row_counts_and_a_sample_of_at_most_five_rows_per_table(demo_catalog):
    settings, html = demo_catalog
    with published_reader(settings.warehouse) as con:
        (ledger_rows,) = con.execute("select count(*) from staging.fund_ledger").fetchone()
        (submissions,) = con.execute("select count(*) from ops.submissions").fetchone()

    ledger = _section(html, "t-staging.fund_ledger")
    sample = ledger[ledger.index('<details class="sample">') :]

    assert ledger_rows > 5
    assert f'<dd class="rows">{ledger_rows:,}</dd>' in ledger
    assert f'<dd class="rows">{submissions:,}</dd>' in _section(html, "t-ops.submissions")
    assert sample.count("<tr>") == 1 + 5  # the header and five rows
    assert f"共 {ledger_rows:,} 行" in sample
    columns = ledger[: ledger.index('<details class="sample">')].count("<tr><td><code>")
    assert [row.count("<td") for row in sample.split("<tr>")[2:]] == [columns] * 5


def test_the_page_loads_nothing_and_runs_no_script(demo_catalog):
    _, html = demo_catalog

    for needle in ("<script", "<link", "<img", "<iframe", " src=", "url(", "@import", "http://", "https://"):
        assert needle not in html.lower(), needle
    assert "default-src 'none'" in html


def test_the_catalog_reads_the_published_warehouse_never_the_writers_copy(demo_catalog, registry, tmp_path):
    settings, _ = demo_catalog
    copy = tmp_path / "writer.duckdb"
    copy.write_bytes(working_copy(settings.warehouse).read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("create table mart.not_yet_published (x integer)")
        con.execute("comment on table mart.not_yet_published is '未发布'")
    os.replace(copy, working_copy(settings.warehouse))  # the writer's copy now holds an unpublished table

    html = write_catalog(settings, registry).read_text(encoding="utf-8")

    assert "not_yet_published" not in html


def test_rebuilding_gives_the_same_page_and_a_failed_build_keeps_the_one_before(
    demo_catalog, registry, monkeypatch
):
    settings, html = demo_catalog
    folder = docs_folder(settings)
    before = os.readlink(folder)

    assert write_catalog(settings, registry).read_text(encoding="utf-8") == html
    assert os.readlink(folder) == before

    def killed(*args, **kwargs):
        raise RuntimeError("killed midway")

    # A build that fails before publishing, and one killed after writing its folder but before the switch.
    monkeypatch.setattr("pipeline.catalog.render_catalog", killed)
    with pytest.raises(RuntimeError):
        write_catalog(settings, registry)
    monkeypatch.setattr("pipeline.catalog.render_catalog", lambda *args, **kwargs: "<p>newer</p>")
    monkeypatch.setattr("pipeline.publish._switch", killed)
    with pytest.raises(RuntimeError):
        write_catalog(settings, registry)

    assert os.readlink(folder) == before
    assert (folder / "index.html").read_text(encoding="utf-8") == html


def test_pipeline_docs_rebuilds_on_demand_and_prints_the_page(demo_catalog, capsys, monkeypatch):
    settings, _ = demo_catalog
    monkeypatch.setenv("PIPELINE_HOME", str(settings.home))

    assert main(["docs"]) == 0

    assert capsys.readouterr().out.strip() == f"数据目录：{docs_folder(settings) / 'index.html'}"


def test_pipeline_docs_without_a_published_warehouse_says_so(settings, capsys):
    assert main(["docs"]) == 1

    assert "未生成数据目录：尚未发布数据仓库" in capsys.readouterr().err
    assert not docs_folder(settings).exists()


def test_a_comment_or_cell_cannot_inject_markup_or_hide_control_characters(registry):
    con = duckdb.connect()
    con.execute("create schema mart")
    con.execute("create table mart.t (v varchar)")
    con.execute("comment on table mart.t is '<script>alert(1)</script>'")
    con.execute("comment on column mart.t.v is 'a\u202eb'")
    con.execute("insert into mart.t values ('<img src=x onerror=alert(1)>'), (chr(1))")

    html = render_catalog(con, registry)

    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u202e" not in html and "\x01" not in html


# ---- the page a reader gets, in Debian's chromium, offline ----


@pytest.mark.browser
@needs_chromium
def test_chromium_shows_a_comment_a_lineage_edge_and_a_rule_reason_offline(demo_catalog, tmp_path):
    settings, _ = demo_catalog
    page_path = docs_folder(settings) / "index.html"
    suite = json.loads((EXPECTATIONS_DIR / "fund_ledger.json").read_text(encoding="utf-8"))
    reason = next(
        e["meta"]["reason"] for e in suite["expectations"] if e["meta"]["rule"] == "paid_exceeds_received"
    )
    with browse(1400, 1000) as seen:
        page = seen.page
        page.goto(page_path.as_uri())

        # A table's comment.
        funds = page.locator('section[data-table="mart.funds_by_source"]')
        funds.scroll_into_view_if_needed()
        assert funds.locator(".comment").is_visible()
        assert (
            funds.locator(".comment").inner_text() == "资金到位及支付：每个项目、年度、资金来源一行（万元）"
        )
        assert "staging.fund_ledger" in funds.locator(".reads").inner_text()

        # A lineage edge, drawn; hovering its model brings it forward and dims the others.
        edge = page.locator('path.edge[data-read="staging.fund_ledger"][data-reader="mart.funds_by_source"]')
        other = page.locator('path.edge[data-read="raw.compound_list"][data-reader="staging.compound_list"]')
        page.locator("#lineage").scroll_into_view_if_needed()
        box, drawing = edge.bounding_box(), page.locator("svg.lineage").bounding_box()
        assert box["width"] > 50 and drawing["x"] <= box["x"] <= drawing["x"] + drawing["width"]
        page.locator('g.node[data-name="staging.fund_ledger"]').hover()
        stroke = edge.evaluate("e => getComputedStyle(e).stroke")
        dimmed = other.evaluate("e => getComputedStyle(e).strokeOpacity")
        page.screenshot(path=tmp_path / "lineage.png")
        assert stroke == "rgb(194, 65, 12)" and float(dimmed) < 0.2

        # A source's expectation with its severity and reason.
        rule = page.locator('section[data-source="fund_ledger"] tr', has_text=reason)
        rule.scroll_into_view_if_needed()
        assert rule.is_visible()
        assert rule.locator(".sev-warning").inner_text() == "warning"
        page.screenshot(path=tmp_path / "catalog.png", full_page=True)
    assert (tmp_path / "catalog.png").stat().st_size > 10_000
    assert seen.problems == []
    assert seen.remote_requests() == []
