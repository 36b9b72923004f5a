"""The published report: numbers only from mart.report_figures, each traced to its cells; text from the units.

Unit tests run on figure rows inserted into a small warehouse; the demo tests ingest the demo inbox once per
module (GX costs seconds), build the marts, and check the report a reader gets, in a real browser too.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pytest
from playwright.sync_api import expect

from pipeline import report_read
from pipeline.chinese_numbers import zh_number
from pipeline.cli import main
from pipeline.registry import RegistryError
from pipeline.report import write_report_files
from pipeline.report_model import ReportConfig, ReportError, load_report_config
from pipeline.report_read import build_report
from pipeline.report_render import render_html
from pipeline.settings import Settings
from pipeline.text import rows_text
from pipeline.warehouse_schema import SQL_DIR
from tests.chromium import browse, needs_chromium

YEAR = 2022
ZAOLIN = "枣林街道办事处改造老旧小区"
SHUANGPU = "示范区双铺棚户区改造项目"
CONFIG = ReportConfig(district="测试区", issuer="区财政局")
HOSTILE_FILE = '<script>alert("x")</script>台账.xlsx'

# The warehouse objects the report reads, shaped as the marts and staging make them.
SCHEMA = """
create schema if not exists mart;
create table mart.report_figures (
    year integer, project_code varchar, project_name varchar, figure_key varchar, detail varchar,
    position bigint, value decimal(38, 6), unit varchar, decimals integer, display_text varchar,
    lineage struct(submission_id integer, original_name varchar, sha256 varchar, unit varchar, sheet varchar,
                   excel_rows integer[])[]
);
create table mart.scale_and_cost (
    project_code varchar, project_name varchar, year integer, category varchar, item varchar, parent_item varchar, position bigint
);
create table staging.report_narrative (
    submission_id integer, sheet varchar, excel_row integer, unit varchar, project_code varchar,
    project_name varchar, year integer,
    section varchar, content varchar
);
"""
FILES = {
    1: ("资金台账.xlsx", "枣林街道办事处"),
    2: (HOSTILE_FILE, "枣林街道办事处"),
    3: ("文字材料.xlsx", "枣林街道办事处"),
}


def lineage(submission_id: int, sheet: str, *rows: int) -> list[dict]:
    name, unit = FILES[submission_id]
    sha = f"{submission_id:064x}"
    return [dict(submission_id=submission_id, original_name=name, sha256=sha, unit=unit, sheet=sheet,
                 excel_rows=list(rows))]  # fmt: skip


def figure(
    key, text, *, project=ZAOLIN, detail=None, position=0, value=None, unit=None, decimals=None, src=()
):
    return (
        YEAR,
        "ZL-001" if project else None,
        project,
        key,
        detail,
        position,
        value,
        unit,
        decimals,
        text,
        src,
    )


FIGURES = [
    figure("projects", "1个", project=None, position=1, value=Decimal(1), unit="个", decimals=0),
    figure(
        "funds_received_wan",
        "1,250.1万元",
        project=None,
        position=2,
        value=Decimal("1250.1"),
        unit="万元",
        decimals=1,
        src=lineage(1, "台账", 4, 5, 6, 9),
    ),  # fmt: skip
    figure(
        "funds_received_wan",
        "1,250.1万元",
        position=30,
        value=Decimal("1250.1"),
        unit="万元",
        decimals=1,
        src=lineage(1, "台账", 4, 5, 6, 9),
    ),  # fmt: skip
    figure(
        "funds_received_wan",
        "1,250.1万元",
        detail="中央补助资金",
        position=34,
        value=Decimal("1250.1"),
        unit="万元",
        decimals=1,
        src=lineage(1, "台账", 4, 5, 6, 9),
    ),  # fmt: skip
    figure(
        "payment_rate",
        "<b>93.12%</b>",
        position=32,
        value=Decimal("0.9312"),
        unit="%",
        decimals=2,
        src=lineage(2, '表"1"', 7),
    ),  # fmt: skip
    figure(
        "scale_and_cost",
        "408,923平方米",
        detail="安置区总建筑面积",
        position=101,
        value=Decimal(408923),
        unit="平方米",
        decimals=0,
        src=lineage(1, "规模", 3),
    ),  # fmt: skip
    figure(
        "scale_and_cost",
        "307,200平方米",
        detail="新建安置住房",
        position=102,
        value=Decimal(307200),
        unit="平方米",
        decimals=0,
        src=lineage(1, "规模", 4),
    ),  # fmt: skip
    figure(
        "scale_and_cost",
        "26,880平方米",
        detail="配套商业",
        position=103,
        value=Decimal(26880),
        unit="平方米",
        decimals=0,
        src=lineage(1, "规模", 5),
    ),  # fmt: skip
    figure(
        "scale_and_cost",
        "2,560套",
        detail="新建安置住房套数",
        position=104,
        value=Decimal(2560),
        unit="套",
        decimals=0,
        src=lineage(1, "规模", 6),
    ),  # fmt: skip
    figure(
        "indicator_target",
        "≥90%",
        detail="群众满意度",
        position=201,
        value=Decimal("0.9"),
        unit="%",
        src=lineage(1, "目标", 8),
    ),  # fmt: skip
    figure(
        "indicator_actual",
        "93.12%",
        detail="群众满意度",
        position=201,
        value=Decimal("0.9312"),
        unit="%",
        src=lineage(1, "目标", 8),
    ),  # fmt: skip
    figure(
        "indicator_weight",
        "10",
        detail="群众满意度",
        position=201,
        value=Decimal(10),
        unit="分",
        decimals=0,
        src=lineage(1, "目标", 8),
    ),  # fmt: skip
    figure(
        "indicator_score",
        "9.50",
        detail="群众满意度",
        position=201,
        value=Decimal("9.5"),
        unit="分",
        decimals=2,
        src=lineage(1, "目标", 8),
    ),  # fmt: skip
    figure("negative_list_hits", "0笔", position=80, value=Decimal(0), unit="笔", decimals=0),
]
STRUCTURE = [
    ("ZL-001", ZAOLIN, YEAR, "建设规模", "安置区总建筑面积", None, 1),
    ("ZL-001", ZAOLIN, YEAR, "建设规模", "新建安置住房", "安置区总建筑面积", 2),
    ("ZL-001", ZAOLIN, YEAR, "建设规模", "配套商业", "安置区总建筑面积", 3),
    ("ZL-001", ZAOLIN, YEAR, "建设规模", "新建安置住房套数", None, 4),
]
NARRATIVE = [
    (
        3,
        "文字材料",
        5,
        "枣林街道办事处",
        "ZL-001",
        ZAOLIN,
        YEAR,
        "主要做法",
        "一是成立专班，挂图作战；\n二是<公示>&监督。",
    )
]


def make_warehouse(path: Path) -> Path:
    """Write a small warehouse holding the figures, structure and narrative above."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute((SQL_DIR / "ops" / "schema.sql").read_text(encoding="utf-8"))
        con.execute(SCHEMA)
        for sid, (name, unit) in FILES.items():
            con.execute(
                "insert into ops.submissions (submission_id, sha256, original_name, inbox_path, unit, templates, "
                "year, received_at, status, error_count, warning_count, archive_path) values (?, ?, ?, ?, ?, "
                "['x'], 2022, timestamptz '2023-01-05 09:00:00+08' + to_minutes(?::bigint), 'accepted', 0, 0, 'a')",
                [sid, f"{sid:064x}", name, f"{unit}/{name}", unit, sid],
            )
        con.executemany("insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", FIGURES)
        con.executemany("insert into mart.scale_and_cost values (?, ?, ?, ?, ?, ?, ?)", STRUCTURE)
        con.executemany("insert into staging.report_narrative values (?, ?, ?, ?, ?, ?, ?, ?, ?)", NARRATIVE)
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


def fixture_html(warehouse: Path, registry) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return render_html(build_report(con, YEAR, CONFIG, registry))


class _Page(HTMLParser):
    """Read a rendered report: figures with their tooltips, and the text a reader sees (tooltips hidden)."""

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[str] = []
        self.figures: list[tuple[str, str]] = []  # (printed text, tooltip text)
        self.visible: list[str] = []
        self.untraced: list[str] = []  # visible text of body paragraphs and cells outside any figure
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if "fig" in classes:
            self.figures.append(("", ""))
        self.stack.append("fig" if "fig" in classes else "src" if "src" in classes else tag)
        if {"narrative", "note", "sources"} & set(classes):
            self.stack[-1] = "prose"  # a unit's paragraph, the introduction and the appendix of files

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        if "src" in self.stack:
            text, tip = self.figures[-1]
            self.figures[-1] = (text, tip + data)
            return
        self.visible.append(data)
        if "fig" in self.stack:
            text, tip = self.figures[-1]
            self.figures[-1] = (text + data, tip)
        elif self.stack and self.stack[-1] in ("p", "td") and "prose" not in self.stack:
            self.untraced.append(data)

    @property
    def text(self) -> str:
        return "".join(self.visible)


def test_each_number_is_printed_as_the_marts_wrote_it_and_shows_its_cells_on_hover(warehouse, registry):
    page = _Page(fixture_html(warehouse, registry))

    tips = dict(page.figures)
    assert "全年到位资金1,250.1万元，其中中央补助资金1,250.1万元。" in page.text
    assert "[1]资金台账.xlsx（枣林街道办事处） 工作表“台账” 第4至6、9行" in tips["1,250.1万元"]
    assert f"SHA-256 {1:064x}"[:20] in tips["1,250.1万元"]
    assert "资金台账中没有支出用途列入负面清单的支付" in tips["0笔"]


def test_a_project_registered_without_a_code_prints_none(warehouse, registry):
    assert "项目编码ZL-001" in _Page(fixture_html(warehouse, registry)).text
    with duckdb.connect(str(warehouse)) as con:
        for table in ("mart.report_figures", "mart.scale_and_cost", "staging.report_narrative"):
            con.execute(
                f"update {table} set project_code = '自编:枣林街道办事处/{ZAOLIN}' where project_code = 'ZL-001'"
            )

    # The key made up for it was printed as its code: 项目编码自编:枣林街道办事处/枣林街道办事处改造老旧小区.
    text = _Page(fixture_html(warehouse, registry)).text
    assert "项目编码" not in text and "自编" not in text
    assert "计划总投资" in text or ZAOLIN in text


def test_every_text_from_files_units_and_marts_is_escaped(warehouse, registry):
    html = fixture_html(warehouse, registry)

    assert "<script>" not in html and "<b>" not in html and "<公示>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;台账.xlsx" in html
    assert "&lt;b&gt;93.12%&lt;/b&gt;" in html
    page = _Page(html)
    assert HOSTILE_FILE in page.text  # the appendix names the file as it was sent
    assert "二是<公示>&监督。" in page.text


def test_months_an_office_did_not_report_beside_another_are_named_in_the_data_quality_note(
    tmp_path, registry
):
    import docx

    from pipeline.report_docx import render_docx

    # As mart.report_figures words them: the office and the month counted from (empty: not counted), the months.
    missing = [
        figure(
            "progress_unit_missing",
            "12月",
            detail="新华街道办事处|11",
            position=92,
            src=lineage(1, "月报", 15),
        ),
        figure(
            "progress_unit_missing",
            "1、2月",
            detail="新华街道办事处|",
            position=92,
            src=lineage(1, "月报", 6),
        ),
    ]
    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.executemany("insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", missing)
        report = build_report(con, YEAR, CONFIG, registry)
    form = registry.templates["investment_progress"].name_zh
    notes = [
        f"数据质量提示：{ZAOLIN}2022年度的{form}由多个单位报送，新华街道办事处未报送12月，"
        "这些月份按其11月的累计完成投资和年度计划投资计入项目的投资进度、预警和完成投资，请核实是否漏报。",
        f"数据质量提示：{ZAOLIN}2022年度的{form}由多个单位报送，新华街道办事处未报送1、2月，"
        "这些月份的投资进度和预警只含其他单位的数据，请核实是否漏报。",
    ]

    page = _Page(render_html(report))
    word = "\n".join(p.text for p in docx.Document(io.BytesIO(render_docx(report))).paragraphs)

    for note in notes:
        assert note in page.text
        assert note in word  # the Word report, the one a bureau sends on
    assert "[1]资金台账.xlsx（枣林街道办事处） 工作表“月报” 第15行" in dict(page.figures)["12月"]


def test_a_year_total_leaving_out_a_project_without_its_form_names_the_project_in_the_data_quality_note(
    tmp_path, registry
):
    import docx

    from pipeline.report_docx import render_docx

    # 双铺 is registered but sent no 资金台账: the year's 全年到位资金 is 枣林's alone, and read as both projects'.
    registered = figure(
        "planned_total_investment_wan",
        "112,774.31万元",
        project=SHUANGPU,
        position=10,
        value=Decimal("112774.31"),
        unit="万元",
        decimals=2,
    )
    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute(
            "insert into mart.report_figures values (?, 'SP-001', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [registered[0], *registered[2:]],
        )
        report = build_report(con, YEAR, CONFIG, registry)
    form = registry.templates["fund_ledger"].name_zh
    note = f"数据质量提示：总体情况中的全年到位资金和支付资金只是已报送项目之和，不含{SHUANGPU}（未报送{form}），请核实是否漏报。"

    word = "\n".join(p.text for p in docx.Document(io.BytesIO(render_docx(report))).paragraphs)

    assert note in _Page(render_html(report)).text
    assert note in word
    assert "完成投资只是" not in word  # the year prints no 完成投资 here: nothing to qualify


def test_narrative_is_printed_as_supplied_and_a_missing_one_is_never_invented(warehouse, registry):
    page = _Page(fixture_html(warehouse, registry))

    assert "一是成立专班，挂图作战；" in page.text  # full-width punctuation and the line break kept
    assert "主要做法：（实施单位未提供）" not in page.text
    for section in ("项目概况", "绩效目标", "完成情况", "未完成情况及原因", "存在的问题", "下一步工作"):
        assert f"{section}：（实施单位未提供）" in page.text
    assert "（未报送投资完成情况月报）" in page.text


def create_self_evaluation(con: duckdb.DuckDBPyConnection) -> None:
    """Create the columns of mart.self_evaluation the report reads of a 自评表's lost points."""
    con.execute(
        "create table mart.self_evaluation (project_code varchar, year integer, position integer, "
        "level3 varchar, weight decimal(18, 4), score decimal(28, 10), deviation_note varchar, "
        "target_lineage struct(submission_id integer, sheet varchar, excel_row integer)[])"
    )


def test_the_reasons_a_self_evaluation_gives_for_lost_points_stand_in_for_a_missing_narrative(
    warehouse, registry
):
    with duckdb.connect(str(warehouse)) as con:
        create_self_evaluation(con)
        con.execute(
            "insert into mart.self_evaluation values "
            "('ZL-001', 2022, 201, '群众满意度', 10, 9.5, '部分居民对夜间施工不满，已调整工期', "
            "[{'submission_id': 1, 'sheet': '目标', 'excel_row': 8}]), "
            "('ZL-001', 2022, 202, '工程验收合格率', 10, 10, '无偏差', "
            "[{'submission_id': 1, 'sheet': '目标', 'excel_row': 9}])"
        )
    html = fixture_html(warehouse, registry)
    page = _Page(html)

    section = page.text.split("未完成情况及原因")[1].split("5．")[0]
    assert (
        section
        == "\n未得满分的指标：群众满意度：分值10，得分9.50。\n群众满意度：部分居民对夜间施工不满，已调整工期\n"
    )
    assert "无偏差" not in page.text  # an indicator at full marks lost nothing to explain
    [title] = re.findall(r'<p class="narrative" title="([^"]*)">群众满意度：', html)
    assert "工作表“目标” 第8行" in title  # the 自评表 row the unit wrote it on


def test_a_reason_merged_over_several_indicators_short_of_full_marks_is_said_once(warehouse, registry):
    merged = "雨季延误两个小区外墙施工，计划四季度赶工"
    with duckdb.connect(str(warehouse)) as con:
        create_self_evaluation(con)
        # The 偏差原因分析 cell merged down rows 8 and 9 (each row holds its text, `fill_vertical_merges`); row 10
        # gives its own reason.
        con.execute(
            "insert into mart.self_evaluation values "
            "('ZL-001', 2022, 201, '群众满意度', 10, 9.5, ?, [{'submission_id': 1, 'sheet': '目标', 'excel_row': 8}]), "
            "('ZL-001', 2022, 202, '工程验收合格率', 10, 8, ?, "
            "[{'submission_id': 1, 'sheet': '目标', 'excel_row': 9}]), "
            "('ZL-001', 2022, 203, '完工小区数量', 10, 9, '一个小区未完工', "
            "[{'submission_id': 1, 'sheet': '目标', 'excel_row': 10}])",
            [merged, merged],
        )
    html = fixture_html(warehouse, registry)
    section = _Page(html).text.split("未完成情况及原因")[1].split("5．")[0]

    assert section.count(merged) == 1
    assert f"\n群众满意度、工程验收合格率：{merged}\n完工小区数量：一个小区未完工\n" in section
    [title] = re.findall(r'<p class="narrative" title="([^"]*)">群众满意度、', html)
    assert "工作表“目标” 第8" in title and "9行" in title  # both rows it was written over


def test_scale_parts_follow_the_row_they_belong_to(warehouse, registry):
    page = _Page(fixture_html(warehouse, registry))

    assert (
        "建设规模：安置区总建筑面积408,923平方米，其中：新建安置住房307,200平方米、配套商业26,880平方米；"
        "新建安置住房套数2,560套。"
    ) in page.text


def test_an_indicator_short_of_full_marks_is_listed_as_not_completed(warehouse, registry):
    page = _Page(fixture_html(warehouse, registry))

    assert "未得满分的指标：群众满意度：分值10，得分9.50。" in page.text


def test_the_title_names_the_configured_district(warehouse, registry, tmp_path):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        report = build_report(con, YEAR, CONFIG, registry)
    assert report.title == "测试区2022年度预算绩效管理工作开展情况"
    assert load_report_config().district  # the shipped registry/report.yaml names one

    bad = tmp_path / "report.yaml"
    bad.write_text("district: 测试区\ndistrikt: 错\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="distrikt"):
        load_report_config(bad)


def test_a_year_without_figures_is_refused_with_a_message(warehouse, registry):
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(ReportError, match="2021年度"):
        build_report(con, 2021, CONFIG, registry)


def test_figures_of_one_lineage_share_its_sources_and_a_sheets_rows_are_one_source(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        # A district total citing the ledger's rows and the hostile file's: two sheets other lineages cite too.
        both = lineage(1, "台账", 4, 5, 6, 9) + lineage(2, '表"1"', 7)
        total = figure(
            "completed_investment_wan", "9万元", project=None, position=4, value=Decimal(9), src=both
        )
        con.execute("insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", total)
        printed = [f for p in report_read.read_projects(con, YEAR) for f in p.figures if f.sources]
    by_value: dict[tuple, set[int]] = {}
    for shown in printed:
        by_value.setdefault(shown.sources, set()).add(id(shown.sources))
    assert len(by_value) < len(printed)  # the fixture has figures computed from the same rows
    assert all(len(ids) == 1 for ids in by_value.values())
    sources: dict[object, set[int]] = {}
    for cited in by_value:
        for source in cited:
            sources.setdefault(source, set()).add(id(source))
    named = [source for cited in by_value for source in set(cited)]
    assert len(set(named)) < len(named)  # and a sheet's rows that more than one lineage names
    assert all(len(ids) == 1 for ids in sources.values())


def test_a_figure_whose_lineage_is_null_is_read_as_citing_no_rows(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        total = figure(
            "completed_investment_wan", "9万元", project=None, position=4, value=Decimal(9), src=None
        )
        con.execute("insert into mart.report_figures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", total)
        [district] = [p for p in report_read.read_projects(con, YEAR) if p.name is None]
    [read] = [f for f in district.figures if f.key == "completed_investment_wan"]
    assert (read.text, read.sources) == ("9万元", ())


def test_two_lineages_with_one_hash_stop_the_report_rather_than_mix_their_sources(warehouse, registry):
    class OneHash:
        """A connection whose distinct lineages all come back under the first one's hash."""

        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            result = self.con.execute(sql, *args)
            if sql is report_read.LINEAGES_SQL:
                rows = result.fetchall()
                assert len(rows) > 1
                return _Rows([(rows[0][0], text) for _, text in rows])
            return result

    with (
        duckdb.connect(str(warehouse), read_only=True) as con,
        pytest.raises(ReportError, match="哈希值相同"),
    ):
        build_report(OneHash(con), YEAR, CONFIG, registry)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def fetchall(self):
        return self.rows


def test_the_fingerprint_sums_what_the_report_reads_unsorted_and_as_the_sorted_reads_sum(
    warehouse, monkeypatch
):
    class Recorded:
        """A connection that keeps every statement it runs."""

        def __init__(self, con):
            self.con, self.statements = con, []

        def execute(self, sql, *args):
            self.statements.append(sql)
            return self.con.execute(sql, *args)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        recorded = Recorded(con)
        fingerprint = report_read.data_fingerprint(recorded, YEAR)
        summed = [sql for sql in recorded.statements if "sum(hash(read)" in sql]
        assert any("mart.report_figures" in sql for sql in summed)
        assert not any("order by" in sql.lower() for sql in summed)
        # A sum of row hashes does not depend on their order: a report published from the sorted reads stays current.
        monkeypatch.setattr(report_read, "unordered", lambda sql: sql)
        assert report_read.data_fingerprint(con, YEAR) == fingerprint
    monkeypatch.undo()
    # Where the order picks the rows, it stays.
    assert (
        report_read.unordered("select x from t order by x desc limit 3")
        == "select x from t order by x desc limit 3"
    )
    assert report_read.unordered("select x from t\norder by all\n") == "select x from t\n"


def test_rows_are_written_as_ranges_and_sections_in_chinese_numerals():
    assert rows_text((10, 6, 7, 8, 12, 13)) == "第6至8、10、12至13行"
    assert [zh_number(n) for n in (1, 10, 12, 20, 23)] == ["一", "十", "十二", "二十", "二十三"]


# The demo report, built once for the module.

DEMO_FIGURES = [
    "16个",
    "24.4万平方米",
    "3,148户",
    "9,163.6万元",
    "1,250.1万元",
    "1,786万元",
    "1,572.36万元",
    "1,280户",
    "408,923平方米",
    "2,560套",
    "307,200平方米",
    "112,774.31万元",
    "76,313.93万元",
    "27,890.17万元",
    "3,115.39万元",
    "13,794.45万元",
    "5,210.21万元",
    "3,360.00万元",
]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, registry, demo):
    """Ingest the demo inbox, build the marts and write the report: (settings, files, bytes of each file)."""
    return write_demo_report(tmp_path_factory.mktemp("report") / "home", registry, demo)


def write_demo_report(home: Path, registry, demo):
    """Ingest the demo inbox under `home`, build the marts and write the report."""
    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest

    settings = Settings(
        home, home / "inbox", home / "archive", home / "receipts", home / "warehouse.duckdb",
        home / "reports", home / "data_docs",
    )  # fmt: skip
    written = demo.write_inbox(settings.inbox)
    for path in written:
        os.utime(path, ns=(1, 1))  # long settled, whatever the settle window
    statuses = {o.inbox_path: o.status for o in ingest(settings, registry, progress=False).outcomes}
    # Every file is taken in but the draft its office gets back, which the report never reads.
    assert statuses == {
        str(p.relative_to(settings.inbox)): "rejected" if demo.is_returned(p) else "accepted" for p in written
    }
    year = build_indicators(settings, registry)
    files = write_report_files(settings, year, registry)
    return settings, files, {path: path.read_bytes() for path in (files.html, files.docx, files.xlsx)}


@pytest.mark.slow  # 5 s or more on two cores
def test_the_demo_report_states_the_2022_figures_each_traced_to_its_cells(demo_report):
    _, files, content = demo_report
    page = _Page(content[files.html].decode("utf-8"))
    tips = dict(page.figures)

    assert files.html.parent.name == "2022"
    assert "南阳市城乡一体化示范区2022年度预算绩效管理工作开展情况" in page.text
    for text in DEMO_FIGURES:
        assert text in tips, text
        assert re.search(r"第\d+(至\d+)?(、\d+(至\d+)?)*行", tips[text]), (text, tips[text])
    shuangpu = page.text.split(f"（一）{SHUANGPU}")[1].split(f"（二）{ZAOLIN}")[0]
    assert "年度计划投资完成率100%" in shuangpu and "资金支付率100%" in shuangpu


def test_a_computed_indicator_value_shows_the_data_it_was_computed_from_on_hover(demo_report):
    _, files, content = demo_report
    page = _Page(content[files.html].decode("utf-8"))
    # 群众满意度 is computed from the survey; the 自评表's row says 93 %.
    satisfaction = [tip for text, tip in page.figures if text == "93.12%"]

    assert len(satisfaction) >= 2  # in the text and in the indicator table
    for tip in satisfaction:
        assert "满意度调查汇总.csv" in tip and "绩效目标自评表2022.xlsx" not in tip, tip


def test_no_number_in_the_demo_report_is_printed_without_its_lineage(demo_report):
    _, files, content = demo_report
    page = _Page(content[files.html].decode("utf-8"))

    untraced = "".join(page.untraced)
    # What may print digits outside a figure: the year, a project code, a month label, a table's number (见附表2).
    allowed = re.compile(r"2022年度|项目编码[A-Z0-9-]+|\d{1,2}月|见附表\d+|^\d+$")
    leftovers = [t for t in page.untraced if re.search(r"\d", allowed.sub("", t))]
    assert leftovers == [], leftovers
    assert "2022年度纳入绩效评价的项目共" in untraced


def test_the_demo_narrative_is_in_the_report_and_the_missing_sections_say_so(demo_report):
    _, files, content = demo_report
    text = _Page(content[files.html].decode("utf-8")).text
    zaolin = text.split(f"（二）{ZAOLIN}")[1].split("三、绩效指标表")[0]

    assert "二是坚持“居民点单、政府派单”，改造方案经居民议事会讨论并公示" in zaolin
    assert "主要做法：（实施单位未提供）" not in zaolin
    assert "绩效目标：（实施单位未提供）" in zaolin
    assert "主要做法：（实施单位未提供）" in text.split(f"（二）{ZAOLIN}")[0]  # 双铺 supplied none


def test_the_demo_appendix_lists_every_source_file_with_its_fingerprint(demo_report):
    settings, files, content = demo_report
    html = content[files.html].decode("utf-8")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        accepted = con.execute(
            "select original_name, sha256 from ops.submissions where status = 'accepted'"
        ).fetchall()

    appendix = html.split("附：数据来源")[1]
    for name, sha in accepted:
        assert name in appendix and sha in appendix


def test_the_word_report_opens_and_holds_the_indicator_tables(demo_report):
    import docx

    _, files, content = demo_report
    document = docx.Document(io.BytesIO(content[files.docx]))
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    body = "\n".join(p.text for p in document.paragraphs)

    [indicators] = [t for t in tables if t[0] == ["三级指标", "年度指标值", "实际完成值", "分值", "得分"]]
    assert ["改造小区数量", "=16个", "16个", "15", "15.00"] in indicators
    assert ["群众满意度", "≥90%", "93.12%", "10", "10.00"] in indicators
    assert "南阳市城乡一体化示范区2022年度预算绩效管理工作开展情况" in body
    assert "中央补助资金1,250.1万元" in body
    assert document.core_properties.title == "南阳市城乡一体化示范区2022年度预算绩效管理工作开展情况"


def test_the_excel_tables_hold_exact_numbers_and_their_sources(demo_report):
    import openpyxl

    _, files, content = demo_report
    workbook = openpyxl.load_workbook(io.BytesIO(content[files.xlsx]))
    # 示范区双铺棚户区改造项目 sent no 自评表: its 附表1 says so, as the page and the Word file do, where the workbook
    # had no sheet for it and began at 附表2.
    assert [ws.title for ws in workbook if ws.title.startswith("附表")] == ["附表1", "附表2"]
    unsent = list(workbook["附表1"].iter_rows(values_only=True))
    assert unsent[0][0] == "附表1 示范区双铺棚户区改造项目绩效目标及自评表"
    assert [row[0] for row in unsent[2:]] == ["（未报送项目绩效目标及自评表）"]
    sheet = workbook["附表2"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}

    assert rows["改造小区数量"][1:5] == ("=16个", "16个", 15, 15)  # `=16个` stays text, not a formula
    assert rows["自评得分"][4] == pytest.approx(95.178881)
    assert "绩效目标自评表2022.xlsx" in rows["改造小区数量"][5]
    with zipfile.ZipFile(io.BytesIO(content[files.xlsx])) as package:
        xml = package.read(f"xl/worksheets/sheet{workbook.index(sheet) + 1}.xml")
    assert b"<v>95.178880801</v>" in xml  # the exact value, not a float's approximation
    assert "数据来源" in workbook.sheetnames


def test_rebuilding_from_the_same_warehouse_gives_identical_bytes(demo_report, registry):
    settings, files, content = demo_report

    again = write_report_files(settings, 2022, registry)

    assert again == files
    for path, data in content.items():
        assert path.read_bytes() == data, path.name


def test_pipeline_report_rebuilds_and_prints_the_report_path_last(demo_report, capsys, monkeypatch):
    settings, files, content = demo_report
    for name in ("INBOX", "ARCHIVE", "RECEIPTS", "WAREHOUSE", "REPORTS", "DATA_DOCS"):
        monkeypatch.delenv(f"PIPELINE_{name}", raising=False)

    assert main(["--home", str(settings.home), "--quiet", "report", "--year", "2022"]) == 0

    assert capsys.readouterr().out.splitlines()[-1] == f"年度报告：{files.html}"
    assert files.html.read_bytes() == content[files.html]
    assert main(["--home", str(settings.home), "--quiet", "report", "--year", "2019"]) == 1


@pytest.mark.slow
def test_control_characters_from_an_accepted_cell_and_a_file_name_print_visibly_in_every_format(
    settings, demo_inbox, demo, registry
):
    import docx
    import openpyxl

    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest

    # Excel writes a control character in a cell as `_x0001_`; the reader gives it back as the character.
    [narrative] = [path for path in demo_inbox if "文字材料" in path.name]
    workbook = openpyxl.load_workbook(narrative)
    [cell] = [c for row in workbook.active.iter_rows() for c in row if str(c.value).startswith("一是")]
    cell.value = "一是_x0001_成立\u202e专班_x001B_[31m红"
    workbook.save(narrative)
    narrative.rename(narrative.with_name("文字\u202e材料\x01.xlsx"))
    for path in settings.inbox.rglob("*.*"):
        os.utime(path, ns=(1, 1))  # long settled, whatever the settle window
    outcomes = ingest(settings, registry, progress=False).outcomes
    assert {o.status for o in outcomes if o.inbox_path not in demo.RETURNED} == {"accepted"}
    year = build_indicators(settings, registry)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        stored = con.execute(
            "select content from staging.report_narrative where content like '一是%'"
        ).fetchone()
    assert stored == ("一是\x01成立\u202e专班\x1b[31m红",)  # the warehouse keeps what was sent

    files = write_report_files(settings, year, registry)

    shown, name_shown = "一是\u2401成立\ufffd专班\u241b[31m红", "文字\ufffd材料\u2401.xlsx"
    html = files.html.read_text(encoding="utf-8")
    assert not re.search("[\x01\x1b\u202e]", html)
    assert shown in _Page(html).text and name_shown in html
    with zipfile.ZipFile(files.docx) as package:
        ElementTree.fromstring(package.read("word/document.xml"))  # well-formed XML
    body = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    assert shown in body
    sources = openpyxl.load_workbook(files.xlsx)["数据来源"]
    assert name_shown in [row[1] for row in sources.iter_rows(min_row=3, values_only=True)]


@pytest.mark.browser
@needs_chromium
def test_chromium_shows_a_numbers_lineage_on_hover_without_console_errors(demo_report, tmp_path):
    _, files, _ = demo_report
    with browse() as seen:
        page = seen.page
        page.goto(files.html.as_uri())
        number = page.locator(".fig", has_text="1,250.1万元").first
        tooltip = number.locator(".src")
        hidden_before = not tooltip.is_visible()

        number.hover()
        # Asked before the screenshot: a full-page capture lays the page out again, and the
        # pointer may then rest on another element, so the hover state is gone (CI s64).
        expect(tooltip).to_be_visible()
        assert hidden_before
        assert "枣林街道2022年资金台账.xls" in tooltip.inner_text()
        assert "工作表“资金台账”" in tooltip.inner_text()
        page.screenshot(path=tmp_path / "report.png", full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert seen.problems == []
    assert seen.remote_requests() == []


@pytest.mark.browser
@needs_chromium
def test_chromium_lays_out_each_projects_part_near_the_screen_yet_shows_a_source_note_at_its_edge_whole(
    demo_report,
):
    _, files, _ = demo_report
    with browse() as seen:
        page = seen.page
        page.goto(files.html.as_uri())
        parts = page.locator("section.indicators")
        assert parts.count() == page.locator("section.project").count() == page.locator("h3").count() > 0
        visibility = "el => getComputedStyle(el).contentVisibility"
        assert parts.first.evaluate(visibility) == "auto"
        # The last figure of a table: its note hangs below the part, where containment would clip it.
        part = page.locator("section.indicators:has(table)").first
        last = part.locator(".fig").last
        last.scroll_into_view_if_needed()
        page.mouse.wheel(0, 200)
        last.hover()
        note, edge = last.locator(".src").bounding_box(), part.bounding_box()
        below = note["y"] + note["height"] - 2
        assert below > edge["y"] + edge["height"]
        shown = page.evaluate(
            "([x, y]) => Boolean(document.elementFromPoint(x, y)?.closest('.src'))", [note["x"] + 4, below]
        )
        assert shown and part.evaluate(visibility) == "visible"
        page.emulate_media(media="print")  # printed, every part is laid out
        assert {p.evaluate(visibility) for p in parts.all()} == {"visible"}
    assert seen.problems == []


@pytest.mark.parametrize(
    ("number", "written"),
    [
        (1, "一"),
        (10, "十"),
        (12, "十二"),
        (23, "二十三"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (1001, "一千零一"),
        (1200, "一千二百"),
        (12000, "12000"),
    ],
)
def test_section_numbers_are_chinese_numerals_past_ninety_nine(number, written):
    assert zh_number(number) == written


@pytest.mark.slow  # 5 s or more on two cores
def test_an_amount_above_the_projects_whole_total_is_flagged_in_the_reports_data_quality_note(
    settings, registry, register
):
    import docx

    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest

    # 1,250.1 万元 of subsidy typed without its point: 12,501 万元, above the project's whole 计划总投资 of 9,163.6
    # 万元 (ten times it would be an error: exceeds_planned_tenfold).
    ledger = settings.inbox / "枣林街道办事处" / "台账.csv"
    ledger.write_text(
        "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
        "2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,12501\n"
        "2022-02-05,枣林街道办事处改造老旧小区,中央补助资金,支付,150\n",
        encoding="utf-8",
    )
    [outcome] = ingest(settings, registry, progress=False).outcomes
    assert [(p.rule, p.excel_row) for p in outcome.warnings] == [("exceeds_planned_total", 3)]

    files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)

    note = "数据质量提示：枣林街道办事处改造老旧小区有1处金额超过项目计划总投资或异常大，疑似按元而非万元填写"
    assert note in _Page(files.html.read_text(encoding="utf-8")).text
    # The Word report, the one a bureau sends on, carries it too.
    assert note in "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)


@pytest.mark.slow
def test_the_scale_note_follows_the_current_register_not_the_receipts_of_the_day(
    settings, registry, register
):
    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest
    from tests.conftest import REGISTER_CSV

    # The register's 计划总投资 typed 916.36 for 9163.6: the ledger's 1000 万元 is flagged against it that night.
    typo = settings.inbox / "枣林街道办事处" / "项目基本信息（误）.csv"
    typo.write_text(REGISTER_CSV.replace(",9163.6", ",916.36"), encoding="utf-8")
    os.utime(typo, ns=(2, 2))
    ledger = settings.inbox / "枣林街道办事处" / "台账.csv"
    ledger.write_text(
        "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
        "2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,1000\n",
        encoding="utf-8",
    )
    os.utime(ledger, ns=(3, 3))
    outcomes = {Path(o.inbox_path).name: o for o in ingest(settings, registry, progress=False).outcomes}
    assert [p.rule for p in outcomes["台账.csv"].warnings] == ["exceeds_planned_total"]
    note = "数据质量提示：枣林街道办事处改造老旧小区有1处金额超过项目计划总投资或异常大"

    def report() -> str:
        files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)
        return _Page(files.html.read_text(encoding="utf-8")).text

    assert note in report()
    fixed = settings.inbox / "枣林街道办事处" / "项目基本信息（更正）.csv"
    fixed.write_text(REGISTER_CSV.replace("项目基本信息表", "项目基本信息表（更正）"), encoding="utf-8")
    os.utime(fixed, ns=(4, 4))
    ingest(settings, registry, progress=False)

    # The ledger's receipt keeps what was true that night; the report weighs the amount against today's register.
    assert note not in report()


@pytest.mark.slow
def test_another_offices_ledger_in_force_beside_the_units_is_named_in_the_reports_data_quality_note(
    settings, registry, register
):
    import docx

    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest
    from pipeline.withdraw import withdraw
    from tests.pipeline.test_intake import query
    from tests.pipeline.test_open_warnings import published_sources

    ledger = "日期,项目名称,资金来源,类型,金额（万元）\n2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,100\n"
    own = settings.inbox / "枣林街道办事处" / "台账.csv"
    own.write_text(ledger, encoding="utf-8")
    os.utime(own, ns=(2, 2))
    # An office that may not send for 枣林 sends its own ledger for 枣林's project: it stands beside 枣林's.
    other = settings.inbox / "南阳市城乡一体化示范区管理委员会" / "台账.csv"
    other.parent.mkdir()
    other.write_text(ledger, encoding="utf-8")
    os.utime(other, ns=(3, 3))
    outcomes = {o.inbox_path: o for o in ingest(settings, registry, progress=False).outcomes}
    [(number,)] = query(
        settings,
        "select submission_id from ops.submissions where inbox_path = ?",
        [str(other.relative_to(settings.inbox))],
    )
    assert [p.rule for p in outcomes[str(other.relative_to(settings.inbox))].warnings] == [
        "beside_other_unit"
    ]
    ledger_name = registry.templates["fund_ledger"].name_zh
    note = (
        f"数据质量提示：枣林街道办事处改造老旧小区2022年度的{ledger_name}由"
        "南阳市城乡一体化示范区管理委员会、枣林街道办事处各自报送，报告数字包括各单位数据之和"
    )

    def report() -> tuple[str, str, bytes]:
        files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)
        word = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
        return _Page(files.html.read_text(encoding="utf-8")).text, word, files.html.read_bytes()

    html, word, first = report()
    assert note in html
    assert note in word  # the Word report, the one a bureau sends on
    assert (
        f"{note}；如其中一份是代报或转报的同一份数据" in word
    )  # two offices, neither the other's short name
    # It prints no figure; the workbook's line names both offices' ledgers, each with its office.
    [sources] = [cited for text, cited in published_sources(settings, 2022).items() if text.startswith(note)]
    assert [line.split("（")[1].split("）")[0] for line in sources.splitlines()] == [
        "枣林街道办事处",
        "南阳市城乡一体化示范区管理委员会",
    ]
    assert report()[2] == first  # rebuilt, byte for byte the same

    # Withdrawn, the other office's ledger no longer counts, and the note goes with it.
    withdraw(settings, registry, number, "误报")
    html, word, _ = report()
    assert "各自报送" not in html and "各自报送" not in word


@pytest.mark.slow  # 5 s or more on two cores
def test_payments_above_receipts_are_flagged_in_the_receipt_and_the_reports_data_quality_note(
    settings, registry, register
):
    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest

    ledger = settings.inbox / "枣林街道办事处" / "台账.csv"
    ledger.write_text(
        "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
        "2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,100\n"
        "2022-02-05,枣林街道办事处改造老旧小区,中央补助资金,支付,150\n",
        encoding="utf-8",
    )
    [outcome] = ingest(settings, registry, progress=False).outcomes
    assert outcome.status == "accepted"
    assert [p.rule for p in outcome.warnings] == ["paid_exceeds_received"]

    files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)

    text = files.html.read_text(encoding="utf-8")
    assert "数据质量提示：" in text and "累计支付" in text and "超过累计到位" in text


@pytest.mark.slow
def test_a_form_sent_but_returned_is_reported_as_returned_not_as_never_sent(settings, registry, register):
    import docx

    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import query

    ledger_name = registry.templates["fund_ledger"].name_zh
    progress_name = registry.templates["investment_progress"].name_zh
    returned = f"（{ledger_name}已报送，但未通过校验被退回，待实施单位更正后重报）"
    header = "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
    ledger = settings.inbox / "枣林街道办事处" / "台账.csv"
    # 约100 is no amount: the whole ledger is returned.
    ledger.write_text(
        header + "2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,约100\n", encoding="utf-8"
    )
    [outcome] = ingest(settings, registry, progress=False).outcomes
    assert outcome.status == "rejected"
    assert query(settings, "select template, year from ops.returned_slices") == [("fund_ledger", 2022)]

    def report() -> tuple[str, str]:
        files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)
        word = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
        return _Page(files.html.read_text(encoding="utf-8")).text, word

    html, word = report()
    assert returned in html and returned in word
    assert f"（未报送{ledger_name}）" not in html and f"（未报送{ledger_name}）" not in word
    # A form nobody sent is still reported as not sent.
    assert f"（未报送{progress_name}）" in html and f"（未报送{progress_name}）" in word

    # Corrected and accepted, the ledger's figures take the notice's place.
    ledger.write_text(
        header + "2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,100\n", encoding="utf-8"
    )
    os.utime(ledger, ns=(5 * 10**18, 5 * 10**18))
    assert [o.status for o in ingest(settings, registry, progress=False).outcomes] == ["accepted"]
    html, word = report()
    assert "被退回" not in html and "被退回" not in word
    assert "全年到位资金100" in html


@pytest.mark.slow
def test_a_form_returned_to_another_office_names_that_office_not_the_implementing_unit(
    settings, registry, register
):
    import docx

    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest
    from tests.pipeline.test_intake import query

    ledger_name = registry.templates["fund_ledger"].name_zh
    # 某某社区 sent 枣林's ledger from its own folder: returned to 某某社区 (unit_mismatch); 枣林 got no receipt.
    ledger = settings.inbox / "某某社区" / "台账.csv"
    ledger.parent.mkdir()
    ledger.write_text(
        "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
        "2022-01-05,枣林街道办事处改造老旧小区,中央补助资金,到位,100\n",
        encoding="utf-8",
    )
    [outcome] = ingest(settings, registry, progress=False).outcomes
    assert (outcome.status, [p.rule for p in outcome.errors]) == ("rejected", ["unit_mismatch"])
    assert query(
        settings,
        "select s.unit, r.template from ops.returned_slices r join ops.submissions s using (submission_id)",
    ) == [("某某社区", "fund_ledger")]

    files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)
    html = _Page(files.html.read_text(encoding="utf-8")).text
    word = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    said = f"（{ledger_name}已由某某社区报送，但未通过校验被退回，待报送单位按回执更正后重报）"
    assert said in html and said in word
    assert "待实施单位更正后重报" not in html and "待实施单位更正后重报" not in word


def zaolin_report(settings, registry, files: dict[str, str]):
    """Take in 枣林's files (name → CSV text) beside its register, all accepted, and write the 2022 report."""
    from pipeline.indicators import build_indicators
    from pipeline.intake import ingest

    for name, text in files.items():
        (settings.inbox / "枣林街道办事处" / name).write_text(text, encoding="utf-8")
    assert {o.status for o in ingest(settings, registry, progress=False).outcomes} == {"accepted"}
    return write_report_files(settings, build_indicators(settings, registry, 2022), registry)


@pytest.mark.slow  # 5 s or more on two cores
def test_an_actual_value_reported_unlike_the_data_is_named_in_the_data_quality_note(
    settings, registry, register
):
    import docx

    from tests.pipeline.test_intake import COMPOUNDS_V1

    # Flagged only in mart.self_evaluation.differs_from_reported: the report scored the list's 2 compounds where
    # the unit had written 3个, and said nothing of the 3.
    targets = (
        "项目名称：枣林街道办事处改造老旧小区\n年度：2022\n一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
        "产出指标,数量指标,改造小区数量,≥2个,3个,45\n产出指标,数量指标,惠及户数,≥600户,619户,45\n"
    )
    files = zaolin_report(settings, registry, {"清单.csv": COMPOUNDS_V1, "自评表.csv": targets})

    note = (
        "数据质量提示：枣林街道办事处改造老旧小区自评表中1项指标填报的实际完成值与按报送数据计算的不同："
        "改造小区数量（填报3个，计算为2个），报告按计算值评分，请核实。"
    )
    assert note in _Page(files.html.read_text(encoding="utf-8")).text
    assert note in "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    # The form's receipt says the same, on the indicator's row, though no 得分 was written to differ.
    receipt = json.loads(
        (settings.receipts / "枣林街道办事处" / "自评表.csv.回执.json").read_text(encoding="utf-8")
    )
    [told] = [p for p in receipt["problems"] if p["rule"] == "stated_actual_differs"]
    assert (told["severity"], told["excel_row"], told["column_header"], told["value"]) == (
        "warning",
        4,
        "实际完成值",
        "3个",
    )
    assert (
        told["message_zh"]
        == "三级指标「改造小区数量」的「实际完成值」填报为3个，按已入库的《清单.csv》计算为2个。"
    )


@pytest.mark.slow  # 5 s or more on two cores
def test_an_area_written_in_one_sign_prints_as_the_clerk_wrote_it(settings, registry, register):
    import docx
    import openpyxl

    # NFKC spells ㎡ m2: `12.5万㎡` printed as `12.5万m2` in the page, the Word file and the workbook.
    targets = (
        "项目名称：枣林街道办事处改造老旧小区\n年度：2022\n一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
        "产出指标,数量指标,新增绿化面积,≥12万㎡,12.5万㎡,45\n产出指标,数量指标,修缮屋面,≥3000m²,3100m²,45\n"
    )
    files = zaolin_report(settings, registry, {"自评表.csv": targets})

    workbook = openpyxl.load_workbook(files.xlsx)
    cells = {v for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row if v}
    for text in (
        _Page(files.html.read_text(encoding="utf-8")).text,
        "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs),
        "\n".join(map(str, cells)),
    ):
        assert all(written in text for written in ("≥12万㎡", "12.5万㎡", "≥3000m²", "3100m²"))
        assert "m2" not in text


@pytest.mark.slow  # 5 s or more on two cores
def test_a_form_accepted_then_withdrawn_is_said_withdrawn_not_never_sent(settings, registry, register):
    from pipeline.indicators import build_indicators
    from pipeline.withdraw import withdraw

    # Withdrawn by the bureau, the office's only ledger was told （未报送项目资金到位及支付台账）: it had been sent.
    ledger = (
        "项目资金到位及支付台账\n日期,项目名称,资金来源,类型,金额（万元）,支出用途\n"
        "2022-03-01,枣林街道办事处改造老旧小区,中央补助资金,到位,100,\n"
    )
    zaolin_report(settings, registry, {"台账.csv": ledger})
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(submission,)] = con.execute(
            "select submission_id from ops.submissions where original_name = '台账.csv'"
        ).fetchall()
    withdraw(settings, registry, submission, "误报")
    files = write_report_files(settings, build_indicators(settings, registry, 2022), registry)

    form = registry.templates["fund_ledger"].name_zh
    text = _Page(files.html.read_text(encoding="utf-8")).text
    assert f"（{form}已报送，但已被撤回）" in text and f"（未报送{form}）" not in text


@pytest.mark.slow  # 5 s or more on two cores
def test_a_compound_renovation_project_without_its_compound_list_says_so_in_its_overview(
    settings, registry, register
):
    import docx

    from tests.pipeline.test_intake import COMPOUNDS_V1

    # Registered as 老旧小区改造, the project sent a ledger but no compound list: 项目概况 said nothing of the
    # compounds, and the district's 改造老旧小区N个 left the project out unsaid.
    ledger = (
        "项目资金到位及支付台账\n日期,项目名称,资金来源,类型,金额（万元）,支出用途\n"
        "2022-03-01,枣林街道办事处改造老旧小区,中央补助资金,到位,100,\n"
    )
    files = zaolin_report(settings, registry, {"台账.csv": ledger})
    said = f"（未报送{registry.templates['compound_list'].name_zh}）"
    page = _Page(files.html.read_text(encoding="utf-8")).text
    word = "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)
    for text in (page, word):
        overview = text[text.index("项目概况") : text.index("绩效目标")]
        assert said in overview

    # Once the list comes, its figures stand there instead.
    files = zaolin_report(settings, registry, {"清单.csv": COMPOUNDS_V1})
    assert said not in _Page(files.html.read_text(encoding="utf-8")).text
    assert said not in "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs)


@pytest.mark.slow  # 5 s or more on two cores
def test_a_total_no_project_sent_is_said_not_left_out_of_the_overview_unsaid(settings, registry, register):
    import docx

    # No 月报 at all: 总体情况 read 全年到位资金…，支付资金… with 完成投资 simply missing, and no note said why.
    ledger = (
        "项目资金到位及支付台账\n日期,项目名称,资金来源,类型,金额（万元）,支出用途\n"
        "2022-03-01,枣林街道办事处改造老旧小区,中央补助资金,到位,100,\n"
    )
    files = zaolin_report(settings, registry, {"台账.csv": ledger})

    note = "数据质量提示：总体情况中未列完成投资：枣林街道办事处改造老旧小区（未报送投资完成情况月报），请核实是否漏报。"
    for text in (
        _Page(files.html.read_text(encoding="utf-8")).text,
        "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs),
    ):
        assert note in text
        assert "未列全年到位资金" not in text


@pytest.mark.slow  # 5 s or more on two cores
@pytest.mark.parametrize("months", [11, 12])
def test_the_progress_printed_says_its_month_when_december_is_not_in(settings, registry, register, months):
    import docx

    # November's 累计 and rate were printed as the year's with nothing to say they stop at November.
    rows = "".join(f"枣林街道办事处改造老旧小区,2022,{m},1200,100,{100 * m}\n" for m in range(1, months + 1))
    header = "投资完成情况月报\n项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）\n"
    files = zaolin_report(settings, registry, {"月报.csv": header + rows})

    # The Word file said the same sentence without （截至11月）: November's rate read as the year's.
    said = "累计完成投资（截至11月）1,100万元，年度计划投资完成率（截至11月）91.67%"
    for text in (
        _Page(files.html.read_text(encoding="utf-8")).text,
        "\n".join(p.text for p in docx.Document(str(files.docx)).paragraphs),
    ):
        assert (said in text) == (months == 11)
        assert "截至12月" not in text


@pytest.mark.slow  # 5 s or more on two cores
def test_a_ledger_with_nothing_received_is_said_to_leave_the_execution_rate_uncomputable(
    settings, registry, register
):
    # Said to have "no data to compute it from" while the ledger's 50万元 of payments stood in the same report.
    ledger = (
        "填报单位：枣林街道办事处\n日期,项目名称,资金来源,类型,金额（万元）\n"
        "2022-02-05,枣林街道办事处改造老旧小区,中央补助资金,支付,50\n"
    )
    targets = (
        "项目名称：枣林街道办事处改造老旧小区\n年度：2022\n一级指标,二级指标,三级指标,年度指标值,实际完成值,分值\n"
        "效益指标,社会效益指标,居民居住条件改善,按期完成,按期完成,90\n"
    )
    files = zaolin_report(settings, registry, {"台账.csv": ledger, "自评表.csv": targets})

    text = _Page(files.html.read_text(encoding="utf-8")).text
    assert (
        "枣林街道办事处改造老旧小区资金台账的到位资金合计为0万元，无法计算预算执行率，该项按0.00分计入自评总分"
        in text
    )
    assert "也没有可据以计算的数据：预算执行率" not in text
